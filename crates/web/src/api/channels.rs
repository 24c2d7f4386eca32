//! `/api/v1/channels*`: the organization's notification channels.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use pharos_app::channels::{self, ChannelFields};
use pharos_domain::ids::ChannelId;

use super::alert_models::*;
use super::models::Page;
use super::responses::{ChannelNotFound, JsonBody, Manager, RateLimited, SignedIn};
use super::schemas::{CreateChannelRequest, UpdateChannelRequest};
use crate::auth::CurrentUser;
use crate::error::{ApiResult, ErrorEnvelope};
use crate::extract::{ApiJson, PathId};
use crate::state::AppState;

/// The organization's channels, oldest first.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels", operation_id = "list_channels",
    responses((status = 200, body = Page<ChannelView>), SignedIn))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<Page<ChannelView>>> {
    let items = channels::list(&state.app, &current)
        .await?
        .iter()
        .map(Into::into)
        .collect();
    Ok(Json(Page::whole(items)))
}

/// Add a channel (owners and admins). A webhook's signing secret is in
/// this answer only.
#[utoipa::path(post, path = "/api/v1/channels", tag = "channels", operation_id = "create_channel",
    request_body = CreateChannelRequest,
    responses((status = 201, body = CreatedChannelView), SignedIn, Manager, JsonBody))]
pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<ChannelFields>,
) -> ApiResult<(StatusCode, Json<CreatedChannelView>)> {
    let created = channels::create(&state.app, &current, body).await?;
    Ok((StatusCode::CREATED, Json((&created).into())))
}

/// One channel, its secrets masked.
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "channels", operation_id = "get_channel",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ChannelView), SignedIn, ChannelNotFound))]
pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<ChannelView>> {
    let details = channels::get(&state.app, &current, ChannelId(id)).await?;
    Ok(Json((&details).into()))
}

/// Change a channel (owners and admins); secrets left out are kept.
#[utoipa::path(patch, path = "/api/v1/channels/{id}", tag = "channels", operation_id = "update_channel",
    params(("id" = uuid::Uuid, Path)), request_body = UpdateChannelRequest,
    responses((status = 200, body = ChannelView), SignedIn, Manager, ChannelNotFound, JsonBody))]
pub async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiJson(body): ApiJson<ChannelFields>,
) -> ApiResult<Json<ChannelView>> {
    let details = channels::update(&state.app, &current, ChannelId(id), body).await?;
    Ok(Json((&details).into()))
}

/// Delete a channel (owners and admins), its pending notifications and
/// its place on every target.
#[utoipa::path(delete, path = "/api/v1/channels/{id}", tag = "channels", operation_id = "delete_channel",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted."), SignedIn, Manager, ChannelNotFound))]
pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    channels::delete(&state.app, &current, ChannelId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deliver a test message through the channel now (owners and admins),
/// and answer with the service's status or the error. Nothing is stored
/// or retried.
#[utoipa::path(post, path = "/api/v1/channels/{id}/test", tag = "channels", operation_id = "test_channel",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ChannelTestView, description = "The test ran: `delivered` says how it went."),
        SignedIn, Manager, ChannelNotFound, RateLimited,
        (status = 503, body = ErrorEnvelope, description = "This server is not set up to send notifications.")))]
pub async fn test(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<ChannelTestView>> {
    let outcome = channels::send_test(&state.app, &current, ChannelId(id)).await?;
    Ok(Json((&outcome).into()))
}
