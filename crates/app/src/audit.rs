//! The audit log: every change in an organization, who made it (a person,
//! or an API key acting for one), from which client address, when, and the
//! changed fields (names and plain values; never a secret). Sign-ins and
//! failed sign-ins of an organization's members are written to each of
//! their organizations. Owners and admins read it; it is kept 400 days.
//!
//! Recording happens after the change succeeded. A failure to record is
//! logged and does not undo the change (the change is in the database;
//! refusing it afterwards would only hide it).

use std::net::IpAddr;

use chrono::Utc;
use pharos_domain::audit::AuditAction;
use pharos_domain::ids::{AuditEntryId, OrganizationId};
use pharos_storage::models::{AuditEntry, User};
use serde_json::Value;

use crate::actor::{Actor, Credential};
use crate::error::AppResult;
use crate::App;

/// Entries per page.
pub const PAGE: u32 = 50;

const READERS_ONLY: &str = "only owners and admins read the audit log";

/// Records `action` by `actor` in its organization.
pub async fn record(
    app: &App,
    actor: &Actor,
    action: AuditAction,
    subject: Option<String>,
    details: Value,
) {
    let api_key_id = match actor.credential {
        Credential::ApiKey { id } => Some(id),
        Credential::Session { .. } => None,
    };
    let entry = AuditEntry {
        id: AuditEntryId::new(),
        at: Utc::now(),
        actor_user_id: Some(actor.user.id),
        actor_email: Some(actor.user.email.clone()),
        api_key_id,
        client_address: actor.client.map(|c| c.to_string()),
        action,
        subject,
        details,
    };
    write(app, actor.organization, &entry).await;
}

async fn write(app: &App, org: OrganizationId, entry: &AuditEntry) {
    if let Err(e) = app.store.record_audit(org, entry).await {
        tracing::error!(error = %e, action = entry.action.as_str(), "could not write an audit entry");
    }
}

/// Records `action` in `org` for someone who is not (yet) acting in it:
/// the invitee who accepts, say (`subject` names them).
pub async fn record_by(
    app: &App,
    org: OrganizationId,
    client: Option<IpAddr>,
    action: AuditAction,
    subject: Option<String>,
    details: Value,
) {
    let entry = AuditEntry {
        id: AuditEntryId::new(),
        at: Utc::now(),
        actor_user_id: None,
        actor_email: subject.clone(),
        api_key_id: None,
        client_address: client.map(|c| c.to_string()),
        action,
        subject,
        details,
    };
    write(app, org, &entry).await;
}

/// A member's sign-in (or a failed one), in each of their organizations.
pub async fn sign_in(app: &App, user: &User, client: IpAddr, succeeded: bool) {
    let memberships = match app.store.memberships(user.id).await {
        Ok(memberships) => memberships,
        Err(e) => {
            tracing::error!(error = %e, "could not read memberships for the audit log");
            return;
        }
    };
    let action = if succeeded {
        AuditAction::SignedIn
    } else {
        AuditAction::SignInFailed
    };
    for membership in memberships {
        let entry = AuditEntry {
            id: AuditEntryId::new(),
            at: Utc::now(),
            actor_user_id: Some(user.id),
            actor_email: Some(user.email.clone()),
            api_key_id: None,
            client_address: Some(client.to_string()),
            action,
            subject: Some(user.email.clone()),
            details: Value::Object(Default::default()),
        };
        write(app, membership.organization.id, &entry).await;
    }
}

/// A page of the organization's log, newest first, older than `before`.
pub async fn list(
    app: &App,
    actor: &Actor,
    before: Option<AuditEntryId>,
) -> AppResult<Vec<AuditEntry>> {
    actor.require_manager(READERS_ONLY)?;
    Ok(app
        .store
        .audit_log(actor.organization, before, PAGE)
        .await?)
}

/// The names of the fields a change sent (never their values: a target's
/// headers or a channel's configuration may hold secrets).
pub fn field_names(fields: &serde_json::Map<String, Value>) -> Value {
    let mut names: Vec<&String> = fields.keys().collect();
    names.sort();
    serde_json::json!({ "fields": names })
}
