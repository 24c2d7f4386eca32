//! Every request gets an id (`X-Request-Id`, kept from the client when it
//! is a plain token, made here otherwise, echoed on the answer) and one
//! span that names the route template, never the raw path: paths carry
//! secrets (a heartbeat's ping token), so logs never see them.

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::{MakeRequestId, RequestId};

pub const REQUEST_ID: &str = "x-request-id";

/// Request ids made here: UUID v7, sortable by time.
#[derive(Clone, Copy, Default)]
pub struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&uuid::Uuid::now_v7().to_string())
            .ok()
            .map(RequestId::new)
    }
}

/// A client's id is kept only when it is a short plain token, so a hostile
/// one cannot forge log lines or bloat them.
fn acceptable(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    (1..=64).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Drops an `X-Request-Id` that is not a plain token (a new one is made).
pub async fn drop_unfit_request_id(mut request: Request, next: Next) -> Response {
    if request
        .headers()
        .get(REQUEST_ID)
        .is_some_and(|v| !acceptable(v))
    {
        request.headers_mut().remove(REQUEST_ID);
    }
    next.run(request).await
}

/// The span of one request: method, route template and request id.
pub fn span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str);
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %request.method(), route, request_id = id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_tokens_are_kept() {
        for good in ["abc", "0190f0a3-7c1e-7000-8000-000000000000", "req_1.2"] {
            assert!(acceptable(&HeaderValue::from_static(good)), "{good}");
        }
        let long = "a".repeat(65);
        for bad in ["", "a b", "x\ty", "<script>", long.as_str()] {
            let value = HeaderValue::from_str(bad).unwrap_or(HeaderValue::from_static(" "));
            assert!(!acceptable(&value), "{bad:?}");
        }
    }
}
