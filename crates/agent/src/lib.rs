//! `pharos agent`: the same binary on another machine, checking the
//! targets its server assigns to it and reporting the results.
//!
//! It connects outbound only. On first start it makes a UUID (kept in its
//! data directory) and prints it; an admin approves that UUID on the
//! server (Settings > Agents), and the agent, knowing the organization's
//! shared secret, then receives its own token. It pulls its assignments,
//! runs each slot handed to it once with its own probes and SSRF policy
//! (private addresses allowed by default: watching a private network is
//! a reason to run an agent), keeps results in a bounded buffer on disk
//! (written at most once a second, and on shutdown) that survives
//! restarts and network cuts, and pushes them in batches.
//!
//! Depends on `pharos-domain` (the wire types, the schedule grid) and
//! `pharos-probes`, never on storage.

pub mod client;
pub mod identity;
pub mod state;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use pharos_domain::agent_wire::{
    AdmitRequest, AdmitResponse, Assignment, Heartbeat, ResultBatch, SlotResult, MAX_BATCH,
};
use pharos_domain::ids::TargetId;
use pharos_domain::schedule::next_slot;
use pharos_domain::AddressPolicy;
use pharos_probes::{ProbeSettings, Prober};
use stop::Shutdown;
use tokio::sync::{RwLock, Semaphore};
use url::Url;

use crate::client::{CallError, ServerClient};
use crate::state::AgentState;

/// How the agent runs.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The server's address (its agent endpoint is under `/agent/v1`).
    pub server: Url,
    pub secret: String,
    pub data_dir: PathBuf,
    /// The location's name shown on the server.
    pub name: String,
    /// Private and loopback addresses may be checked (the default).
    pub allow_private_targets: bool,
    /// Results kept while the server cannot be reached.
    pub buffer_limit: usize,
    /// Checks in flight at once.
    pub concurrency: usize,
    /// How often assignments are pulled.
    pub refresh: Duration,
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A small stand-in for a cancellation token (a watch channel), so the
/// agent needs no extra crate.
mod stop {
    #[derive(Clone)]
    pub struct Shutdown(pub tokio::sync::watch::Receiver<bool>);

    impl Shutdown {
        pub async fn wait(&mut self) {
            while !*self.0.borrow() {
                if self.0.changed().await.is_err() {
                    return;
                }
            }
        }

        pub fn is_set(&self) -> bool {
            *self.0.borrow()
        }
    }
}

/// The longest a change of the state waits to be written while the agent
/// runs (it is written once more on shutdown). Writing it costs in
/// proportion to the targets: once per slot, with 2,000 targets, it took
/// more CPU than the checks themselves (`pharos bench agents`).
const SAVE_EVERY: Duration = Duration::from_secs(1);

/// How long the pusher waits before its next push after a batch that was
/// not full (a full one means a backlog: the next goes at once). Results
/// then go in batches of what came in meanwhile, not one push each.
const PUSH_EVERY: Duration = Duration::from_millis(500);

struct Shared {
    config: AgentConfig,
    uuid: uuid::Uuid,
    client: ServerClient,
    token: RwLock<Option<String>>,
    state: Mutex<AgentState>,
    /// When the state was last written.
    saved_at: Mutex<std::time::Instant>,
    heartbeat_seconds: std::sync::atomic::AtomicU32,
}

impl Shared {
    fn with_state<T>(&self, f: impl FnOnce(&mut AgentState) -> T) -> T {
        let mut guard = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    fn save(&self) {
        if let Err(e) = self.with_state(AgentState::save) {
            tracing::error!(error = %e, "cannot save the agent's state");
        }
    }

    /// Saves the state unless it was saved less than `SAVE_EVERY` ago.
    fn save_soon(&self) {
        {
            let mut saved_at = self
                .saved_at
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if saved_at.elapsed() < SAVE_EVERY {
                return;
            }
            *saved_at = std::time::Instant::now();
        }
        self.save();
    }
}

/// The banner printed at start: who the agent is and what to do next.
pub fn banner(uuid: uuid::Uuid, server: &Url, new: bool) -> String {
    let made = if new { " (made now)" } else { "" };
    format!(
        "\n  Pharos agent {VERSION}\n  UUID: {uuid}{made}\n  Server: {server}\n\n  \
         Next: in Pharos, open Settings > Agents and approve this UUID under\n  \
         \"Pending requests\" (or add it to the allowed UUIDs beforehand).\n  \
         The agent keeps trying and starts checking once approved.\n"
    )
}

/// Runs the agent until `shutdown` is set to `true`.
pub async fn run(
    config: AgentConfig,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let (uuid, new) = identity::load_or_create(&config.data_dir)?;
    println!("{}", banner(uuid, &config.server, new));
    let state = AgentState::open(&config.data_dir, config.buffer_limit)?;
    let policy = if config.allow_private_targets {
        AddressPolicy::allow_all()
    } else {
        AddressPolicy::strict()
    };
    let prober = Prober::new(ProbeSettings::with_policy(policy))?;
    let shared = Arc::new(Shared {
        client: ServerClient::new(config.server.clone())?,
        config,
        uuid,
        token: RwLock::new(None),
        state: Mutex::new(state),
        saved_at: Mutex::new(std::time::Instant::now()),
        heartbeat_seconds: std::sync::atomic::AtomicU32::new(5),
    });
    let shutdown = Shutdown(shutdown);
    let (latest, assignments) = tokio::sync::watch::channel(Vec::new());
    let tasks = [
        tokio::spawn(pull(shared.clone(), latest, shutdown.clone())),
        tokio::spawn(schedule(
            shared.clone(),
            prober,
            assignments,
            shutdown.clone(),
        )),
        tokio::spawn(push(shared.clone(), shutdown.clone())),
        tokio::spawn(heartbeat(shared.clone(), shutdown.clone())),
    ];
    for task in tasks {
        let _ = task.await;
    }
    shared.save();
    Ok(())
}

/// The agent's token, admitting it first when it has none. `None` on
/// shutdown.
async fn token(shared: &Shared, shutdown: &Shutdown) -> Option<String> {
    if let Some(token) = shared.token.read().await.clone() {
        return Some(token);
    }
    let mut token = shared.token.write().await;
    if let Some(t) = token.clone() {
        return Some(t);
    }
    let request = AdmitRequest {
        uuid: shared.uuid,
        secret: shared.config.secret.clone(),
        name: shared.config.name.clone(),
        version: VERSION.to_owned(),
    };
    let mut told_pending = false;
    loop {
        if shutdown.is_set() {
            return None;
        }
        let wait = match shared.client.admit(&request).await {
            Ok(AdmitResponse::Admitted { agent_id, token: t }) => {
                tracing::info!(%agent_id, "admitted by the server");
                *token = Some(t.clone());
                return Some(t);
            }
            Ok(AdmitResponse::Pending) => {
                if !told_pending {
                    tracing::info!(uuid = %shared.uuid, "waiting for approval in Settings > Agents");
                    told_pending = true;
                }
                Duration::from_secs(3)
            }
            Err(CallError::RateLimited(wait)) => wait,
            Err(e @ (CallError::WrongSecret | CallError::Refused)) => {
                tracing::warn!(error = %e, "not admitted");
                Duration::from_secs(15)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot reach the server to be admitted");
                Duration::from_secs(3)
            }
        };
        let mut stop = shutdown.clone();
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = stop.wait() => return None,
        }
    }
}

/// Forgets a token the server no longer takes.
async fn drop_token(shared: &Shared, used: &str) {
    let mut token = shared.token.write().await;
    if token.as_deref() == Some(used) {
        *token = None;
    }
}

/// Pulls the agent's assignments every `refresh` and hands the latest to
/// `schedule` through `latest`. A task of its own: on a dead link a pull
/// waits for its timeouts (10 s to connect, 30 s in all), and the slots
/// must go on running meanwhile.
async fn pull(
    shared: Arc<Shared>,
    latest: tokio::sync::watch::Sender<Vec<Arc<Assignment>>>,
    mut shutdown: Shutdown,
) {
    loop {
        let Some(token) = token(&shared, &shutdown).await else {
            return;
        };
        let pulled = tokio::select! {
            () = shutdown.wait() => return,
            pulled = shared.client.assignments(&token) => pulled,
        };
        match pulled {
            Ok(list) => {
                shared.heartbeat_seconds.store(
                    list.heartbeat_seconds.max(1),
                    std::sync::atomic::Ordering::Relaxed,
                );
                latest.send_replace(list.assignments.into_iter().map(Arc::new).collect());
            }
            Err(CallError::Unauthorized) => drop_token(&shared, &token).await,
            Err(e) => {
                tracing::warn!(error = %e, "cannot pull assignments; going on with the last ones");
            }
        }
        // After the pull, not on a fixed beat: a pull that waited for its
        // timeout is not followed by a burst of them.
        tokio::select! {
            () = shutdown.wait() => return,
            () = tokio::time::sleep(shared.config.refresh) => {}
        }
    }
}

/// Runs each slot of the assignments `pull` hands over when its time
/// comes. Slots follow the server's grid (`pharos_domain::schedule`), so
/// they go on being run from the last assignments while the server cannot
/// be reached; nothing here waits on the network.
async fn schedule(
    shared: Arc<Shared>,
    prober: Prober,
    mut latest: tokio::sync::watch::Receiver<Vec<Arc<Assignment>>>,
    mut shutdown: Shutdown,
) {
    let permits = Arc::new(Semaphore::new(shared.config.concurrency.max(1)));
    let mut assigned: HashMap<TargetId, Arc<Assignment>> = HashMap::new();
    let mut next: HashMap<TargetId, DateTime<Utc>> = HashMap::new();
    let mut pulling = true;
    loop {
        let now = Utc::now();
        let soonest = next.values().min().copied();
        let sleep = soonest.map_or(Duration::from_secs(1), |at| {
            (at - now).to_std().unwrap_or(Duration::ZERO)
        });
        tokio::select! {
            () = shutdown.wait() => return,
            changed = latest.changed(), if pulling => {
                if changed.is_err() {
                    // The puller stopped (shutdown): keep the last ones.
                    pulling = false;
                    continue;
                }
                let now = Utc::now();
                let fresh: HashMap<TargetId, Arc<Assignment>> = latest
                    .borrow_and_update()
                    .iter()
                    .map(|a| (a.target_id, a.clone()))
                    .collect();
                next.retain(|id, _| fresh.contains_key(id));
                for (id, a) in &fresh {
                    let changed = assigned.get(id).is_none_or(|old| old.interval_seconds != a.interval_seconds);
                    if changed {
                        let first = a.slots.first().copied()
                            .unwrap_or_else(|| next_slot(*id, a.interval_seconds, now));
                        next.insert(*id, first);
                    }
                }
                let keep: HashSet<TargetId> = fresh.keys().copied().collect();
                shared.with_state(|s| s.retain_targets(&keep));
                assigned = fresh;
            }
            () = tokio::time::sleep(sleep) => {
                let now = Utc::now();
                let due: Vec<(TargetId, DateTime<Utc>)> =
                    next.iter().filter(|(_, at)| **at <= now).map(|(id, at)| (*id, *at)).collect();
                for (id, slot) in due {
                    let Some(assignment) = assigned.get(&id).cloned() else {
                        next.remove(&id);
                        continue;
                    };
                    // The next slot on the grid after now: a slot missed
                    // (the agent was stopped) is skipped, never caught up.
                    next.insert(id, next_slot(id, assignment.interval_seconds, slot.max(now)));
                    if !shared.with_state(|s| s.claim_slot(id, slot)) {
                        continue;
                    }
                    let Ok(permit) = permits.clone().acquire_owned().await else { return };
                    let prober = prober.clone();
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        let timeout = Duration::from_secs(u64::from(assignment.timeout_seconds));
                        let outcome = prober.run(&assignment.spec, timeout).await;
                        drop(permit);
                        shared.with_state(|s| s.push(SlotResult { target_id: id, slot, outcome }));
                    });
                }
                shared.save_soon();
            }
        }
    }
}

/// Pushes buffered results, oldest first, in batches; keeps them while
/// the server is away.
async fn push(shared: Arc<Shared>, mut shutdown: Shutdown) {
    let mut backoff = Duration::from_millis(500);
    loop {
        let (batch, dropped) = shared.with_state(|s| (s.peek(MAX_BATCH), s.dropped()));
        let wait = if batch.is_empty() {
            shared.save_soon();
            PUSH_EVERY
        } else {
            let Some(token) = token(&shared, &shutdown).await else {
                return;
            };
            let sent = batch.len();
            let body = ResultBatch {
                results: batch,
                dropped,
            };
            match shared.client.push(&token, &body).await {
                Ok(receipt) => {
                    tracing::debug!(?receipt, "results delivered");
                    shared.with_state(|s| s.acknowledge(sent, dropped));
                    shared.save_soon();
                    backoff = Duration::from_millis(500);
                    if sent == MAX_BATCH {
                        Duration::ZERO
                    } else {
                        PUSH_EVERY
                    }
                }
                Err(CallError::Unauthorized) => {
                    drop_token(&shared, &token).await;
                    Duration::ZERO
                }
                Err(CallError::RateLimited(wait)) => wait,
                Err(e) => {
                    tracing::warn!(error = %e, buffered = sent, "cannot deliver results; keeping them");
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    backoff
                }
            }
        };
        tokio::select! {
            () = shutdown.wait() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Tells the server the agent is alive, every few seconds.
async fn heartbeat(shared: Arc<Shared>, mut shutdown: Shutdown) {
    loop {
        let every = shared
            .heartbeat_seconds
            .load(std::sync::atomic::Ordering::Relaxed);
        tokio::select! {
            () = shutdown.wait() => return,
            () = tokio::time::sleep(Duration::from_secs(u64::from(every))) => {}
        }
        let Some(token) = token(&shared, &shutdown).await else {
            return;
        };
        let beat = Heartbeat {
            version: VERSION.to_owned(),
            buffered: shared.with_state(|s| s.buffered() as u64),
        };
        match shared.client.heartbeat(&token, &beat).await {
            Ok(()) => {}
            Err(CallError::Unauthorized) => drop_token(&shared, &token).await,
            Err(e) => tracing::debug!(error = %e, "heartbeat not delivered"),
        }
    }
}
