//! `/api/v1/organization`: the caller's organization and its members;
//! owners rename it and require two-factor sign-in of its members.

use axum::extract::State;
use axum::Json;

use super::models::*;
use super::responses::{JsonBody, Owner, SignedIn};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::ApiJson;
use crate::state::AppState;
use pharos_app::organization::{self, OrganizationUpdate};

/// The caller's organization, their role in it, and its members.
#[utoipa::path(get, path = "/api/v1/organization", tag = "organization", operation_id = "get_organization",
    responses((status = 200, body = OrganizationDetailView), SignedIn))]
pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<OrganizationDetailView>> {
    let overview = organization::overview(&state.app, &current).await?;
    Ok(Json((&overview).into()))
}

/// Change the caller's organization (owners only): rename it, or require
/// two-factor sign-in of its members (refused, 422 on
/// `require_two_factor`, until the owner uses it themselves).
#[utoipa::path(patch, path = "/api/v1/organization", tag = "organization", operation_id = "update_organization",
    request_body = UpdateOrganizationRequest,
    responses((status = 200, body = OrganizationDetailView), SignedIn,
              Owner,
              JsonBody))]
pub async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<UpdateOrganizationRequest>,
) -> ApiResult<Json<OrganizationDetailView>> {
    let change = OrganizationUpdate {
        name: body.name.as_deref(),
        require_two_factor: body.require_two_factor,
    };
    let overview = organization::update(&state.app, &current, change).await?;
    Ok(Json((&overview).into()))
}

/// Deleting the organization: its name, repeated to confirm.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteOrganizationRequest {
    #[schema(max_length = 100)]
    pub confirm: String,
}

/// Delete the caller's organization and everything in it (owners only,
/// with a session; `confirm` repeats its name). The members' accounts
/// stay; an owner cannot delete their only organization (409). The
/// session then acts in another of the caller's organizations.
#[utoipa::path(post, path = "/api/v1/organization/delete", tag = "organization", operation_id = "delete_organization",
    request_body = DeleteOrganizationRequest,
    responses((status = 204, description = "Deleted."), SignedIn, Owner, JsonBody,
        (status = 409, body = crate::error::ErrorEnvelope, description = "It is the caller's only organization.")))]
pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<DeleteOrganizationRequest>,
) -> ApiResult<axum::http::StatusCode> {
    organization::delete(&state.app, &current, &body.confirm).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
