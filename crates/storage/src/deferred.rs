//! What a batch of results writes at the end of its transaction, in a few
//! multi-row statements instead of several statements a check: the check
//! rows, the roll-up increments (added up per bucket first) and the
//! events. Nothing in the transaction reads them back before the end, so
//! writing them last changes no outcome; it takes a result's share of the
//! one SQLite writer from five statements to about one.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use pharos_domain::agent::Location;
use pharos_domain::quorum::Quorum;
use pharos_domain::rollup::{Rollup, BUCKET_WIDTHS};
use pharos_domain::status::{IncidentChange, TargetState, Transition};
use uuid::Uuid;

use crate::events::PendingEvent;
use crate::models::{Check, StatusUpdate};

/// A roll-up row's key: target, bucket width (seconds), bucket start.
pub(crate) type RollupKey = (Uuid, u32, chrono::DateTime<chrono::Utc>);

/// Roll-up increments of a batch, one per bucket however many of the
/// batch's checks fall into it.
#[derive(Debug, Default)]
pub(crate) struct RollupBatch {
    increments: HashMap<RollupKey, Rollup>,
}

impl RollupBatch {
    /// Counts a stored check into its three buckets.
    pub fn add(&mut self, check: &Check) {
        // Latency counts only for answers that arrived: a timeout's
        // "latency" is the timeout, not the service's speed.
        let latency = check.latency_ms.filter(|_| check.is_up);
        // A failure during a maintenance window is planned, not
        // downtime: it counts as up in uptime and status pages.
        let counts_up = check.is_up || check.in_maintenance;
        for width in BUCKET_WIDTHS {
            let start = pharos_domain::rollup::bucket_start(
                crate::rows::to_micros(check.checked_at),
                width,
            );
            self.increments
                .entry((check.target_id.0, width, start))
                .or_default()
                .record(counts_up, check.degraded, latency);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.increments.is_empty()
    }

    /// The increments in key order, so two transactions touching the same
    /// buckets lock them in the same order (no deadlock on PostgreSQL).
    pub fn sorted(&self) -> Vec<(&RollupKey, &Rollup)> {
        let mut rows: Vec<_> = self.increments.iter().collect();
        rows.sort_by(|a, b| a.0.cmp(b.0));
        rows
    }
}

/// Everything a batch's transaction writes at its end.
#[derive(Debug, Default)]
pub(crate) struct Deferred<'a> {
    pub events: Vec<PendingEvent>,
    pub rollups: RollupBatch,
    /// Check rows not yet inserted (an agent's are inserted first, to
    /// find retried slots, and are not here).
    pub checks: Vec<&'a Check>,
    pub locations: LocationBook,
}

/// `location_states.location` of a location: the nil UUID for `local`.
pub(crate) fn location_key(location: Location) -> Uuid {
    location.agent().map_or(Uuid::nil(), |a| a.0)
}

/// What judging a target by the quorum of its locations needs, read for
/// a batch's targets at once (their rows locked first) and kept current
/// in memory as the batch settles one location's view after another;
/// the views that changed are written at the end.
#[derive(Debug, Default)]
pub(crate) struct LocationBook {
    /// Targets read already, found or not (a deleted target is read once).
    loaded: HashSet<Uuid>,
    targets: HashMap<Uuid, QuorumTarget>,
    /// Each target's counted agents (approved, online, reaching it), by
    /// name.
    agents: HashMap<Uuid, Vec<(Uuid, String)>>,
    /// Each target's locations' views: location key to (state, failures).
    views: HashMap<Uuid, HashMap<Uuid, (TargetState, u32)>>,
    /// Views to write: (target, location) to (state, failures, when).
    changed: BTreeMap<(Uuid, Uuid), (TargetState, u32, DateTime<Utc>)>,
}

/// A target's own state and how its locations decide it.
#[derive(Debug, Clone)]
pub(crate) struct QuorumTarget {
    pub state: TargetState,
    /// `None`: checked from the server alone.
    pub quorum: Option<Quorum>,
    pub check_local: bool,
}

impl LocationBook {
    /// The targets of `ids` not read yet.
    pub fn missing(&self, ids: impl IntoIterator<Item = Uuid>) -> Vec<Uuid> {
        let mut missing: Vec<Uuid> = ids
            .into_iter()
            .filter(|id| !self.loaded.contains(id))
            .collect();
        missing.sort();
        missing.dedup();
        missing
    }

    /// Notes `ids` as read; the loaders then add what they found.
    pub fn mark_loaded(&mut self, ids: &[Uuid]) {
        self.loaded.extend(ids.iter().copied());
    }

    pub fn add_target(&mut self, id: Uuid, target: QuorumTarget) {
        self.targets.insert(id, target);
    }

    pub fn add_agent(&mut self, target: Uuid, agent: Uuid, name: String) {
        self.agents.entry(target).or_default().push((agent, name));
    }

    pub fn add_view(&mut self, target: Uuid, location: Uuid, state: TargetState, failures: u32) {
        self.views
            .entry(target)
            .or_default()
            .insert(location, (state, failures));
    }

    /// A location's view of a target: its state and unconfirmed failures.
    pub fn view(&self, target: Uuid, location: Location) -> Option<(TargetState, u32)> {
        self.views
            .get(&target)?
            .get(&location_key(location))
            .copied()
    }

    /// Forgets a held location's unconfirmed failures in memory (the
    /// caller writes that one change itself: it keeps `updated_at`).
    pub fn forget_failures(&mut self, target: Uuid, location: Location) {
        let key = location_key(location);
        if let Some(view) = self.views.get_mut(&target).and_then(|v| v.get_mut(&key)) {
            view.1 = 0;
        }
        if let Some(changed) = self.changed.get_mut(&(target, key)) {
            changed.1 = 0;
        }
    }

    /// The views to write, in key order.
    pub fn changed(
        &self,
    ) -> impl Iterator<Item = (&(Uuid, Uuid), &(TargetState, u32, DateTime<Utc>))> {
        self.changed.iter()
    }

    /// Records `location`'s new view of `target` and returns how the
    /// target's own state moves by its quorum over its counted
    /// locations. `None`: the target is gone or checked from the server
    /// alone. The target must have been loaded.
    pub fn settle(
        &mut self,
        target: Uuid,
        location: Location,
        state: TargetState,
        failures: u32,
        now: DateTime<Utc>,
    ) -> Option<StatusUpdate> {
        let key = location_key(location);
        self.views
            .entry(target)
            .or_default()
            .insert(key, (state, failures));
        self.changed.insert((target, key), (state, failures, now));
        let own = self.targets.get_mut(&target)?;
        let quorum = own.quorum?;
        let previous = own.state;
        let views = &self.views[&target];
        let view = |k: Uuid| views.get(&k).map_or(TargetState::Pending, |v| v.0);
        let agents = self
            .agents
            .get(&target)
            .map(Vec::as_slice)
            .unwrap_or_default();
        // Each counted location's name and view.
        let mut counted: Vec<(String, TargetState)> = agents
            .iter()
            .map(|(a, name)| (name.clone(), view(*a)))
            .collect();
        if own.check_local {
            counted.push((Location::LOCAL.to_owned(), view(Uuid::nil())));
        }
        // The reporting location itself always counts, even if it was
        // just found offline or dropped from the target.
        let own_counted = match location {
            Location::Local => own.check_local,
            Location::Agent(a) => agents.iter().any(|(x, _)| *x == a.0),
        };
        if !own_counted {
            counted.push((location.to_string(), state));
        }
        let states: Vec<TargetState> = counted.iter().map(|(_, s)| *s).collect();
        let verdicts = pharos_domain::quorum::combine(&states, quorum);
        let failing = |s: TargetState| matches!(s, TargetState::Down | TargetState::Degraded);
        let locations = counted
            .into_iter()
            .filter(|(_, s)| !failing(verdicts.state) || failing(*s))
            .map(|(name, _)| name)
            .collect();
        let incident = match (
            previous == TargetState::Down,
            verdicts.state == TargetState::Down,
        ) {
            (false, true) => IncidentChange::Open,
            (true, false) => IncidentChange::Close,
            _ => IncidentChange::None,
        };
        own.state = verdicts.state;
        Some(StatusUpdate {
            previous,
            transition: Transition {
                state: verdicts.state,
                consecutive_failures: 0,
                changed: verdicts.state != previous,
                recheck_soon: false,
                incident,
            },
            locations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use pharos_domain::ids::{CheckId, TargetId};

    fn check(target: TargetId, at_second: i64, is_up: bool, latency_ms: u32) -> Check {
        Check {
            id: CheckId::new(),
            target_id: target,
            checked_at: Utc.timestamp_opt(1_800_000_000 + at_second, 0).unwrap(),
            status_code: Some(200),
            latency_ms: Some(latency_ms),
            is_up,
            degraded: false,
            error_class: None,
            error: None,
            timings: Default::default(),
            in_maintenance: false,
            location: pharos_domain::agent::Location::Local,
        }
    }

    fn book_of_three(target: Uuid, agents: &[Uuid]) -> LocationBook {
        let mut book = LocationBook::default();
        book.mark_loaded(&[target]);
        book.add_target(
            target,
            QuorumTarget {
                state: TargetState::Up,
                quorum: Some(Quorum::Majority),
                check_local: false,
            },
        );
        for (n, agent) in agents.iter().enumerate() {
            book.add_agent(target, *agent, format!("agent-{n}"));
            book.add_view(target, *agent, TargetState::Up, 0);
        }
        book
    }

    #[test]
    fn a_batch_settles_each_view_on_the_ones_before_it() {
        let target = Uuid::now_v7();
        let agents: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let mut book = book_of_three(target, &agents);
        let now = Utc::now();
        let at = |a: Uuid| Location::Agent(pharos_domain::ids::AgentId(a));
        let first = book
            .settle(target, at(agents[0]), TargetState::Down, 1, now)
            .expect("quorum");
        assert_eq!(first.transition.state, TargetState::Degraded);
        assert_eq!(first.locations, vec!["agent-0".to_owned()]);
        // The second down view sees the first: a majority, one incident.
        let second = book
            .settle(target, at(agents[1]), TargetState::Down, 1, now)
            .expect("quorum");
        assert_eq!(second.previous, TargetState::Degraded);
        assert_eq!(second.transition.state, TargetState::Down);
        assert_eq!(second.transition.incident, IncidentChange::Open);
        let third = book
            .settle(target, at(agents[2]), TargetState::Down, 1, now)
            .expect("quorum");
        assert!(!third.transition.changed);
        assert_eq!(third.transition.incident, IncidentChange::None);
        // One write per view, the last one.
        book.forget_failures(target, at(agents[0]));
        let written: Vec<u32> = book.changed().map(|(_, v)| v.1).collect();
        assert_eq!(written.len(), 3);
        assert_eq!(written.iter().filter(|f| **f == 0).count(), 1);
    }

    #[test]
    fn a_target_without_a_quorum_or_gone_is_not_judged() {
        let mut book = LocationBook::default();
        let gone = Uuid::now_v7();
        book.mark_loaded(&[gone]);
        assert!(book
            .settle(gone, Location::Local, TargetState::Up, 0, Utc::now())
            .is_none());
        assert!(book.missing([gone, Uuid::nil()]) == vec![Uuid::nil()]);
    }

    #[test]
    fn checks_of_one_bucket_add_up_into_one_increment() {
        let target = TargetId::new();
        let mut batch = RollupBatch::default();
        // 1_800_000_000 is on a quarter-hour boundary: both fall in one
        // quarter, one hour and one day.
        batch.add(&check(target, 10, true, 40));
        batch.add(&check(target, 70, false, 9_000));
        let rows = batch.sorted();
        assert_eq!(rows.len(), 3, "one increment per width");
        for (_, rollup) in rows {
            assert_eq!(rollup.checks, 2);
            assert_eq!(rollup.up, 1);
            assert_eq!(
                rollup.latency_count, 1,
                "a failure's latency is not counted"
            );
            assert_eq!(
                (rollup.latency_min, rollup.latency_max),
                (Some(40), Some(40))
            );
        }
    }

    #[test]
    fn other_targets_and_buckets_get_their_own_increments() {
        let (a, b) = (TargetId::new(), TargetId::new());
        let mut batch = RollupBatch::default();
        batch.add(&check(a, 10, true, 40));
        batch.add(&check(b, 10, true, 40));
        // The next quarter hour, same hour and day.
        batch.add(&check(a, 900, true, 40));
        assert_eq!(batch.sorted().len(), 3 + 3 + 1);
        let keys: Vec<RollupKey> = batch.sorted().iter().map(|(k, _)| **k).collect();
        let mut in_order = keys.clone();
        in_order.sort();
        assert_eq!(keys, in_order);
    }
}
