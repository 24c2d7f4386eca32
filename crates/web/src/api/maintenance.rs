//! `/api/v1/maintenance*`: the organization's maintenance windows. While a
//! window holds a target its checks go on (marked `in_maintenance`), its
//! state does not move, no incident opens and nothing is sent.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Timelike, Utc};
use pharos_app::maintenance::{self, MaintenanceInput, ScheduleInput};
use pharos_domain::ids::{MaintenanceId, TargetId};
use pharos_domain::maintenance::{
    MaintenanceKind, MaintenanceSchedule, MaintenanceScope, MaintenanceWindow, Weekdays,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::models::{string_enum, Page};
use super::responses::{Editor, JsonBody, MaintenanceNotFound, SignedIn};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::{ApiJson, PathId};
use crate::state::AppState;

fn kind_schema() -> utoipa::openapi::Object {
    let mut schema = string_enum(MaintenanceKind::ALL.map(MaintenanceKind::as_str));
    schema.description = Some(
        "one_off: from `starts_at` to `ends_at`; weekly: on `weekdays` at `start_time` \
         (local time in `time_zone`) for `duration_minutes`."
            .to_owned(),
    );
    schema
}

fn weekdays_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(string_enum(Weekdays::NAMES))
        .min_items(Some(1))
        .max_items(Some(7))
        .unique_items(true)
        .build()
}

/// When a window is open. A one-off window takes `starts_at` and
/// `ends_at` (after the start, at most 366 days later); a weekly one takes
/// `weekdays`, `start_time`, `duration_minutes` and `time_zone` (an IANA
/// name such as `Europe/Berlin`). Fields of the other kind are refused.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = weekdays_schema)]
    pub weekdays: Option<Vec<String>>,
    /// Local time the window opens, `HH:MM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "02:00")]
    pub start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 10080)]
    pub duration_minutes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "Europe/Berlin")]
    pub time_zone: Option<String>,
}

impl From<ScheduleBody> for ScheduleInput {
    fn from(b: ScheduleBody) -> Self {
        Self {
            kind: b.kind,
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            weekdays: b.weekdays,
            start_time: b.start_time,
            duration_minutes: b.duration_minutes,
            time_zone: b.time_zone,
        }
    }
}

impl From<&MaintenanceSchedule> for ScheduleBody {
    fn from(s: &MaintenanceSchedule) -> Self {
        match *s {
            MaintenanceSchedule::OneOff { starts_at, ends_at } => Self {
                kind: s.kind().as_str().to_owned(),
                starts_at: Some(starts_at),
                ends_at: Some(ends_at),
                weekdays: None,
                start_time: None,
                duration_minutes: None,
                time_zone: None,
            },
            MaintenanceSchedule::Weekly {
                weekdays,
                start,
                duration,
                time_zone,
            } => Self {
                kind: s.kind().as_str().to_owned(),
                starts_at: None,
                ends_at: None,
                weekdays: Some(weekdays.names().into_iter().map(str::to_owned).collect()),
                start_time: Some(format!("{:02}:{:02}", start.hour(), start.minute())),
                duration_minutes: Some(i64::from(duration.get())),
                time_zone: Some(time_zone.name().to_owned()),
            },
        }
    }
}

/// A new window: a name, a schedule, and `all_targets` or the
/// organization's own `target_ids` (at least one, at most 1000; another
/// organization's target is refused naming `target_ids`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMaintenanceRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub schedule: ScheduleBody,
    #[serde(default)]
    pub all_targets: bool,
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub target_ids: Vec<Uuid>,
}

/// Changes to a window; what is left out stays. `all_targets: true`
/// without `target_ids` drops the old list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMaintenanceRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub schedule: Option<ScheduleBody>,
    pub all_targets: Option<bool>,
    #[schema(max_items = 1000)]
    pub target_ids: Option<Vec<Uuid>>,
}

fn target_ids(ids: Vec<Uuid>) -> Vec<TargetId> {
    ids.into_iter().map(TargetId).collect()
}

/// One time a window is open.
#[derive(Debug, Serialize, ToSchema)]
pub struct OccurrenceView {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// A maintenance window.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceView {
    pub id: Uuid,
    pub name: String,
    pub schedule: ScheduleBody,
    /// Every target of the organization, present and future.
    pub all_targets: bool,
    /// The targets it holds (empty with `all_targets`).
    pub target_ids: Vec<Uuid>,
    /// Open now.
    pub active: bool,
    /// The occurrence open now, or else the next; null once a one-off
    /// window is over.
    pub current_or_next: Option<OccurrenceView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MaintenanceView {
    pub fn at(w: &MaintenanceWindow, now: DateTime<Utc>) -> Self {
        let (all_targets, target_ids) = match &w.scope {
            MaintenanceScope::Organization => (true, Vec::new()),
            MaintenanceScope::Targets(ids) => (false, ids.iter().map(|t| t.0).collect()),
        };
        Self {
            id: w.id.0,
            name: w.name.clone(),
            schedule: (&w.schedule).into(),
            all_targets,
            target_ids,
            active: w.schedule.occurrence_at(now).is_some(),
            current_or_next: w.schedule.current_or_next(now).map(|o| OccurrenceView {
                starts_at: o.starts_at,
                ends_at: o.ends_at,
            }),
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// The organization's maintenance windows, oldest first.
#[utoipa::path(get, path = "/api/v1/maintenance", tag = "maintenance", operation_id = "list_maintenance",
    responses((status = 200, body = Page<MaintenanceView>), SignedIn))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<Page<MaintenanceView>>> {
    let now = Utc::now();
    let items = maintenance::list(&state.app, &current)
        .await?
        .iter()
        .map(|w| MaintenanceView::at(w, now))
        .collect();
    Ok(Json(Page::whole(items)))
}

/// Plan a maintenance window (members, admins and owners).
#[utoipa::path(post, path = "/api/v1/maintenance", tag = "maintenance", operation_id = "create_maintenance",
    request_body = CreateMaintenanceRequest,
    responses((status = 201, body = MaintenanceView), SignedIn, Editor, JsonBody,
        (status = 409, body = crate::error::ErrorEnvelope, description = "The organization has 500 windows already.")))]
pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<CreateMaintenanceRequest>,
) -> ApiResult<(StatusCode, Json<MaintenanceView>)> {
    let input = MaintenanceInput {
        name: Some(body.name),
        schedule: Some(body.schedule.into()),
        all_targets: Some(body.all_targets),
        target_ids: Some(target_ids(body.target_ids)),
    };
    let window = maintenance::create(&state.app, &current, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(MaintenanceView::at(&window, Utc::now())),
    ))
}

/// One maintenance window.
#[utoipa::path(get, path = "/api/v1/maintenance/{id}", tag = "maintenance", operation_id = "get_maintenance",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = MaintenanceView), SignedIn, MaintenanceNotFound))]
pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<MaintenanceView>> {
    let window = maintenance::get(&state.app, &current, MaintenanceId(id)).await?;
    Ok(Json(MaintenanceView::at(&window, Utc::now())))
}

/// Change a maintenance window (members, admins and owners).
#[utoipa::path(patch, path = "/api/v1/maintenance/{id}", tag = "maintenance", operation_id = "update_maintenance",
    params(("id" = uuid::Uuid, Path)), request_body = UpdateMaintenanceRequest,
    responses((status = 200, body = MaintenanceView), SignedIn, Editor, MaintenanceNotFound, JsonBody))]
pub async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiJson(body): ApiJson<UpdateMaintenanceRequest>,
) -> ApiResult<Json<MaintenanceView>> {
    let input = MaintenanceInput {
        name: body.name,
        schedule: body.schedule.map(Into::into),
        all_targets: body.all_targets,
        target_ids: body.target_ids.map(target_ids),
    };
    let window = maintenance::update(&state.app, &current, MaintenanceId(id), input).await?;
    Ok(Json(MaintenanceView::at(&window, Utc::now())))
}

/// Delete a maintenance window (members, admins and owners): its targets
/// are judged as usual from their next check.
#[utoipa::path(delete, path = "/api/v1/maintenance/{id}", tag = "maintenance", operation_id = "delete_maintenance",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted."), SignedIn, Editor, MaintenanceNotFound))]
pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    maintenance::delete(&state.app, &current, MaintenanceId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
