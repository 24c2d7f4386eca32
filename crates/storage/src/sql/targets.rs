//! An organization's targets: create, read, change, pause, delete. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_targets {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        impl $store {
            async fn insert_target(
                tx: &mut sqlx::Transaction<'_, $db>,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::TargetId,
                target: &$crate::models::NewTarget<'_>,
            ) -> $crate::error::StoreResult<()> {
                let (kind, spec) = $crate::rows::check_columns(&target.check)?;
                sqlx::query(
                    "INSERT INTO targets (id, organization_id, created_by, url, name, interval_seconds, \
                       timeout_seconds, created_at, updated_at, next_due_at, kind, spec, heartbeat_token, \
                       grace_seconds) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13)",
                )
                .bind(id.0)
                .bind(org.0)
                .bind(target.created_by.0)
                .bind(target.check.label())
                .bind(target.name)
                .bind(i64::from(target.interval_seconds))
                .bind(i64::from(target.timeout_seconds))
                .bind($crate::rows::to_micros(target.now))
                .bind($crate::rows::to_micros(target.first_due_at))
                .bind(kind)
                .bind(spec)
                .bind(target.heartbeat_token)
                .bind(target.grace_seconds.map(i64::from))
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// `WHERE` conditions for `filter` on `targets t` of `org`
            /// (its state too unless `with_state` is false).
            fn push_target_filter<'a>(
                qb: &mut sqlx::QueryBuilder<'a, $db>,
                org: pharos_domain::ids::OrganizationId,
                filter: &'a $crate::models::TargetFilter,
                with_state: bool,
            ) {
                qb.push(" WHERE t.organization_id = ").push_bind(org.0);
                if let Some(group) = filter.group {
                    qb.push(" AND t.group_id = ").push_bind(group.0);
                }
                if let Some(tag) = filter.tag {
                    qb.push(" AND t.id IN (SELECT target_id FROM target_tags WHERE tag_id = ")
                        .push_bind(tag.0)
                        .push(")");
                }
                if let Some(state) = filter.state.filter(|_| with_state) {
                    qb.push(" AND ")
                        .push($crate::rows::SEVERITY_SQL)
                        .push(" = ")
                        .push_bind(i32::from(pharos_domain::labels::severity(state)));
                }
                if let Some(search) = filter.search.as_deref().filter(|s| !s.is_empty()) {
                    let pattern = $crate::rows::like_pattern(search);
                    qb.push(" AND (lower(COALESCE(t.name, '')) LIKE ")
                        .push_bind(pattern.clone())
                        .push(" ESCAPE '\\' OR lower(t.url) LIKE ")
                        .push_bind(pattern)
                        .push(" ESCAPE '\\')");
                }
            }

            /// Keyset paging in creation order (`targets_page`), and the
            /// page's size.
            fn push_target_page(
                qb: &mut sqlx::QueryBuilder<'_, $db>,
                after: Option<$crate::models::TargetCursor>,
                limit: u32,
            ) {
                if let Some(after) = after {
                    // A row value, which both backends walk `targets_page`
                    // from (an OR of two comparisons they would not).
                    qb.push(" AND (t.created_at, t.id) > (")
                        .push_bind($crate::rows::to_micros(after.created_at))
                        .push(", ")
                        .push_bind(after.id.0)
                        .push(")");
                }
                qb.push(" ORDER BY t.created_at, t.id LIMIT ")
                    .push_bind(i64::from(limit));
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::TargetStore for $store {
            async fn create_target(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: $crate::models::NewTarget<'_>,
            ) -> $crate::error::StoreResult<$crate::models::Target> {
                let id = pharos_domain::ids::TargetId::new();
                let mut tx = self.writer().begin().await?;
                Self::insert_target(&mut tx, org, id, &target).await?;
                tx.commit().await?;
                self.target(org, id)
                    .await?
                    .ok_or_else(|| $crate::error::StoreError::Corrupt("a created target vanished".to_owned()))
            }

            async fn create_targets(
                &self,
                org: pharos_domain::ids::OrganizationId,
                targets: &[$crate::models::NewTarget<'_>],
            ) -> $crate::error::StoreResult<u64> {
                let mut tx = self.writer().begin().await?;
                for target in targets {
                    Self::insert_target(&mut tx, org, pharos_domain::ids::TargetId::new(), target).await?;
                }
                tx.commit().await?;
                Ok(targets.len() as u64)
            }

            async fn targets(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Target>> {
                let sql = format!(
                    "SELECT {} FROM targets t WHERE t.organization_id = $1 ORDER BY t.created_at, t.id",
                    $crate::rows::TARGET_COLUMNS_T
                );
                let rows: Vec<$crate::rows::TargetRow> =
                    sqlx::query_as(&sql).bind(org.0).fetch_all(self.reader()).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn target(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::TargetId,
            ) -> $crate::error::StoreResult<Option<$crate::models::Target>> {
                let sql = format!(
                    "SELECT {} FROM targets t WHERE t.organization_id = $1 AND t.id = $2",
                    $crate::rows::TARGET_COLUMNS_T
                );
                let row: Option<$crate::rows::TargetRow> = sqlx::query_as(&sql)
                    .bind(org.0)
                    .bind(id.0)
                    .fetch_optional(self.reader())
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn update_target(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::TargetId,
                patch: $crate::models::TargetPatch<'_>,
            ) -> $crate::error::StoreResult<Option<$crate::models::Target>> {
                // COALESCE keeps a column when its new value is NULL; the
                // name has its own flag because NULL is a valid name.
                let sql = format!(
                    "UPDATE targets SET \
                       url = COALESCE($3, url), \
                       name = CASE WHEN $4 THEN $5 ELSE name END, \
                       interval_seconds = COALESCE($6, interval_seconds), \
                       timeout_seconds = COALESCE($7, timeout_seconds), \
                       updated_at = $8, \
                       kind = COALESCE($9, kind), \
                       spec = CASE WHEN $9 IS NULL THEN spec ELSE $10 END, \
                       grace_seconds = COALESCE($11, grace_seconds), \
                       state = CASE WHEN $12 THEN 'pending' ELSE state END, \
                       consecutive_failures = CASE WHEN $12 THEN 0 ELSE consecutive_failures END, \
                       next_due_at = CASE WHEN $12 THEN $8 ELSE next_due_at END \
                     WHERE organization_id = $1 AND id = $2 RETURNING {}",
                    $crate::rows::TARGET_COLUMNS
                );
                let check = patch.check.as_ref().map($crate::rows::check_columns).transpose()?;
                let url = patch.check.as_ref().map(pharos_domain::TargetCheck::label);
                let row: Option<$crate::rows::TargetRow> = sqlx::query_as(&sql)
                    .bind(org.0)
                    .bind(id.0)
                    .bind(url)
                    .bind(patch.name.is_some())
                    .bind(patch.name.flatten())
                    .bind(patch.interval_seconds.map(i64::from))
                    .bind(patch.timeout_seconds.map(i64::from))
                    .bind($crate::rows::to_micros(patch.now))
                    .bind(check.as_ref().map(|(kind, _)| *kind))
                    .bind(check.as_ref().and_then(|(_, spec)| spec.as_deref()))
                    .bind(patch.grace_seconds.map(i64::from))
                    .bind(patch.check.is_some())
                    .fetch_optional(self.writer())
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn delete_target(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::TargetId,
            ) -> $crate::error::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM targets WHERE organization_id = $1 AND id = $2")
                    .bind(org.0)
                    .bind(id.0)
                    .execute(self.writer())
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn target_summaries(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::TargetSummary>> {
                let rows: Vec<$crate::rows::TargetSummaryRow> =
                    sqlx::query_as($crate::rows::TARGET_SUMMARY_SQL)
                        .bind(org.0)
                        .fetch_all(self.reader())
                        .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn targets_with_latest_check(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<($crate::models::Target, Option<$crate::models::Check>)>> {
                let sql = format!(
                    "SELECT {}, {} FROM targets t LEFT JOIN checks c ON c.id = t.last_check_id \
                     WHERE t.organization_id = $1 ORDER BY t.created_at, t.id",
                    $crate::rows::TARGET_COLUMNS_T,
                    $crate::rows::LATEST_CHECK_COLUMNS
                );
                let rows: Vec<$crate::rows::TargetWithCheckRow> =
                    sqlx::query_as(&sql).bind(org.0).fetch_all(self.reader()).await?;
                rows.into_iter().map(|row| row.into_pair()).collect()
            }


            async fn targets_page(
                &self,
                org: pharos_domain::ids::OrganizationId,
                filter: &$crate::models::TargetFilter,
                after: Option<$crate::models::TargetCursor>,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Target>> {
                let mut qb: sqlx::QueryBuilder<'_, $db> = sqlx::QueryBuilder::new(format!(
                    "SELECT {} FROM targets t",
                    $crate::rows::TARGET_COLUMNS_T
                ));
                Self::push_target_filter(&mut qb, org, filter, true);
                Self::push_target_page(&mut qb, after, limit);
                let rows: Vec<$crate::rows::TargetRow> =
                    qb.build_query_as().fetch_all(self.reader()).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn targets_with_latest_check_page(
                &self,
                org: pharos_domain::ids::OrganizationId,
                filter: &$crate::models::TargetFilter,
                after: Option<$crate::models::TargetCursor>,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<($crate::models::Target, Option<$crate::models::Check>)>> {
                let mut qb: sqlx::QueryBuilder<'_, $db> = sqlx::QueryBuilder::new(format!(
                    "SELECT {}, {} FROM targets t LEFT JOIN checks c ON c.id = t.last_check_id",
                    $crate::rows::TARGET_COLUMNS_T,
                    $crate::rows::LATEST_CHECK_COLUMNS
                ));
                Self::push_target_filter(&mut qb, org, filter, true);
                Self::push_target_page(&mut qb, after, limit);
                let rows: Vec<$crate::rows::TargetWithCheckRow> =
                    qb.build_query_as().fetch_all(self.reader()).await?;
                rows.into_iter().map(|row| row.into_pair()).collect()
            }

            async fn dashboard_window(
                &self,
                org: pharos_domain::ids::OrganizationId,
                filter: &$crate::models::TargetFilter,
                sort: $crate::models::DashboardSort,
                offset: u32,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::TargetSummary>> {
                use $crate::models::DashboardSort;
                use $crate::rows::{SEVERITY_SQL, SORT_NAME_SQL};
                let mut qb: sqlx::QueryBuilder<'_, $db> = sqlx::QueryBuilder::new(format!(
                    "SELECT {} FROM targets t LEFT JOIN checks c ON c.id = t.last_check_id",
                    $crate::rows::TARGET_SUMMARY_COLUMNS
                ));
                Self::push_target_filter(&mut qb, org, filter, true);
                // The first two walk `targets_dashboard` (or `targets_group`
                // with a group); the others need every matching row's
                // newest check, so they sort (a few ms at 10,000).
                let order = match sort {
                    DashboardSort::Severity => format!("{SEVERITY_SQL}, {SORT_NAME_SQL}, t.id"),
                    DashboardSort::Name => format!("{SORT_NAME_SQL}, t.id"),
                    DashboardSort::Latency => format!(
                        "CASE WHEN c.latency_ms IS NULL THEN 1 ELSE 0 END, c.latency_ms DESC, {SORT_NAME_SQL}, t.id"
                    ),
                    DashboardSort::Checked => format!(
                        "CASE WHEN c.checked_at IS NULL THEN 1 ELSE 0 END, c.checked_at DESC, {SORT_NAME_SQL}, t.id"
                    ),
                };
                qb.push(" ORDER BY ")
                    .push(order)
                    .push(" LIMIT ")
                    .push_bind(i64::from(limit))
                    .push(" OFFSET ")
                    .push_bind(i64::from(offset));
                let rows: Vec<$crate::rows::TargetSummaryRow> =
                    qb.build_query_as().fetch_all(self.reader()).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn state_counts(
                &self,
                org: pharos_domain::ids::OrganizationId,
                filter: &$crate::models::TargetFilter,
            ) -> $crate::error::StoreResult<Vec<(pharos_domain::status::TargetState, u64)>> {
                let mut qb: sqlx::QueryBuilder<'_, $db> = sqlx::QueryBuilder::new(format!(
                    "SELECT {} AS rank, COUNT(*) AS n FROM targets t",
                    $crate::rows::SEVERITY_SQL
                ));
                Self::push_target_filter(&mut qb, org, filter, false);
                qb.push(" GROUP BY 1");
                // The rank is an INTEGER (int4 on PostgreSQL), the count a BIGINT.
                let rows: Vec<(i32, i64)> = qb.build_query_as().fetch_all(self.reader()).await?;
                rows.into_iter()
                    .map(|(rank, n)| Ok(($crate::rows::state_of_rank(rank)?, u64::try_from(n).unwrap_or(0))))
                    .collect()
            }

            async fn set_badge_token(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::TargetId,
                token: Option<&str>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Option<$crate::models::Target>> {
                let sql = format!(
                    "UPDATE targets SET badge_token = $3, updated_at = $4 \
                     WHERE organization_id = $1 AND id = $2 RETURNING {}",
                    $crate::rows::TARGET_COLUMNS
                );
                let row: Option<$crate::rows::TargetRow> = sqlx::query_as(&sql)
                    .bind(org.0)
                    .bind(id.0)
                    .bind(token)
                    .bind($crate::rows::to_micros(now))
                    .fetch_optional(self.writer())
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn set_paused(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::TargetId,
                paused: bool,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Option<$crate::models::Target>> {
                let mut tx = self.writer().begin().await?;
                // Locked, so two concurrent pauses record one event.
                let before: Option<(bool,)> = sqlx::query_as(&format!(
                    "SELECT paused FROM targets WHERE organization_id = $1 AND id = $2 {}",
                    $row_lock
                ))
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((was_paused,)) = before else {
                    return Ok(None);
                };
                // Resuming makes a check due now; pausing drops any lease so
                // a running check's result is discarded.
                let sql = format!(
                    "UPDATE targets SET paused = $3, updated_at = $4, \
                       next_due_at = CASE WHEN $3 THEN next_due_at ELSE $4 END, \
                       lease_owner = NULL, lease_until = NULL, lease_epoch = lease_epoch + 1 \
                     WHERE organization_id = $1 AND id = $2 RETURNING {}",
                    $crate::rows::TARGET_COLUMNS
                );
                let row: Option<$crate::rows::TargetRow> = sqlx::query_as(&sql)
                    .bind(org.0)
                    .bind(id.0)
                    .bind(paused)
                    .bind($crate::rows::to_micros(now))
                    .fetch_optional(&mut *tx)
                    .await?;
                let target: Option<$crate::models::Target> = row.map(TryInto::try_into).transpose()?;
                if let Some(target) = &target {
                    if was_paused != paused {
                        let mut events = Vec::new();
                        $crate::events::pause_changed(org, id, paused, target.state, now, &mut events);
                        Self::append_events(&mut tx, events).await?;
                    }
                }
                tx.commit().await?;
                Ok(target)
            }
        }
    };
}

pub(crate) use impl_targets;
