//! `/api/v1/status-pages*`: the organization's public status pages and the
//! incidents and announcements posted on them. Everyone in the organization
//! reads; owners and admins write. Every change drops this replica's
//! cached public snapshots (`public::snapshot`), so the page shows it at
//! once here and within the snapshot's few seconds elsewhere.

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use pharos_app::status_pages::{self, IncidentInput, SectionInput, StatusPageInput};
use pharos_app::AppError;
use pharos_domain::ids::{PageIncidentId, StatusPageId, TargetId};
use pharos_domain::status_page::{IncidentStatus, PageIncidentKind, PageTheme};
use pharos_storage::models::{PageIncident, StatusPage};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::models::{string_enum, Page};
use super::responses::{JsonBody, Manager, PageIncidentNotFound, SignedIn, StatusPageNotFound};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, PathId};
use crate::state::AppState;

fn theme_schema() -> utoipa::openapi::Object {
    string_enum(PageTheme::ALL.iter().map(|t| t.as_str()))
}

fn status_schema() -> utoipa::openapi::Object {
    string_enum(IncidentStatus::ALL.iter().map(|s| s.as_str()))
}

fn kind_schema() -> utoipa::openapi::Object {
    string_enum(PageIncidentKind::ALL.iter().map(|k| k.as_str()))
}

/// `theme` in a request: `null` is the same as leaving it out.
fn theme_request_schema() -> utoipa::openapi::Schema {
    super::models::nullable_string_enum(
        PageTheme::ALL.iter().map(|t| t.as_str()),
        "light (the default on a new page) or dark; null or absent: the default, or unchanged.",
    )
}

/// `status` in a request: `null` is the same as leaving it out.
fn status_request_schema() -> utoipa::openapi::Schema {
    super::models::nullable_string_enum(
        IncidentStatus::ALL.iter().map(|s| s.as_str()),
        "investigating, identified, monitoring or resolved; null or absent: investigating on a \
         new incident, unchanged on an update.",
    )
}

/// `kind` in a request: `null` is the same as leaving it out (incident).
fn kind_request_schema() -> utoipa::openapi::Schema {
    super::models::nullable_string_enum(
        PageIncidentKind::ALL.iter().map(|k| k.as_str()),
        "incident (the default) or announcement.",
    )
}

/// A section: a name and the organization's targets in the order shown,
/// each under its own name unless `public_names` gives it one (keyed by
/// target id, only targets of this section). A target is on a page once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionBody {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub target_ids: Vec<Uuid>,
    #[serde(default)]
    pub public_names: BTreeMap<Uuid, String>,
}

impl From<SectionBody> for SectionInput {
    fn from(b: SectionBody) -> Self {
        Self {
            name: b.name,
            target_ids: b.target_ids.into_iter().map(TargetId).collect(),
            public_names: b
                .public_names
                .into_iter()
                .map(|(id, name)| (TargetId(id), name))
                .collect(),
        }
    }
}

/// A new status page, served at `/status/{slug}`. Slugs are lowercase
/// letters, digits and single hyphens, unique on the instance.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStatusPageRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[schema(
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$",
        min_length = 2,
        max_length = 64,
        example = "acme"
    )]
    pub slug: String,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// An `https` (or `http`) image URL; the page links it, Pharos never fetches it.
    #[schema(max_length = 2048)]
    pub logo_url: Option<String>,
    /// `light` unless given.
    #[schema(schema_with = theme_request_schema)]
    pub theme: Option<String>,
    /// Show each target's address beside its name (off unless given).
    pub show_target_urls: Option<bool>,
    /// A confirmed outage of a target on the page opens a draft incident.
    pub auto_draft_incidents: Option<bool>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub sections: Vec<SectionBody>,
}

/// Changes to a page; what is left out stays. `sections` replaces all of
/// them; `logo_url: ""` removes the logo.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStatusPageRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", min_length = 2, max_length = 64)]
    pub slug: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[schema(max_length = 2048)]
    pub logo_url: Option<String>,
    #[schema(schema_with = theme_request_schema)]
    pub theme: Option<String>,
    pub show_target_urls: Option<bool>,
    pub auto_draft_incidents: Option<bool>,
    #[schema(max_items = 50)]
    pub sections: Option<Vec<SectionBody>>,
}

/// A status page as its organization sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusPageView {
    pub id: Uuid,
    pub title: String,
    pub slug: String,
    pub description: String,
    pub logo_url: Option<String>,
    #[schema(schema_with = theme_schema)]
    pub theme: String,
    pub show_target_urls: bool,
    pub auto_draft_incidents: bool,
    pub sections: Vec<SectionBody>,
    /// Where visitors read it.
    pub public_url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl StatusPageView {
    pub fn of(page: &StatusPage, base: &str) -> Self {
        Self {
            id: page.id.0,
            title: page.title.clone(),
            slug: page.slug.clone(),
            description: page.description.clone(),
            logo_url: page.logo_url.clone(),
            theme: page.theme.as_str().to_owned(),
            show_target_urls: page.show_target_urls,
            auto_draft_incidents: page.auto_draft_incidents,
            sections: page
                .sections
                .iter()
                .map(|s| SectionBody {
                    name: s.name.clone(),
                    target_ids: s.entries.iter().map(|e| e.target_id.0).collect(),
                    public_names: s
                        .entries
                        .iter()
                        .filter_map(|e| Some((e.target_id.0, e.public_name.clone()?)))
                        .collect(),
                })
                .collect(),
            public_url: format!("{}/status/{}", base.trim_end_matches('/'), page.slug),
            created_at: page.created_at,
            updated_at: page.updated_at,
        }
    }
}

/// One entry of an incident's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentUpdateView {
    pub id: Uuid,
    #[schema(schema_with = status_schema)]
    pub status: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

/// An incident or announcement posted on a page.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageIncidentView {
    pub id: Uuid,
    pub status_page_id: Uuid,
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    pub title: String,
    #[schema(schema_with = status_schema)]
    pub status: String,
    /// Drafts are not shown on the public page.
    pub draft: bool,
    /// Opened automatically for a confirmed outage.
    pub automatic: bool,
    /// Affected targets, all on the page.
    pub target_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Oldest first.
    pub updates: Vec<IncidentUpdateView>,
}

impl From<&PageIncident> for PageIncidentView {
    fn from(i: &PageIncident) -> Self {
        Self {
            id: i.id.0,
            status_page_id: i.page_id.0,
            kind: i.kind.as_str().to_owned(),
            title: i.title.clone(),
            status: i.status.as_str().to_owned(),
            draft: i.draft,
            automatic: i.source_incident_id.is_some(),
            target_ids: i.target_ids.iter().map(|t| t.0).collect(),
            created_at: i.created_at,
            updated_at: i.updated_at,
            resolved_at: i.resolved_at,
            updates: i
                .updates
                .iter()
                .map(|u| IncidentUpdateView {
                    id: u.id,
                    status: u.status.as_str().to_owned(),
                    message: u.message.clone(),
                    created_at: u.created_at,
                })
                .collect(),
        }
    }
}

/// A new incident (`kind: incident`, the default) or announcement. Its
/// `message`, when given, is the first update of its timeline.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePageIncidentRequest {
    #[schema(schema_with = kind_request_schema)]
    pub kind: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// `investigating` unless given.
    #[schema(schema_with = status_request_schema)]
    pub status: Option<String>,
    /// Keep it off the public page until published (`draft: false`).
    pub draft: Option<bool>,
    /// Affected targets; only targets on the page.
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub target_ids: Vec<Uuid>,
    #[schema(max_length = 5000)]
    pub message: Option<String>,
}

/// Changes to an incident; what is left out stays. A `status` or a
/// `message` adds an update to the timeline (resolving sets `resolved_at`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePageIncidentRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(schema_with = status_request_schema)]
    pub status: Option<String>,
    pub draft: Option<bool>,
    #[schema(max_items = 1000)]
    pub target_ids: Option<Vec<Uuid>>,
    #[schema(min_length = 1, max_length = 5000)]
    pub message: Option<String>,
}

fn targets(ids: Vec<Uuid>) -> Vec<TargetId> {
    ids.into_iter().map(TargetId).collect()
}

/// `{id}` and `{incident_id}`, both UUIDs; anything else is a plain 404.
pub struct PathIds(pub Uuid, pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path((page, incident)): axum::extract::Path<(String, String)> =
            axum::extract::Path::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::App(AppError::NotFound))?;
        match (Uuid::parse_str(&page), Uuid::parse_str(&incident)) {
            (Ok(page), Ok(incident)) => Ok(PathIds(page, incident)),
            _ => Err(ApiError::App(AppError::NotFound)),
        }
    }
}

fn view(state: &AppState, page: &StatusPage) -> StatusPageView {
    StatusPageView::of(page, &state.app.settings.public_url)
}

/// The organization's status pages, oldest first.
#[utoipa::path(get, path = "/api/v1/status-pages", tag = "status-pages", operation_id = "list_status_pages",
    responses((status = 200, body = Page<StatusPageView>), SignedIn))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<Page<StatusPageView>>> {
    let items = status_pages::list(&state.app, &current)
        .await?
        .iter()
        .map(|p| view(&state, p))
        .collect();
    Ok(Json(Page::whole(items)))
}

/// Make a status page (owners and admins).
#[utoipa::path(post, path = "/api/v1/status-pages", tag = "status-pages", operation_id = "create_status_page",
    request_body = CreateStatusPageRequest,
    responses((status = 201, body = StatusPageView), SignedIn, Manager, JsonBody,
        (status = 409, body = crate::error::ErrorEnvelope, description = "The organization has 100 status pages already.")))]
pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<CreateStatusPageRequest>,
) -> ApiResult<(StatusCode, Json<StatusPageView>)> {
    let input = StatusPageInput {
        title: Some(body.title),
        slug: Some(body.slug),
        description: body.description,
        logo_url: body.logo_url.map(Some),
        theme: body.theme,
        show_target_urls: body.show_target_urls,
        auto_draft_incidents: body.auto_draft_incidents,
        sections: Some(body.sections.into_iter().map(Into::into).collect()),
    };
    let page = status_pages::create(&state.app, &current, input).await?;
    state.public.invalidate().await;
    Ok((StatusCode::CREATED, Json(view(&state, &page))))
}

/// One status page.
#[utoipa::path(get, path = "/api/v1/status-pages/{id}", tag = "status-pages", operation_id = "get_status_page",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = StatusPageView), SignedIn, StatusPageNotFound))]
pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<StatusPageView>> {
    let page = status_pages::get(&state.app, &current, StatusPageId(id)).await?;
    Ok(Json(view(&state, &page)))
}

/// Change a status page (owners and admins).
#[utoipa::path(patch, path = "/api/v1/status-pages/{id}", tag = "status-pages", operation_id = "update_status_page",
    params(("id" = uuid::Uuid, Path)), request_body = UpdateStatusPageRequest,
    responses((status = 200, body = StatusPageView), SignedIn, Manager, StatusPageNotFound, JsonBody))]
pub async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiJson(body): ApiJson<UpdateStatusPageRequest>,
) -> ApiResult<Json<StatusPageView>> {
    let input = StatusPageInput {
        title: body.title,
        slug: body.slug,
        description: body.description,
        logo_url: body.logo_url.map(Some),
        theme: body.theme,
        show_target_urls: body.show_target_urls,
        auto_draft_incidents: body.auto_draft_incidents,
        sections: body
            .sections
            .map(|s| s.into_iter().map(Into::into).collect()),
    };
    let page = status_pages::update(&state.app, &current, StatusPageId(id), input).await?;
    state.public.invalidate().await;
    Ok(Json(view(&state, &page)))
}

/// Delete a status page (owners and admins): its address answers 404.
#[utoipa::path(delete, path = "/api/v1/status-pages/{id}", tag = "status-pages", operation_id = "delete_status_page",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted."), SignedIn, Manager, StatusPageNotFound))]
pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    status_pages::delete(&state.app, &current, StatusPageId(id)).await?;
    state.public.invalidate().await;
    Ok(StatusCode::NO_CONTENT)
}

/// The page's incidents and announcements of the last 90 days and any
/// still open, drafts included, newest first.
#[utoipa::path(get, path = "/api/v1/status-pages/{id}/incidents", tag = "status-pages", operation_id = "list_page_incidents",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Page<PageIncidentView>), SignedIn, StatusPageNotFound))]
pub async fn incidents(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<Page<PageIncidentView>>> {
    let items = status_pages::incidents(&state.app, &current, StatusPageId(id))
        .await?
        .iter()
        .map(Into::into)
        .collect();
    Ok(Json(Page::whole(items)))
}

/// Post an incident or announcement on a page (owners and admins).
#[utoipa::path(post, path = "/api/v1/status-pages/{id}/incidents", tag = "status-pages", operation_id = "create_page_incident",
    params(("id" = uuid::Uuid, Path)), request_body = CreatePageIncidentRequest,
    responses((status = 201, body = PageIncidentView), SignedIn, Manager, StatusPageNotFound, JsonBody))]
pub async fn create_incident(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiJson(body): ApiJson<CreatePageIncidentRequest>,
) -> ApiResult<(StatusCode, Json<PageIncidentView>)> {
    let input = IncidentInput {
        kind: body.kind,
        title: Some(body.title),
        status: body.status,
        draft: body.draft,
        target_ids: Some(targets(body.target_ids)),
        message: body.message,
    };
    let incident =
        status_pages::post_incident(&state.app, &current, StatusPageId(id), input).await?;
    state.public.invalidate().await;
    Ok((StatusCode::CREATED, Json((&incident).into())))
}

/// One incident or announcement of a page.
#[utoipa::path(get, path = "/api/v1/status-pages/{id}/incidents/{incident_id}", tag = "status-pages",
    operation_id = "get_page_incident",
    params(("id" = uuid::Uuid, Path), ("incident_id" = uuid::Uuid, Path)),
    responses((status = 200, body = PageIncidentView), SignedIn, PageIncidentNotFound))]
pub async fn get_incident(
    State(state): State<AppState>,
    current: CurrentUser,
    PathIds(page, id): PathIds,
) -> ApiResult<Json<PageIncidentView>> {
    let incident =
        status_pages::incident(&state.app, &current, StatusPageId(page), PageIncidentId(id))
            .await?;
    Ok(Json((&incident).into()))
}

/// Change an incident: its status or a message (an update on its
/// timeline), its title, draft flag or affected targets (owners and admins).
#[utoipa::path(patch, path = "/api/v1/status-pages/{id}/incidents/{incident_id}", tag = "status-pages",
    operation_id = "update_page_incident",
    params(("id" = uuid::Uuid, Path), ("incident_id" = uuid::Uuid, Path)),
    request_body = UpdatePageIncidentRequest,
    responses((status = 200, body = PageIncidentView), SignedIn, Manager, PageIncidentNotFound, JsonBody))]
pub async fn update_incident(
    State(state): State<AppState>,
    current: CurrentUser,
    PathIds(page, id): PathIds,
    ApiJson(body): ApiJson<UpdatePageIncidentRequest>,
) -> ApiResult<Json<PageIncidentView>> {
    let input = IncidentInput {
        kind: None,
        title: body.title,
        status: body.status,
        draft: body.draft,
        target_ids: body.target_ids.map(targets),
        message: body.message,
    };
    let incident = status_pages::change_incident(
        &state.app,
        &current,
        StatusPageId(page),
        PageIncidentId(id),
        input,
    )
    .await?;
    state.public.invalidate().await;
    Ok(Json((&incident).into()))
}

/// Delete an incident or announcement (owners and admins).
#[utoipa::path(delete, path = "/api/v1/status-pages/{id}/incidents/{incident_id}", tag = "status-pages",
    operation_id = "delete_page_incident",
    params(("id" = uuid::Uuid, Path), ("incident_id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted."), SignedIn, Manager, PageIncidentNotFound))]
pub async fn delete_incident(
    State(state): State<AppState>,
    current: CurrentUser,
    PathIds(page, id): PathIds,
) -> ApiResult<StatusCode> {
    status_pages::delete_incident(&state.app, &current, StatusPageId(page), PageIncidentId(id))
        .await?;
    state.public.invalidate().await;
    Ok(StatusCode::NO_CONTENT)
}
