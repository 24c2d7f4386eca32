//! `/api/v1/targets*`: the targets of the caller's organization.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use pharos_domain::ids::{CheckId, TargetId};
use pharos_domain::ValidationError;
use pharos_storage::models::CheckCursor;

use super::models::*;
use super::responses::{Editor, JsonBody, Query, RateLimited, SignedIn, TargetNotFound};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::extract::{ApiJson, ApiQuery, PathId};
use crate::state::AppState;
use pharos_app::targets::{self, TargetFields, Window};

/// The organization's targets.
#[utoipa::path(get, path = "/api/v1/targets", tag = "targets",
    responses((status = 200, body = Page<TargetView>), SignedIn))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<Page<TargetView>>> {
    let items = targets::list(&state.app, &current)
        .await?
        .iter()
        .map(Into::into)
        .collect();
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

/// Add a target.
#[utoipa::path(post, path = "/api/v1/targets", tag = "targets", request_body = CreateTargetRequest,
    responses((status = 201, body = TargetView), SignedIn, Editor, JsonBody, RateLimited))]
pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<TargetFields>,
) -> ApiResult<(StatusCode, Json<TargetView>)> {
    let target = targets::create(&state.app, &current, body).await?;
    Ok((StatusCode::CREATED, Json((&target).into())))
}

/// Run the check a target body describes once, now, without saving
/// anything: the same body and the same validation as adding a target
/// (a heartbeat has nothing to run).
#[utoipa::path(post, path = "/api/v1/targets/check", tag = "targets", request_body = CheckNowRequest,
    responses((status = 200, body = CheckNowView), SignedIn, Editor, JsonBody, RateLimited,
        (status = 503, body = ErrorEnvelope, description = "This server is not set up to run checks.")))]
pub async fn check_now(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<TargetFields>,
) -> ApiResult<Json<CheckNowView>> {
    let outcome = targets::check_now(&state.app, &current, body).await?;
    Ok(Json((&outcome).into()))
}

/// One target.
#[utoipa::path(get, path = "/api/v1/targets/{id}", tag = "targets", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = TargetView), SignedIn, TargetNotFound))]
pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<TargetView>> {
    let target = targets::get(&state.app, &current, TargetId(id)).await?;
    Ok(Json((&target).into()))
}

/// Change a target; absent fields stay as they are.
#[utoipa::path(patch, path = "/api/v1/targets/{id}", tag = "targets", params(("id" = uuid::Uuid, Path)),
    request_body = UpdateTargetRequest,
    responses((status = 200, body = TargetView), SignedIn, Editor, TargetNotFound, JsonBody))]
pub async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiJson(body): ApiJson<TargetFields>,
) -> ApiResult<Json<TargetView>> {
    let target = targets::update(&state.app, &current, TargetId(id), body).await?;
    Ok(Json((&target).into()))
}

/// Delete a target and its history.
#[utoipa::path(delete, path = "/api/v1/targets/{id}", tag = "targets", params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted."), SignedIn, Editor, TargetNotFound))]
pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    targets::delete(&state.app, &current, TargetId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every target with its latest check (`null` before the first).
#[utoipa::path(get, path = "/api/v1/targets/status", tag = "targets",
    responses((status = 200, body = Page<TargetStatusView>), SignedIn))]
pub async fn status(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<Page<TargetStatusView>>> {
    let items = targets::status(&state.app, &current)
        .await?
        .iter()
        .map(|(target, check)| TargetStatusView {
            target: target.into(),
            latest_check: check.as_ref().map(Into::into),
        })
        .collect();
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

/// A target's checks, newest first.
#[utoipa::path(get, path = "/api/v1/targets/{id}/checks", tag = "targets",
    params(("id" = uuid::Uuid, Path), ChecksQuery),
    responses((status = 200, body = Page<CheckView>), SignedIn, TargetNotFound, Query))]
pub async fn checks(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<ChecksQuery>,
) -> ApiResult<Json<Page<CheckView>>> {
    let limit = match query.limit {
        None => 20,
        Some(n @ 1..=1000) => n as u32,
        Some(_) => return Err(ValidationError::new("limit", "must be between 1 and 1000").into()),
    };
    let before = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let (page, next) = targets::checks(&state.app, &current, TargetId(id), before, limit).await?;
    Ok(Json(Page {
        items: page.iter().map(Into::into).collect(),
        next_cursor: next.map(encode_cursor),
    }))
}

/// Pause checks of a target.
#[utoipa::path(post, path = "/api/v1/targets/{id}/pause", tag = "targets", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = TargetView), SignedIn, Editor, TargetNotFound))]
pub async fn pause(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<TargetView>> {
    let target = targets::set_paused(&state.app, &current, TargetId(id), true).await?;
    Ok(Json((&target).into()))
}

/// Resume checks of a paused target; one runs at once.
#[utoipa::path(post, path = "/api/v1/targets/{id}/resume", tag = "targets", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = TargetView), SignedIn, Editor, TargetNotFound))]
pub async fn resume(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<TargetView>> {
    let target = targets::set_paused(&state.app, &current, TargetId(id), false).await?;
    Ok(Json((&target).into()))
}

/// The target's incidents (confirmed down periods), newest first.
#[utoipa::path(get, path = "/api/v1/targets/{id}/incidents", tag = "targets",
    params(("id" = uuid::Uuid, Path), IncidentsQuery),
    responses((status = 200, body = Page<IncidentView>), SignedIn, TargetNotFound, Query))]
pub async fn incidents(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<IncidentsQuery>,
) -> ApiResult<Json<Page<IncidentView>>> {
    let limit = match query.limit {
        None => 50,
        Some(n @ 1..=1000) => n as u32,
        Some(_) => return Err(ValidationError::new("limit", "must be between 1 and 1000").into()),
    };
    let items = targets::incidents(&state.app, &current, TargetId(id), limit).await?;
    Ok(Json(Page {
        items: items.iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Uptime over 24 h, 7 d, 30 d and 365 d, from roll-ups.
#[utoipa::path(get, path = "/api/v1/targets/{id}/uptime", tag = "targets", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = UptimeView), SignedIn, TargetNotFound))]
pub async fn uptime(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<UptimeView>> {
    let [(_, day), (_, week), (_, month), (_, year)] =
        targets::uptime(&state.app, &current, TargetId(id)).await?;
    Ok(Json(UptimeView {
        day,
        week,
        month,
        year,
    }))
}

/// Buckets of status and latency for charts: 24h and 72h in 15-minute
/// buckets, 7d and 30d hourly, 365d daily.
#[utoipa::path(get, path = "/api/v1/targets/{id}/history", tag = "targets",
    params(("id" = uuid::Uuid, Path), HistoryQuery),
    responses((status = 200, body = HistoryView), SignedIn, TargetNotFound, Query))]
pub async fn history(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<HistoryView>> {
    let window = Window::parse(query.window.as_deref().unwrap_or("24h"))?;
    let buckets = targets::history(&state.app, &current, TargetId(id), window).await?;
    Ok(Json(HistoryView {
        window: window.as_str().to_owned(),
        bucket_seconds: window.bucket_seconds(),
        buckets: buckets.iter().map(Into::into).collect(),
    }))
}

/// Cursors are opaque to clients: base64 of "<micros>.<check id>".
fn encode_cursor(cursor: CheckCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "{}.{}",
        cursor.checked_at.timestamp_micros(),
        cursor.id
    ))
}

fn decode_cursor(raw: &str) -> Result<CheckCursor, ApiError> {
    let invalid = || {
        ApiError::from(ValidationError::new(
            "cursor",
            "is not a cursor this API returned",
        ))
    };
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (micros, id) = text.split_once('.').ok_or_else(invalid)?;
    let micros: i64 = micros.parse().map_err(|_| invalid())?;
    Ok(CheckCursor {
        checked_at: chrono::DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?,
        id: CheckId(uuid::Uuid::parse_str(id).map_err(|_| invalid())?),
    })
}
