//! Keeps history small: raw checks for a while, roll-ups for longer, old
//! rows deleted in small batches so writers are never locked out.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use pharos_domain::rollup::{DAY, HOUR, QUARTER_HOUR};
use pharos_storage::Store;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct RetentionConfig {
    /// Days raw checks are kept.
    pub raw_days: u32,
    /// Days hourly and daily roll-ups are kept (at least 400).
    pub rollup_days: u32,
    /// Time between two clean-ups.
    pub every: Duration,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            raw_days: 30,
            rollup_days: 400,
            every: Duration::from_secs(300),
        }
    }
}

const BATCH: u32 = 2_000;

/// Deletes what is past its keep-time, every `every`, until cancelled.
/// Several workers may run it at once: deletes of the same rows are harmless.
pub async fn run_retention(
    store: Arc<dyn Store>,
    config: RetentionConfig,
    shutdown: CancellationToken,
) {
    loop {
        if let Err(e) = prune_once(&*store, &config, &shutdown).await {
            tracing::warn!(error = %e, "pruning old history failed; will retry");
        }
        tokio::select! {
            () = tokio::time::sleep(config.every) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

/// One clean-up pass; returns how many rows went.
pub async fn prune_once(
    store: &dyn Store,
    config: &RetentionConfig,
    shutdown: &CancellationToken,
) -> Result<u64, pharos_storage::StoreError> {
    let now = Utc::now();
    let raw_before = now - chrono::Duration::days(i64::from(config.raw_days));
    let rollups_before = now - chrono::Duration::days(i64::from(config.rollup_days));
    let mut total = 0;
    loop {
        let n = store.prune_checks(raw_before, BATCH).await?;
        total += n;
        if n < u64::from(BATCH) || shutdown.is_cancelled() {
            break;
        }
        // Let writers in between batches.
        tokio::task::yield_now().await;
    }
    // Quarter-hour buckets serve only the 24 h and 72 h views.
    for (width, before) in [
        (QUARTER_HOUR, raw_before),
        (HOUR, rollups_before),
        (DAY, rollups_before),
    ] {
        loop {
            let n = store.prune_rollups(width, before, BATCH).await?;
            total += n;
            if n < u64::from(BATCH) || shutdown.is_cancelled() {
                break;
            }
        }
    }
    if total > 0 {
        tracing::info!(rows = total, "pruned old history");
    }
    Ok(total)
}
