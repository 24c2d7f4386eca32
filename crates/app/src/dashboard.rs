//! What the dashboard pages show beyond one target: every target of the
//! organization with its newest check and its last 24 h from the hourly
//! roll-ups. Built on the same store calls as the API, scoped to the
//! caller's organization.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use pharos_domain::ids::TargetId;
use pharos_domain::rollup::{Rollup, HOUR};
use pharos_domain::status::TargetState;
use pharos_storage::models::{RollupBucket, TargetSummary};

use crate::actor::Actor;
use crate::error::AppResult;
use crate::App;

/// Checks that fell into one slice of time, as charts draw them.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub total: u64,
    pub up: u64,
    pub degraded: u64,
    pub p50_ms: Option<u32>,
    pub p95_ms: Option<u32>,
}

impl Bucket {
    pub fn from_rollup(bucket: &RollupBucket, width: Duration) -> Self {
        let r = &bucket.rollup;
        let ms = |q: f64| {
            r.latency_quantile(q)
                .map(|v| v.round().clamp(0.0, 4e9) as u32)
        };
        Self {
            start: bucket.start,
            end: bucket.start + width,
            total: r.checks,
            up: r.up,
            degraded: r.degraded,
            p50_ms: ms(0.5),
            p95_ms: ms(0.95),
        }
    }

    /// Share of checks that were up, in percent; `None` with no checks.
    pub fn uptime(&self) -> Option<f64> {
        (self.total > 0).then(|| self.up as f64 * 100.0 / self.total as f64)
    }

    /// The worst thing that happened in the bucket; `None` without checks.
    pub fn state(&self) -> Option<TargetState> {
        if self.total == 0 {
            None
        } else if self.up < self.total {
            Some(TargetState::Down)
        } else if self.degraded > 0 {
            Some(TargetState::Degraded)
        } else {
            Some(TargetState::Up)
        }
    }
}

/// Uptime over all `buckets`, in percent; `None` with no checks at all.
pub fn uptime_of(buckets: &[Bucket]) -> Option<f64> {
    let total: u64 = buckets.iter().map(|b| b.total).sum();
    let up: u64 = buckets.iter().map(|b| b.up).sum();
    (total > 0).then(|| up as f64 * 100.0 / total as f64)
}

/// Roll-up buckets as chart buckets of `width`, oldest first.
pub fn buckets(history: &[RollupBucket], width: Duration) -> Vec<Bucket> {
    history
        .iter()
        .map(|b| Bucket::from_rollup(b, width))
        .collect()
}

/// The start of the current hour: the last of the dashboard's slots.
fn current_hour(now: DateTime<Utc>) -> DateTime<Utc> {
    let hour = i64::from(HOUR);
    DateTime::from_timestamp(now.timestamp().div_euclid(hour) * hour, 0).unwrap_or(now)
}

/// The start of the first of `count` hourly slots ending with the current
/// hour: where the roll-ups to read begin.
fn first_slot(now: DateTime<Utc>, count: i64) -> DateTime<Utc> {
    current_hour(now) - Duration::hours(count - 1)
}

/// Lays stored roll-ups (of any width up to an hour) onto `count` fixed
/// hourly slots ending with the current hour, so every strip has the same
/// shape.
fn hourly_slots(stored: &[RollupBucket], now: DateTime<Utc>, count: i64) -> Vec<Bucket> {
    let width = Duration::seconds(i64::from(HOUR));
    let first = first_slot(now, count);
    let mut sums = vec![Rollup::default(); usize::try_from(count).unwrap_or(0)];
    for b in stored {
        let slot = (b.start - first).num_seconds().div_euclid(i64::from(HOUR));
        if let Some(sum) = usize::try_from(slot).ok().and_then(|i| sums.get_mut(i)) {
            sum.add(&b.rollup);
        }
    }
    sums.into_iter()
        .enumerate()
        .map(|(i, rollup)| {
            let start = first + width * i32::try_from(i).unwrap_or(0);
            Bucket::from_rollup(&RollupBucket { start, rollup }, width)
        })
        .collect()
}

/// The organization's targets with their newest check and their last
/// 24 h in hourly buckets, in the store's order.
pub struct Overview {
    pub rows: Vec<OverviewRow>,
    pub now: DateTime<Utc>,
}

pub struct OverviewRow {
    pub target: TargetSummary,
    pub day: Vec<Bucket>,
}

/// How many hourly slots a dashboard row's strip shows.
const DAY_HOURS: i64 = 24;

pub async fn overview(app: &App, actor: &Actor) -> AppResult<Overview> {
    let now = Utc::now();
    let since = first_slot(now, DAY_HOURS);
    // Two reads, side by side: the targets with their newest checks, and
    // every target's strip counts (one row per target, not per bucket).
    let (targets, counts) = tokio::try_join!(
        app.store.target_summaries(actor.organization),
        app.store
            .organization_rollup_counts(actor.organization, HOUR, since),
    )?;
    let mut by_target: HashMap<TargetId, Vec<RollupBucket>> = HashMap::with_capacity(targets.len());
    for (id, bucket) in counts {
        by_target.entry(id).or_default().push(bucket);
    }
    let rows = targets
        .into_iter()
        .map(|target| {
            let day = by_target.remove(&target.id).unwrap_or_default();
            OverviewRow {
                day: hourly_slots(&day, now, DAY_HOURS),
                target,
            }
        })
        .collect();
    Ok(Overview { rows, now })
}

/// Every target of the actor's organization as a dashboard row shows it
/// (the live updates read this every tick).
pub async fn summaries(app: &App, actor: &Actor) -> AppResult<Vec<TargetSummary>> {
    Ok(app.store.target_summaries(actor.organization).await?)
}

/// One target's last 24 h in the dashboard's hourly slots, for a row
/// refreshed live after its state changed.
pub async fn day_of(app: &App, actor: &Actor, target: TargetId) -> AppResult<Vec<Bucket>> {
    let now = Utc::now();
    let since = first_slot(now, DAY_HOURS);
    let stored = app
        .store
        .rollups(actor.organization, target, HOUR, since)
        .await?;
    Ok(hourly_slots(&stored, now, DAY_HOURS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rollup(checks: u64, up: u64) -> Rollup {
        Rollup {
            checks,
            up,
            ..Rollup::default()
        }
    }

    #[test]
    fn slots_cover_the_day_and_keep_failures_visible() {
        let now = Utc::now();
        let hour = Duration::hours(1);
        let this_hour =
            DateTime::from_timestamp(now.timestamp().div_euclid(3600) * 3600, 0).unwrap_or(now);
        let stored = vec![
            RollupBucket {
                start: this_hour - hour * 2,
                rollup: rollup(10, 10),
            },
            RollupBucket {
                start: this_hour,
                rollup: rollup(4, 3),
            },
        ];
        let slots = hourly_slots(&stored, now, 24);
        assert_eq!(slots.len(), 24);
        assert_eq!(slots[23].state(), Some(TargetState::Down));
        assert_eq!(slots[21].state(), Some(TargetState::Up));
        assert_eq!(slots[22].state(), None);
        let up = uptime_of(&slots).unwrap_or_default();
        assert!((up - 13.0 * 100.0 / 14.0).abs() < 1e-9);
    }
}
