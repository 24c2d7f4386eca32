//! When to alert: an organization's (or a target's) alert settings, which
//! events they turn into a notification, and how a notification that
//! could not be delivered is retried. No I/O: the sender applies these.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::event::EventType;
use crate::status::TargetState;
use crate::ValidationError;

/// Minutes between two reminders of a repeated alert: 1 to 1440 (a day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u32")]
pub struct RepeatMinutes(u32);

impl RepeatMinutes {
    pub const MIN: u32 = 1;
    pub const MAX: u32 = 1440;

    pub fn parse(field: &'static str, raw: i64) -> Result<Self, ValidationError> {
        match u32::try_from(raw) {
            Ok(m) if (Self::MIN..=Self::MAX).contains(&m) => Ok(Self(m)),
            _ => Err(ValidationError::new(
                field,
                format!("must be between {} and {}", Self::MIN, Self::MAX),
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for RepeatMinutes {
    type Error = ValidationError;
    fn try_from(raw: i64) -> Result<Self, Self::Error> {
        Self::parse("repeat_minutes", raw)
    }
}

impl From<RepeatMinutes> for u32 {
    fn from(m: RepeatMinutes) -> u32 {
        m.0
    }
}

/// How often a state change is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertType {
    /// Once per change of state (the default).
    Once,
    /// Once per change, and again every so often while the target is down.
    Repeated(RepeatMinutes),
    /// Never.
    None,
}

/// The names `alert_type` is stored and shown as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertTypeName {
    Once,
    Repeated,
    None,
}

impl AlertTypeName {
    pub const ALL: [AlertTypeName; 3] = [
        AlertTypeName::Once,
        AlertTypeName::Repeated,
        AlertTypeName::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertTypeName::Once => "once",
            AlertTypeName::Repeated => "repeated",
            AlertTypeName::None => "none",
        }
    }
}

impl FromStr for AlertTypeName {
    type Err = ValidationError;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        AlertTypeName::ALL
            .into_iter()
            .find(|t| t.as_str() == raw)
            .ok_or_else(|| {
                ValidationError::new("alert_type", "must be one of once, repeated, none")
            })
    }
}

impl AlertType {
    pub fn name(self) -> AlertTypeName {
        match self {
            AlertType::Once => AlertTypeName::Once,
            AlertType::Repeated(_) => AlertTypeName::Repeated,
            AlertType::None => AlertTypeName::None,
        }
    }

    pub fn repeat_minutes(self) -> Option<RepeatMinutes> {
        match self {
            AlertType::Repeated(m) => Some(m),
            _ => None,
        }
    }

    /// The type from its stored or submitted parts: `repeated` needs its
    /// period, the others refuse one.
    pub fn from_parts(
        name: AlertTypeName,
        repeat_minutes: Option<RepeatMinutes>,
    ) -> Result<Self, ValidationError> {
        match (name, repeat_minutes) {
            (AlertTypeName::Repeated, Some(m)) => Ok(AlertType::Repeated(m)),
            (AlertTypeName::Repeated, None) => Err(ValidationError::new(
                "repeat_minutes",
                "is required when alert_type is repeated",
            )),
            (_, Some(_)) => Err(ValidationError::new(
                "repeat_minutes",
                "is only for alert_type repeated",
            )),
            (AlertTypeName::Once, None) => Ok(AlertType::Once),
            (AlertTypeName::None, None) => Ok(AlertType::None),
        }
    }
}

/// An organization's defaults, or a target's own settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlertSettings {
    pub alert_type: AlertType,
    /// Tell when a target that was down comes back (default on).
    pub on_restored: bool,
    /// Tell when a target degrades (default off).
    pub on_degraded: bool,
    /// Send the last 24 hours of checks with the event (default off).
    pub include_history: bool,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            alert_type: AlertType::Once,
            on_restored: true,
            on_degraded: false,
            include_history: false,
        }
    }
}

/// What a notification tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    Down,
    Up,
    Degraded,
    CertificateExpiring,
    /// Several changes of a flapping target folded into one message.
    Summary,
    /// An agent went silent: its targets are judged by their other
    /// locations. One per agent and channel, not one per target.
    AgentOffline,
    /// An agent that was offline is heard from again.
    AgentOnline,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 7] = [
        NotificationKind::Down,
        NotificationKind::Up,
        NotificationKind::Degraded,
        NotificationKind::CertificateExpiring,
        NotificationKind::Summary,
        NotificationKind::AgentOffline,
        NotificationKind::AgentOnline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Down => "down",
            NotificationKind::Up => "up",
            NotificationKind::Degraded => "degraded",
            NotificationKind::CertificateExpiring => "certificate_expiring",
            NotificationKind::Summary => "summary",
            NotificationKind::AgentOffline => "agent_offline",
            NotificationKind::AgentOnline => "agent_online",
        }
    }
}

impl fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a notification kind")]
pub struct UnknownNotificationKind(pub String);

impl FromStr for NotificationKind {
    type Err = UnknownNotificationKind;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        NotificationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| UnknownNotificationKind(raw.to_owned()))
    }
}

/// Where a notification is on its way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// Claimed by a sender, which holds a lease on it.
    Delivering,
    /// The service accepted it. Never sent again.
    Delivered,
    /// Refused for good, or out of tries.
    Failed,
    /// Past a channel's flapping limit: not sent on its own, but counted
    /// in the summary that follows.
    Folded,
}

impl NotificationStatus {
    pub const ALL: [NotificationStatus; 5] = [
        NotificationStatus::Pending,
        NotificationStatus::Delivering,
        NotificationStatus::Delivered,
        NotificationStatus::Failed,
        NotificationStatus::Folded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Pending => "pending",
            NotificationStatus::Delivering => "delivering",
            NotificationStatus::Delivered => "delivered",
            NotificationStatus::Failed => "failed",
            NotificationStatus::Folded => "folded",
        }
    }
}

impl fmt::Display for NotificationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a notification status")]
pub struct UnknownNotificationStatus(pub String);

impl FromStr for NotificationStatus {
    type Err = UnknownNotificationStatus;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        NotificationStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| UnknownNotificationStatus(raw.to_owned()))
    }
}

/// How one delivery attempt ended, as the attempt log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Delivered,
    /// Failed, to be tried again.
    Retry,
    /// Failed for good (refused, or the last try).
    Failed,
}

impl AttemptOutcome {
    pub const ALL: [AttemptOutcome; 3] = [
        AttemptOutcome::Delivered,
        AttemptOutcome::Retry,
        AttemptOutcome::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::Retry => "retry",
            AttemptOutcome::Failed => "failed",
        }
    }
}

impl FromStr for AttemptOutcome {
    type Err = UnknownNotificationStatus;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        AttemptOutcome::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| UnknownNotificationStatus(raw.to_owned()))
    }
}

/// The notification an event yields under `settings`, if any.
///
/// `previous` is the state before the change (from the event's payload).
/// Incidents opening and closing, pauses and resumes are told by the state
/// change that goes with them, or not at all. A recovery is told only to
/// those who heard of the trouble: after `down`, or after `degraded` when
/// degradation is told.
pub fn notification_for(
    event: EventType,
    previous: Option<TargetState>,
    settings: &AlertSettings,
) -> Option<NotificationKind> {
    if settings.alert_type == AlertType::None {
        return None;
    }
    match event {
        EventType::TargetDown => Some(NotificationKind::Down),
        EventType::TargetDegraded if settings.on_degraded => Some(NotificationKind::Degraded),
        EventType::TargetUp if settings.on_restored => match previous {
            Some(TargetState::Down) => Some(NotificationKind::Up),
            Some(TargetState::Degraded) if settings.on_degraded => Some(NotificationKind::Up),
            _ => None,
        },
        EventType::CertificateExpiring => Some(NotificationKind::CertificateExpiring),
        _ => None,
    }
}

/// How much a channel is told of one flapping target: at most `limit`
/// messages per `window`; past that, its changes are folded and one
/// summary tells how many, once the window has passed. (Many targets
/// failing at once are each told: folding is per target.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoldRule {
    pub limit: u32,
    pub window: Duration,
}

impl Default for FoldRule {
    /// Three messages per channel per minute.
    fn default() -> Self {
        Self {
            limit: 3,
            window: Duration::from_secs(60),
        }
    }
}

/// How undelivered notifications are tried again: exponential backoff
/// with jitter, a fixed number of tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failed try; each later wait doubles.
    pub base: Duration,
    /// Tries in all, the first included.
    pub max_attempts: u32,
    /// No wait is longer than this, a service's `Retry-After` included.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    /// Six tries over about an hour: waits of 2, 4, 8, 16 and 32 minutes.
    fn default() -> Self {
        Self {
            base: Duration::from_secs(120),
            max_attempts: 6,
            max_wait: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The wait before the next try after `attempts` failed ones, or `None`
    /// when they were the last allowed. `jitter` in [0, 1) spreads waits by
    /// up to ±20 % so a burst of failures does not come back as a burst;
    /// a `retry_after` the service asked for is honoured when longer.
    pub fn next_wait(
        &self,
        attempts: u32,
        jitter: f64,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let doublings = attempts.saturating_sub(1).min(20);
        let backoff = self.base.saturating_mul(1 << doublings).min(self.max_wait);
        let factor = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
        let spread = backoff.mul_f64(factor);
        let wait = match retry_after {
            Some(asked) if asked > spread => asked,
            _ => spread,
        };
        Some(wait.min(self.max_wait))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> AlertSettings {
        AlertSettings::default()
    }

    #[test]
    fn names_round_trip() {
        for k in NotificationKind::ALL {
            assert_eq!(k.as_str().parse::<NotificationKind>(), Ok(k));
        }
        for s in NotificationStatus::ALL {
            assert_eq!(s.as_str().parse::<NotificationStatus>(), Ok(s));
        }
        for t in AlertTypeName::ALL {
            assert_eq!(t.as_str().parse::<AlertTypeName>(), Ok(t));
        }
        for o in AttemptOutcome::ALL {
            assert_eq!(o.as_str().parse::<AttemptOutcome>(), Ok(o));
        }
        assert!("sideways".parse::<NotificationKind>().is_err());
    }

    #[test]
    fn repeat_minutes_are_bounded() {
        assert!(RepeatMinutes::parse("repeat_minutes", 0).is_err());
        assert!(RepeatMinutes::parse("repeat_minutes", 1441).is_err());
        assert_eq!(
            RepeatMinutes::parse("repeat_minutes", 1440).map(RepeatMinutes::get),
            Ok(1440)
        );
        let every = RepeatMinutes::parse("repeat_minutes", 5).ok();
        assert!(AlertType::from_parts(AlertTypeName::Repeated, None).is_err());
        assert!(AlertType::from_parts(AlertTypeName::Once, every).is_err());
        assert!(matches!(
            AlertType::from_parts(AlertTypeName::Repeated, every),
            Ok(AlertType::Repeated(_))
        ));
    }

    #[test]
    fn the_default_tells_down_and_recovery_from_down_only() {
        let s = settings();
        let down = Some(TargetState::Down);
        let up = Some(TargetState::Up);
        let degraded = Some(TargetState::Degraded);
        assert_eq!(
            notification_for(EventType::TargetDown, up, &s),
            Some(NotificationKind::Down)
        );
        assert_eq!(
            notification_for(EventType::TargetUp, down, &s),
            Some(NotificationKind::Up)
        );
        assert_eq!(notification_for(EventType::TargetDegraded, up, &s), None);
        // Nobody heard of the degradation, so nobody hears it is over.
        assert_eq!(notification_for(EventType::TargetUp, degraded, &s), None);
        for quiet in [
            EventType::IncidentOpened,
            EventType::IncidentClosed,
            EventType::TargetPaused,
            EventType::TargetResumed,
        ] {
            assert_eq!(notification_for(quiet, down, &s), None, "{quiet}");
        }
        assert_eq!(
            notification_for(EventType::CertificateExpiring, None, &s),
            Some(NotificationKind::CertificateExpiring)
        );
    }

    #[test]
    fn settings_switch_kinds_on_and_off() {
        let loud = AlertSettings {
            on_degraded: true,
            ..settings()
        };
        assert_eq!(
            notification_for(EventType::TargetDegraded, Some(TargetState::Up), &loud),
            Some(NotificationKind::Degraded)
        );
        assert_eq!(
            notification_for(EventType::TargetUp, Some(TargetState::Degraded), &loud),
            Some(NotificationKind::Up)
        );
        let no_restore = AlertSettings {
            on_restored: false,
            ..settings()
        };
        assert_eq!(
            notification_for(EventType::TargetUp, Some(TargetState::Down), &no_restore),
            None
        );
        let silent = AlertSettings {
            alert_type: AlertType::None,
            ..settings()
        };
        assert_eq!(
            notification_for(EventType::TargetDown, Some(TargetState::Up), &silent),
            None
        );
    }

    #[test]
    fn retries_back_off_to_about_an_hour_then_stop() {
        let policy = RetryPolicy::default();
        let waits: Vec<Duration> = (1..policy.max_attempts)
            .map(|n| policy.next_wait(n, 0.5, None).expect("a wait"))
            .collect();
        assert_eq!(waits.len(), 5);
        assert!(waits.windows(2).all(|w| w[1] == w[0] * 2), "{waits:?}");
        let total: Duration = waits.iter().sum();
        assert!(
            total > Duration::from_secs(50 * 60) && total < Duration::from_secs(70 * 60),
            "{total:?}"
        );
        assert_eq!(policy.next_wait(policy.max_attempts, 0.5, None), None);
        // Jitter spreads by ±20 %.
        let low = policy.next_wait(1, 0.0, None).expect("wait");
        let high = policy.next_wait(1, 0.999, None).expect("wait");
        assert!(low >= Duration::from_secs(96) && high <= Duration::from_secs(144));
        assert!(low < high);
    }

    #[test]
    fn a_longer_retry_after_is_honoured_within_the_cap() {
        let policy = RetryPolicy::default();
        let asked = Duration::from_secs(600);
        assert_eq!(policy.next_wait(1, 0.5, Some(asked)), Some(asked));
        assert_eq!(
            policy.next_wait(1, 0.5, Some(Duration::from_secs(1))),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            policy.next_wait(1, 0.5, Some(Duration::from_secs(86_400))),
            Some(policy.max_wait)
        );
    }
}
