//! Deleting history past its keep-time, in batches. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_retention {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::RetentionStore for $store {
            async fn prune_events(
                &self,
                before: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::error::StoreResult<u64> {
                let done = sqlx::query(
                    "DELETE FROM events WHERE (organization_id, seq) IN \
                       (SELECT organization_id, seq FROM events WHERE occurred_at < $1 LIMIT $2)",
                )
                .bind($crate::rows::to_micros(before))
                .bind(i64::from(limit))
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected())
            }

            async fn prune_notifications(
                &self,
                before: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::error::StoreResult<u64> {
                let done = sqlx::query(
                    "DELETE FROM notifications WHERE id IN \
                       (SELECT id FROM notifications WHERE created_at < $1 \
                          AND status IN ('delivered', 'failed', 'folded') LIMIT $2)",
                )
                .bind($crate::rows::to_micros(before))
                .bind(i64::from(limit))
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected())
            }

            async fn prune_audit_log(
                &self,
                before: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::error::StoreResult<u64> {
                let done = sqlx::query(
                    "DELETE FROM audit_log WHERE id IN \
                       (SELECT id FROM audit_log WHERE at < $1 LIMIT $2)",
                )
                .bind($crate::rows::to_micros(before))
                .bind(i64::from(limit))
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected())
            }

            async fn prune_checks(
                &self,
                before: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::error::StoreResult<u64> {
                // Small batches keep each transaction short, so writers are
                // never locked out for long.
                let done = sqlx::query(
                    "DELETE FROM checks WHERE id IN \
                       (SELECT id FROM checks WHERE checked_at < $1 LIMIT $2)",
                )
                .bind($crate::rows::to_micros(before))
                .bind(i64::from(limit))
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected())
            }

            async fn prune_rollups(
                &self,
                width: u32,
                before: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::error::StoreResult<u64> {
                let done = sqlx::query(
                    "DELETE FROM check_rollups WHERE (target_id, bucket_seconds, bucket_start) IN \
                       (SELECT target_id, bucket_seconds, bucket_start FROM check_rollups \
                        WHERE bucket_seconds = $1 AND bucket_start < $2 LIMIT $3)",
                )
                .bind(i64::from(width))
                .bind($crate::rows::to_micros(before))
                .bind(i64::from(limit))
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(crate) use impl_retention;
