//! The database itself: which backend, its size, its migrations. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_database {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::DatabaseStore for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn database_bytes(&self) -> $crate::error::StoreResult<i64> {
                let (bytes,): (i64,) = sqlx::query_as($size_sql).fetch_one(self.reader()).await?;
                Ok(bytes)
            }

            async fn migrate(&self) -> $crate::error::StoreResult<()> {
                // PostgreSQL's migrator takes an advisory lock; SQLite's has
                // none, so two processes starting on one new file (`web`
                // and `worker`) race. The loser finds the winner's work done,
                // or waits for it and runs what is left.
                let mut last = None;
                for attempt in 0..20u64 {
                    match $migrator.run(self.writer()).await {
                        Ok(()) => return Ok(()),
                        Err(e) => last = Some(e),
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100 + 50 * attempt)).await;
                    if self.ready().await.unwrap_or(false) {
                        return Ok(());
                    }
                }
                Err(last.map_or_else(
                    || $crate::error::StoreError::Corrupt("migrations did not run".to_owned()),
                    Into::into,
                ))
            }

            async fn ready(&self) -> $crate::error::StoreResult<bool> {
                let applied: Vec<(i64,)> =
                    sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success")
                        .fetch_all(self.reader())
                        .await?;
                let applied: std::collections::HashSet<i64> =
                    applied.into_iter().map(|(v,)| v).collect();
                Ok($migrator.iter().all(|m| applied.contains(&m.version)))
            }

            async fn migration_status(
                &self,
            ) -> $crate::error::StoreResult<$crate::models::MigrationStatus> {
                // Answers at all, before asking for the migrations table
                // (which a new database does not have yet).
                sqlx::query("SELECT 1").execute(self.reader()).await?;
                let applied: Vec<(i64,)> = sqlx::query_as(
                    "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
                )
                .fetch_all(self.reader())
                .await
                .unwrap_or_default();
                Ok($crate::models::MigrationStatus {
                    known: $migrator
                        .iter()
                        .map(|m| (m.version, m.description.to_string()))
                        .collect(),
                    applied: applied.into_iter().map(|(v,)| v).collect(),
                })
            }

            async fn database_clock(
                &self,
            ) -> $crate::error::StoreResult<Option<chrono::DateTime<chrono::Utc>>> {
                self.server_clock().await
            }

            fn pool_use(&self) -> Vec<$crate::models::PoolUse> {
                self.pools()
                    .into_iter()
                    .map(|(pool, handle)| $crate::models::PoolUse {
                        pool,
                        open: handle.size(),
                        idle: u32::try_from(handle.num_idle()).unwrap_or(u32::MAX),
                        max: handle.options().get_max_connections(),
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use impl_database;
