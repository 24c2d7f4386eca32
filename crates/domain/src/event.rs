//! Events: what changed about a target, as the event log records it.
//!
//! Every state change writes its events in the same transaction as the
//! change, so a reader of the log (the feed, the alert sender) sees each
//! change exactly once and never one that was rolled back.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::status::{IncidentChange, TargetState, Transition};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// A failure was confirmed: the target is down.
    TargetDown,
    /// The target recovered: up again after being down or degraded.
    TargetUp,
    /// The target answers, but slowly or with a warning.
    TargetDegraded,
    IncidentOpened,
    IncidentClosed,
    TargetPaused,
    TargetResumed,
    /// A TLS or HTTPS target's certificate entered a warning window.
    CertificateExpiring,
    /// An agent checking the target went silent past the offline
    /// setting: the target is judged by its other locations.
    AgentOffline,
    /// An agent that was offline is heard from again: the target is
    /// judged by it once more.
    AgentOnline,
}

impl EventType {
    pub const ALL: [EventType; 10] = [
        EventType::TargetDown,
        EventType::TargetUp,
        EventType::TargetDegraded,
        EventType::IncidentOpened,
        EventType::IncidentClosed,
        EventType::TargetPaused,
        EventType::TargetResumed,
        EventType::CertificateExpiring,
        EventType::AgentOffline,
        EventType::AgentOnline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::TargetDown => "target_down",
            EventType::TargetUp => "target_up",
            EventType::TargetDegraded => "target_degraded",
            EventType::IncidentOpened => "incident_opened",
            EventType::IncidentClosed => "incident_closed",
            EventType::TargetPaused => "target_paused",
            EventType::TargetResumed => "target_resumed",
            EventType::CertificateExpiring => "certificate_expiring",
            EventType::AgentOffline => "agent_offline",
            EventType::AgentOnline => "agent_online",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an event type")]
pub struct UnknownEventType(pub String);

impl FromStr for EventType {
    type Err = UnknownEventType;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        EventType::ALL
            .into_iter()
            .find(|t| t.as_str() == raw)
            .ok_or_else(|| UnknownEventType(raw.to_owned()))
    }
}

/// The events one result's transition yields, state change first.
///
/// A confirmed failure is `target_down` and `incident_opened`; recovery
/// from down is `target_up` (or `target_degraded`) and `incident_closed`;
/// a first result after `pending` that is up is no news.
pub fn events_of(previous: TargetState, transition: &Transition) -> Vec<EventType> {
    let mut events = Vec::with_capacity(2);
    if transition.changed {
        match transition.state {
            TargetState::Down => events.push(EventType::TargetDown),
            TargetState::Degraded => events.push(EventType::TargetDegraded),
            TargetState::Up if previous != TargetState::Pending => events.push(EventType::TargetUp),
            _ => {}
        }
    }
    match transition.incident {
        IncidentChange::Open => events.push(EventType::IncidentOpened),
        IncidentChange::Close => events.push(EventType::IncidentClosed),
        IncidentChange::None => {}
    }
    events
}

/// Days before a certificate's expiry at which a warning is due, widest
/// first. Each window is reported once; a renewed certificate starts over.
pub const CERTIFICATE_WARNING_DAYS: [u32; 4] = [30, 14, 7, 1];

/// The narrowest warning window a certificate expiring at `expires_at` is
/// in (`Some(14)`: 14 days or fewer left), or `None` when it is further
/// off than the widest. An expired certificate is in the narrowest.
pub fn certificate_window(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<u32> {
    let left = expires_at - now;
    CERTIFICATE_WARNING_DAYS
        .into_iter()
        .rev()
        .find(|days| left <= chrono::Duration::days(i64::from(*days)))
}

/// What a check's certificate does to the window stored for its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateWatch {
    /// The window to store.
    pub window: Option<u32>,
    /// A window was entered: report it (once).
    pub entered: Option<u32>,
}

/// Compares a check's certificate expiry with the window last reported.
/// A check that saw no certificate (it failed before TLS) changes nothing;
/// a certificate far from expiry clears the window, so a renewed one that
/// nears expiry is reported again.
pub fn watch_certificate(
    reported: Option<u32>,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> CertificateWatch {
    let Some(expires_at) = expires_at else {
        return CertificateWatch {
            window: reported,
            entered: None,
        };
    };
    let window = certificate_window(expires_at, now);
    let entered = match (window, reported) {
        (Some(now_in), Some(before)) if now_in < before => Some(now_in),
        (Some(now_in), None) => Some(now_in),
        _ => None,
    };
    CertificateWatch { window, entered }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Verdict;
    use crate::status::{apply, Confirmation};

    const TWO: Confirmation = Confirmation {
        failures_to_confirm: 2,
    };

    #[test]
    fn every_type_round_trips_through_its_name() {
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>(), Ok(t));
            assert_eq!(serde_json::to_string(&t).expect("json"), format!("\"{t}\""));
        }
        assert!("target_exploded".parse::<EventType>().is_err());
    }

    #[test]
    fn an_outage_and_its_recovery_are_two_events_each() {
        let unconfirmed = apply(TargetState::Up, 0, Verdict::Down, TWO);
        assert!(events_of(TargetState::Up, &unconfirmed).is_empty());
        let down = apply(TargetState::Up, 1, Verdict::Down, TWO);
        assert_eq!(
            events_of(TargetState::Up, &down),
            [EventType::TargetDown, EventType::IncidentOpened]
        );
        let still = apply(TargetState::Down, 2, Verdict::Down, TWO);
        assert!(events_of(TargetState::Down, &still).is_empty());
        let up = apply(TargetState::Down, 3, Verdict::Up, TWO);
        assert_eq!(
            events_of(TargetState::Down, &up),
            [EventType::TargetUp, EventType::IncidentClosed]
        );
    }

    #[test]
    fn a_new_target_coming_up_is_no_news_but_degradation_is() {
        let first = apply(TargetState::Pending, 0, Verdict::Up, TWO);
        assert!(events_of(TargetState::Pending, &first).is_empty());
        let slow = apply(TargetState::Up, 0, Verdict::Degraded, TWO);
        assert_eq!(
            events_of(TargetState::Up, &slow),
            [EventType::TargetDegraded]
        );
        let better = apply(TargetState::Degraded, 0, Verdict::Up, TWO);
        assert_eq!(
            events_of(TargetState::Degraded, &better),
            [EventType::TargetUp]
        );
    }

    #[test]
    fn certificate_windows_narrow_as_expiry_nears() {
        let now = Utc::now();
        let in_days = |d: i64| now + chrono::Duration::days(d);
        assert_eq!(certificate_window(in_days(60), now), None);
        assert_eq!(certificate_window(in_days(30), now), Some(30));
        assert_eq!(certificate_window(in_days(20), now), Some(30));
        assert_eq!(certificate_window(in_days(10), now), Some(14));
        assert_eq!(certificate_window(in_days(3), now), Some(7));
        assert_eq!(certificate_window(now, now), Some(1));
        assert_eq!(certificate_window(in_days(-5), now), Some(1));
    }

    #[test]
    fn each_window_is_reported_once_and_renewal_starts_over() {
        let now = Utc::now();
        let in_days = |d: i64| Some(now + chrono::Duration::days(d));
        let first = watch_certificate(None, in_days(20), now);
        assert_eq!(first.entered, Some(30));
        let again = watch_certificate(first.window, in_days(19), now);
        assert_eq!(again.entered, None);
        assert_eq!(again.window, Some(30));
        let narrower = watch_certificate(again.window, in_days(13), now);
        assert_eq!(narrower.entered, Some(14));
        let failed = watch_certificate(narrower.window, None, now);
        assert_eq!(failed.window, Some(14));
        assert_eq!(failed.entered, None);
        let renewed = watch_certificate(narrower.window, in_days(90), now);
        assert_eq!(renewed.window, None);
        assert_eq!(renewed.entered, None);
    }
}
