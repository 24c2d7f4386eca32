//! `/badge/{token}/status.svg`, `/badge/{token}/uptime.svg?window=` and
//! `/badge/{token}/latency.svg`: a target's public badges. What each shows
//! comes through `pharos_app::badges` (a short-lived single-flight cache);
//! the SVG is drawn in `badge_svg`. A token that never existed and a
//! target whose badge is off answer the same 404 (the one error path, no
//! header telling them apart).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use pharos_app::badges::{self, BadgeKind, UptimeWindow};
use serde::Deserialize;

use super::badge_svg;
use super::http_cache;
use crate::api::responses::RateLimited;
use crate::error::{ApiResult, ErrorEnvelope};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// Browsers and image proxies may keep a badge this long; Pharos itself
/// reads it again every `badges::BADGE_TTL`.
const CACHE_CONTROL: &str = "public, max-age=30";

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UptimeQuery {
    /// The span covered: 24h, 7d, 30d or 90d; default 24h.
    #[param(value_type = Option<BadgeWindow>, default = "24h")]
    pub window: Option<String>,
}

/// The spans an uptime badge covers.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub enum BadgeWindow {
    #[schema(rename = "24h")]
    Day,
    #[schema(rename = "7d")]
    Week,
    #[schema(rename = "30d")]
    Month,
    #[schema(rename = "90d")]
    Quarter,
}

async fn badge(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    kind: BadgeKind,
) -> ApiResult<Response> {
    let shown = badges::show(&state.app, token, kind).await?;
    let svg = badge_svg::render(&shown);
    let mut response = http_cache::respond(
        headers,
        "image/svg+xml; charset=utf-8",
        CACHE_CONTROL,
        svg.into_bytes(),
    );
    // An SVG opened on its own may run nothing and load nothing.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'"),
    );
    Ok(response)
}

/// A target's state as a badge (up, degraded, down, paused, pending).
#[utoipa::path(get, path = "/badge/{token}/status.svg", tag = "public", operation_id = "badge_status",
    params(("token" = String, Path, description = "The badge token from the target's `badge_urls`.")),
    responses(
        (status = 200, content_type = "image/svg+xml", body = String, description = "The badge; `ETag` and `Cache-Control` set."),
        (status = 304, description = "Not modified (`If-None-Match`)."),
        (status = 404, body = ErrorEnvelope, description = "No such badge: an unknown token, or a target whose badge is off."),
        RateLimited))]
pub async fn status(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    badge(&state, &headers, &token, BadgeKind::Status).await
}

/// A target's uptime over a window as a badge.
#[utoipa::path(get, path = "/badge/{token}/uptime.svg", tag = "public", operation_id = "badge_uptime",
    params(("token" = String, Path, description = "The badge token from the target's `badge_urls`."), UptimeQuery),
    responses(
        (status = 200, content_type = "image/svg+xml", body = String, description = "The badge; `ETag` and `Cache-Control` set."),
        (status = 304, description = "Not modified (`If-None-Match`)."),
        (status = 400, body = ErrorEnvelope, description = "The query string does not parse (`window` given twice, say)."),
        (status = 422, body = ErrorEnvelope, description = "`window` is not one of 24h, 7d, 30d, 90d (other parameters, such as a cache-busting `v`, are ignored)."),
        (status = 404, body = ErrorEnvelope, description = "No such badge: an unknown token, or a target whose badge is off."),
        RateLimited))]
pub async fn uptime(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ApiQuery(query): ApiQuery<UptimeQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let window = UptimeWindow::parse(query.window.as_deref().unwrap_or("24h"))?;
    badge(&state, &headers, &token, BadgeKind::Uptime(window)).await
}

/// A target's mean latency over the last 24 hours as a badge.
#[utoipa::path(get, path = "/badge/{token}/latency.svg", tag = "public", operation_id = "badge_latency",
    params(("token" = String, Path, description = "The badge token from the target's `badge_urls`.")),
    responses(
        (status = 200, content_type = "image/svg+xml", body = String, description = "The badge; `ETag` and `Cache-Control` set."),
        (status = 304, description = "Not modified (`If-None-Match`)."),
        (status = 404, body = ErrorEnvelope, description = "No such badge: an unknown token, or a target whose badge is off."),
        RateLimited))]
pub async fn latency(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    badge(&state, &headers, &token, BadgeKind::Latency).await
}

/// The absolute URLs of a target's badges, from the public URL setting.
pub fn urls(public_url: &str, token: &str) -> [String; 3] {
    let base = public_url.trim_end_matches('/');
    [
        format!("{base}/badge/{token}/status.svg"),
        format!("{base}/badge/{token}/uptime.svg?window=30d"),
        format!("{base}/badge/{token}/latency.svg"),
    ]
}
