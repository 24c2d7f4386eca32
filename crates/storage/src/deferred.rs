//! What a batch of results writes at the end of its transaction, in a few
//! multi-row statements instead of several statements a check: the check
//! rows, the roll-up increments (added up per bucket first) and the
//! events. Nothing in the transaction reads them back before the end, so
//! writing them last changes no outcome; it takes a result's share of the
//! one SQLite writer from five statements to about one.

use std::collections::HashMap;

use pharos_domain::rollup::{Rollup, BUCKET_WIDTHS};
use uuid::Uuid;

use crate::events::PendingEvent;
use crate::models::Check;

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
