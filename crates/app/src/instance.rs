//! The instance's own health, public at `GET /api/public/status`: this web
//! process (up, its version), the worker processes (from what each writes
//! to `worker_presence` every few seconds: when it last asked for due
//! targets and when a claim last brought it work), and the database
//! (reachable, and how long one round trip took).
//!
//! Workers are named by a keyed hash of their id (host name and process
//! id), so the public answer tells them apart without naming hosts. The
//! answer is reused for `STATUS_TTL` through a single-flight cache, so a
//! flood of requests costs one database round trip per interval.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::App;

/// How long one answer is reused.
pub const STATUS_TTL: Duration = Duration::from_secs(5);

/// A worker unseen for this long is counted as down (it writes its
/// presence every 5 s by default).
const WORKER_STALE_AFTER: chrono::Duration = chrono::Duration::seconds(30);

/// Workers unseen for this long are left out of the answer.
const WORKERS_LISTED_FOR: chrono::Duration = chrono::Duration::hours(1);

/// The database must answer within this, or it counts as unreachable.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq)]
pub struct InstanceStatus {
    /// This process's version.
    pub version: &'static str,
    pub database: DatabaseHealth,
    pub workers: Vec<WorkerHealth>,
    pub checked_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseHealth {
    pub reachable: bool,
    /// One round trip, in milliseconds, when it answered.
    pub latency_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkerHealth {
    /// A stable name that does not reveal the host (a keyed hash).
    pub name: String,
    /// Asked for due targets within the last 30 s.
    pub up: bool,
    pub started_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The last time a claim brought it work.
    pub last_claim_at: Option<DateTime<Utc>>,
}

/// The one cached answer (a single key).
pub struct StatusCache(moka::future::Cache<(), Arc<InstanceStatus>>);

impl Default for StatusCache {
    fn default() -> Self {
        Self(
            moka::future::Cache::builder()
                .max_capacity(1)
                .time_to_live(STATUS_TTL)
                .build(),
        )
    }
}

/// The instance's health, read at most once per `STATUS_TTL`.
pub async fn status(app: &App) -> Arc<InstanceStatus> {
    let app2 = app.clone();
    app.instance_status
        .0
        .get_with((), async move { Arc::new(read(&app2).await) })
        .await
}

async fn read(app: &App) -> InstanceStatus {
    let now = Utc::now();
    let started = Instant::now();
    let reachable = matches!(
        tokio::time::timeout(DATABASE_TIMEOUT, app.store.ready()).await,
        Ok(Ok(_))
    );
    let latency_ms = reachable.then(|| started.elapsed().as_secs_f64() * 1000.0);
    let workers = if reachable {
        match app.store.worker_presence(now - WORKERS_LISTED_FOR).await {
            Ok(rows) => rows
                .into_iter()
                .map(|w| WorkerHealth {
                    name: public_name(app, &w.worker_id),
                    up: now - w.last_seen_at <= WORKER_STALE_AFTER,
                    started_at: w.started_at,
                    last_seen_at: w.last_seen_at,
                    last_claim_at: w.last_claim_at,
                })
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "could not read worker presence");
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    InstanceStatus {
        version: env!("CARGO_PKG_VERSION"),
        database: DatabaseHealth {
            reachable,
            latency_ms,
        },
        workers,
        checked_at: now,
    }
}

/// `worker-` and 12 hex digits of the keyed hash of the worker's id.
fn public_name(app: &App, worker_id: &str) -> String {
    let hash = app.tokens.hash(worker_id);
    let hex: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("worker-{hex}")
}
