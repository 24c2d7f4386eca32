//! An organization's notification channels. Owners and admins manage
//! them (create, change, delete, send a test); members and viewers read
//! them. A channel's configuration is parsed by its kind's rules
//! (`pharos_notify::channels`), split into a public part and a secret
//! part, and the secret part is sealed (`sealing`) before it is stored:
//! it never comes back in clear, only masked.

use chrono::Utc;
use pharos_domain::audit::AuditAction;
use pharos_domain::channel::ChannelName;
use pharos_domain::ids::ChannelId;
use pharos_domain::{ChannelKind, ValidationError};
use pharos_notify::channels::{ChannelConfig, ConfigError};
use pharos_notify::delivery::DeliveryError;
use pharos_storage::models::{Channel, ChannelPatch, NewChannel};
use serde_json::{Map, Value};

use crate::actor::Actor;
use crate::error::{AppError, AppResult, Unavailable};
use crate::sealing::SealContext;
use crate::App;

/// A channel as submitted: `kind`, `name`, `config`, `is_default`.
pub type ChannelFields = Map<String, Value>;

/// Each delivery attempt of "Send test" is bounded by this.
const TEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

const REFUSAL: &str = "only owners and admins manage notification channels";

/// A channel as readers see it: its configuration masked.
#[derive(Debug, Clone)]
pub struct ChannelDetails {
    pub channel: Channel,
    /// The configuration with every secret masked.
    pub config: Value,
}

/// A channel just made, with the webhook signing secret shown this once.
#[derive(Debug, Clone)]
pub struct CreatedChannel {
    pub details: ChannelDetails,
    pub signing_secret: Option<String>,
}

/// How "Send test" went: the service's answer, or why it failed.
#[derive(Debug, Clone, PartialEq)]
pub enum TestOutcome {
    Delivered {
        status: u16,
        duration: std::time::Duration,
    },
    Failed {
        status: Option<u16>,
        error: String,
        retryable: bool,
    },
}

fn config_error(e: ConfigError) -> AppError {
    AppError::InvalidField {
        message: format!("{}: {}", e.field, e.message),
        field: e.field,
    }
}

fn unknown_field(field: &str) -> AppError {
    AppError::InvalidField {
        message: format!("{field}: unknown field"),
        field: field.to_owned(),
    }
}

fn take_bool(fields: &mut ChannelFields, field: &'static str) -> AppResult<Option<bool>> {
    match fields.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(_) => Err(ValidationError::new(field, "must be true or false").into()),
    }
}

fn take_name(fields: &mut ChannelFields) -> AppResult<Option<ChannelName>> {
    match fields.remove("name") {
        None => Ok(None),
        Some(Value::String(raw)) => Ok(Some(ChannelName::parse(&raw)?)),
        Some(_) => Err(ValidationError::new("name", "must be a string").into()),
    }
}

fn seal_context(actor: &Actor, id: ChannelId) -> SealContext {
    SealContext::Channel {
        organization: actor.organization,
        channel: id,
    }
}

/// The secret part sealed, or `None` when the kind has no secrets.
fn seal(app: &App, context: SealContext, secret: &Value) -> AppResult<Option<Vec<u8>>> {
    if secret.as_object().is_none_or(Map::is_empty) {
        return Ok(None);
    }
    let clear = serde_json::to_vec(secret).map_err(|e| AppError::Internal(e.into()))?;
    app.sealer
        .seal(context, &clear)
        .map(Some)
        .map_err(|e| AppError::Internal(e.into()))
}

/// The whole stored configuration, secrets opened.
fn open(app: &App, channel: &Channel) -> AppResult<ChannelConfig> {
    let secret = match &channel.sealed_secret {
        None => Value::Object(Map::new()),
        Some(sealed) => {
            let context = SealContext::Channel {
                organization: channel.organization_id,
                channel: channel.id,
            };
            let clear = app
                .sealer
                .open(context, sealed)
                .map_err(|e| AppError::Internal(e.into()))?;
            serde_json::from_slice(&clear).map_err(|e| AppError::Internal(e.into()))?
        }
    };
    ChannelConfig::join(channel.kind, channel.config.clone(), secret)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("a stored channel is invalid: {e}")))
}

fn details(app: &App, channel: Channel) -> ChannelDetails {
    // A secret that no longer opens (the instance key changed) shows as
    // the public part alone; sending through it fails, and says why.
    let config = match open(app, &channel) {
        Ok(config) => config.masked(),
        Err(_) => channel.config.clone(),
    };
    ChannelDetails { channel, config }
}

pub async fn list(app: &App, actor: &Actor) -> AppResult<Vec<ChannelDetails>> {
    let channels = app.store.channels(actor.organization).await?;
    Ok(channels.into_iter().map(|c| details(app, c)).collect())
}

async fn stored(app: &App, actor: &Actor, id: ChannelId) -> AppResult<Channel> {
    app.store
        .channel(actor.organization, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn get(app: &App, actor: &Actor, id: ChannelId) -> AppResult<ChannelDetails> {
    Ok(details(app, stored(app, actor, id).await?))
}

pub async fn create(
    app: &App,
    actor: &Actor,
    mut fields: ChannelFields,
) -> AppResult<CreatedChannel> {
    actor.require_manager(REFUSAL)?;
    crate::account_links::require_verified(app, actor)?;
    let kind: ChannelKind = match fields.remove("kind") {
        Some(Value::String(raw)) => raw.parse().map_err(|_| {
            let names: Vec<&str> = ChannelKind::ALL.iter().map(|k| k.as_str()).collect();
            ValidationError::new("kind", format!("must be one of {}", names.join(", ")))
        })?,
        None | Some(Value::Null) => return Err(ValidationError::new("kind", "is required").into()),
        Some(_) => return Err(ValidationError::new("kind", "must be a string").into()),
    };
    let name =
        take_name(&mut fields)?.ok_or_else(|| ValidationError::new("name", "is required"))?;
    let is_default = take_bool(&mut fields, "is_default")?.unwrap_or(false);
    let config = match fields.remove("config") {
        Some(value) => value,
        None => return Err(ValidationError::new("config", "is required").into()),
    };
    if let Some(field) = fields.keys().next() {
        return Err(unknown_field(field));
    }
    let config = ChannelConfig::parse(kind, config).map_err(config_error)?;
    let id = ChannelId::new();
    let (public, secret) = config.split();
    let sealed = seal(app, seal_context(actor, id), &secret)?;
    let channel = app
        .store
        .create_channel(
            actor.organization,
            NewChannel {
                id,
                kind,
                name: name.as_str(),
                config: &public,
                sealed_secret: sealed.as_deref(),
                is_default,
                now: Utc::now(),
            },
        )
        .await?;
    crate::audit::record(
        app,
        actor,
        AuditAction::ChannelCreated,
        Some(channel.id.to_string()),
        serde_json::json!({ "name": channel.name, "kind": channel.kind.as_str(), "is_default": channel.is_default }),
    )
    .await;
    Ok(CreatedChannel {
        signing_secret: config.signing_secret().map(str::to_owned),
        details: ChannelDetails {
            channel,
            config: config.masked(),
        },
    })
}

/// Changes a channel; absent fields stay. `config` is laid over the
/// stored one: a secret left out (or sent back masked) is kept.
pub async fn update(
    app: &App,
    actor: &Actor,
    id: ChannelId,
    mut fields: ChannelFields,
) -> AppResult<ChannelDetails> {
    actor.require_manager(REFUSAL)?;
    let existing = stored(app, actor, id).await?;
    if let Some(kind) = fields.remove("kind") {
        if kind.as_str() != Some(existing.kind.as_str()) {
            return Err(
                ValidationError::new("kind", "cannot change; make a new channel instead").into(),
            );
        }
    }
    // Which parts changed; the configuration's values may be secrets.
    let sent = crate::audit::field_names(&fields);
    let name = take_name(&mut fields)?;
    let is_default = take_bool(&mut fields, "is_default")?;
    let patch = fields.remove("config");
    if let Some(field) = fields.keys().next() {
        return Err(unknown_field(field));
    }
    let config = match patch {
        None => None,
        Some(patch) => Some(
            open(app, &existing)?
                .apply_patch(patch)
                .map_err(config_error)?,
        ),
    };
    let parts = config.as_ref().map(ChannelConfig::split);
    let sealed = match &parts {
        Some((_, secret)) => seal(app, seal_context(actor, id), secret)?,
        None => None,
    };
    let channel = app
        .store
        .update_channel(
            actor.organization,
            id,
            ChannelPatch {
                name: name.as_ref().map(ChannelName::as_str),
                config: parts
                    .as_ref()
                    .map(|(public, _)| (public, sealed.as_deref())),
                is_default,
                now: Utc::now(),
            },
        )
        .await?
        .ok_or(AppError::NotFound)?;
    crate::audit::record(
        app,
        actor,
        AuditAction::ChannelUpdated,
        Some(id.to_string()),
        sent,
    )
    .await;
    Ok(details(app, channel))
}

pub async fn delete(app: &App, actor: &Actor, id: ChannelId) -> AppResult<()> {
    actor.require_manager(REFUSAL)?;
    let channel = stored(app, actor, id).await?;
    if !app.store.delete_channel(actor.organization, id).await? {
        return Err(AppError::NotFound);
    }
    let details = serde_json::json!({ "name": channel.name, "kind": channel.kind.as_str() });
    crate::audit::record(
        app,
        actor,
        AuditAction::ChannelDeleted,
        Some(id.to_string()),
        details,
    )
    .await;
    Ok(())
}

/// Delivers a test message through the channel now (not through the
/// outbox: nothing is stored, nothing retried) and reports how it went.
pub async fn send_test(app: &App, actor: &Actor, id: ChannelId) -> AppResult<TestOutcome> {
    actor.require_manager(REFUSAL)?;
    let channel = stored(app, actor, id).await?;
    let Some(transport) = app.transport.as_ref() else {
        return Err(AppError::Unavailable(Unavailable::Notifications));
    };
    app.limits.check_now(actor.organization.0)?;
    let config = open(app, &channel)?;
    let organization = actor
        .memberships
        .iter()
        .find(|m| m.organization.id == actor.organization)
        .map(|m| m.organization.name.clone())
        .unwrap_or_default();
    let notice =
        pharos_notify::sender::test_notice(&organization, &channel.name, &app.settings.public_url);
    let result = pharos_notify::sender::send_test(
        transport,
        &config,
        &notice,
        &app.settings.public_url,
        TEST_TIMEOUT,
    )
    .await;
    Ok(match result {
        Ok(delivered) => TestOutcome::Delivered {
            status: delivered.status,
            duration: delivered.duration,
        },
        Err(e) => TestOutcome::Failed {
            status: e.status(),
            retryable: matches!(e, DeliveryError::Retryable { .. }),
            error: e.message().to_owned(),
        },
    })
}

/// The ids of `raw` as a list of channel ids, in order, without repeats:
/// a JSON list of at most 100 UUIDs, else refused naming `channel_ids`.
pub fn channel_ids_of_json(raw: Value) -> AppResult<Vec<ChannelId>> {
    let Value::Array(items) = raw else {
        return Err(ValidationError::new("channel_ids", "must be a list of channel ids").into());
    };
    if items.len() > 100 {
        return Err(ValidationError::new("channel_ids", "must have at most 100 channels").into());
    }
    let mut ids = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let id = item
            .as_str()
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            .map(ChannelId)
            .ok_or_else(|| AppError::InvalidField {
                field: "channel_ids".to_owned(),
                message: format!("channel_ids[{i}]: must be a channel id"),
            })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// The ids of `raw` (a JSON list), each the organization's own channel;
/// anything else is refused naming `channel_ids`.
pub async fn parse_channel_ids(app: &App, actor: &Actor, raw: Value) -> AppResult<Vec<ChannelId>> {
    let ids = channel_ids_of_json(raw)?;
    if ids.is_empty() {
        return Ok(ids);
    }
    let known: std::collections::HashSet<ChannelId> = app
        .store
        .channels(actor.organization)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    // Another organization's channel is as unknown as one never made.
    if let Some(i) = ids.iter().position(|id| !known.contains(id)) {
        return Err(AppError::InvalidField {
            field: "channel_ids".to_owned(),
            message: format!(
                "channel_ids: {} is no channel of this organization",
                ids[i].0
            ),
        });
    }
    Ok(ids)
}
