//! The people of the caller's organization: listing them, changing their
//! role, taking them out, leaving. Everyone reads the list; owners and
//! admins manage members, admins every one but owners; the last owner can
//! neither leave nor be demoted.

use pharos_domain::audit::AuditAction;
use pharos_domain::ids::UserId;
use pharos_domain::organization::Role;
use pharos_storage::models::{Member, MemberChange};

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::App;

const MANAGERS_ONLY: &str = "only owners and admins manage members";
const OWNERS_ONLY: &str = "only owners manage owners";

/// The organization's members, in the order they joined.
pub async fn list(app: &App, actor: &Actor) -> AppResult<Vec<Member>> {
    Ok(app.store.members(actor.organization).await?)
}

/// Gives `user` the role `role`. Admins may neither touch an owner nor
/// make one.
pub async fn change_role(app: &App, actor: &Actor, user: UserId, role: Role) -> AppResult<Member> {
    actor.require_manager(MANAGERS_ONLY)?;
    let member = app
        .store
        .member(actor.organization, user)
        .await?
        .ok_or(AppError::NotFound)?;
    if !actor.role.can_manage_role(member.role) || !actor.role.can_manage_role(role) {
        return Err(AppError::Forbidden(OWNERS_ONLY));
    }
    match app
        .store
        .change_member_role(actor.organization, user, role)
        .await?
    {
        MemberChange::Done => {
            let details = serde_json::json!({ "from": member.role.as_str(), "to": role.as_str() });
            crate::audit::record(
                app,
                actor,
                AuditAction::MemberRoleChanged,
                Some(member.user.email.clone()),
                details,
            )
            .await;
            Ok(Member { role, ..member })
        }
        MemberChange::NotFound => Err(AppError::NotFound),
        MemberChange::LastOwner => Err(AppError::Conflict(
            "the last owner cannot be demoted: make someone else an owner first",
        )),
    }
}

/// Takes `user` out of the organization. Anyone may leave (remove
/// themselves); removing someone else takes an owner or admin, and an
/// owner to remove an owner.
pub async fn remove(app: &App, actor: &Actor, user: UserId) -> AppResult<()> {
    let leaving = user == actor.user.id;
    if !leaving {
        actor.require_manager(MANAGERS_ONLY)?;
    }
    let member = app
        .store
        .member(actor.organization, user)
        .await?
        .ok_or(AppError::NotFound)?;
    if !leaving && !actor.role.can_manage_role(member.role) {
        return Err(AppError::Forbidden(OWNERS_ONLY));
    }
    match app.store.remove_member(actor.organization, user).await? {
        MemberChange::Done => {
            let details = serde_json::json!({ "role": member.role.as_str(), "left": leaving });
            crate::audit::record(
                app,
                actor,
                AuditAction::MemberRemoved,
                Some(member.user.email),
                details,
            )
            .await;
            Ok(())
        }
        MemberChange::NotFound => Err(AppError::NotFound),
        MemberChange::LastOwner => Err(AppError::Conflict(
            "the last owner cannot leave: make someone else an owner first",
        )),
    }
}
