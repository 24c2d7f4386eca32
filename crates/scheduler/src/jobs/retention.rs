//! Keeps history small: raw checks for a while, roll-ups and events for
//! longer, old rows deleted in small batches so writers are never locked
//! out.

use chrono::Utc;
use pharos_domain::rollup::{DAY, HOUR, QUARTER_HOUR};
use pharos_storage::prelude::*;
use tokio_util::sync::CancellationToken;

/// How long history is kept.
#[derive(Debug, Clone)]
pub struct RetentionConfig {
    /// Days raw checks are kept.
    pub raw_days: u32,
    /// Days hourly and daily roll-ups, and events, are kept (at least 400).
    pub rollup_days: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            raw_days: 30,
            rollup_days: 400,
        }
    }
}

const BATCH: u32 = 2_000;

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

/// Deletes events older than the roll-ups' keep-time, the finished
/// notifications they made, and audit entries past 400 days; returns how
/// many rows.
pub async fn prune_events(
    store: &dyn Store,
    config: &RetentionConfig,
    shutdown: &CancellationToken,
) -> Result<u64, pharos_storage::StoreError> {
    let before = Utc::now() - chrono::Duration::days(i64::from(config.rollup_days));
    let mut total = 0;
    loop {
        let n = store.prune_events(before, BATCH).await?;
        total += n;
        if n < u64::from(BATCH) || shutdown.is_cancelled() {
            break;
        }
        tokio::task::yield_now().await;
    }
    loop {
        let n = store.prune_notifications(before, BATCH).await?;
        total += n;
        if n < u64::from(BATCH) || shutdown.is_cancelled() {
            break;
        }
        tokio::task::yield_now().await;
    }
    // The audit log keeps its own 400 days, whatever the roll-ups keep.
    let before = Utc::now() - chrono::Duration::days(pharos_domain::audit::AUDIT_RETENTION_DAYS);
    loop {
        let n = store.prune_audit_log(before, BATCH).await?;
        total += n;
        if n < u64::from(BATCH) || shutdown.is_cancelled() {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}
