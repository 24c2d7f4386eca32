//! A target seen from each of its locations: the server (`local`) and
//! every agent that checks it. Each location's own state (its confirmation
//! of failures, before the quorum combines them), its latest check, and
//! its last 24 hours in hourly roll-ups, so a page can show where a
//! target fails and split its latency by location.

use chrono::{DateTime, Duration, Utc};
use pharos_domain::agent::Location;
use pharos_domain::rollup::{bucket_start, Rollup};
use pharos_domain::status::TargetState;
use pharos_storage::models::{Check, RollupBucket, Target};

use crate::actor::Actor;
use crate::error::AppResult;
use crate::App;

/// How far back the per-location history reaches.
pub const HISTORY_HOURS: i64 = 24;
/// The most raw checks read for it (24 h of a 30 s target from 16
/// locations): the views are built from raw checks, which carry their
/// location, where the stored roll-ups are per target.
const MOST_CHECKS: u32 = 46_080;

/// One location's view of a target.
#[derive(Debug, Clone)]
pub struct LocationView {
    pub location: Location,
    /// `local` for the server, else the agent's location name.
    pub name: String,
    /// Its own view: up, degraded, down (after its own confirmation), or
    /// pending before its first check.
    pub state: TargetState,
    /// The agent is offline now (its view is not counted meanwhile).
    pub offline: bool,
    pub latest: Option<Check>,
    /// Hourly, oldest first, the last `HISTORY_HOURS` hours.
    pub hours: Vec<RollupBucket>,
}

/// The target's locations, `local` first, then its agents by name. Empty
/// for a target checked from the server alone (its page says it all).
pub async fn locations_of(
    app: &App,
    actor: &Actor,
    target: &Target,
) -> AppResult<Vec<LocationView>> {
    let id = crate::targets::own(actor, target)?;
    let org = actor.organization;
    let agent_ids: Vec<_> = app
        .store
        .agents_of_targets(org, &[id])
        .await?
        .into_iter()
        .map(|(_, agent)| agent)
        .collect();
    if agent_ids.is_empty() {
        return Ok(Vec::new());
    }
    let (mut agents, public, states, checks) = tokio::try_join!(
        app.store.agents(org),
        app.store.public_agents(),
        app.store.location_states(org, id),
        app.store.checks(org, id, None, MOST_CHECKS),
    )?;
    // The instance's public locations are named too.
    agents.extend(public.into_iter().filter(|p| p.organization_id != org));
    let now = Utc::now();
    let since = now - Duration::hours(HISTORY_HOURS);

    let mut views = Vec::new();
    if target.check_local {
        views.push((Location::Local, Location::LOCAL.to_owned(), false));
    }
    let mut named: Vec<(Location, String, bool)> = agents
        .iter()
        .filter(|a| agent_ids.contains(&a.id))
        .map(|a| {
            (
                Location::Agent(a.id),
                a.name.clone(),
                a.offline_since.is_some(),
            )
        })
        .collect();
    named.sort_by(|a, b| a.1.cmp(&b.1));
    views.extend(named);

    Ok(views
        .into_iter()
        .map(|(location, name, offline)| {
            let state = states
                .iter()
                .find(|s| s.location == location)
                .map_or(TargetState::Pending, |s| s.state);
            let mine: Vec<&Check> = checks.iter().filter(|c| c.location == location).collect();
            LocationView {
                location,
                name,
                state,
                offline,
                latest: mine.first().map(|c| (*c).clone()),
                hours: hourly(&mine, since, now),
            }
        })
        .collect())
}

/// Hourly roll-ups of `checks` from `since` to `now`, oldest first, an
/// empty one for an hour without checks.
fn hourly(checks: &[&Check], since: DateTime<Utc>, now: DateTime<Utc>) -> Vec<RollupBucket> {
    const HOUR: u32 = 3600;
    let first = bucket_start(since, HOUR) + Duration::hours(1);
    let mut hours = Vec::new();
    let mut start = first;
    while start <= now {
        hours.push(RollupBucket {
            start,
            rollup: Rollup::default(),
        });
        start += Duration::hours(1);
    }
    for c in checks {
        if c.checked_at < first {
            continue;
        }
        let index = ((c.checked_at - first).num_seconds() / i64::from(HOUR)) as usize;
        if let Some(hour) = hours.get_mut(index) {
            // As the stored roll-ups count them: a check a maintenance
            // window held counts as up, a failed check has no latency.
            hour.rollup.record(
                c.is_up || c.in_maintenance,
                c.degraded,
                c.latency_ms.filter(|_| c.is_up),
            );
        }
    }
    hours
}

#[cfg(test)]
mod tests {
    use super::*;
    use pharos_domain::ids::{AgentId, CheckId, TargetId};

    fn check(at: DateTime<Utc>, up: bool, latency: u32) -> Check {
        Check {
            id: CheckId::new(),
            target_id: TargetId::new(),
            checked_at: at,
            status_code: Some(200),
            latency_ms: Some(latency),
            is_up: up,
            degraded: false,
            error_class: None,
            error: None,
            timings: Default::default(),
            in_maintenance: false,
            location: Location::Agent(AgentId::new()),
        }
    }

    #[test]
    fn hours_count_each_check_once_and_only_answers_have_latency() {
        let now = Utc::now();
        let since = now - Duration::hours(HISTORY_HOURS);
        let checks = [
            check(now - Duration::minutes(5), true, 40),
            check(now - Duration::minutes(6), false, 10_000),
            check(now - Duration::hours(3), true, 80),
            // Before the window: not counted.
            check(now - Duration::hours(30), true, 5),
        ];
        let refs: Vec<&Check> = checks.iter().collect();
        let hours = hourly(&refs, since, now);
        assert!(hours.len() == 24 || hours.len() == 25, "{}", hours.len());
        assert!(hours.windows(2).all(|w| w[0].start < w[1].start));
        let total: u64 = hours.iter().map(|h| h.rollup.checks).sum();
        assert_eq!(total, 3);
        let up: u64 = hours.iter().map(|h| h.rollup.up).sum();
        assert_eq!(up, 2);
        let last = hours.last().expect("hours");
        assert!(last.start <= now);
        let timed: u64 = hours.iter().map(|h| h.rollup.latency_count).sum();
        assert_eq!(timed, 2, "the failed check's timeout is no latency");
    }
}
