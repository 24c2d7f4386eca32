//! A target's state and how one check result moves it.
//!
//! A failure is confirmed before a target is called down: the first
//! failures only schedule a quick re-check. Up and degraded clear the count.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::check::Verdict;
use crate::ids::TargetId;
use crate::schedule::next_due_after;

/// What Pharos believes about a target now. `Paused` is shown for paused
/// targets; the stored state is the last one checks established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetState {
    Pending,
    Up,
    Degraded,
    Down,
    Paused,
}

impl TargetState {
    /// Every state a target can show, in the order documents list them.
    pub const ALL: [TargetState; 5] = [
        TargetState::Pending,
        TargetState::Up,
        TargetState::Degraded,
        TargetState::Down,
        TargetState::Paused,
    ];

    /// The states checks establish and storage keeps; `Paused` is only
    /// ever shown (a paused target keeps its established state).
    pub const ESTABLISHED: [TargetState; 4] = [
        TargetState::Pending,
        TargetState::Up,
        TargetState::Degraded,
        TargetState::Down,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Pending => "pending",
            TargetState::Up => "up",
            TargetState::Degraded => "degraded",
            TargetState::Down => "down",
            TargetState::Paused => "paused",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(TargetState::Pending),
            "up" => Some(TargetState::Up),
            "degraded" => Some(TargetState::Degraded),
            "down" => Some(TargetState::Down),
            "paused" => Some(TargetState::Paused),
            _ => None,
        }
    }

    /// The state people see: a paused target shows `Paused` whatever its
    /// checks last established.
    pub fn shown(established: TargetState, paused: bool) -> TargetState {
        if paused {
            TargetState::Paused
        } else {
            established
        }
    }
}

/// How many failures in a row make a target down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirmation {
    pub failures_to_confirm: u32,
}

impl Default for Confirmation {
    fn default() -> Self {
        Self {
            failures_to_confirm: 2,
        }
    }
}

/// What happens to an incident with this result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentChange {
    None,
    Open,
    Close,
}

/// The state after one result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub state: TargetState,
    pub consecutive_failures: u32,
    /// The state changed (and is worth a history row).
    pub changed: bool,
    /// A failure is not yet confirmed: check again soon, not at the interval.
    pub recheck_soon: bool,
    pub incident: IncidentChange,
}

/// Applies one check `verdict` to a target in `state` with `failures`
/// unconfirmed failures so far.
pub fn apply(
    state: TargetState,
    failures: u32,
    verdict: Verdict,
    confirmation: Confirmation,
) -> Transition {
    let was_down = state == TargetState::Down;
    let (next, consecutive_failures, recheck_soon) = match verdict {
        Verdict::Up => (TargetState::Up, 0, false),
        Verdict::Degraded => (TargetState::Degraded, 0, false),
        Verdict::Down => {
            let failures = failures.saturating_add(1);
            if failures >= confirmation.failures_to_confirm.max(1) {
                (TargetState::Down, failures, false)
            } else {
                (state, failures, true)
            }
        }
    };
    let incident = match (was_down, next == TargetState::Down) {
        (false, true) => IncidentChange::Open,
        (true, false) => IncidentChange::Close,
        _ => IncidentChange::None,
    };
    Transition {
        state: next,
        consecutive_failures,
        changed: next != state,
        recheck_soon,
        incident,
    }
}

/// Where a result came from: a probe the workers ran, or one of the two
/// things that happen to a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultOrigin {
    Probe,
    /// The job called its ping URL (success or `/fail`).
    HeartbeatPing,
    /// The deadline passed with no ping (a worker claimed it).
    HeartbeatMissed,
}

/// How results are judged over time: the workers' settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckRules {
    pub confirmation: Confirmation,
    /// How soon an unconfirmed failure is checked again.
    pub retry_after: Duration,
}

impl Default for CheckRules {
    fn default() -> Self {
        Self {
            confirmation: Confirmation::default(),
            retry_after: Duration::seconds(20),
        }
    }
}

/// What a result is judged against: the target as the result found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub id: TargetId,
    pub state: TargetState,
    pub consecutive_failures: u32,
    pub interval_seconds: u32,
    /// A heartbeat's grace after its period (0 for probed targets).
    pub grace_seconds: u32,
    /// A maintenance window holds the target now: its state stays as it
    /// is, so no incident opens and nothing is told.
    pub in_maintenance: bool,
}

/// One result settled: the state it was computed from, the transition, and
/// when the target is due next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    pub previous: TargetState,
    pub transition: Transition,
    pub next_due_at: DateTime<Utc>,
}

/// The one path from a result to a state change, for workers and pings
/// alike.
///
/// The heartbeat rule: a heartbeat's deadline already holds its grace
/// period, so its failures are confirmed at once (no re-check). After a
/// ping the next deadline is one period plus grace away; after a missed
/// deadline the target is down until a ping, and is looked at again one
/// period on.
///
/// The maintenance rule: a held target keeps its state and forgets
/// unconfirmed failures; the first result after the window judges it
/// afresh (and confirms a failure as usual).
pub fn settle(
    target: Standing,
    origin: ResultOrigin,
    verdict: Verdict,
    rules: CheckRules,
    now: DateTime<Utc>,
) -> Settled {
    let confirmation = match origin {
        ResultOrigin::Probe => rules.confirmation,
        ResultOrigin::HeartbeatPing | ResultOrigin::HeartbeatMissed => Confirmation {
            failures_to_confirm: 1,
        },
    };
    let transition = if target.in_maintenance {
        Transition {
            state: target.state,
            consecutive_failures: 0,
            changed: false,
            recheck_soon: false,
            incident: IncidentChange::None,
        }
    } else {
        apply(
            target.state,
            target.consecutive_failures,
            verdict,
            confirmation,
        )
    };
    let period = Duration::seconds(i64::from(target.interval_seconds));
    let next_due_at = match origin {
        ResultOrigin::Probe => next_due_after(
            target.id,
            target.interval_seconds,
            now,
            transition.recheck_soon,
            rules.retry_after,
        ),
        ResultOrigin::HeartbeatPing => {
            now + period + Duration::seconds(i64::from(target.grace_seconds))
        }
        ResultOrigin::HeartbeatMissed => now + period,
    };
    Settled {
        previous: target.state,
        transition,
        next_due_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_name() {
        for state in TargetState::ALL {
            assert_eq!(TargetState::parse(state.as_str()), Some(state));
            let json = serde_json::to_string(&state).expect("serialises");
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
        let mut names: Vec<_> = TargetState::ALL.map(TargetState::as_str).to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TargetState::ALL.len());
        for state in TargetState::ESTABLISHED {
            assert!(TargetState::ALL.contains(&state));
        }
        assert!(!TargetState::ESTABLISHED.contains(&TargetState::Paused));
        assert_eq!(TargetState::parse("UP"), None);
    }

    fn standing(state: TargetState, failures: u32) -> Standing {
        Standing {
            id: TargetId::new(),
            state,
            consecutive_failures: failures,
            interval_seconds: 60,
            grace_seconds: 30,
            in_maintenance: false,
        }
    }

    #[test]
    fn maintenance_holds_the_state_and_forgets_unconfirmed_failures() {
        let now = Utc::now();
        let rules = CheckRules::default();
        let held = Standing {
            in_maintenance: true,
            ..standing(TargetState::Up, 1)
        };
        let s = settle(held, ResultOrigin::Probe, Verdict::Down, rules, now);
        assert_eq!(s.transition.state, TargetState::Up);
        assert_eq!(s.transition.incident, IncidentChange::None);
        assert_eq!(s.transition.consecutive_failures, 0);
        assert!(!s.transition.changed && !s.transition.recheck_soon);
        assert!(s.next_due_at > now + Duration::seconds(20));
        // A missed heartbeat is held too; a down target stays down.
        let down = Standing {
            in_maintenance: true,
            ..standing(TargetState::Down, 3)
        };
        let s = settle(down, ResultOrigin::HeartbeatMissed, Verdict::Up, rules, now);
        assert_eq!(s.transition.state, TargetState::Down);
        assert_eq!(s.transition.incident, IncidentChange::None);
    }

    #[test]
    fn a_probe_failure_is_rechecked_soon_but_a_heartbeat_failure_is_down_at_once() {
        let now = Utc::now();
        let rules = CheckRules::default();
        let probe = settle(
            standing(TargetState::Up, 0),
            ResultOrigin::Probe,
            Verdict::Down,
            rules,
            now,
        );
        assert_eq!(probe.transition.state, TargetState::Up);
        assert!(probe.next_due_at <= now + rules.retry_after);
        let ping = settle(
            standing(TargetState::Up, 0),
            ResultOrigin::HeartbeatPing,
            Verdict::Down,
            rules,
            now,
        );
        assert_eq!(ping.transition.state, TargetState::Down);
        assert_eq!(ping.transition.incident, IncidentChange::Open);
        assert_eq!(ping.next_due_at, now + Duration::seconds(90));
        let missed = settle(
            standing(TargetState::Up, 0),
            ResultOrigin::HeartbeatMissed,
            Verdict::Down,
            rules,
            now,
        );
        assert_eq!(missed.previous, TargetState::Up);
        assert_eq!(missed.transition.state, TargetState::Down);
        assert_eq!(missed.next_due_at, now + Duration::seconds(60));
    }

    const TWO: Confirmation = Confirmation {
        failures_to_confirm: 2,
    };

    #[test]
    fn first_success_leaves_pending() {
        let t = apply(TargetState::Pending, 0, Verdict::Up, TWO);
        assert_eq!(t.state, TargetState::Up);
        assert!(t.changed);
        assert_eq!(t.incident, IncidentChange::None);
    }

    #[test]
    fn one_failure_is_rechecked_not_reported() {
        let t = apply(TargetState::Up, 0, Verdict::Down, TWO);
        assert_eq!(t.state, TargetState::Up);
        assert_eq!(t.consecutive_failures, 1);
        assert!(t.recheck_soon);
        assert!(!t.changed);
        assert_eq!(t.incident, IncidentChange::None);
    }

    #[test]
    fn confirmed_failure_opens_an_incident_and_recovery_closes_it() {
        let down = apply(TargetState::Up, 1, Verdict::Down, TWO);
        assert_eq!(down.state, TargetState::Down);
        assert_eq!(down.incident, IncidentChange::Open);
        assert!(!down.recheck_soon);
        let still = apply(TargetState::Down, 2, Verdict::Down, TWO);
        assert_eq!(still.incident, IncidentChange::None);
        assert!(!still.changed);
        let back = apply(TargetState::Down, 3, Verdict::Degraded, TWO);
        assert_eq!(back.state, TargetState::Degraded);
        assert_eq!(back.incident, IncidentChange::Close);
        assert_eq!(back.consecutive_failures, 0);
    }

    #[test]
    fn a_new_target_that_fails_goes_down_after_confirmation() {
        let first = apply(TargetState::Pending, 0, Verdict::Down, TWO);
        assert_eq!(first.state, TargetState::Pending);
        let second = apply(first.state, first.consecutive_failures, Verdict::Down, TWO);
        assert_eq!(second.state, TargetState::Down);
        assert_eq!(second.incident, IncidentChange::Open);
    }

    #[test]
    fn confirmation_of_one_reports_at_once() {
        let t = apply(
            TargetState::Up,
            0,
            Verdict::Down,
            Confirmation {
                failures_to_confirm: 1,
            },
        );
        assert_eq!(t.state, TargetState::Down);
        assert_eq!(t.incident, IncidentChange::Open);
    }
}
