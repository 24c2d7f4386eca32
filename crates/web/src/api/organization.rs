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
