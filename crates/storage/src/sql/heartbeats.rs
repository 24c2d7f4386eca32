//! Heartbeat pings: found by their secret token, written without a claim. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_heartbeats {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::HeartbeatStore for $store {
            async fn target_by_heartbeat_token(
                &self,
                token: &str,
            ) -> $crate::error::StoreResult<Option<$crate::models::Target>> {
                let sql = format!(
                    "SELECT {} FROM targets t WHERE t.heartbeat_token = $1",
                    $crate::rows::TARGET_COLUMNS_T
                );
                let row: Option<$crate::rows::TargetRow> = sqlx::query_as(&sql)
                    .bind(token)
                    .fetch_optional(self.reader())
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn set_run_started(
                &self,
                id: pharos_domain::ids::TargetId,
                at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> $crate::error::StoreResult<()> {
                sqlx::query("UPDATE targets SET run_started_at = $1 WHERE id = $2")
                    .bind(at.map($crate::rows::to_micros))
                    .bind(id.0)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn record_direct(
                &self,
                record: &$crate::models::DirectRecord,
            ) -> $crate::error::StoreResult<bool> {
                let check = &record.check;
                let t = &record.status.transition;
                let mut tx = self.writer().begin().await?;
                // Compare-and-set on the state the result was computed from;
                // the epoch bump voids any worker's claim in flight.
                let updated: Option<(uuid::Uuid,)> = sqlx::query_as(
                    "UPDATE targets SET next_due_at = $1, lease_owner = NULL, lease_until = NULL, \
                       lease_epoch = lease_epoch + 1, last_check_id = $2, state = $3, \
                       consecutive_failures = $4, run_started_at = NULL, \
                       state_changed_at = CASE WHEN $5 THEN $6 ELSE state_changed_at END \
                     WHERE id = $7 AND state = $8 AND consecutive_failures = $9 \
                     RETURNING organization_id",
                )
                .bind($crate::rows::to_micros(record.next_due_at))
                .bind(check.id.0)
                .bind(t.state.as_str())
                .bind(i64::from(t.consecutive_failures))
                .bind(t.changed)
                .bind($crate::rows::to_micros(check.checked_at))
                .bind(check.target_id.0)
                .bind(record.status.previous.as_str())
                .bind(i64::from(record.expected_failures))
                .fetch_optional(&mut *tx)
                .await?;
                let Some((org,)) = updated else {
                    return Ok(false);
                };
                let org = pharos_domain::ids::OrganizationId(org);
                let mut deferred = $crate::deferred::Deferred::default();
                Self::write_check_effects(&mut tx, org, check, &record.status, &mut deferred)
                    .await?;
                Self::write_deferred(&mut tx, deferred).await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}

pub(crate) use impl_heartbeats;
