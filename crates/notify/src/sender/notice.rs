//! A claimed notification in the words every channel starts from.

use chrono::{DateTime, Duration, Utc};
use pharos_domain::alert::NotificationKind;
use pharos_domain::check::Verdict;
use pharos_domain::TargetKind;
use pharos_storage::models::{Check, Notification, Target};

use crate::notice::{HistoryPoint, Notice, NoticeKind};

/// Where checks the server runs are said to come from.
const LOCAL: &str = "local";
/// At most this many checks of the last 24 hours go with a notice.
const HISTORY_CHECKS: u32 = 288;

/// The link to a target's page in the dashboard.
pub(crate) fn target_page(public_url: &str, target: uuid::Uuid) -> String {
    format!("{}/targets/{target}", public_url.trim_end_matches('/'))
}

fn payload_str(n: &Notification, key: &str) -> Option<String> {
    n.payload
        .get(key)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

fn payload_u64(n: &Notification, key: &str) -> Option<u64> {
    n.payload.get(key).and_then(serde_json::Value::as_u64)
}

/// The notice for a stored notification about `target`.
pub(crate) fn notice_of(
    n: &Notification,
    target: &Target,
    organization: &str,
    public_url: &str,
    history: Option<&[Check]>,
) -> Notice {
    let status_code = payload_u64(n, "status_code").and_then(|s| u16::try_from(s).ok());
    let error = payload_str(n, "error");
    if let Some(notice) = agent_notice_of(n, target, organization, public_url) {
        return notice;
    }
    let kind = match n.kind {
        NotificationKind::Down => NoticeKind::Down,
        NotificationKind::Up => NoticeKind::Up,
        NotificationKind::Degraded => NoticeKind::Degraded,
        NotificationKind::CertificateExpiring => NoticeKind::CertificateExpiring {
            days_left: payload_u64(n, "days_left")
                .and_then(|d| u32::try_from(d).ok())
                .unwrap_or(0),
        },
        NotificationKind::Summary => NoticeKind::Summary { folded: n.folded },
        // Told by `agent_notice_of`; an agent alert whose payload lost its
        // agent (never written so) still goes out as a plain change.
        NotificationKind::AgentOffline | NotificationKind::AgentOnline => {
            NoticeKind::Summary { folded: 0 }
        }
    };
    // Where the change was seen: the locations a quorum target's event
    // names (down from "Frankfurt, local"), else the server itself.
    let location = payload_locations(n).unwrap_or_else(|| LOCAL.to_owned());
    let details = match (&kind, &error, status_code) {
        (NoticeKind::Summary { folded }, _, _) => {
            let state = payload_str(n, "state").unwrap_or_else(|| "unknown".to_owned());
            format!("{folded} changes in a short time were folded into this message; now {state}")
        }
        (NoticeKind::CertificateExpiring { days_left }, _, _) => {
            format!("the certificate expires in {days_left} days")
        }
        (_, Some(error), _) => error.clone(),
        (_, None, Some(code)) => format!("HTTP {code}"),
        (NoticeKind::Up, None, None) => "answering again".to_owned(),
        (NoticeKind::Degraded, None, None) => "answering, but degraded".to_owned(),
        _ => "the check failed".to_owned(),
    };
    let details = if n.reminder > 0 {
        format!("still down (reminder {}): {details}", n.reminder)
    } else {
        details
    };
    Notice {
        kind,
        organization: organization.to_owned(),
        target_id: target.id.0,
        target_name: target.name.clone().unwrap_or_else(|| target.url.clone()),
        target_kind: target.kind(),
        target_address: target.url.clone(),
        location,
        incident_id: n.incident_id,
        details,
        status_code,
        error,
        since: n.occurred_at,
        occurred_at: n.occurred_at,
        target_page: target_page(public_url, target.id.0),
        history: history.map(history_points),
    }
}

/// The location names an event lists (`locations`), joined.
fn payload_locations(n: &Notification) -> Option<String> {
    let names: Vec<&str> = n
        .payload
        .get("locations")?
        .as_array()?
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// The notice of an agent gone offline or back online: named by the
/// agent's location, linked to the Agents settings page.
fn agent_notice_of(
    n: &Notification,
    target: &Target,
    organization: &str,
    public_url: &str,
) -> Option<Notice> {
    let agent = payload_str(n, "agent_id").and_then(|a| uuid::Uuid::parse_str(&a).ok())?;
    let targets = payload_u64(n, "targets")
        .and_then(|t| u32::try_from(t).ok())
        .unwrap_or(0);
    let name = payload_str(n, "location").unwrap_or_else(|| "an agent".to_owned());
    let last_seen = payload_str(n, "last_seen_at")
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc));
    let plural = if targets == 1 { "" } else { "s" };
    let (kind, details, since) = match n.kind {
        NotificationKind::AgentOffline => (
            NoticeKind::AgentOffline { agent, targets },
            format!("{targets} target{plural} checked from it are judged by their other locations"),
            last_seen.unwrap_or(n.occurred_at),
        ),
        NotificationKind::AgentOnline => (
            NoticeKind::AgentOnline { agent, targets },
            format!("it checks its {targets} target{plural} again"),
            n.occurred_at,
        ),
        _ => return None,
    };
    Some(Notice {
        kind,
        organization: organization.to_owned(),
        target_id: target.id.0,
        target_name: name.clone(),
        target_kind: target.kind(),
        target_address: format!("agent {agent}"),
        location: name,
        incident_id: None,
        details,
        status_code: None,
        error: None,
        since,
        occurred_at: n.occurred_at,
        target_page: format!("{}/settings/agents", public_url.trim_end_matches('/')),
        history: None,
    })
}

/// Checks newest first, as storage returns them, oldest first here.
fn history_points(checks: &[Check]) -> Vec<HistoryPoint> {
    let mut points: Vec<HistoryPoint> = checks
        .iter()
        .map(|c| {
            let verdict = if !c.is_up {
                Verdict::Down
            } else if c.degraded {
                Verdict::Degraded
            } else {
                Verdict::Up
            };
            HistoryPoint {
                checked_at: c.checked_at,
                verdict: verdict.as_str(),
                latency_ms: c.latency_ms,
            }
        })
        .collect();
    points.reverse();
    points
}

/// How many of a target's latest checks to read for a history, and from
/// when they count.
pub(crate) fn history_window(now: DateTime<Utc>) -> (u32, DateTime<Utc>) {
    (HISTORY_CHECKS, now - Duration::hours(24))
}

/// The notice "Send test" delivers: plainly a test, naming the
/// organization and the channel.
pub fn test_notice(organization: &str, channel_name: &str, public_url: &str) -> Notice {
    let now = Utc::now();
    Notice {
        kind: NoticeKind::Test,
        organization: organization.to_owned(),
        target_id: uuid::Uuid::nil(),
        target_name: format!("Test of {channel_name}"),
        target_kind: TargetKind::Http,
        target_address: public_url.to_owned(),
        location: LOCAL.to_owned(),
        incident_id: None,
        details: "a test message from Pharos: this channel works".to_owned(),
        status_code: None,
        error: None,
        since: now,
        occurred_at: now,
        target_page: public_url.trim_end_matches('/').to_owned(),
        history: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pharos_domain::alert::NotificationStatus;
    use pharos_domain::ids::{ChannelId, NotificationId, OrganizationId, TargetId};

    fn notification(payload: serde_json::Value) -> Notification {
        let now = Utc::now();
        Notification {
            id: NotificationId::new(),
            organization_id: OrganizationId::new(),
            channel_id: ChannelId::new(),
            event_seq: 1,
            reminder: 0,
            target_id: TargetId::new(),
            incident_id: None,
            kind: NotificationKind::Down,
            payload,
            include_history: false,
            occurred_at: now,
            created_at: now,
            status: NotificationStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            delivered_at: None,
            last_status: None,
            last_error: None,
            folded: 0,
            folded_into: None,
        }
    }

    #[test]
    fn the_locations_an_event_names_become_the_notice_location() {
        let n = notification(serde_json::json!({"locations": ["Frankfurt", "local"]}));
        assert_eq!(payload_locations(&n).as_deref(), Some("Frankfurt, local"));
        // The server alone names none: the notice says `local`.
        assert_eq!(
            payload_locations(&notification(serde_json::json!({}))),
            None
        );
        let hostile = notification(serde_json::json!({"locations": [1, {"x": 2}]}));
        assert_eq!(payload_locations(&hostile), None);
    }
}
