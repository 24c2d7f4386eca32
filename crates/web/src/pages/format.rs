//! How numbers and times read on the pages.

use chrono::{DateTime, Utc};
use pharos_domain::status::TargetState;

/// "12 s ago", "5 min ago", "3 h ago", "2 d ago".
pub fn ago(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let s = (now - then).num_seconds().max(0);
    match s {
        0..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86_400),
    }
}

/// RFC 3339 for `<time datetime>`, which the script reads.
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// "2026-11-22 14:03:05 UTC".
pub fn full(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

pub fn latency(ms: Option<u32>) -> String {
    ms.map(|ms| format!("{ms} ms"))
        .unwrap_or_else(|| "—".to_owned())
}

/// "3 h 12 min", "45 s".
pub fn duration(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// "every 5 min", "every 30 s".
pub fn interval(seconds: u32) -> String {
    match seconds {
        s if s % 3600 == 0 => format!("every {} h", s / 3600),
        s if s % 60 == 0 => format!("every {} min", s / 60),
        s => format!("every {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times() {
        let now = Utc::now();
        assert_eq!(ago(now, now), "0 s ago");
        assert_eq!(ago(now, now - chrono::Duration::seconds(150)), "2 min ago");
        assert_eq!(ago(now, now - chrono::Duration::hours(5)), "5 h ago");
        assert_eq!(interval(300), "every 5 min");
        assert_eq!(interval(45), "every 45 s");
    }
}

/// A state as pages show it: a word and a glyph, never colour alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Badge {
    pub value: &'static str,
    pub label: &'static str,
    pub icon: &'static str,
}

/// Every state, in the order the dashboard's filter lists them.
pub const STATES: [TargetState; 5] = [
    TargetState::Up,
    TargetState::Degraded,
    TargetState::Down,
    TargetState::Pending,
    TargetState::Paused,
];

pub fn badge(state: TargetState) -> Badge {
    let (label, icon) = match state {
        TargetState::Pending => ("Pending", "…"),
        TargetState::Up => ("Up", "✓"),
        TargetState::Degraded => ("Degraded", "!"),
        TargetState::Down => ("Down", "✕"),
        TargetState::Paused => ("Paused", "⏸"),
    };
    Badge {
        value: state.as_str(),
        label,
        icon,
    }
}

/// The state of one check, for the checks table.
pub fn check_state(check: &pharos_storage::models::Check) -> TargetState {
    match (check.is_up, check.degraded) {
        (true, true) => TargetState::Degraded,
        (true, false) => TargetState::Up,
        (false, _) => TargetState::Down,
    }
}
