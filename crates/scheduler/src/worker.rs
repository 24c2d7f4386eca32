//! One worker: claim, check, hand over the result, repeat.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use pharos_probes::{CheckSpec, HttpCheck, Prober};
use pharos_storage::models::{Check, CheckRecord, ClaimedTarget};
use pharos_storage::Store;
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::schedule::next_due_after;
use crate::writer::run_writer;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Names this worker's leases (host and process id by default).
    pub worker_id: String,
    /// Checks in flight at once.
    pub concurrency: usize,
    /// How long a claim is held before another worker may take it over.
    pub lease: Duration,
    /// How long to wait before asking again when nothing is due.
    pub idle_poll: Duration,
    /// How long in-flight checks may run on after shutdown is asked for.
    pub drain_timeout: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            worker_id: format!("worker-{}", std::process::id()),
            concurrency: 256,
            lease: Duration::from_secs(30),
            idle_poll: Duration::from_millis(500),
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// Runs until `shutdown` is cancelled; then stops claiming, lets in-flight
/// checks finish (up to `drain_timeout`) and writes every result.
pub async fn run_worker(
    store: Arc<dyn Store>,
    prober: Prober,
    config: WorkerConfig,
    shutdown: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(config.concurrency));
    let (results, inbox) = mpsc::channel::<CheckRecord>(config.concurrency * 4);
    let writer = tokio::spawn(run_writer(store.clone(), inbox));
    let lease = chrono::Duration::from_std(config.lease).unwrap_or(chrono::Duration::seconds(30));
    tracing::info!(worker = %config.worker_id, concurrency = config.concurrency, "worker started");

    while !shutdown.is_cancelled() {
        let free = permits.available_permits();
        if free == 0 {
            // Wait for a check to finish before claiming more.
            tokio::select! {
                permit = permits.clone().acquire_owned() => drop(permit),
                _ = shutdown.cancelled() => break,
            }
            continue;
        }
        let limit = u32::try_from(free).unwrap_or(u32::MAX);
        let claimed = match store
            .claim_due_targets(&config.worker_id, Utc::now(), lease, limit)
            .await
        {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(error = %e, "could not claim due targets");
                Vec::new()
            }
        };
        if claimed.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(config.idle_poll) => {}
                _ = shutdown.cancelled() => break,
            }
            continue;
        }
        for claim in claimed {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let prober = prober.clone();
            let results = results.clone();
            tokio::spawn(async move {
                let record = check(&prober, claim).await;
                // The writer outlives every sender, so this only fails at exit.
                let _ = results.send(record).await;
                drop(permit);
            });
        }
    }

    tracing::info!(worker = %config.worker_id, "worker stopping: draining in-flight checks");
    let total = u32::try_from(config.concurrency).unwrap_or(u32::MAX);
    if tokio::time::timeout(config.drain_timeout, permits.acquire_many(total))
        .await
        .is_err()
    {
        tracing::warn!("in-flight checks did not finish in time; their leases will expire");
    }
    drop(results);
    let _ = writer.await;
    tracing::info!(worker = %config.worker_id, "worker stopped");
}

async fn check(prober: &Prober, claim: ClaimedTarget) -> CheckRecord {
    let target = &claim.target;
    let spec = CheckSpec::Http(HttpCheck::get(target.url.clone()));
    let timeout = Duration::from_secs(u64::from(target.timeout_seconds));
    let outcome = prober.run(&spec, timeout).await;
    CheckRecord {
        check: Check::from_outcome(target.id, &outcome),
        lease_epoch: claim.lease_epoch,
        next_due_at: next_due_after(claim.due_at, target.interval_seconds, Utc::now()),
    }
}
