//! What a worker tells the instance's public status about itself: when it
//! last asked for due targets and when a claim last brought it work. The
//! claim loop notes both in memory (two atomics, no lock on its path); a
//! side task writes them every `presence_interval`, so the database sees
//! one small write per worker every few seconds rather than one per poll.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pharos_storage::models::WorkerPresence;
use pharos_storage::prelude::*;
use tokio_util::sync::CancellationToken;

/// A worker row not refreshed for this long is forgotten.
const FORGET_AFTER_DAYS: i64 = 7;

/// The claim loop's notes, shared with the task that writes them.
#[derive(Debug, Default)]
pub(crate) struct Presence {
    /// Microseconds since the epoch; 0: never.
    last_poll: AtomicI64,
    last_claim: AtomicI64,
}

impl Presence {
    pub(crate) fn polled(&self, at: DateTime<Utc>, claimed_any: bool) {
        let micros = at.timestamp_micros();
        self.last_poll.store(micros, Ordering::Relaxed);
        if claimed_any {
            self.last_claim.store(micros, Ordering::Relaxed);
        }
    }

    fn at(cell: &AtomicI64) -> Option<DateTime<Utc>> {
        match cell.load(Ordering::Relaxed) {
            0 => None,
            micros => DateTime::from_timestamp_micros(micros),
        }
    }

    fn snapshot(&self, worker_id: &str, started_at: DateTime<Utc>) -> WorkerPresence {
        WorkerPresence {
            worker_id: worker_id.to_owned(),
            started_at,
            last_seen_at: Self::at(&self.last_poll).unwrap_or(started_at),
            last_claim_at: Self::at(&self.last_claim),
        }
    }
}

/// Writes the worker's presence at once, then every `every` until
/// `shutdown`; a failed write is logged and tried at the next tick.
pub(crate) async fn keep_writing(
    store: Arc<dyn Store>,
    presence: Arc<Presence>,
    worker_id: String,
    every: Duration,
    shutdown: CancellationToken,
) {
    let started_at = Utc::now();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shutdown.cancelled() => return,
        }
        let row = presence.snapshot(&worker_id, started_at);
        let forget_before = Utc::now() - chrono::Duration::days(FORGET_AFTER_DAYS);
        if let Err(e) = store.record_worker_presence(&row, forget_before).await {
            tracing::warn!(error = %e, "could not record this worker's presence");
        }
    }
}
