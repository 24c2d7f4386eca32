//! Writes check results in batches, so a slow database never stalls the
//! probes: they hand results over and go on. While the database is away,
//! results wait in a bounded buffer and are written when it returns; past
//! the bound the oldest are dropped and counted.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use pharos_storage::models::CheckRecord;
use pharos_storage::prelude::*;
use tokio::sync::mpsc;

/// Most results written in one transaction.
const BATCH: usize = 256;
/// Longest a result waits for its batch to fill.
const LINGER: Duration = Duration::from_millis(100);

/// Drains `results` until every sender is gone and the buffer is written
/// (or, once senders are gone, until `give_up_after` of failed writes).
pub async fn run_writer(
    store: Arc<dyn Store>,
    mut results: mpsc::Receiver<CheckRecord>,
    buffer_limit: usize,
    give_up_after: Duration,
) {
    let mut pending: VecDeque<CheckRecord> = VecDeque::new();
    let mut backoff = Duration::from_millis(100);
    let mut open = true;
    let mut failing_since: Option<tokio::time::Instant> = None;
    loop {
        if pending.is_empty() {
            if !open {
                return;
            }
            match results.recv().await {
                Some(record) => pending.push_back(record),
                None => return,
            }
        }
        // Gather what arrives while the batch lingers.
        let deadline = tokio::time::Instant::now() + LINGER;
        while open && pending.len() < BATCH {
            match tokio::time::timeout_at(deadline, results.recv()).await {
                Ok(Some(record)) => push_bounded(&mut pending, record, buffer_limit),
                Ok(None) => open = false,
                Err(_) => break,
            }
        }
        let take = pending.len().min(BATCH);
        let batch: Vec<CheckRecord> = pending.range(..take).cloned().collect();
        match store.record_checks(&batch).await {
            Ok(written) => {
                pending.drain(..take);
                let stale = batch.len() as u64 - written;
                if stale > 0 {
                    metrics::counter!("pharos_work_dropped_total", "reason" => "lease_taken_over")
                        .increment(stale);
                }
                metrics::counter!("pharos_results_written_total").increment(written);
                backoff = Duration::from_millis(100);
                failing_since = None;
            }
            Err(e) => {
                tracing::warn!(error = %e, buffered = pending.len(), retry_in = ?backoff, "could not write check results");
                let since = *failing_since.get_or_insert_with(tokio::time::Instant::now);
                if !open && since.elapsed() > give_up_after {
                    let lost = pending.len() as u64;
                    tracing::error!(lost, "stopping with unwritten results");
                    metrics::counter!("pharos_work_dropped_total", "reason" => "shutdown_unwritten").increment(lost);
                    return;
                }
                // Keep receiving while waiting, so probes never block on us.
                let wait = tokio::time::sleep(backoff);
                tokio::pin!(wait);
                loop {
                    tokio::select! {
                        () = &mut wait => break,
                        received = results.recv(), if open => match received {
                            Some(record) => push_bounded(&mut pending, record, buffer_limit),
                            None => open = false,
                        },
                    }
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
        metrics::gauge!("pharos_results_buffered").set(pending.len() as f64);
    }
}

fn push_bounded(pending: &mut VecDeque<CheckRecord>, record: CheckRecord, limit: usize) {
    if pending.len() >= limit.max(1) {
        pending.pop_front();
        metrics::counter!("pharos_work_dropped_total", "reason" => "result_buffer_full")
            .increment(1);
    }
    pending.push_back(record);
}
