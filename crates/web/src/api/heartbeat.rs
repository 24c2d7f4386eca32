//! `/ping/{token}`: what a cron job calls. No session: the token in the
//! path is the credential. GET and POST both record a ping (`curl URL` and
//! `wget URL` send GET), so the document lists both, each under its own
//! operation id.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::responses::{CrossSite, HeartbeatConflict, HeartbeatNotFound};
use crate::error::ApiResult;
use crate::state::AppState;
use pharos_app::heartbeat::{self, Ping};

async fn answer(
    state: &AppState,
    token: &str,
    ping: Ping,
) -> ApiResult<(StatusCode, &'static str)> {
    heartbeat::ping(&state.app, token, ping).await?;
    Ok((StatusCode::OK, "OK\n"))
}

/// The job ran fine.
#[utoipa::path(post, path = "/ping/{token}", tag = "heartbeats", params(("token" = String, Path)),
    responses((status = 200, description = "Recorded.", body = String, content_type = "text/plain"),
        HeartbeatNotFound, HeartbeatConflict, CrossSite))]
pub async fn success(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<(StatusCode, &'static str)> {
    answer(&state, &token, Ping::Success).await
}

/// The job ran fine (the same as POST).
#[utoipa::path(get, path = "/ping/{token}", tag = "heartbeats", operation_id = "success_get",
    params(("token" = String, Path)),
    responses((status = 200, description = "Recorded.", body = String, content_type = "text/plain"),
        HeartbeatNotFound, HeartbeatConflict))]
pub async fn success_get(
    state: State<AppState>,
    token: Path<String>,
) -> ApiResult<(StatusCode, &'static str)> {
    success(state, token).await
}

/// The job failed: the target is down at once.
#[utoipa::path(post, path = "/ping/{token}/fail", tag = "heartbeats", params(("token" = String, Path)),
    responses((status = 200, description = "Recorded.", body = String, content_type = "text/plain"),
        HeartbeatNotFound, HeartbeatConflict, CrossSite))]
pub async fn fail(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<(StatusCode, &'static str)> {
    answer(&state, &token, Ping::Fail).await
}

/// The job failed (the same as POST).
#[utoipa::path(get, path = "/ping/{token}/fail", tag = "heartbeats", operation_id = "fail_get",
    params(("token" = String, Path)),
    responses((status = 200, description = "Recorded.", body = String, content_type = "text/plain"),
        HeartbeatNotFound, HeartbeatConflict))]
pub async fn fail_get(
    state: State<AppState>,
    token: Path<String>,
) -> ApiResult<(StatusCode, &'static str)> {
    fail(state, token).await
}

/// The job starts; the next success records how long it ran.
#[utoipa::path(post, path = "/ping/{token}/start", tag = "heartbeats", params(("token" = String, Path)),
    responses((status = 200, description = "Recorded.", body = String, content_type = "text/plain"),
        HeartbeatNotFound, CrossSite))]
pub async fn start(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<(StatusCode, &'static str)> {
    answer(&state, &token, Ping::Start).await
}

/// The job starts (the same as POST).
#[utoipa::path(get, path = "/ping/{token}/start", tag = "heartbeats", operation_id = "start_get",
    params(("token" = String, Path)),
    responses((status = 200, description = "Recorded.", body = String, content_type = "text/plain"),
        HeartbeatNotFound))]
pub async fn start_get(
    state: State<AppState>,
    token: Path<String>,
) -> ApiResult<(StatusCode, &'static str)> {
    start(state, token).await
}
