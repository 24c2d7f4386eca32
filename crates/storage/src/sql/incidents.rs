//! A target's incidents. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_incidents {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::IncidentStore for $store {
            async fn incidents(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Incident>> {
                let rows: Vec<$crate::rows::IncidentRow> = sqlx::query_as(
                    "SELECT i.id, i.target_id, i.opened_at, i.closed_at, i.cause, i.error_class, i.first_check_id \
                     FROM incidents i JOIN targets t ON t.id = i.target_id \
                     WHERE t.organization_id = $1 AND i.target_id = $2 \
                     ORDER BY i.opened_at DESC, i.id DESC LIMIT $3",
                )
                .bind(org.0)
                .bind(target.0)
                .bind(i64::from(limit))
                .fetch_all(self.reader())
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }
        }
    };
}

pub(crate) use impl_incidents;
