//! `/api/v1/organizations`: every organization the caller belongs to, and
//! choosing the one their session acts in.

use axum::extract::State;
use axum::Json;
use pharos_app::organization;
use pharos_domain::ids::OrganizationId;
use pharos_storage::models::Membership;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::responses::{JsonBody, SignedIn};
use crate::auth::Enrolling;
use crate::error::{ApiResult, ErrorEnvelope};
use crate::extract::ApiJson;
use crate::state::AppState;

/// An organization the caller belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyOrganizationView {
    pub id: Uuid,
    pub name: String,
    #[schema(schema_with = super::models::caller_role_schema)]
    pub role: String,
    /// Every page and API call of this session acts in it.
    pub current: bool,
}

impl MyOrganizationView {
    pub fn of(m: &Membership, current: bool) -> Self {
        Self {
            id: m.organization.id.0,
            name: m.organization.name.clone(),
            role: m.role.as_str().to_owned(),
            current,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchOrganizationRequest {
    /// One of the caller's organizations.
    pub organization_id: Uuid,
}

/// Every organization the caller belongs to, with their role in each and
/// which one the session acts in, in the order they joined.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organization", operation_id = "list_my_organizations",
    responses((status = 200, body = Vec<MyOrganizationView>), SignedIn))]
pub async fn list(Enrolling(current): Enrolling) -> Json<Vec<MyOrganizationView>> {
    let mine = organization::mine(&current);
    Json(
        mine.memberships
            .iter()
            .map(|m| MyOrganizationView::of(m, m.organization.id == mine.current))
            .collect(),
    )
}

/// Choose the organization this session acts in: every page and API call
/// that follows acts there.
#[utoipa::path(put, path = "/api/v1/organizations/current", tag = "organization", operation_id = "switch_organization",
    request_body = SwitchOrganizationRequest,
    responses((status = 200, body = MyOrganizationView), SignedIn, JsonBody,
              (status = 403, body = ErrorEnvelope, description = "A cross-site request carrying the session was refused."),
              (status = 404, body = ErrorEnvelope, description = "The caller is not a member of that organization (or it does not exist).")))]
pub async fn switch(
    State(state): State<AppState>,
    Enrolling(current): Enrolling,
    ApiJson(body): ApiJson<SwitchOrganizationRequest>,
) -> ApiResult<Json<MyOrganizationView>> {
    let chosen =
        organization::switch(&state.app, &current, OrganizationId(body.organization_id)).await?;
    Ok(Json(MyOrganizationView::of(&chosen, true)))
}
