//! `/ping/{token}`: what a cron job calls. No session: the token in the
//! path is the credential.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::responses::{CrossSite, HeartbeatConflict, HeartbeatNotFound};
use crate::error::ApiResult;
use crate::services::heartbeat::{self, Ping};
use crate::state::AppState;

async fn answer(
    state: &AppState,
    token: &str,
    ping: Ping,
) -> ApiResult<(StatusCode, &'static str)> {
    heartbeat::ping(state, token, ping).await?;
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
