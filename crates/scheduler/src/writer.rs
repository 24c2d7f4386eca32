//! Writes check results in batches, so a slow database never stalls the
//! probes: they hand results to a bounded channel and go on.

use std::sync::Arc;
use std::time::Duration;

use pharos_storage::models::CheckRecord;
use pharos_storage::Store;
use tokio::sync::mpsc;

/// Most results written in one transaction.
const BATCH: usize = 256;
/// Longest a result waits for its batch to fill.
const LINGER: Duration = Duration::from_millis(200);

/// Drains `results` until every sender is gone, writing in batches. A batch
/// that fails is retried with backoff; results keep queuing meanwhile.
pub async fn run_writer(store: Arc<dyn Store>, mut results: mpsc::Receiver<CheckRecord>) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let Some(first) = results.recv().await else {
            break;
        };
        batch.push(first);
        let deadline = tokio::time::Instant::now() + LINGER;
        while batch.len() < BATCH {
            match tokio::time::timeout_at(deadline, results.recv()).await {
                Ok(Some(record)) => batch.push(record),
                Ok(None) | Err(_) => break,
            }
        }
        write_with_retry(&*store, &mut batch).await;
    }
}

async fn write_with_retry(store: &dyn Store, batch: &mut Vec<CheckRecord>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match store.record_checks(batch).await {
            Ok(written) => {
                let stale = batch.len() as u64 - written;
                if stale > 0 {
                    tracing::warn!(stale, "dropped results whose lease had been taken over");
                }
                batch.clear();
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "could not write check results");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}
