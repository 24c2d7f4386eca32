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
                $migrator.run(self.writer()).await?;
                Ok(())
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
        }
    };
}

pub(crate) use impl_database;
