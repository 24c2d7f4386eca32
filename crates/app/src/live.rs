//! Live dashboard updates from one shared poller per organization.
//!
//! Every open dashboard (and target page) of an organization listens to
//! the same task, which reads the organization's targets once a tick and
//! publishes the result on a `tokio::sync::watch`; listeners work out
//! what changed for themselves, from memory. So the database sees one
//! read a tick per organization however many dashboards are open (issue
//! #14 measured one read per open dashboard per second before). The task
//! starts with its first listener and ends when the last one is gone.
//!
//! A target whose state changed also gets its last 24 h redrawn, read by
//! the poller too (at most `DAYS_PER_TICK` a tick, the rest the next
//! ticks), so a network outage costs a bounded number of reads.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use pharos_domain::ids::{OrganizationId, TargetId};
use pharos_storage::models::TargetSummary;
use tokio::sync::watch;

use crate::actor::Actor;
use crate::dashboard::{self, Bucket};
use crate::App;

/// How often a poller reads, by default.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
/// Day strips redrawn per tick at most.
const DAYS_PER_TICK: usize = 25;
/// A redrawn strip is kept this many ticks for listeners that missed it.
const DAY_KEPT_TICKS: u64 = 300;

/// What a poller published: every target of the organization as a
/// dashboard row shows it, and the strips redrawn after state changes.
#[derive(Debug, Default)]
pub struct LiveSnapshot {
    /// 1, 2, 3... per poller.
    pub seq: u64,
    pub taken_at: DateTime<Utc>,
    pub targets: HashMap<TargetId, TargetSummary>,
    /// A target's last 24 h, redrawn after its state changed, and the
    /// `seq` it was drawn at (listeners send it when it is newer than the
    /// one they sent).
    pub days: HashMap<TargetId, (u64, Arc<Vec<Bucket>>)>,
}

type Feed = watch::Receiver<Option<Arc<LiveSnapshot>>>;
/// Where a poller publishes (shared by the hub, to subscribe listeners).
type Publisher = Arc<watch::Sender<Option<Arc<LiveSnapshot>>>>;
type Pollers = HashMap<OrganizationId, Publisher>;

/// The running pollers, one per organization with listeners.
pub struct LiveHub {
    interval: Duration,
    pollers: Mutex<Pollers>,
    reads: AtomicU64,
}

impl LiveHub {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            pollers: Mutex::new(HashMap::new()),
            reads: AtomicU64::new(0),
        }
    }

    /// Database reads the pollers made since start (also exported as
    /// `pharos_live_reads_total`).
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// Organizations with a running poller.
    pub fn pollers(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pollers> {
        // A panic while holding this lock leaves the map itself intact.
        self.pollers.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn count_read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("pharos_live_reads_total").increment(1);
    }
}

impl Default for LiveHub {
    fn default() -> Self {
        Self::new(DEFAULT_INTERVAL)
    }
}

/// Listens to the actor's organization's poller, starting it if none
/// runs. The first value may still be `None` (nothing read yet).
pub fn subscribe(app: &App, actor: &Actor) -> Feed {
    let org = actor.organization;
    let mut pollers = app.live.lock();
    if let Some(sender) = pollers.get(&org) {
        return sender.subscribe();
    }
    let (sender, feed) = watch::channel(None);
    let sender = Arc::new(sender);
    pollers.insert(org, sender.clone());
    metrics::gauge!("pharos_live_pollers").set(pollers.len() as f64);
    drop(pollers);
    tokio::spawn(poll(app.clone(), org, sender));
    feed
}

async fn poll(app: App, org: OrganizationId, sender: Publisher) {
    let hub = app.live.clone();
    let mut seq = 0u64;
    let mut previous: HashMap<TargetId, TargetSummary> = HashMap::new();
    let mut days: HashMap<TargetId, (u64, Arc<Vec<Bucket>>)> = HashMap::new();
    let mut stale: HashSet<TargetId> = HashSet::new();
    loop {
        {
            // Under the hub's lock, so no one subscribes to a poller that
            // is about to end.
            let mut pollers = hub.lock();
            if sender.receiver_count() == 0 {
                pollers.remove(&org);
                metrics::gauge!("pharos_live_pollers").set(pollers.len() as f64);
                return;
            }
        }
        hub.count_read();
        match app.store.target_summaries(org).await {
            Ok(rows) => {
                seq += 1;
                let targets: HashMap<TargetId, TargetSummary> =
                    rows.into_iter().map(|t| (t.id, t)).collect();
                if seq > 1 {
                    for (id, now) in &targets {
                        if previous
                            .get(id)
                            .is_some_and(|before| before.shown_state() != now.shown_state())
                        {
                            stale.insert(*id);
                        }
                    }
                }
                stale.retain(|id| targets.contains_key(id));
                let redraw: Vec<TargetId> = stale.iter().take(DAYS_PER_TICK).copied().collect();
                for id in redraw {
                    hub.count_read();
                    match dashboard::day_of_target(&app, org, id).await {
                        Ok(day) => {
                            stale.remove(&id);
                            days.insert(id, (seq, Arc::new(day)));
                        }
                        Err(e) => tracing::warn!(error = %e, "live strip read failed"),
                    }
                }
                days.retain(|id, (at, _)| {
                    targets.contains_key(id) && seq.saturating_sub(*at) < DAY_KEPT_TICKS
                });
                previous = targets.clone();
                sender.send_replace(Some(Arc::new(LiveSnapshot {
                    seq,
                    taken_at: Utc::now(),
                    targets,
                    days: days.clone(),
                })));
            }
            Err(e) => tracing::warn!(error = %e, "live status read failed; retrying next tick"),
        }
        tokio::select! {
            () = tokio::time::sleep(hub.interval) => {}
            () = sender.closed() => {}
        }
    }
}
