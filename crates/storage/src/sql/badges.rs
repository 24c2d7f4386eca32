//! Public badges: a target found by its badge token. The SQL both backends
//! run, stamped out per backend by `sql::impl_store!`.

macro_rules! impl_badges {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::BadgeStore for $store {
            async fn target_by_badge_token(
                &self,
                token: &str,
            ) -> $crate::error::StoreResult<Option<$crate::models::Target>> {
                let sql = format!(
                    "SELECT {} FROM targets t WHERE t.badge_token = $1",
                    $crate::rows::TARGET_COLUMNS_T
                );
                let row: Option<$crate::rows::TargetRow> = sqlx::query_as(&sql)
                    .bind(token)
                    .fetch_optional(self.reader())
                    .await?;
                row.map(TryInto::try_into).transpose()
            }
        }
    };
}

pub(crate) use impl_badges;
