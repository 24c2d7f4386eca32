//! The public routes' own rate limit, per client address (the trusted
//! proxy's `X-Forwarded-For` honoured through `ClientAddr`), apart from
//! the dashboard's limits: a crowd on a status page never locks anyone
//! out of the dashboard, nor the reverse. Applied by path, so every public
//! route (status pages, badges, public JSON) is under it however the
//! routers are merged. Over the limit: 429 with `Retry-After`.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::{AppState, ClientAddr};

/// Paths under the public limit.
const PUBLIC_PREFIXES: [&str; 3] = ["/status/", "/badge/", "/api/public/"];

pub fn is_public_path(path: &str) -> bool {
    path == "/status" || PUBLIC_PREFIXES.iter().any(|p| path.starts_with(p))
}

pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_public_path(request.uri().path()) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let client = match ClientAddr::of(&parts, &state) {
        Ok(ClientAddr(ip)) => ip,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = state.app.limits.public_request(client) {
        return ApiError::from(e).into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}
