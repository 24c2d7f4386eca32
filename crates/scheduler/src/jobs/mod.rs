//! Periodic jobs, once per cluster: retention, the session sweep and event
//! pruning. Every process that runs jobs wakes a few times per interval;
//! a job runs only under its cluster-wide lock (a PostgreSQL advisory
//! lock) and only if no process has finished it within the interval, so
//! with any number of replicas each job runs about once per interval and
//! never in two at once. Each run is recorded in `job_runs`.

mod retention;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use pharos_domain::job::Job;
use pharos_storage::models::JobRun;
use pharos_storage::prelude::*;
use pharos_storage::StoreError;
use tokio_util::sync::CancellationToken;

pub use retention::{prune_events, prune_once, RetentionConfig};

#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Names this process in `job_runs`.
    pub runner: String,
    /// The jobs this process may run (workers: retention and event
    /// pruning; web: the session sweep).
    pub jobs: Vec<Job>,
    /// How often each job runs, cluster-wide.
    pub every: Duration,
    pub retention: RetentionConfig,
    /// Sessions unused this long are swept.
    pub session_idle: Duration,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            runner: format!("pharos-{}", std::process::id()),
            jobs: Job::ALL.to_vec(),
            every: Duration::from_secs(300),
            retention: RetentionConfig::default(),
            session_idle: Duration::from_secs(7 * 86_400),
        }
    }
}

/// Runs the configured jobs until `shutdown` is cancelled.
pub async fn run_jobs(store: Arc<dyn Store>, config: JobsConfig, shutdown: CancellationToken) {
    // Waking a few times per interval keeps the cluster's cadence close to
    // the interval whichever replica's turn it is.
    let tick = (config.every / 4).max(Duration::from_millis(250));
    loop {
        for job in &config.jobs {
            if shutdown.is_cancelled() {
                return;
            }
            if let Err(e) = run_if_due(&*store, *job, &config, &shutdown).await {
                tracing::warn!(job = %job, error = %e, "periodic job failed; will retry");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(tick) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

/// Runs `job` if this process gets its lock and nobody ran it within the
/// interval; returns whether it ran.
pub async fn run_if_due(
    store: &dyn Store,
    job: Job,
    config: &JobsConfig,
    shutdown: &CancellationToken,
) -> Result<bool, StoreError> {
    let Some(lock) = store.try_lock_job(job).await? else {
        return Ok(false);
    };
    let every = chrono::Duration::from_std(config.every).unwrap_or(chrono::Duration::minutes(5));
    let recent = store
        .last_job_run(job)
        .await?
        .is_some_and(|run| run.finished_at > Utc::now() - every);
    if recent {
        lock.release().await?;
        return Ok(false);
    }
    let started_at = Utc::now();
    let rows = run_job(store, job, config, shutdown).await;
    let finished_at = Utc::now();
    let outcome = match rows {
        Ok(rows_affected) => {
            store
                .record_job_run(&JobRun {
                    job,
                    runner: config.runner.clone(),
                    started_at,
                    finished_at,
                    rows_affected,
                })
                .await
        }
        Err(e) => Err(e),
    };
    // Released after the run is recorded, so the next holder sees it.
    lock.release().await?;
    outcome?;
    metrics::counter!("pharos_job_runs_total", "job" => job.as_str()).increment(1);
    Ok(true)
}

async fn run_job(
    store: &dyn Store,
    job: Job,
    config: &JobsConfig,
    shutdown: &CancellationToken,
) -> Result<u64, StoreError> {
    match job {
        Job::Retention => prune_once(store, &config.retention, shutdown).await,
        Job::EventPruning => prune_events(store, &config.retention, shutdown).await,
        Job::SessionSweep => {
            let now = Utc::now();
            let idle = chrono::Duration::from_std(config.session_idle)
                .unwrap_or(chrono::Duration::days(7));
            store.delete_stale_sessions(now, now - idle).await
        }
    }
}
