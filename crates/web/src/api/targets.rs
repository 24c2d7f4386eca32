//! `/api/v1/targets*`: the targets of the caller's organization.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use pharos_domain::ids::TargetId;
use pharos_domain::ValidationError;
use pharos_storage::models::{CheckCursor, TargetCursor};

use super::models::*;
use super::responses::{Editor, JsonBody, Query, RateLimited, SignedIn, TargetNotFound};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::extract::{ApiJson, ApiQuery, PathId};
use crate::state::AppState;
use pharos_app::targets::{self, TargetFields, Window};

/// A target's view with its channels.
async fn view(
    state: &AppState,
    current: &CurrentUser,
    target: &pharos_storage::models::Target,
) -> ApiResult<TargetView> {
    let channels = targets::channel_ids_of(&state.app, current, target).await?;
    let ids = [target.id];
    let (tags, agents) = tokio::try_join!(
        pharos_app::labels::tags_of(&state.app, current, &ids),
        pharos_app::agents::agent_map(&state.app, current, &ids),
    )?;
    Ok(TargetView::from(target)
        .with_channels(&channels)
        .with_tags(tags.get(&target.id).map_or(&[][..], Vec::as_slice))
        .with_agents(agents.get(&target.id).map_or(&[][..], Vec::as_slice))
        .with_badge(target, &state.app.settings.public_url))
}

/// The page size a list query asks for.
fn list_limit(query: &TargetListQuery) -> ApiResult<u32> {
    match query.limit {
        None => Ok(100),
        Some(n @ 1..=1000) => Ok(n as u32),
        Some(_) => Err(ValidationError::new("limit", "must be between 1 and 1000").into()),
    }
}

fn target_cursor(query: &TargetListQuery) -> ApiResult<Option<TargetCursor>> {
    query
        .cursor
        .as_deref()
        .map(|raw| {
            TargetCursor::decode(raw).ok_or_else(|| {
                ValidationError::new("cursor", "is not a cursor this API returned").into()
            })
        })
        .transpose()
}

/// Views of a page of targets, with their channels and tags read for the
/// page alone (three queries whatever the organization's size).
async fn page_views<'a>(
    state: &AppState,
    current: &CurrentUser,
    page: impl Iterator<Item = &'a pharos_storage::models::Target> + Clone,
) -> ApiResult<Vec<TargetView>> {
    let ids: Vec<TargetId> = page.clone().map(|t| t.id).collect();
    let (channels, tags, agents) = tokio::try_join!(
        targets::channel_map_of(&state.app, current, &ids),
        pharos_app::labels::tags_of(&state.app, current, &ids),
        pharos_app::agents::agent_map(&state.app, current, &ids),
    )?;
    Ok(page
        .map(|t| {
            TargetView::from(t)
                .with_channels(channels.get(&t.id).map_or(&[][..], Vec::as_slice))
                .with_tags(tags.get(&t.id).map_or(&[][..], Vec::as_slice))
                .with_agents(agents.get(&t.id).map_or(&[][..], Vec::as_slice))
                .with_badge(t, &state.app.settings.public_url)
        })
        .collect())
}

/// The organization's targets in creation order, a page at a time;
/// `tag`, `group`, `state` and `q` choose which.
#[utoipa::path(get, path = "/api/v1/targets", tag = "targets", params(TargetListQuery),
    responses((status = 200, body = Page<TargetView>), SignedIn, Query))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(query): ApiQuery<TargetListQuery>,
) -> ApiResult<Json<Page<TargetView>>> {
    let limit = list_limit(&query)?;
    let after = target_cursor(&query)?;
    let filter = query.list_query().filter()?;
    let (page, next) = targets::list_page(&state.app, &current, &filter, after, limit).await?;
    Ok(Json(Page {
        items: page_views(&state, &current, page.iter()).await?,
        next_cursor: next.map(|c| c.encode()),
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
    Ok((
        StatusCode::CREATED,
        Json(view(&state, &current, &target).await?),
    ))
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
    Ok(Json(view(&state, &current, &target).await?))
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
    Ok(Json(view(&state, &current, &target).await?))
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

/// The organization's targets with their latest check (`null` before the
/// first), in creation order, a page at a time; the same filters as the
/// list.
#[utoipa::path(get, path = "/api/v1/targets/status", tag = "targets", params(TargetListQuery),
    responses((status = 200, body = Page<TargetStatusView>), SignedIn, Query))]
pub async fn status(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(query): ApiQuery<TargetListQuery>,
) -> ApiResult<Json<Page<TargetStatusView>>> {
    let limit = list_limit(&query)?;
    let after = target_cursor(&query)?;
    let filter = query.list_query().filter()?;
    let (page, next) = targets::status_page(&state.app, &current, &filter, after, limit).await?;
    let views = page_views(&state, &current, page.iter().map(|(t, _)| t)).await?;
    let items = views
        .into_iter()
        .zip(&page)
        .map(|(target, (_, check))| TargetStatusView {
            target,
            latest_check: check.as_ref().map(Into::into),
        })
        .collect();
    Ok(Json(Page {
        items,
        next_cursor: next.map(|c| c.encode()),
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
        next_cursor: next.map(|c| c.encode()),
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
    Ok(Json(view(&state, &current, &target).await?))
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
    Ok(Json(view(&state, &current, &target).await?))
}

/// A new token for the target's badge: its old badge URLs answer 404 from
/// now on. 409 while its badge is off.
#[utoipa::path(post, path = "/api/v1/targets/{id}/badge/rotate", tag = "targets", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = TargetView), SignedIn, Editor, TargetNotFound,
        (status = 409, body = ErrorEnvelope, description = "The target's badge is off.")))]
pub async fn rotate_badge(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<TargetView>> {
    let target = pharos_app::badges::rotate(&state.app, &current, TargetId(id)).await?;
    Ok(Json(view(&state, &current, &target).await?))
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
    Ok(Json(Page::whole(items.iter().map(Into::into).collect())))
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

fn decode_cursor(raw: &str) -> Result<CheckCursor, ApiError> {
    CheckCursor::decode(raw)
        .ok_or_else(|| ValidationError::new("cursor", "is not a cursor this API returned").into())
}
