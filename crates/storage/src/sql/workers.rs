//! Worker processes' presence (`worker_presence`), for the instance's
//! public status. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_workers {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::WorkerPresenceStore for $store {
            async fn record_worker_presence(
                &self,
                presence: &$crate::models::WorkerPresence,
                forget_before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<()> {
                let mut tx = self.writer().begin().await?;
                // A claim time never moves back (a late beat of the same
                // process carries the one it knew).
                sqlx::query(
                    "INSERT INTO worker_presence (worker_id, started_at, last_seen_at, last_claim_at) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (worker_id) DO UPDATE SET \
                       started_at = excluded.started_at, \
                       last_seen_at = excluded.last_seen_at, \
                       last_claim_at = COALESCE(excluded.last_claim_at, worker_presence.last_claim_at)",
                )
                .bind(&presence.worker_id)
                .bind($crate::rows::to_micros(presence.started_at))
                .bind($crate::rows::to_micros(presence.last_seen_at))
                .bind(presence.last_claim_at.map($crate::rows::to_micros))
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM worker_presence WHERE last_seen_at < $1")
                    .bind($crate::rows::to_micros(forget_before))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn worker_presence(
                &self,
                since: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Vec<$crate::models::WorkerPresence>> {
                let rows: Vec<(
                    String,
                    chrono::DateTime<chrono::Utc>,
                    chrono::DateTime<chrono::Utc>,
                    Option<chrono::DateTime<chrono::Utc>>,
                )> = sqlx::query_as(
                    "SELECT worker_id, started_at, last_seen_at, last_claim_at FROM worker_presence \
                     WHERE last_seen_at >= $1 ORDER BY last_seen_at DESC, worker_id LIMIT 100",
                )
                .bind($crate::rows::to_micros(since))
                .fetch_all(self.reader())
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(worker_id, started_at, last_seen_at, last_claim_at)| {
                        $crate::models::WorkerPresence {
                            worker_id,
                            started_at,
                            last_seen_at,
                            last_claim_at,
                        }
                    })
                    .collect())
            }
        }
    };
}

pub(crate) use impl_workers;
