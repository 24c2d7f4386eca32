//! The shared backend for many replicas: PostgreSQL.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use pharos_domain::job::Job;

use crate::error::StoreResult;
use crate::models::JobLock;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(Self { pool })
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn pools(&self) -> [(&'static str, &PgPool); 1] {
        [("main", &self.pool)]
    }

    async fn server_clock(&self) -> StoreResult<Option<chrono::DateTime<chrono::Utc>>> {
        let (now,): (chrono::DateTime<chrono::Utc>,) =
            sqlx::query_as("SELECT now()").fetch_one(&self.pool).await?;
        Ok(Some(now))
    }

    /// A transaction-scoped advisory lock: released at commit, and by the
    /// server if this process dies holding it.
    async fn try_advisory_job_lock(&self, job: Job) -> StoreResult<Option<JobLock>> {
        let mut tx = self.pool.begin().await?;
        let (taken,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_xact_lock($1)")
            .bind(job_lock_key(job))
            .fetch_one(&mut *tx)
            .await?;
        Ok(taken.then_some(JobLock { held: Some(tx) }))
    }
}

/// "pharos" in the high bytes, the job's number in the low: no clash with
/// another application's keys on a shared server, nor with sqlx's
/// migration lock.
fn job_lock_key(job: Job) -> i64 {
    0x7068_6172_6f73_0000_i64 | i64::from(job.number())
}

crate::sql::impl_store!(
    store = PostgresStore,
    db = sqlx::Postgres,
    backend = "postgres",
    migrator = MIGRATOR,
    // Concurrent workers skip each other's claims instead of waiting.
    claim_lock = "FOR UPDATE SKIP LOCKED",
    // Read-then-write in one transaction.
    row_lock = "FOR UPDATE",
    job_lock = try_advisory_job_lock,
    size_sql = "SELECT pg_database_size(current_database())",
);
