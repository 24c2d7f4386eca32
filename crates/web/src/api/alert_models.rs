//! The JSON shapes of channels, alert settings and notifications.

use chrono::{DateTime, Utc};
use pharos_app::alerts::{NotificationRecord, TargetAlerts};
use pharos_app::channels::{ChannelDetails, CreatedChannel, TestOutcome};
use pharos_domain::alert::{
    AlertSettings, AlertTypeName, AttemptOutcome, NotificationKind, NotificationStatus,
};
use pharos_domain::ChannelKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::models::string_enum;

fn described(description: &str, mut schema: utoipa::openapi::Object) -> utoipa::openapi::Object {
    schema.description = Some(description.to_owned());
    schema
}

pub(crate) fn channel_kind_schema() -> utoipa::openapi::Object {
    described(
        "The service the channel delivers to.",
        string_enum(ChannelKind::ALL.map(ChannelKind::as_str)),
    )
}

pub(crate) fn alert_type_schema() -> utoipa::openapi::Object {
    described(
        "once: on each change of state; repeated: again every `repeat_minutes` while down; none: never.",
        string_enum(AlertTypeName::ALL.map(AlertTypeName::as_str)),
    )
}

fn notification_kind_schema() -> utoipa::openapi::Object {
    described(
        "What the notification tells.",
        string_enum(NotificationKind::ALL.map(NotificationKind::as_str)),
    )
}

fn notification_status_schema() -> utoipa::openapi::Object {
    described(
        "pending: waiting for its (next) try; delivering: a sender holds it; delivered; failed: refused, or out of tries; folded: told by a summary (a flapping target).",
        string_enum(NotificationStatus::ALL.map(NotificationStatus::as_str)),
    )
}

fn attempt_outcome_schema() -> utoipa::openapi::Object {
    described(
        "delivered; retry: failed, to be tried again; failed: failed for good.",
        string_enum(AttemptOutcome::ALL.map(AttemptOutcome::as_str)),
    )
}

/// A notification channel. Secrets in `config` come back masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelView {
    pub id: Uuid,
    #[schema(schema_with = channel_kind_schema)]
    pub kind: String,
    pub name: String,
    /// The kind's settings, every secret masked (`"••••"`; URLs keep their
    /// scheme and host).
    #[schema(value_type = Object)]
    pub config: serde_json::Value,
    /// Default channels serve every target that names no channel.
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&ChannelDetails> for ChannelView {
    fn from(d: &ChannelDetails) -> Self {
        Self {
            id: d.channel.id.0,
            kind: d.channel.kind.as_str().to_owned(),
            name: d.channel.name.clone(),
            config: d.config.clone(),
            is_default: d.channel.is_default,
            created_at: d.channel.created_at,
            updated_at: d.channel.updated_at,
        }
    }
}

/// A channel just made. A webhook's signing secret is shown here, once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedChannelView {
    #[serde(flatten)]
    pub channel: ChannelView,
    /// Webhooks: the secret that signs each delivery
    /// (`X-Pharos-Signature`); shown only now. `null` for other kinds.
    pub signing_secret: Option<String>,
}

impl From<&CreatedChannel> for CreatedChannelView {
    fn from(c: &CreatedChannel) -> Self {
        Self {
            channel: (&c.details).into(),
            signing_secret: c.signing_secret.clone(),
        }
    }
}

/// How a test delivery went.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelTestView {
    /// The service accepted the test message.
    pub delivered: bool,
    /// The service's HTTP status or SMTP reply code, when it answered.
    pub status: Option<u16>,
    pub duration_ms: Option<u64>,
    /// Why it failed; `null` when delivered.
    pub error: Option<String>,
    /// A failure worth trying again (a timeout, a 429 or a 5xx).
    pub retryable: bool,
}

impl From<&TestOutcome> for ChannelTestView {
    fn from(t: &TestOutcome) -> Self {
        match t {
            TestOutcome::Delivered { status, duration } => Self {
                delivered: true,
                status: Some(*status),
                duration_ms: Some(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)),
                error: None,
                retryable: false,
            },
            TestOutcome::Failed {
                status,
                error,
                retryable,
            } => Self {
                delivered: false,
                status: *status,
                duration_ms: None,
                error: Some(error.clone()),
                retryable: *retryable,
            },
        }
    }
}

/// When to alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertSettingsView {
    #[schema(schema_with = alert_type_schema)]
    pub alert_type: String,
    /// Minutes between reminders while down (`repeated` only).
    pub repeat_minutes: Option<u32>,
    /// Tell when a target that was down comes back.
    pub on_restored: bool,
    /// Tell when a target degrades.
    pub on_degraded: bool,
    /// Send the last 24 hours of checks with each alert.
    pub include_history: bool,
}

impl From<&AlertSettings> for AlertSettingsView {
    fn from(s: &AlertSettings) -> Self {
        Self {
            alert_type: s.alert_type.name().as_str().to_owned(),
            repeat_minutes: s.alert_type.repeat_minutes().map(|m| m.get()),
            on_restored: s.on_restored,
            on_degraded: s.on_degraded,
            include_history: s.include_history,
        }
    }
}

/// A target's alert settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetAlertsView {
    /// `true` while the target follows the organization's defaults.
    pub uses_organization_defaults: bool,
    /// The settings in force.
    pub settings: AlertSettingsView,
}

impl From<&TargetAlerts> for TargetAlertsView {
    fn from(t: &TargetAlerts) -> Self {
        Self {
            uses_organization_defaults: t.own.is_none(),
            settings: (&t.effective).into(),
        }
    }
}

/// One attempt to deliver a notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempted_at: DateTime<Utc>,
    #[schema(schema_with = attempt_outcome_schema)]
    pub outcome: String,
    /// The service's HTTP status or SMTP reply code, when it answered.
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u32,
}

/// A notification: one event told to one channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: Uuid,
    pub channel_id: Uuid,
    #[schema(schema_with = notification_kind_schema)]
    pub kind: String,
    #[schema(schema_with = notification_status_schema)]
    pub status: String,
    /// The event's number in the organization's feed (`/api/v1/events`).
    pub event_seq: i64,
    /// 0 for the event itself; 1, 2, 3... for reminders.
    pub reminder: u32,
    pub target_id: Uuid,
    pub incident_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// A summary: how many changes of a flapping target it tells (0
    /// otherwise).
    pub folded: u32,
    /// A folded notification: the summary that told it.
    pub folded_into: Option<Uuid>,
    /// Every attempt so far, oldest first.
    pub attempts: Vec<AttemptView>,
}

impl From<&NotificationRecord> for NotificationView {
    fn from(r: &NotificationRecord) -> Self {
        let n = &r.notification;
        Self {
            id: n.id.0,
            channel_id: n.channel_id.0,
            kind: n.kind.as_str().to_owned(),
            status: n.status.as_str().to_owned(),
            event_seq: n.event_seq,
            reminder: n.reminder,
            target_id: n.target_id.0,
            incident_id: n.incident_id,
            occurred_at: n.occurred_at,
            created_at: n.created_at,
            next_attempt_at: n.next_attempt_at,
            delivered_at: n.delivered_at,
            folded: n.folded,
            folded_into: n.folded_into.map(|id| id.0),
            attempts: r
                .attempts
                .iter()
                .map(|a| AttemptView {
                    attempted_at: a.attempted_at,
                    outcome: a.outcome.as_str().to_owned(),
                    status_code: a.status_code,
                    error: a.error.clone(),
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotificationsQuery {
    /// How many notifications, newest first.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// Only the notifications of this incident of the target.
    pub incident_id: Option<Uuid>,
}
