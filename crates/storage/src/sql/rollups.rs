//! Roll-up buckets of one target or a whole organization. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_rollups {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::RollupStore for $store {
            async fn rollups(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
                width: u32,
                since: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Vec<$crate::models::RollupBucket>> {
                let sql = format!(
                    "SELECT {} FROM check_rollups r JOIN targets t ON t.id = r.target_id \
                     WHERE t.organization_id = $1 AND r.target_id = $2 AND r.bucket_seconds = $3 \
                       AND r.bucket_start >= $4 \
                     ORDER BY r.bucket_start",
                    $crate::rows::ROLLUP_COLUMNS
                );
                let rows: Vec<$crate::rows::RollupRow> = sqlx::query_as(&sql)
                    .bind(org.0)
                    .bind(target.0)
                    .bind(i64::from(width))
                    .bind($crate::rows::bucket_start(since, width))
                    .fetch_all(self.reader())
                    .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn organization_rollups(
                &self,
                org: pharos_domain::ids::OrganizationId,
                width: u32,
                since: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Vec<(pharos_domain::ids::TargetId, $crate::models::RollupBucket)>> {
                #[derive(sqlx::FromRow)]
                struct Row {
                    target_id: uuid::Uuid,
                    #[sqlx(flatten)]
                    rollup: $crate::rows::RollupRow,
                }
                let sql = format!(
                    "SELECT r.target_id, {} FROM check_rollups r JOIN targets t ON t.id = r.target_id \
                     WHERE t.organization_id = $1 AND r.bucket_seconds = $2 AND r.bucket_start >= $3 \
                     ORDER BY r.target_id, r.bucket_start",
                    $crate::rows::ROLLUP_COLUMNS
                );
                let rows: Vec<Row> = sqlx::query_as(&sql)
                    .bind(org.0)
                    .bind(i64::from(width))
                    .bind($crate::rows::bucket_start(since, width))
                    .fetch_all(self.reader())
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|row| (pharos_domain::ids::TargetId(row.target_id), row.rollup.into()))
                    .collect())
            }

            async fn organization_rollup_counts(
                &self,
                org: pharos_domain::ids::OrganizationId,
                width: u32,
                since: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Vec<(pharos_domain::ids::TargetId, $crate::models::RollupBucket)>> {
                let sql = format!(
                    "{}(SELECT id FROM targets WHERE organization_id = $1){}",
                    $crate::rows::rollup_counts_sql::<$db>(),
                    $crate::rows::rollup_counts_tail(2)
                );
                let rows: Vec<$crate::rows::RollupCountsRow> =
                    sqlx::query_as(&sql)
                        .bind(org.0)
                        .bind(i64::from(width))
                        .bind($crate::rows::bucket_start(since, width))
                        .fetch_all(self.reader())
                        .await?;
                let mut times = Vec::new();
                let mut out = Vec::new();
                for row in rows {
                    row.unpack(&mut times, &mut out)?;
                }
                Ok(out)
            }

            async fn rollup_counts_of_targets(
                &self,
                org: pharos_domain::ids::OrganizationId,
                targets: &[pharos_domain::ids::TargetId],
                width: u32,
                since: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Vec<(pharos_domain::ids::TargetId, $crate::models::RollupBucket)>> {
                if targets.is_empty() {
                    return Ok(Vec::new());
                }
                let mut qb: sqlx::QueryBuilder<'_, $db> =
                    sqlx::QueryBuilder::new($crate::rows::rollup_counts_sql::<$db>());
                qb.push("(SELECT id FROM targets WHERE organization_id = ")
                    .push_bind(org.0)
                    .push(" AND id IN (");
                let mut ids = qb.separated(", ");
                for target in targets {
                    ids.push_bind(target.0);
                }
                qb.push(")) AND r.bucket_seconds = ")
                    .push_bind(i64::from(width))
                    .push(" AND r.bucket_start >= ")
                    .push_bind($crate::rows::bucket_start(since, width))
                    .push(" GROUP BY r.target_id");
                let rows: Vec<$crate::rows::RollupCountsRow> =
                    qb.build_query_as().fetch_all(self.reader()).await?;
                let mut times = Vec::new();
                let mut out = Vec::new();
                for row in rows {
                    row.unpack(&mut times, &mut out)?;
                }
                Ok(out)
            }
        }
    };
}

pub(crate) use impl_rollups;
