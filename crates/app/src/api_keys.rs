//! API keys: owners and admins make them for scripts and CI. A key acts
//! in its organization with its own role, never above its creator's:
//! at creation the role may not exceed theirs, and on every request the
//! key's role is capped by the role its creator holds now (a creator who
//! left the organization takes their keys' power with them).
//!
//! The key is shown once; only its keyed hash is stored
//! ([`crate::tokens`]). A request's key is parsed first, and a mistyped
//! one (its checksum fails) is refused before any read. A well-formed key
//! is looked up on every request, never cached, so revoking one takes
//! effect on every replica at its next request.

use chrono::{DateTime, Utc};
use pharos_domain::api_key::ApiKeyName;
use pharos_domain::audit::AuditAction;
use pharos_domain::ids::ApiKeyId;
use pharos_domain::organization::Role;
use pharos_domain::ValidationError;
use pharos_storage::models::{ApiKey, Membership, NewApiKey};

use crate::actor::{Actor, Credential};
use crate::error::{AppError, AppResult};
use crate::tokens::ApiKeySecret;
use crate::App;

/// Keys one organization may hold, so its list stays a list.
pub const MAX_PER_ORGANIZATION: u32 = 100;

/// `last_used_at` is written when the stored one is older than this, so
/// a busy key costs one write a minute, not one per request.
pub const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// A key as asked for.
#[derive(Debug, Clone)]
pub struct NewApiKeyInput<'a> {
    pub name: &'a str,
    pub role: Role,
    /// When it stops working; `None`: when revoked.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A key just made: the key itself (to show once) and its record.
#[derive(Debug)]
pub struct CreatedApiKey {
    pub key: ApiKeySecret,
    pub record: ApiKey,
}

/// Makes a key; owners and admins only, with a role no higher than the
/// caller's and an expiry in the future.
pub async fn create(
    app: &App,
    actor: &Actor,
    input: NewApiKeyInput<'_>,
) -> AppResult<CreatedApiKey> {
    actor.require_manager("only owners and admins can create API keys")?;
    let name = ApiKeyName::parse(input.name)?;
    if !input.role.is_at_most(actor.role) {
        return Err(ValidationError::new(
            "role",
            format!(
                "cannot be above your own role ({}); choose {} or less",
                actor.role.as_str(),
                actor.role.as_str()
            ),
        )
        .into());
    }
    let now = Utc::now();
    if input.expires_at.is_some_and(|at| at <= now) {
        return Err(ValidationError::new("expires_at", "must be in the future").into());
    }
    let key = ApiKeySecret::generate();
    let hash = app.tokens.hash(key.expose());
    let new = NewApiKey {
        id: ApiKeyId::new(),
        name: name.as_str(),
        prefix: key.shown_prefix(),
        token_hash: &hash,
        role: input.role,
        created_by: actor.user.id,
        created_at: now,
        expires_at: input.expires_at,
    };
    let record = app
        .store
        .create_api_key(actor.organization, new, MAX_PER_ORGANIZATION)
        .await?
        .ok_or(AppError::Conflict(
            "the organization has 100 API keys, the most it may hold: revoke one first",
        ))?;
    let details = serde_json::json!({
        "name": record.name, "prefix": record.prefix, "role": record.role.as_str(),
        "expires_at": record.expires_at,
    });
    crate::audit::record(
        app,
        actor,
        AuditAction::ApiKeyCreated,
        Some(record.id.to_string()),
        details,
    )
    .await;
    Ok(CreatedApiKey { key, record })
}

/// The organization's keys, oldest first (never the keys themselves);
/// owners and admins only.
pub async fn list(app: &App, actor: &Actor) -> AppResult<Vec<ApiKey>> {
    actor.require_manager("only owners and admins can see the API keys")?;
    Ok(app.store.api_keys(actor.organization).await?)
}

/// Revokes a key at once; owners and admins, and an owner's key only by
/// an owner.
pub async fn revoke(app: &App, actor: &Actor, id: ApiKeyId) -> AppResult<()> {
    actor.require_manager("only owners and admins can revoke API keys")?;
    let key = app
        .store
        .api_key(actor.organization, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !key.role.is_at_most(actor.role) {
        return Err(AppError::Forbidden(
            "only an owner can revoke a key with the owner role",
        ));
    }
    if !app.store.delete_api_key(actor.organization, id).await? {
        return Err(AppError::NotFound);
    }
    let details =
        serde_json::json!({ "name": key.name, "prefix": key.prefix, "role": key.role.as_str() });
    crate::audit::record(
        app,
        actor,
        AuditAction::ApiKeyRevoked,
        Some(id.to_string()),
        details,
    )
    .await;
    Ok(())
}

/// The actor a request's API key stands for. A malformed or mistyped key,
/// an unknown or revoked one, an expired one and one whose creator left
/// the organization are all the same `Unauthenticated`.
pub async fn authenticate(app: &App, raw: &str) -> AppResult<Actor> {
    let key = ApiKeySecret::parse(raw).ok_or(AppError::Unauthenticated)?;
    let holder = app
        .store
        .api_key_holder(&app.tokens.hash(key.expose()))
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let now = Utc::now();
    if holder.key.expires_at.is_some_and(|at| at <= now) {
        return Err(AppError::Unauthenticated);
    }
    let creator_role = holder.creator_role.ok_or(AppError::Unauthenticated)?;
    if holder
        .key
        .last_used_at
        .is_none_or(|at| now - at >= TOUCH_EVERY)
    {
        app.store
            .touch_api_key(holder.key.id, now, now - TOUCH_EVERY)
            .await?;
    }
    let role = holder.key.role.lesser(creator_role);
    // A key acts for its creator: held as they would be.
    let two_factor_hold =
        crate::two_factor::holds(app, &holder.organization, &holder.creator).await?;
    Ok(Actor {
        user: holder.creator,
        organization: holder.organization.id,
        role,
        memberships: vec![Membership {
            organization: holder.organization,
            role,
        }],
        credential: Credential::ApiKey { id: holder.key.id },
        client: None,
        two_factor_hold,
    })
}
