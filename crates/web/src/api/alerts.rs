//! Alert settings (the organization's defaults and a target's own) and
//! the notifications a target's events sent.

use axum::extract::State;
use axum::Json;
use pharos_app::alerts;
use pharos_domain::ids::TargetId;
use pharos_domain::ValidationError;
use serde_json::{Map, Value};

use super::alert_models::*;
use super::models::Page;
use super::responses::{Editor, JsonBody, Manager, Query, SignedIn, TargetNotFound};
use super::schemas::AlertSettingsRequest;
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, PathId};
use crate::state::AppState;

/// The organization's default alert settings.
#[utoipa::path(get, path = "/api/v1/organization/alerts", tag = "alerts", operation_id = "get_organization_alerts",
    responses((status = 200, body = AlertSettingsView), SignedIn))]
pub async fn get_defaults(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<AlertSettingsView>> {
    let settings = alerts::defaults(&state.app, &current).await?;
    Ok(Json((&settings).into()))
}

/// Set the organization's default alert settings (owners and admins).
#[utoipa::path(put, path = "/api/v1/organization/alerts", tag = "alerts", operation_id = "set_organization_alerts",
    request_body = AlertSettingsRequest,
    responses((status = 200, body = AlertSettingsView), SignedIn, Manager, JsonBody))]
pub async fn set_defaults(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> ApiResult<Json<AlertSettingsView>> {
    let settings = alerts::parse_settings(body)?;
    let settings = alerts::set_defaults(&state.app, &current, settings).await?;
    Ok(Json((&settings).into()))
}

/// A target's alert settings: its own, or the organization's.
#[utoipa::path(get, path = "/api/v1/targets/{id}/alerts", tag = "alerts", operation_id = "get_target_alerts",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = TargetAlertsView), SignedIn, TargetNotFound))]
pub async fn get_target(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<TargetAlertsView>> {
    let found = alerts::of_target(&state.app, &current, TargetId(id)).await?;
    Ok(Json((&found).into()))
}

/// Give a target alert settings of its own.
#[utoipa::path(put, path = "/api/v1/targets/{id}/alerts", tag = "alerts", operation_id = "set_target_alerts",
    params(("id" = uuid::Uuid, Path)), request_body = AlertSettingsRequest,
    responses((status = 200, body = TargetAlertsView), SignedIn, Editor, TargetNotFound, JsonBody))]
pub async fn set_target(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> ApiResult<Json<TargetAlertsView>> {
    let settings = alerts::parse_settings(body)?;
    let found = alerts::set_for_target(&state.app, &current, TargetId(id), Some(settings)).await?;
    Ok(Json((&found).into()))
}

/// Return a target to the organization's default alert settings.
#[utoipa::path(delete, path = "/api/v1/targets/{id}/alerts", tag = "alerts", operation_id = "reset_target_alerts",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = TargetAlertsView), SignedIn, Editor, TargetNotFound))]
pub async fn reset_target(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<TargetAlertsView>> {
    let found = alerts::set_for_target(&state.app, &current, TargetId(id), None).await?;
    Ok(Json((&found).into()))
}

/// The notifications a target's events sent (or one incident's, with
/// `incident_id`), newest first, with every delivery attempt.
#[utoipa::path(get, path = "/api/v1/targets/{id}/notifications", tag = "alerts", operation_id = "target_notifications",
    params(("id" = uuid::Uuid, Path), NotificationsQuery),
    responses((status = 200, body = Page<NotificationView>), SignedIn, TargetNotFound, Query))]
pub async fn target_notifications(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<NotificationsQuery>,
) -> ApiResult<Json<Page<NotificationView>>> {
    let limit = match query.limit {
        None => 50,
        Some(n @ 1..=200) => n as u32,
        Some(_) => return Err(ValidationError::new("limit", "must be between 1 and 200").into()),
    };
    let found = match query.incident_id {
        None => alerts::target_notifications(&state.app, &current, TargetId(id), limit).await?,
        Some(incident) => {
            alerts::incident_notifications(&state.app, &current, TargetId(id), incident, limit)
                .await?
        }
    };
    Ok(Json(Page::whole(found.iter().map(Into::into).collect())))
}
