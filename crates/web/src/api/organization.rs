//! `/api/v1/organization`: the caller's organization and its members.

use axum::extract::State;
use axum::Json;

use super::models::*;
use super::responses::{JsonBody, Owner, Query, SignedIn};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::ApiJson;
use crate::state::AppState;
use pharos_app::organization;

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

/// Rename the caller's organization (owners only).
#[utoipa::path(patch, path = "/api/v1/organization", tag = "organization", operation_id = "rename_organization",
    request_body = RenameOrganizationRequest,
    responses((status = 200, body = OrganizationDetailView), SignedIn,
              Owner,
              JsonBody))]
pub async fn rename(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<RenameOrganizationRequest>,
) -> ApiResult<Json<OrganizationDetailView>> {
    let overview = organization::rename(&state.app, &current, &body.name).await?;
    Ok(Json((&overview).into()))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteOrganizationQuery {
    /// The organization's name, repeated to confirm.
    pub confirm: String,
}

/// Delete the caller's organization and everything in it (owners only,
/// with a session; `confirm` repeats its name). The members' accounts
/// stay; an owner cannot delete their only organization (409). The
/// session then acts in another of the caller's organizations.
#[utoipa::path(delete, path = "/api/v1/organization", tag = "organization", operation_id = "delete_organization",
    params(DeleteOrganizationQuery),
    responses((status = 204, description = "Deleted."), SignedIn, Owner, Query,
        (status = 409, body = crate::error::ErrorEnvelope, description = "It is the caller's only organization.")))]
pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    crate::extract::ApiQuery(query): crate::extract::ApiQuery<DeleteOrganizationQuery>,
) -> ApiResult<axum::http::StatusCode> {
    organization::delete(&state.app, &current, &query.confirm).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
