//! Cross-tenant listings for operators and benchmarks. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_operators {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::OperatorStore for $store {
            async fn organization_summaries(
                &self,
            ) -> $crate::error::StoreResult<Vec<$crate::models::OrganizationSummary>> {
                let rows: Vec<(uuid::Uuid, String, chrono::DateTime<chrono::Utc>, bool, i64, i64)> = sqlx::query_as(
                    "SELECT o.id, o.name, o.created_at, o.require_two_factor, \
                       (SELECT COUNT(*) FROM memberships m WHERE m.organization_id = o.id), \
                       (SELECT COUNT(*) FROM targets t WHERE t.organization_id = o.id) \
                     FROM organizations o ORDER BY o.created_at, o.id",
                )
                .fetch_all(self.reader())
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, name, created_at, require_two_factor, members, targets)| $crate::models::OrganizationSummary {
                        organization: $crate::rows::OrganizationRow { id, name, created_at, require_two_factor }.into(),
                        members,
                        targets,
                    })
                    .collect())
            }

            async fn check_times(
                &self,
                since: chrono::DateTime<chrono::Utc>,
                until: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Vec<(pharos_domain::ids::TargetId, chrono::DateTime<chrono::Utc>)>> {
                let rows: Vec<(uuid::Uuid, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                    "SELECT target_id, checked_at FROM checks WHERE checked_at >= $1 AND checked_at < $2 \
                     ORDER BY checked_at",
                )
                .bind($crate::rows::to_micros(since))
                .bind($crate::rows::to_micros(until))
                .fetch_all(self.reader())
                .await?;
                Ok(rows.into_iter().map(|(id, at)| (pharos_domain::ids::TargetId(id), at)).collect())
            }
        }
    };
}

pub(crate) use impl_operators;
