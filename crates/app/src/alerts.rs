//! When to alert, and what was sent: the organization's default alert
//! settings (owners and admins set them), a target's own (editors set
//! them), and a target's or an incident's notifications with every
//! delivery attempt.

use chrono::Utc;
use pharos_domain::alert::{AlertSettings, AlertType, AlertTypeName, RepeatMinutes};
use pharos_domain::audit::AuditAction;
use pharos_domain::ids::TargetId;
use pharos_domain::ValidationError;
use pharos_storage::models::{Notification, NotificationAttempt};
use serde_json::{Map, Value};

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::App;

/// The most notifications one list holds.
pub const MAX_NOTIFICATIONS: u32 = 200;

/// A target's alert settings: its own, if it has them, and those in force.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetAlerts {
    pub own: Option<AlertSettings>,
    pub effective: AlertSettings,
}

/// A notification and its attempts, oldest first.
#[derive(Debug, Clone)]
pub struct NotificationRecord {
    pub notification: Notification,
    pub attempts: Vec<NotificationAttempt>,
}

fn take_bool(
    fields: &mut Map<String, Value>,
    field: &'static str,
    default: bool,
) -> AppResult<bool> {
    match fields.remove(field) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(b),
        Some(_) => Err(ValidationError::new(field, "must be true or false").into()),
    }
}

/// Settings as submitted (`alert_type`, `repeat_minutes`, `on_restored`,
/// `on_degraded`, `include_history`); what is left out takes the
/// built-in default.
pub fn parse_settings(mut fields: Map<String, Value>) -> AppResult<AlertSettings> {
    let defaults = AlertSettings::default();
    let name = match fields.remove("alert_type") {
        None | Some(Value::Null) => defaults.alert_type.name(),
        Some(Value::String(raw)) => raw.parse::<AlertTypeName>()?,
        Some(_) => return Err(ValidationError::new("alert_type", "must be a string").into()),
    };
    let minutes = match fields.remove("repeat_minutes") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(RepeatMinutes::parse(
            "repeat_minutes",
            n.as_i64()
                .ok_or_else(|| ValidationError::new("repeat_minutes", "must be a whole number"))?,
        )?),
        Some(_) => {
            return Err(ValidationError::new("repeat_minutes", "must be a whole number").into())
        }
    };
    let settings = AlertSettings {
        alert_type: AlertType::from_parts(name, minutes)?,
        on_restored: take_bool(&mut fields, "on_restored", defaults.on_restored)?,
        on_degraded: take_bool(&mut fields, "on_degraded", defaults.on_degraded)?,
        include_history: take_bool(&mut fields, "include_history", defaults.include_history)?,
    };
    if let Some(field) = fields.keys().next() {
        return Err(AppError::InvalidField {
            message: format!("{field}: unknown field"),
            field: field.clone(),
        });
    }
    Ok(settings)
}

pub async fn defaults(app: &App, actor: &Actor) -> AppResult<AlertSettings> {
    Ok(app.store.alert_defaults(actor.organization).await?)
}

pub async fn set_defaults(
    app: &App,
    actor: &Actor,
    settings: AlertSettings,
) -> AppResult<AlertSettings> {
    actor.require_manager("only owners and admins change the organization's alert settings")?;
    app.store
        .set_alert_defaults(actor.organization, &settings, Utc::now())
        .await?;
    crate::audit::record(
        app,
        actor,
        AuditAction::AlertSettingsChanged,
        None,
        settings_details(Some(&settings)),
    )
    .await;
    Ok(settings)
}

/// Alert settings as the audit log shows them (`null`: the defaults).
fn settings_details(settings: Option<&AlertSettings>) -> serde_json::Value {
    match settings {
        None => serde_json::json!({ "settings": "organization defaults" }),
        Some(s) => serde_json::json!({
            "alert_type": s.alert_type.name().as_str(),
            "repeat_minutes": s.alert_type.repeat_minutes().map(|m| m.get()),
            "on_restored": s.on_restored,
            "on_degraded": s.on_degraded,
            "include_history": s.include_history,
        }),
    }
}

pub async fn of_target(app: &App, actor: &Actor, id: TargetId) -> AppResult<TargetAlerts> {
    let target = crate::targets::get(app, actor, id).await?;
    alerts_of(app, actor, &target).await
}

/// `of_target` of a target already read (the actor's organization's, or
/// not found).
pub async fn alerts_of(
    app: &App,
    actor: &Actor,
    target: &pharos_storage::models::Target,
) -> AppResult<TargetAlerts> {
    if target.organization_id != actor.organization {
        return Err(AppError::NotFound);
    }
    let id = target.id;
    let own = app
        .store
        .target_alert_settings(actor.organization, id)
        .await?;
    let effective = match own {
        Some(own) => own,
        None => app.store.alert_defaults(actor.organization).await?,
    };
    Ok(TargetAlerts { own, effective })
}

/// Gives a target settings of its own, or (`None`) returns it to the
/// organization's defaults.
pub async fn set_for_target(
    app: &App,
    actor: &Actor,
    id: TargetId,
    settings: Option<AlertSettings>,
) -> AppResult<TargetAlerts> {
    actor.require_editor()?;
    let found = app
        .store
        .set_target_alert_settings(actor.organization, id, settings.as_ref(), Utc::now())
        .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    crate::audit::record(
        app,
        actor,
        AuditAction::AlertSettingsChanged,
        Some(id.to_string()),
        settings_details(settings.as_ref()),
    )
    .await;
    of_target(app, actor, id).await
}

async fn with_attempts(
    app: &App,
    actor: &Actor,
    notifications: Vec<Notification>,
) -> AppResult<Vec<NotificationRecord>> {
    let ids: Vec<_> = notifications.iter().map(|n| n.id).collect();
    let mut attempts = app
        .store
        .notification_attempts(actor.organization, &ids)
        .await?;
    Ok(notifications
        .into_iter()
        .map(|notification| {
            let (mine, rest) = attempts
                .drain(..)
                .partition(|a| a.notification_id == notification.id);
            attempts = rest;
            NotificationRecord {
                notification,
                attempts: mine,
            }
        })
        .collect())
}

/// A target's notifications, newest first, with their attempts.
pub async fn target_notifications(
    app: &App,
    actor: &Actor,
    id: TargetId,
    limit: u32,
) -> AppResult<Vec<NotificationRecord>> {
    let target = crate::targets::get(app, actor, id).await?;
    notifications_of(app, actor, &target, limit).await
}

/// `target_notifications` of a target already read (it must be the
/// actor's organization's, or it is not found).
pub async fn notifications_of(
    app: &App,
    actor: &Actor,
    target: &pharos_storage::models::Target,
    limit: u32,
) -> AppResult<Vec<NotificationRecord>> {
    if target.organization_id != actor.organization {
        return Err(AppError::NotFound);
    }
    let limit = limit.clamp(1, MAX_NOTIFICATIONS);
    let found = app
        .store
        .target_notifications(actor.organization, target.id, limit)
        .await?;
    with_attempts(app, actor, found).await
}

/// An incident's notifications (of the target `id`), newest first, with
/// their attempts.
pub async fn incident_notifications(
    app: &App,
    actor: &Actor,
    id: TargetId,
    incident: uuid::Uuid,
    limit: u32,
) -> AppResult<Vec<NotificationRecord>> {
    crate::targets::get(app, actor, id).await?;
    let limit = limit.clamp(1, MAX_NOTIFICATIONS);
    let mut found = app
        .store
        .incident_notifications(actor.organization, incident, limit)
        .await?;
    found.retain(|n| n.target_id == id);
    with_attempts(app, actor, found).await
}
