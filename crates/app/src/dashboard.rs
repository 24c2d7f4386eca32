//! What the dashboard pages show beyond one target: every target of the
//! organization with its newest check and its last 24 h from the hourly
//! roll-ups. Built on the same store calls as the API, scoped to the
//! caller's organization.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use pharos_domain::ids::{GroupId, TagId};
use pharos_domain::ids::{OrganizationId, TargetId};
use pharos_domain::labels::{severity, worst_state};
use pharos_domain::rollup::{bucket_start, uptime_percent, Rollup, HOUR};
use pharos_domain::status::TargetState;
use pharos_storage::models::{
    DashboardSort, Group, RollupBucket, Tag, TargetFilter, TargetSummary,
};

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
        uptime_percent(self.up, self.total)
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
    uptime_percent(up, total)
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
    bucket_start(now, HOUR)
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

/// Rows a dashboard window shows.
pub const WINDOW_ROWS: u32 = 50;
/// Targets a folded-open group shows (the rest: its own filtered view).
pub const GROUP_HEAD_ROWS: u32 = 5;

/// One screenful of the dashboard: a window of the targets that pass the
/// filter, in the asked order, with everything around it, read in a
/// fixed number of queries whatever the organization's size (the window,
/// its strips and tags, one aggregate of counts per state, the groups
/// with their counts and first rows, the tags).
pub struct Window {
    pub rows: Vec<OverviewRow>,
    pub now: DateTime<Utc>,
    /// Targets passing the filter, by shown state (its `state` ignored).
    pub counts: Vec<(TargetState, u64)>,
    /// Targets passing the whole filter: what the pages are cut from.
    pub matching: u64,
    /// Page number (1-based) and rows a page.
    pub page: u32,
    pub per_page: u32,
    pub tags: Vec<Tag>,
    /// Each window row's and group head's tags.
    pub row_tags: HashMap<TargetId, Vec<TagId>>,
    /// Every group with its counts by state and first rows, worst group
    /// first; empty when the view is one group already.
    pub groups: Vec<GroupSummary>,
    /// Every group's name, for filters and rows.
    pub group_names: Vec<Group>,
}

pub struct GroupSummary {
    pub group: Group,
    pub counts: Vec<(TargetState, u64)>,
    pub worst: Option<TargetState>,
    pub total: u64,
    pub heads: Vec<TargetSummary>,
}

/// Reads a window of the dashboard. `page` past the end shows the last.
pub async fn window(
    app: &App,
    actor: &Actor,
    filter: &TargetFilter,
    sort: DashboardSort,
    page: u32,
) -> AppResult<Window> {
    let now = Utc::now();
    let org = actor.organization;
    let per_page = WINDOW_ROWS;
    let with_groups = filter.group.is_none();
    let (counts, tags, group_names) = tokio::try_join!(
        app.store.state_counts(org, filter),
        app.store.tags(org),
        app.store.groups(org),
    )?;
    let matching: u64 = counts
        .iter()
        .filter(|(s, _)| filter.state.is_none_or(|want| want == *s))
        .map(|(_, n)| n)
        .sum();
    let pages = u32::try_from(matching.div_ceil(u64::from(per_page)))
        .unwrap_or(u32::MAX)
        .max(1);
    let page = page.clamp(1, pages);
    let offset = (page - 1).saturating_mul(per_page);
    let group_ids: Vec<GroupId> = group_names.iter().map(|g| g.id).collect();
    let (targets, (group_counts, heads)) = tokio::try_join!(
        app.store
            .dashboard_window(org, filter, sort, offset, per_page),
        async {
            if with_groups && !group_names.is_empty() {
                tokio::try_join!(
                    app.store.group_state_counts(org),
                    app.store.group_heads(org, &group_ids, GROUP_HEAD_ROWS),
                )
            } else {
                Ok((Vec::new(), Vec::new()))
            }
        },
    )?;
    let ids: Vec<TargetId> = targets.iter().chain(heads.iter()).map(|t| t.id).collect();
    let window_ids: Vec<TargetId> = targets.iter().map(|t| t.id).collect();
    let since = first_slot(now, DAY_HOURS);
    let (strips, tag_pairs) = tokio::try_join!(
        app.store
            .rollup_counts_of_targets(org, &window_ids, HOUR, since),
        app.store.tags_of_targets(org, &ids),
    )?;
    let mut by_target: HashMap<TargetId, Vec<RollupBucket>> = HashMap::new();
    for (id, bucket) in strips {
        by_target.entry(id).or_default().push(bucket);
    }
    let rows = targets
        .into_iter()
        .map(|target| OverviewRow {
            day: hourly_slots(
                &by_target.remove(&target.id).unwrap_or_default(),
                now,
                DAY_HOURS,
            ),
            target,
        })
        .collect();
    let mut row_tags: HashMap<TargetId, Vec<TagId>> = HashMap::new();
    for (target, tag) in tag_pairs {
        row_tags.entry(target).or_default().push(tag);
    }
    let mut groups: Vec<GroupSummary> = group_names
        .iter()
        .filter(|_| with_groups)
        .map(|group| {
            let counts: Vec<(TargetState, u64)> = group_counts
                .iter()
                .filter(|(g, _, _)| *g == group.id)
                .map(|(_, s, n)| (*s, *n))
                .collect();
            GroupSummary {
                worst: worst_state(counts.iter().map(|(s, _)| *s)),
                total: counts.iter().map(|(_, n)| n).sum(),
                counts,
                heads: heads
                    .iter()
                    .filter(|t| t.group_id == Some(group.id))
                    .cloned()
                    .collect(),
                group: group.clone(),
            }
        })
        .collect();
    // Worst group first, then by name (already the store's order); empty
    // groups last.
    groups.sort_by_key(|g| g.worst.map_or(u8::MAX, severity));
    Ok(Window {
        rows,
        now,
        counts,
        matching,
        page,
        per_page,
        tags,
        row_tags,
        groups,
        group_names,
    })
}

/// How many of the organization's targets show each state (one
/// aggregate query; the dashboard's summary).
pub async fn state_counts(app: &App, actor: &Actor) -> AppResult<Vec<(TargetState, u64)>> {
    Ok(app
        .store
        .state_counts(actor.organization, &TargetFilter::default())
        .await?)
}

/// Every target of the actor's organization as a dashboard row shows it
/// (the live updates read this every tick).
pub async fn summaries(app: &App, actor: &Actor) -> AppResult<Vec<TargetSummary>> {
    Ok(app.store.target_summaries(actor.organization).await?)
}

/// One target's last 24 h in the dashboard's hourly slots, for a row
/// refreshed live after its state changed.
pub async fn day_of(app: &App, actor: &Actor, target: TargetId) -> AppResult<Vec<Bucket>> {
    day_of_target(app, actor.organization, target).await
}

/// `day_of` for the live poller, which serves a whole organization.
pub(crate) async fn day_of_target(
    app: &App,
    org: OrganizationId,
    target: TargetId,
) -> AppResult<Vec<Bucket>> {
    let now = Utc::now();
    let since = first_slot(now, DAY_HOURS);
    let stored = app.store.rollups(org, target, HOUR, since).await?;
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
