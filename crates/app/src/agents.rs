//! Remote agents: admission, the organization's list and settings, and
//! what an admitted agent may do (pull its assignments, push results,
//! send heartbeats).
//!
//! Admission is two-layered. The agent presents its UUID and the shared
//! secret; the organization is the one whose secret hashes to it (keyed
//! hash, [`crate::tokens`]). A wrong secret is refused with nothing
//! stored: it is only counted (`pharos_agent_admission_failures_total`)
//! and rate-limited per client. With the right secret, an unknown UUID
//! becomes pending until an owner or admin approves it (or lists it in
//! the allowed UUIDs beforehand); an approved agent receives its own
//! token, stored hashed, looked up on every request and dropped at once
//! when the agent is revoked or rejected.

use chrono::{DateTime, Duration, Utc};
use pharos_domain::agent::{
    parse_agent_uuid, parse_agent_version, AgentStatus, Location, LocationName, SharedSecret,
};
use pharos_domain::agent_wire::{
    AdmitRequest, AdmitResponse, Assignment, Assignments, BatchReceipt, Heartbeat, ResultBatch,
    MAX_BATCH, MAX_RESULT_AGE_SECONDS, SLOT_HORIZON_SECONDS,
};
use pharos_domain::ids::{AgentId, CheckId, TargetId};
use pharos_domain::quorum::Quorum;
use pharos_domain::schedule::next_slot;
use pharos_domain::{TargetCheck, ValidationError};
use pharos_storage::models::{
    Agent, AgentAdmission, AgentCheck, AgentIntroduction, AgentSettings, AgentSettingsChange,
    Check, TargetLocations,
};

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::App;

/// Agents waiting for approval one organization may have, so a leaked
/// secret cannot fill the list.
pub const MAX_PENDING: u32 = 100;
/// UUIDs one organization may allow beforehand.
pub const MAX_ALLOWED: usize = 1000;
/// How often agents are asked to send a heartbeat.
pub const HEARTBEAT_SECONDS: u32 = 5;
/// Slots handed out per target and pull, whatever its interval.
const MAX_SLOTS_PER_TARGET: usize = 120;
/// How far an agent's clock may run ahead of the server's.
const CLOCK_SKEW_SECONDS: i64 = 30;
/// The most of an error message kept from an agent.
const MAX_ERROR_CHARS: usize = 500;
/// Pushes storing at once, server-wide (`App::agent_pushes`). Without a
/// bound every agent's push queued for the one SQLite writer (or
/// PostgreSQL's row locks): with 50 agents at 1,667 checks/s a push
/// waited 20 s at the median, and heartbeats, which need the writer too,
/// as long. A few at once keep the writer busy; the rest are told to come
/// back shortly, with their results kept at the agent.
pub const CONCURRENT_PUSHES: usize = 4;
/// How long a push waits for its turn before it is told to come back.
const PUSH_TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// A turn to store a push, or `RateLimited` (429 with `Retry-After`,
/// which an agent waits out without counting it a failure) when none
/// comes within `wait`.
async fn take_push_turn(
    gate: &tokio::sync::Semaphore,
    wait: std::time::Duration,
) -> AppResult<tokio::sync::SemaphorePermit<'_>> {
    match tokio::time::timeout(wait, gate.acquire()).await {
        Ok(Ok(turn)) => Ok(turn),
        _ => {
            metrics::counter!("pharos_agent_pushes_deferred_total").increment(1);
            Err(AppError::RateLimited {
                retry_after_secs: 1,
            })
        }
    }
}

/// An admitted agent, as its token proved.
#[derive(Debug, Clone)]
pub struct AgentActor {
    pub agent: Agent,
}

/// An agent with the targets it checks, for the settings page and API.
#[derive(Debug, Clone)]
pub struct AgentView {
    pub agent: Agent,
    pub target_ids: Vec<TargetId>,
}

fn token_hash(app: &App, token: &str) -> Vec<u8> {
    app.tokens.hash(token)
}

/// A new agent token: `pha_` and 32 random bytes.
fn new_agent_token() -> String {
    format!("pha_{}", crate::tokens::new_token(32))
}

/// Admits (or queues) an agent. `client` is the caller's address, for
/// the rate limit.
pub async fn admit(app: &App, client: &str, request: &AdmitRequest) -> AppResult<AdmitResponse> {
    app.limits.agent_admission(client)?;
    let refused = || {
        metrics::counter!("pharos_agent_admission_failures_total").increment(1);
        tracing::warn!(client, "agent admission refused: wrong shared secret");
        AppError::Unauthenticated
    };
    let secret = SharedSecret::parse(&request.secret).map_err(|_| refused())?;
    let org = app
        .store
        .organization_by_agent_secret(&token_hash(app, secret.expose()))
        .await?
        .ok_or_else(refused)?;
    let name = LocationName::parse(&request.name)?;
    let version = parse_agent_version(&request.version)?;
    let token = new_agent_token();
    let intro = AgentIntroduction {
        uuid: request.uuid,
        name: name.as_str(),
        version: &version,
        now: Utc::now(),
    };
    match app
        .store
        .admit_agent(org, intro, &token_hash(app, &token), MAX_PENDING)
        .await?
    {
        AgentAdmission::Admitted(agent_id) => Ok(AdmitResponse::Admitted { agent_id, token }),
        AgentAdmission::Pending => Ok(AdmitResponse::Pending),
        AgentAdmission::Refused => Err(AppError::Forbidden(
            "this agent was rejected or revoked: an admin can approve it again",
        )),
        AgentAdmission::PendingListFull => Err(AppError::Conflict(
            "the organization has 100 agents waiting for approval: approve or reject some first",
        )),
    }
}

/// The agent an `Authorization: Bearer pha_...` token stands for, read
/// on every request (a revoked token is refused at its next use).
pub async fn authenticate(app: &App, token: &str) -> AppResult<AgentActor> {
    if !token.starts_with("pha_") || token.len() > 100 {
        return Err(AppError::Unauthenticated);
    }
    let agent = app
        .store
        .agent_by_token(&token_hash(app, token))
        .await?
        .ok_or(AppError::Unauthenticated)?;
    app.limits.agent_request(agent.id.0)?;
    Ok(AgentActor { agent })
}

/// The slots of a target's grid from `now` to the horizon.
fn slots_ahead(id: TargetId, interval_seconds: u32, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let horizon = now + Duration::seconds(SLOT_HORIZON_SECONDS);
    let mut slots = Vec::new();
    let mut slot = next_slot(id, interval_seconds, now - Duration::milliseconds(1));
    while slot <= horizon && slots.len() < MAX_SLOTS_PER_TARGET {
        slots.push(slot);
        slot = next_slot(id, interval_seconds, slot);
    }
    slots
}

/// `slot` is on the target's grid.
fn on_grid(id: TargetId, interval_seconds: u32, slot: DateTime<Utc>) -> bool {
    next_slot(id, interval_seconds, slot - Duration::milliseconds(1)) == slot
}

/// The checks assigned to the agent, with the slots handed to it.
pub async fn assignments(app: &App, agent: &AgentActor) -> AppResult<Assignments> {
    let now = Utc::now();
    let targets = app
        .store
        .agent_assignments(agent.agent.organization_id, agent.agent.id)
        .await?;
    let assignments = targets
        .into_iter()
        .filter_map(|t| match t.check {
            TargetCheck::Probe(spec) => Some(Assignment {
                target_id: t.id,
                slots: slots_ahead(t.id, t.interval_seconds, now),
                spec,
                timeout_seconds: t.timeout_seconds,
                interval_seconds: t.interval_seconds,
            }),
            TargetCheck::Heartbeat => None,
        })
        .collect();
    Ok(Assignments {
        assignments,
        heartbeat_seconds: HEARTBEAT_SECONDS,
    })
}

/// Stores a batch of results: each only for a slot handed to this agent
/// (an assigned target, on its grid, not in the future, not older than
/// a day), each once per slot.
pub async fn push_results(
    app: &App,
    agent: &AgentActor,
    batch: ResultBatch,
) -> AppResult<BatchReceipt> {
    if batch.results.len() > MAX_BATCH {
        return Err(ValidationError::new("results", format!("at most {MAX_BATCH} a batch")).into());
    }
    let _turn = take_push_turn(&app.agent_pushes, PUSH_TURN_WAIT).await?;
    if batch.dropped > 0 {
        metrics::counter!("pharos_agent_results_dropped_total").increment(batch.dropped);
    }
    let now = Utc::now();
    let org = agent.agent.organization_id;
    // Only the batch's targets: reading all of an agent's assignments on
    // every push cost more than storing the results (`pharos bench agents`).
    let batch_targets: Vec<TargetId> = batch.results.iter().map(|r| r.target_id).collect();
    let handed_out = app
        .store
        .agent_target_intervals(org, agent.agent.id, &batch_targets)
        .await?;
    let intervals: std::collections::HashMap<TargetId, u32> = handed_out
        .iter()
        .map(|(target, interval, _)| (*target, *interval))
        .collect();
    // An agent's result is held by a maintenance window like the server's
    // own check of the same moment: its target's organization's windows
    // (a public location checks several organizations' targets).
    let organization_of: std::collections::HashMap<TargetId, _> = handed_out
        .iter()
        .map(|(target, _, target_org)| (*target, *target_org))
        .collect();
    let mut organizations: Vec<_> = organization_of.values().copied().collect();
    organizations.sort_by_key(|o| o.0);
    organizations.dedup();
    let mut windows = std::collections::HashMap::new();
    for target_org in organizations {
        windows.insert(target_org, app.store.maintenance_windows(target_org).await?);
    }
    let mut receipt = BatchReceipt::default();
    let mut checks = Vec::with_capacity(batch.results.len());
    let skew = Duration::seconds(CLOCK_SKEW_SECONDS);
    for result in batch.results {
        let handed = intervals.get(&result.target_id).is_some_and(|&interval| {
            on_grid(result.target_id, interval, result.slot)
                && result.slot <= now + skew
                && result.slot >= now - Duration::seconds(MAX_RESULT_AGE_SECONDS)
        });
        if !handed {
            receipt.refused += 1;
            continue;
        }
        let mut outcome = result.outcome;
        // The agent's clock is trusted within the skew: the check is
        // dated no later than now.
        outcome.started_at = outcome.started_at.clamp(result.slot - skew, now);
        if let Some(failure) = outcome.failure.as_mut() {
            if failure.message.chars().count() > MAX_ERROR_CHARS {
                failure.message = failure.message.chars().take(MAX_ERROR_CHARS).collect();
            }
        }
        let mut check = Check::from_outcome(result.target_id, &outcome);
        check.id = CheckId::new();
        check.location = Location::Agent(agent.agent.id);
        check.in_maintenance = organization_of
            .get(&result.target_id)
            .and_then(|org| windows.get(org))
            .is_some_and(|held| {
                held.iter()
                    .any(|w| w.covers(result.target_id, check.checked_at))
            });
        checks.push(AgentCheck {
            slot: result.slot,
            check,
            verdict: outcome.verdict,
        });
    }
    let written = app
        .store
        .record_agent_checks(
            org,
            agent.agent.id,
            &checks,
            app.settings.agent_confirmation,
        )
        .await?;
    receipt.stored = written.stored;
    receipt.duplicates = written.duplicates;
    receipt.refused += written.refused;
    metrics::counter!("pharos_agent_results_total", "outcome" => "stored")
        .increment(u64::from(receipt.stored));
    metrics::counter!("pharos_agent_results_total", "outcome" => "duplicate")
        .increment(u64::from(receipt.duplicates));
    metrics::counter!("pharos_agent_results_total", "outcome" => "refused")
        .increment(u64::from(receipt.refused));
    Ok(receipt)
}

/// Records the agent's sign of life.
pub async fn heartbeat(app: &App, agent: &AgentActor, beat: &Heartbeat) -> AppResult<()> {
    let version = parse_agent_version(&beat.version)?;
    let back = app
        .store
        .touch_agent(agent.agent.id, Some(&version), Utc::now())
        .await?;
    if back {
        tracing::info!(agent = %agent.agent.id, "agent back online");
    }
    Ok(())
}

/// Marks agents silent for longer than `silence` offline; returns them.
pub async fn sweep_offline(app: &App, silence: std::time::Duration) -> AppResult<Vec<Agent>> {
    let now = Utc::now();
    let silence = Duration::from_std(silence).unwrap_or(Duration::seconds(60));
    let gone = app.store.mark_silent_agents(now - silence, now).await?;
    for agent in &gone {
        metrics::counter!("pharos_agents_offline_total").increment(1);
        tracing::warn!(agent = %agent.id, name = %agent.name, "agent offline");
    }
    Ok(gone)
}

// ---- the organization's side: owners and admins ----

const MANAGERS_ONLY: &str = "only owners and admins can manage agents";

/// Every agent of the organization but the pending ones, with its targets.
pub async fn list(app: &App, actor: &Actor) -> AppResult<Vec<AgentView>> {
    actor.require_manager(MANAGERS_ONLY)?;
    let org = actor.organization;
    let agents = app.store.agents(org).await?;
    let pairs = app.store.organization_target_agents(org).await?;
    Ok(agents
        .into_iter()
        .filter(|a| a.status != AgentStatus::Pending)
        .map(|agent| AgentView {
            target_ids: pairs
                .iter()
                .filter(|(_, a)| *a == agent.id)
                .map(|(t, _)| *t)
                .collect(),
            agent,
        })
        .collect())
}

/// Agents that knew the secret and wait for approval.
pub async fn pending(app: &App, actor: &Actor) -> AppResult<Vec<Agent>> {
    actor.require_manager(MANAGERS_ONLY)?;
    let agents = app.store.agents(actor.organization).await?;
    Ok(agents
        .into_iter()
        .filter(|a| a.status == AgentStatus::Pending)
        .collect())
}

async fn set_status(
    app: &App,
    actor: &Actor,
    id: AgentId,
    status: AgentStatus,
) -> AppResult<Agent> {
    actor.require_manager(MANAGERS_ONLY)?;
    if !app
        .store
        .set_agent_status(actor.organization, id, status)
        .await?
    {
        return Err(AppError::NotFound);
    }
    app.store
        .agent(actor.organization, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Approves (or rejects) an agent; a rejected one loses its token at once.
pub async fn decide(app: &App, actor: &Actor, id: AgentId, approve: bool) -> AppResult<Agent> {
    let status = if approve {
        AgentStatus::Approved
    } else {
        AgentStatus::Rejected
    };
    set_status(app, actor, id, status).await
}

/// Revokes an agent: its token is refused at its next request, and it
/// cannot join again until approved again.
pub async fn revoke(app: &App, actor: &Actor, id: AgentId) -> AppResult<()> {
    set_status(app, actor, id, AgentStatus::Revoked)
        .await
        .map(|_| ())
}

async fn pending_by_uuid(app: &App, actor: &Actor, raw: &str) -> AppResult<Agent> {
    actor.require_manager(MANAGERS_ONLY)?;
    let uuid = parse_agent_uuid("uuid", raw).map_err(|_| AppError::NotFound)?;
    app.store
        .agent_by_uuid(actor.organization, uuid)
        .await?
        .filter(|a| a.status == AgentStatus::Pending)
        .ok_or(AppError::NotFound)
}

/// Approves a pending request by the agent's UUID: its next attempt is
/// admitted.
pub async fn approve_pending(app: &App, actor: &Actor, uuid: &str) -> AppResult<Agent> {
    let agent = pending_by_uuid(app, actor, uuid).await?;
    set_status(app, actor, agent.id, AgentStatus::Approved).await
}

/// Turns a pending request down: the agent is rejected (it does not come
/// back to the list on its next attempt; approving it later still works).
pub async fn reject_pending(app: &App, actor: &Actor, uuid: &str) -> AppResult<()> {
    let agent = pending_by_uuid(app, actor, uuid).await?;
    set_status(app, actor, agent.id, AgentStatus::Rejected)
        .await
        .map(|_| ())
}

/// The organization's agent settings (the secret only as "set or not").
pub async fn settings(app: &App, actor: &Actor) -> AppResult<AgentSettings> {
    actor.require_manager(MANAGERS_ONLY)?;
    Ok(app.store.agent_settings(actor.organization).await?)
}

/// Sets the allowed UUIDs and, when given, a new shared secret (agents
/// already admitted keep their tokens).
pub async fn set_settings(
    app: &App,
    actor: &Actor,
    secret: Option<&str>,
    allowed: &[String],
) -> AppResult<AgentSettings> {
    actor.require_manager(MANAGERS_ONLY)?;
    let secret = secret.map(SharedSecret::parse).transpose()?;
    if allowed.len() > MAX_ALLOWED {
        return Err(
            ValidationError::new("allowed_uuids", format!("at most {MAX_ALLOWED} UUIDs")).into(),
        );
    }
    let mut uuids = Vec::with_capacity(allowed.len());
    for (i, raw) in allowed.iter().enumerate() {
        let uuid = parse_agent_uuid("allowed_uuids", raw).map_err(|e| AppError::InvalidField {
            field: format!("allowed_uuids[{i}]"),
            message: format!("allowed_uuids[{i}]: {}", e.message),
        })?;
        uuids.push(uuid);
    }
    uuids.sort();
    uuids.dedup();
    let hash = secret.map(|s| token_hash(app, s.expose()));
    app.store
        .set_agent_settings(
            actor.organization,
            AgentSettingsChange {
                secret_hash: hash.as_deref(),
                allowed_uuids: &uuids,
                now: Utc::now(),
            },
        )
        .await?;
    Ok(app.store.agent_settings(actor.organization).await?)
}

/// Parsed `location_ids`: whether the server checks, and which agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locations {
    pub check_local: bool,
    pub agents: Vec<AgentId>,
}

impl Locations {
    /// The default: the server alone.
    pub fn local() -> Self {
        Self {
            check_local: true,
            agents: Vec::new(),
        }
    }

    /// Every location, `local` first.
    pub fn ids(&self) -> Vec<Location> {
        let mut ids = Vec::new();
        if self.check_local {
            ids.push(Location::Local);
        }
        ids.extend(self.agents.iter().map(|a| Location::Agent(*a)));
        ids
    }
}

/// Parses `location_ids` (each `"local"` or an agent id; at least one).
pub fn parse_locations(raw: &[String]) -> AppResult<Locations> {
    if raw.is_empty() {
        return Err(ValidationError::new("location_ids", "choose at least one location").into());
    }
    if raw.len() > 50 {
        return Err(ValidationError::new("location_ids", "at most 50 locations").into());
    }
    let mut locations = Locations {
        check_local: false,
        agents: Vec::new(),
    };
    for (i, item) in raw.iter().enumerate() {
        match Location::parse(item) {
            Some(Location::Local) => locations.check_local = true,
            Some(Location::Agent(id)) => locations.agents.push(id),
            None => {
                return Err(AppError::InvalidField {
                    field: format!("location_ids[{i}]"),
                    message: format!("location_ids[{i}]: must be \"local\" or an agent's id"),
                })
            }
        }
    }
    locations.agents.sort();
    locations.agents.dedup();
    Ok(locations)
}

/// Where a target is to be checked from, as the target body gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationChoice {
    pub locations: Locations,
    pub quorum: Quorum,
}

/// Reads `location_ids` and `quorum` out of a target body (both absent:
/// `None`, nothing changes). Every agent must be approved and the
/// organization's own or a public location; a heartbeat is only `local`.
pub async fn take_location_choice(
    app: &App,
    actor: &Actor,
    fields: &mut serde_json::Map<String, serde_json::Value>,
    heartbeat: bool,
) -> AppResult<Option<LocationChoice>> {
    let ids = fields.remove("location_ids").filter(|v| !v.is_null());
    let quorum = fields.remove("quorum").filter(|v| !v.is_null());
    if ids.is_none() && quorum.is_none() {
        return Ok(None);
    }
    let mut given: Vec<String> = Vec::new();
    let locations = match ids {
        None => Locations::local(),
        Some(raw) => {
            given = serde_json::from_value(raw).map_err(|_| {
                ValidationError::new("location_ids", "must be a list of \"local\" and agent ids")
            })?;
            parse_locations(&given)?
        }
    };
    let quorum = match quorum {
        None => Quorum::DEFAULT,
        Some(raw) => serde_json::from_value::<Quorum>(raw).map_err(|_| {
            ValidationError::new(
                "quorum",
                "must be \"any\", \"majority\", \"all\" or a number of locations (1 or more)",
            )
        })?,
    };
    if heartbeat && locations != Locations::local() {
        return Err(ValidationError::new(
            "location_ids",
            "a heartbeat is pinged, not checked from a location: only \"local\"",
        )
        .into());
    }
    quorum.check_against(locations.ids().len())?;
    if !locations.agents.is_empty() {
        let agents = self::locations(app, actor).await?;
        for id in &locations.agents {
            if !agents.iter().any(|a| a.id == *id) {
                // Named by its place in the list as sent.
                let i = given
                    .iter()
                    .position(|raw| Location::parse(raw) == Some(Location::Agent(*id)))
                    .unwrap_or(0);
                return Err(AppError::InvalidField {
                    field: format!("location_ids[{i}]"),
                    message: format!(
                        "location_ids[{i}]: no approved agent of this organization, \
                         nor public location, has this id"
                    ),
                });
            }
        }
    }
    Ok(Some(LocationChoice { locations, quorum }))
}

/// Stores where a target is checked from (validated by
/// [`take_location_choice`]).
pub async fn set_target_locations(
    app: &App,
    actor: &Actor,
    target: TargetId,
    choice: &LocationChoice,
) -> AppResult<()> {
    actor.require_editor()?;
    let done = app
        .store
        .set_target_locations(
            actor.organization,
            target,
            TargetLocations {
                check_local: choice.locations.check_local,
                agents: &choice.locations.agents,
                quorum: Some(choice.quorum),
            },
        )
        .await?;
    if done {
        Ok(())
    } else {
        Err(
            ValidationError::new("location_ids", "an agent was removed meanwhile; try again")
                .into(),
        )
    }
}

/// The locations a target may be checked from besides the server: the
/// organization's approved agents, then the instance's public locations
/// (everyone who edits targets chooses among them).
pub async fn locations(app: &App, actor: &Actor) -> AppResult<Vec<Agent>> {
    let (own, public) = tokio::try_join!(
        app.store.agents(actor.organization),
        app.store.public_agents(),
    )?;
    let mut all: Vec<Agent> = own
        .into_iter()
        .filter(|a| a.status == AgentStatus::Approved)
        .collect();
    all.extend(
        public
            .into_iter()
            .filter(|p| p.organization_id != actor.organization),
    );
    Ok(all)
}

/// The agents of the given targets (a page of them), for target views
/// (everyone who reads targets reads this).
pub async fn agent_map(
    app: &App,
    actor: &Actor,
    targets: &[TargetId],
) -> AppResult<std::collections::HashMap<TargetId, Vec<AgentId>>> {
    let mut map: std::collections::HashMap<TargetId, Vec<AgentId>> =
        std::collections::HashMap::new();
    for (target, agent) in app
        .store
        .agents_of_targets(actor.organization, targets)
        .await?
    {
        map.entry(target).or_default().push(agent);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_push_past_the_concurrent_ones_is_told_to_come_back() {
        let gate = tokio::sync::Semaphore::new(2);
        let wait = std::time::Duration::from_millis(50);
        let first = super::take_push_turn(&gate, wait).await.expect("a turn");
        let _second = super::take_push_turn(&gate, wait).await.expect("a turn");
        match super::take_push_turn(&gate, wait).await {
            Err(super::AppError::RateLimited { retry_after_secs }) => {
                assert_eq!(retry_after_secs, 1)
            }
            other => panic!(
                "expected to be told to come back, got {:?}",
                other.map(|_| ())
            ),
        }
        // A turn given back is taken by the next push.
        drop(first);
        assert!(super::take_push_turn(&gate, wait).await.is_ok());
    }

    use super::*;

    #[test]
    fn slots_are_on_the_grid_and_within_the_horizon() {
        let id = TargetId::new();
        let now = Utc::now();
        let slots = slots_ahead(id, 60, now);
        assert!(slots.len() == 2 || slots.len() == 3, "{slots:?}");
        for slot in &slots {
            assert!(on_grid(id, 60, *slot));
            assert!(*slot >= now - Duration::milliseconds(1));
        }
        assert!(!on_grid(id, 60, slots[0] + Duration::seconds(1)));
        assert!(slots_ahead(id, 1, now).len() <= MAX_SLOTS_PER_TARGET);
    }

    #[test]
    fn locations_parse_local_and_agent_ids_by_index() {
        let agent = AgentId::new();
        let parsed = parse_locations(&["local".to_owned(), agent.to_string()]).expect("valid");
        assert!(parsed.check_local);
        assert_eq!(parsed.agents, vec![agent]);
        match parse_locations(&["local".to_owned(), "paris".to_owned()]) {
            Err(AppError::InvalidField { field, .. }) => assert_eq!(field, "location_ids[1]"),
            other => panic!("{other:?}"),
        }
        assert!(parse_locations(&[]).is_err());
    }
}
