//! A target's stored checks, newest first. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_checks {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::CheckStore for $store {
            async fn checks(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
                before: Option<$crate::models::CheckCursor>,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Check>> {
                // The join on targets keeps the tenant rule inside the query.
                let sql = format!(
                    "SELECT {} FROM checks c JOIN targets t ON t.id = c.target_id \
                     WHERE t.organization_id = $1 AND c.target_id = $2 \
                       AND ($3 IS NULL OR c.checked_at < $3 OR (c.checked_at = $3 AND c.id < $4)) \
                     ORDER BY c.checked_at DESC, c.id DESC LIMIT $5",
                    $crate::rows::CHECK_COLUMNS
                );
                let rows: Vec<$crate::rows::CheckRow> = sqlx::query_as(&sql)
                    .bind(org.0)
                    .bind(target.0)
                    .bind(before.map(|c| c.checked_at))
                    .bind(before.map(|c| c.id.0))
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }
        }
    };
}

pub(crate) use impl_checks;
