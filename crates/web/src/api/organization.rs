//! `/api/v1/organization`: the caller's organization and its members.

use axum::extract::State;
use axum::Json;

use super::models::*;
use super::responses::{JsonBody, Owner, SignedIn};
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
