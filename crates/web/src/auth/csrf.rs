//! Cross-site request refusal. A browser attaches the session cookie to
//! cross-site requests; SameSite=Lax stops most of them, and this layer
//! stops the rest: an unsafe method that carries the cookie must come from
//! Pharos's own origin. Non-browser clients (curl with a cookie jar) send
//! neither `Origin` nor `Sec-Fetch-Site` and keep working.
//!
//! Written here because tower-http has no such layer in the versions we use.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use pharos_app::AppError;

use crate::error::ApiError;
use crate::state::AppState;

pub async fn refuse_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if unsafe_method
        && carries_session(&state, request.headers())
        && is_cross_site(&state, request.headers())
    {
        let refused = ApiError::App(AppError::Forbidden("cross-site request refused"));
        return if crate::pages::is_api_path(request.uri().path()) {
            refused.into_response()
        } else {
            crate::pages::PageError(refused).into_response()
        };
    }
    next.run(request).await
}

fn carries_session(state: &AppState, headers: &HeaderMap) -> bool {
    let name = state.config.session.cookie_name();
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| pair.trim_start().split('=').next() == Some(name))
}

fn is_cross_site(state: &AppState, headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none` is the user typing the URL or using a bookmark.
        return !matches!(site.to_str(), Ok("same-origin") | Ok("none"));
    }
    match headers.get(header::ORIGIN).map(|v| v.to_str()) {
        None => false,
        Some(Ok(origin)) => !is_own_origin(state, headers, origin),
        Some(Err(_)) => true,
    }
}

fn is_own_origin(state: &AppState, headers: &HeaderMap, origin: &str) -> bool {
    if let Some(public) = &state.config.public_origin {
        return origin.eq_ignore_ascii_case(public.trim_end_matches('/'));
    }
    // Without a configured origin, the Host the browser used is ours.
    let Ok(origin) = url::Url::parse(origin) else {
        return false;
    };
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let origin_host = match (origin.host_str(), origin.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => return false,
    };
    origin_host.eq_ignore_ascii_case(host)
}
