//! `/api/v1/tags*` and `/api/v1/groups*`: how the organization sorts its
//! targets. A target carries tags (`tag_ids`) and sits in at most one
//! group (`group_id`); `GET /api/v1/targets?tag=&group=` filters by them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use pharos_app::labels;
use pharos_domain::ids::{GroupId, TagId};
use pharos_domain::labels::{GroupName, TagColor, TagName};
use pharos_storage::models::{Group, Tag};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::models::{string_enum, Page};
use super::responses::{Editor, GroupNotFound, JsonBody, SignedIn, TagNotFound};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::{ApiJson, PathId};
use crate::state::AppState;

fn color_schema() -> utoipa::openapi::Object {
    let mut schema = string_enum(TagColor::ALL.map(TagColor::as_str));
    schema.description = Some(
        "A colour of the palette (each readable in light and dark themes); default grey."
            .to_owned(),
    );
    schema
}

/// `color` in a request: `null` or left out is grey on a new tag and
/// unchanged on an update.
fn color_request_schema() -> utoipa::openapi::Schema {
    super::models::nullable_string_enum(
        TagColor::ALL.map(TagColor::as_str),
        "A colour of the palette (each readable in light and dark themes); default grey.",
    )
}

/// A tag.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagView {
    pub id: Uuid,
    pub name: String,
    #[schema(schema_with = color_schema)]
    pub color: String,
    pub created_at: DateTime<Utc>,
}

impl From<&Tag> for TagView {
    fn from(t: &Tag) -> Self {
        Self {
            id: t.id.0,
            name: t.name.clone(),
            color: t.color.as_str().to_owned(),
            created_at: t.created_at,
        }
    }
}

/// A new tag: a name unique in the organization in any letter case (a
/// taken one is refused with 422 on `name`), and a colour.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTagRequest {
    #[schema(min_length = 1, max_length = 40, pattern = r"\S")]
    pub name: String,
    #[schema(schema_with = color_request_schema)]
    pub color: Option<String>,
}

/// Changes to a tag; what is left out stays.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTagRequest {
    #[schema(min_length = 1, max_length = 40, pattern = r"\S")]
    pub name: Option<String>,
    #[schema(schema_with = color_request_schema)]
    pub color: Option<String>,
}

/// A group.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<&Group> for GroupView {
    fn from(g: &Group) -> Self {
        Self {
            id: g.id.0,
            name: g.name.clone(),
            created_at: g.created_at,
        }
    }
}

/// A group's name, unique in the organization in any letter case (a
/// taken one is refused with 422 on `name`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRequest {
    #[schema(min_length = 1, max_length = 80, pattern = r"\S")]
    pub name: String,
}

// The schema's bounds are the domain's.
const _: () = assert!(TagName::MAX_LEN == 40 && GroupName::MAX_LEN == 80);

/// The organization's tags, by name.
#[utoipa::path(get, path = "/api/v1/tags", tag = "tags", operation_id = "list_tags",
    responses((status = 200, body = Page<TagView>), SignedIn))]
pub async fn list_tags(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<Page<TagView>>> {
    let items = labels::tags(&state.app, &current)
        .await?
        .iter()
        .map(Into::into)
        .collect();
    Ok(Json(Page::whole(items)))
}

/// Make a tag (members, admins and owners; at most 200 an organization).
#[utoipa::path(post, path = "/api/v1/tags", tag = "tags", operation_id = "create_tag",
    request_body = CreateTagRequest,
    responses((status = 201, body = TagView), SignedIn, Editor, JsonBody))]
pub async fn create_tag(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<CreateTagRequest>,
) -> ApiResult<(StatusCode, Json<TagView>)> {
    let tag = labels::create_tag(&state.app, &current, &body.name, body.color.as_deref()).await?;
    Ok((StatusCode::CREATED, Json((&tag).into())))
}

/// Rename or recolour a tag (members, admins and owners).
#[utoipa::path(patch, path = "/api/v1/tags/{id}", tag = "tags", operation_id = "update_tag",
    params(("id" = uuid::Uuid, Path)), request_body = UpdateTagRequest,
    responses((status = 200, body = TagView), SignedIn, Editor, TagNotFound, JsonBody))]
pub async fn update_tag(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiJson(body): ApiJson<UpdateTagRequest>,
) -> ApiResult<Json<TagView>> {
    let tag = labels::update_tag(
        &state.app,
        &current,
        TagId(id),
        body.name.as_deref(),
        body.color.as_deref(),
    )
    .await?;
    Ok(Json((&tag).into()))
}

/// Delete a tag; its targets lose it (members, admins and owners).
#[utoipa::path(delete, path = "/api/v1/tags/{id}", tag = "tags", operation_id = "delete_tag",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted."), SignedIn, Editor, TagNotFound))]
pub async fn delete_tag(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    labels::delete_tag(&state.app, &current, TagId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization's groups, by name.
#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", operation_id = "list_groups",
    responses((status = 200, body = Page<GroupView>), SignedIn))]
pub async fn list_groups(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<Page<GroupView>>> {
    let items = labels::groups(&state.app, &current)
        .await?
        .iter()
        .map(Into::into)
        .collect();
    Ok(Json(Page::whole(items)))
}

/// Make a group (members, admins and owners; at most 100 an organization).
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", operation_id = "create_group",
    request_body = GroupRequest,
    responses((status = 201, body = GroupView), SignedIn, Editor, JsonBody))]
pub async fn create_group(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<GroupRequest>,
) -> ApiResult<(StatusCode, Json<GroupView>)> {
    let group = labels::create_group(&state.app, &current, &body.name).await?;
    Ok((StatusCode::CREATED, Json((&group).into())))
}

/// Rename a group (members, admins and owners).
#[utoipa::path(patch, path = "/api/v1/groups/{id}", tag = "groups", operation_id = "update_group",
    params(("id" = uuid::Uuid, Path)), request_body = GroupRequest,
    responses((status = 200, body = GroupView), SignedIn, Editor, GroupNotFound, JsonBody))]
pub async fn update_group(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiJson(body): ApiJson<GroupRequest>,
) -> ApiResult<Json<GroupView>> {
    let group = labels::rename_group(&state.app, &current, GroupId(id), &body.name).await?;
    Ok(Json((&group).into()))
}

/// Delete a group; its targets become ungrouped (members, admins and
/// owners).
#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "groups", operation_id = "delete_group",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted."), SignedIn, Editor, GroupNotFound))]
pub async fn delete_group(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    labels::delete_group(&state.app, &current, GroupId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
