//! The caller's organization: what it is, who is in it, renaming it.

use chrono::Utc;
use pharos_domain::organization::{OrganizationName, Role};
use pharos_domain::ValidationError;
use pharos_storage::models::{Member, Organization};

use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

/// An organization as its members see it.
pub struct OrganizationOverview {
    pub organization: Organization,
    /// The caller's role in it.
    pub role: Role,
    /// Everyone in it, in the order they joined.
    pub members: Vec<Member>,
}

/// The organization the caller is working in, with its members.
pub async fn overview(
    state: &AppState,
    current: &CurrentUser,
) -> Result<OrganizationOverview, ApiError> {
    let organization = current
        .memberships
        .iter()
        .find(|m| m.organization.id == current.organization)
        .map(|m| m.organization.clone())
        .ok_or(ApiError::NotFound)?;
    let members = state.store.members(organization.id).await?;
    Ok(OrganizationOverview {
        organization,
        role: current.role,
        members,
    })
}

/// Renames the caller's organization; owners and admins only (others are
/// refused whatever name they send).
pub async fn rename(
    state: &AppState,
    current: &CurrentUser,
    name: &str,
) -> Result<OrganizationOverview, ApiError> {
    if !current.role.can_manage_organization() {
        return Err(ApiError::Forbidden(
            "only owners and admins can rename the organization",
        ));
    }
    let name = parse_name(name)?;
    let renamed = state
        .store
        .rename_organization(current.organization, name.as_str(), Utc::now())
        .await?;
    if !renamed {
        return Err(ApiError::NotFound);
    }
    let mut overview = overview(state, current).await?;
    overview.organization.name = name.as_str().to_owned();
    Ok(overview)
}

/// The name as the rename input calls it: errors name the field `name`
/// (registration calls the same value `organization`).
fn parse_name(raw: &str) -> Result<OrganizationName, ValidationError> {
    OrganizationName::parse(raw).map_err(|e| ValidationError::new("name", e.message))
}
