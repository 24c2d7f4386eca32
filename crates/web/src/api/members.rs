//! `/api/v1/organization/members`: the people of the caller's
//! organization, their roles, taking them out (or leaving).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use pharos_app::members;
use pharos_domain::ids::UserId;
use pharos_domain::organization::Role;
use serde::Deserialize;
use utoipa::ToSchema;

use super::models::MemberView;
use super::responses::{JsonBody, MemberManager, MemberNotFound, SignedIn};
use crate::auth::CurrentUser;
use crate::error::{ApiResult, ErrorEnvelope};
use crate::extract::{ApiJson, PathId};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRoleRequest {
    #[schema(schema_with = super::models::member_role_schema)]
    pub role: String,
}

/// The organization's members with their roles, in the order they joined.
#[utoipa::path(get, path = "/api/v1/organization/members", tag = "organization", operation_id = "list_members",
    responses((status = 200, body = Vec<MemberView>), SignedIn))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<Vec<MemberView>>> {
    let members = members::list(&state.app, &current).await?;
    Ok(Json(members.iter().map(Into::into).collect()))
}

/// Change a member's role (owners and admins; only owners touch owners).
/// The last owner cannot be demoted.
#[utoipa::path(patch, path = "/api/v1/organization/members/{user_id}", tag = "organization", operation_id = "change_member_role",
    params(("user_id" = uuid::Uuid, Path)), request_body = ChangeRoleRequest,
    responses((status = 200, body = MemberView), SignedIn, MemberManager, MemberNotFound, JsonBody,
              (status = 409, body = ErrorEnvelope, description = "They are the last owner.")))]
pub async fn change_role(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiJson(body): ApiJson<ChangeRoleRequest>,
) -> ApiResult<Json<MemberView>> {
    let role: Role = body.role.parse()?;
    let member = members::change_role(&state.app, &current, UserId(id), role).await?;
    Ok(Json((&member).into()))
}

/// Take a member out of the organization (owners and admins; only owners
/// remove owners), or leave it (one's own id, any role). The last owner
/// cannot leave.
#[utoipa::path(delete, path = "/api/v1/organization/members/{user_id}", tag = "organization", operation_id = "remove_member",
    params(("user_id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Removed."), SignedIn, MemberManager, MemberNotFound,
              (status = 409, body = ErrorEnvelope, description = "They are the last owner.")))]
pub async fn remove(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    members::remove(&state.app, &current, UserId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
