//! The caller's organizations: the one they act in (what it is, who is in
//! it, renaming it, requiring two-factor sign-in of its members), every
//! one they belong to, and switching between them.

use chrono::Utc;
use pharos_domain::audit::AuditAction;
use pharos_domain::ids::OrganizationId;
use pharos_domain::organization::{OrganizationName, Role};
use pharos_domain::ValidationError;
use pharos_storage::models::{Member, Membership, Organization, OrganizationChange};

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::App;

/// An organization as its members see it.
pub struct OrganizationOverview {
    pub organization: Organization,
    /// The caller's role in it.
    pub role: Role,
    /// Everyone in it, in the order they joined.
    pub members: Vec<Member>,
}

/// The organization the caller is working in, with its members.
pub async fn overview(app: &App, actor: &Actor) -> AppResult<OrganizationOverview> {
    let organization = actor
        .memberships
        .iter()
        .find(|m| m.organization.id == actor.organization)
        .map(|m| m.organization.clone())
        .ok_or(AppError::NotFound)?;
    let members = app.store.members(organization.id).await?;
    Ok(OrganizationOverview {
        organization,
        role: actor.role,
        members,
    })
}

/// Renames the caller's organization; owners only (others are refused
/// whatever name they send).
pub async fn rename(app: &App, actor: &Actor, name: &str) -> AppResult<OrganizationOverview> {
    let change = OrganizationUpdate {
        name: Some(name),
        require_two_factor: None,
    };
    update(app, actor, change).await
}

/// What an owner changes about their organization; `None` keeps it.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrganizationUpdate<'a> {
    pub name: Option<&'a str>,
    /// Members without two-factor sign-in are held to setting it up.
    pub require_two_factor: Option<bool>,
}

/// Changes the caller's organization: owners only, whatever they send
/// (nothing included). Requiring two-factor sign-in needs the owner to
/// use it themselves first (`require_two_factor` refused otherwise), so
/// no owner locks themselves into the setup page.
pub async fn update(
    app: &App,
    actor: &Actor,
    change: OrganizationUpdate<'_>,
) -> AppResult<OrganizationOverview> {
    actor.require_owner(if change.require_two_factor.is_some() {
        "only owners can require two-factor sign-in"
    } else {
        "only owners can rename the organization"
    })?;
    let name = change.name.map(parse_name).transpose()?;
    if change.require_two_factor == Some(true)
        && !crate::two_factor::required(app, &actor.user).await?
    {
        return Err(ValidationError::new(
            "require_two_factor",
            "turn on two-factor sign-in for your own account first",
        )
        .into());
    }
    // The name before, for the audit log.
    let before = overview(app, actor).await?.organization.name;
    let stored = OrganizationChange {
        name: name.as_ref().map(OrganizationName::as_str),
        require_two_factor: change.require_two_factor,
    };
    if !app
        .store
        .update_organization(actor.organization, stored, Utc::now())
        .await?
    {
        return Err(AppError::NotFound);
    }
    let mut overview = overview(app, actor).await?;
    if let Some(name) = &name {
        crate::audit::record(
            app,
            actor,
            AuditAction::OrganizationRenamed,
            None,
            serde_json::json!({ "from": before, "to": name.as_str() }),
        )
        .await;
        overview.organization.name = name.as_str().to_owned();
    }
    if let Some(required) = change.require_two_factor {
        crate::audit::record(
            app,
            actor,
            AuditAction::TwoFactorRequirementChanged,
            None,
            serde_json::json!({ "require_two_factor": required }),
        )
        .await;
        overview.organization.require_two_factor = required;
    }
    Ok(overview)
}

/// Deletes the organization and everything in it (owners only).
/// `confirm` must repeat its name. An owner whose only organization this
/// is cannot delete it (they would be left with none).
pub async fn delete(app: &App, actor: &Actor, confirm: &str) -> AppResult<()> {
    actor.require_owner("only owners can delete the organization")?;
    actor.require_session()?;
    let current = overview(app, actor).await?;
    if confirm.trim() != current.organization.name {
        return Err(
            ValidationError::new("confirm", "type the organization's name to confirm").into(),
        );
    }
    if actor.memberships.len() < 2 {
        return Err(AppError::Conflict(
            "this is your only organization: you would be left with none",
        ));
    }
    if !app.store.delete_organization(actor.organization).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(organization = %actor.organization, "organization deleted by an owner");
    Ok(())
}

/// The name as the rename input calls it: errors name the field `name`
/// (registration calls the same value `organization`).
fn parse_name(raw: &str) -> Result<OrganizationName, ValidationError> {
    OrganizationName::parse(raw).map_err(|e| ValidationError::new("name", e.message))
}

/// Every organization the caller belongs to, with their role there, in
/// the order they joined; `current` is the one they act in.
pub struct MyOrganizations {
    pub memberships: Vec<Membership>,
    pub current: OrganizationId,
}

pub fn mine(actor: &Actor) -> MyOrganizations {
    MyOrganizations {
        memberships: actor.memberships.clone(),
        current: actor.organization,
    }
}

/// Makes `org` the organization the caller's session acts in, for every
/// page and API call that follows. An organization they do not belong to
/// is not found (whether or not it exists). Only a session can switch.
pub async fn switch(app: &App, actor: &Actor, org: OrganizationId) -> AppResult<Membership> {
    let membership = actor
        .memberships
        .iter()
        .find(|m| m.organization.id == org)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let session = actor.session_hash().ok_or(AppError::Forbidden(
        "only a signed-in session can switch organizations",
    ))?;
    app.store.set_session_organization(session, org).await?;
    Ok(membership)
}
