//! Incidents: a target's, and an organization's across its targets. The SQL both backends run, stamped out per backend by
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

            async fn organization_incidents(
                &self,
                org: pharos_domain::ids::OrganizationId,
                after: Option<$crate::models::IncidentCursor>,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::OrganizationIncident>> {
                // Open incidents (group 0) before closed ones (group 1),
                // each newest first; the cursor resumes inside its group
                // or at a later one. The join keeps the tenant rule inside
                // the query.
                let rows: Vec<$crate::rows::OrganizationIncidentRow> = sqlx::query_as(
                    "SELECT i.id, i.target_id, i.opened_at, i.closed_at, i.cause, i.error_class, i.first_check_id, \
                       t.name AS target_name, t.url AS target_url \
                     FROM incidents i JOIN targets t ON t.id = i.target_id \
                     WHERE t.organization_id = $1 \
                       AND ($2 IS NULL \
                            OR (CASE WHEN i.closed_at IS NULL THEN 0 ELSE 1 END) > $2 \
                            OR ((CASE WHEN i.closed_at IS NULL THEN 0 ELSE 1 END) = $2 \
                                AND (i.opened_at < $3 OR (i.opened_at = $3 AND i.id < $4)))) \
                     ORDER BY CASE WHEN i.closed_at IS NULL THEN 0 ELSE 1 END, i.opened_at DESC, i.id DESC \
                     LIMIT $5",
                )
                .bind(org.0)
                .bind(after.map(|c| if c.open { 0_i64 } else { 1_i64 }))
                .bind(after.map(|c| c.opened_at))
                .bind(after.map(|c| c.id))
                .bind(i64::from(limit))
                .fetch_all(self.reader())
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }
        }
    };
}

pub(crate) use impl_incidents;
