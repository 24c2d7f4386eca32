//! The shared backend for many replicas: PostgreSQL.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use crate::error::StoreResult;

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
}

crate::shared::impl_store!(
    store = PostgresStore,
    db = sqlx::Postgres,
    backend = "postgres",
    migrator = MIGRATOR,
    // Concurrent workers skip each other's claims instead of waiting.
    claim_lock = "FOR UPDATE SKIP LOCKED",
    // Read-then-write in one transaction.
    row_lock = "FOR UPDATE",
    size_sql = "SELECT pg_database_size(current_database())",
);
