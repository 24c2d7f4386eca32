//! Tags and groups of an organization's targets. The SQL both backends
//! run, stamped out per backend by `sql::impl_store!`.

macro_rules! impl_labels {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::LabelStore for $store {
            async fn tags(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Tag>> {
                let rows: Vec<$crate::rows::TagRow> = sqlx::query_as(
                    "SELECT id, name, color, created_at FROM tags WHERE organization_id = $1 \
                     ORDER BY lower(name), id",
                )
                .bind(org.0)
                .fetch_all(self.reader())
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn create_tag(
                &self,
                org: pharos_domain::ids::OrganizationId,
                name: &str,
                color: pharos_domain::labels::TagColor,
                now: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::error::StoreResult<Option<$crate::models::Tag>> {
                let id = pharos_domain::ids::TagId::new();
                // Counted and inserted in one statement, like API keys.
                let done = sqlx::query(
                    "INSERT INTO tags (id, organization_id, name, color, created_at) \
                     SELECT $1, $2, $3, $4, $5 \
                     WHERE (SELECT COUNT(*) FROM tags WHERE organization_id = $2) < $6",
                )
                .bind(id.0)
                .bind(org.0)
                .bind(name)
                .bind(color.as_str())
                .bind($crate::rows::to_micros(now))
                .bind(i64::from(limit))
                .execute(self.writer())
                .await
                .map_err(|e| $crate::error::unique_as_conflict(e, "a tag has this name already"))?;
                if done.rows_affected() == 0 {
                    return Ok(None);
                }
                Ok(Some($crate::models::Tag {
                    id,
                    name: name.to_owned(),
                    color,
                    created_at: $crate::rows::to_micros(now),
                }))
            }

            async fn update_tag(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::TagId,
                name: Option<&str>,
                color: Option<pharos_domain::labels::TagColor>,
            ) -> $crate::error::StoreResult<Option<$crate::models::Tag>> {
                let row: Option<$crate::rows::TagRow> = sqlx::query_as(
                    "UPDATE tags SET name = COALESCE($3, name), color = COALESCE($4, color) \
                     WHERE organization_id = $1 AND id = $2 RETURNING id, name, color, created_at",
                )
                .bind(org.0)
                .bind(id.0)
                .bind(name)
                .bind(color.map(|c| c.as_str()))
                .fetch_optional(self.writer())
                .await
                .map_err(|e| $crate::error::unique_as_conflict(e, "a tag has this name already"))?;
                row.map(TryInto::try_into).transpose()
            }

            async fn delete_tag(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::TagId,
            ) -> $crate::error::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM tags WHERE organization_id = $1 AND id = $2")
                    .bind(org.0)
                    .bind(id.0)
                    .execute(self.writer())
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn groups(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Group>> {
                let rows: Vec<$crate::rows::GroupRow> = sqlx::query_as(
                    "SELECT id, name, created_at FROM target_groups WHERE organization_id = $1 \
                     ORDER BY lower(name), id",
                )
                .bind(org.0)
                .fetch_all(self.reader())
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn create_group(
                &self,
                org: pharos_domain::ids::OrganizationId,
                name: &str,
                now: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::error::StoreResult<Option<$crate::models::Group>> {
                let id = pharos_domain::ids::GroupId::new();
                let done = sqlx::query(
                    "INSERT INTO target_groups (id, organization_id, name, created_at) \
                     SELECT $1, $2, $3, $4 \
                     WHERE (SELECT COUNT(*) FROM target_groups WHERE organization_id = $2) < $5",
                )
                .bind(id.0)
                .bind(org.0)
                .bind(name)
                .bind($crate::rows::to_micros(now))
                .bind(i64::from(limit))
                .execute(self.writer())
                .await
                .map_err(|e| $crate::error::unique_as_conflict(e, "a group has this name already"))?;
                if done.rows_affected() == 0 {
                    return Ok(None);
                }
                Ok(Some($crate::models::Group {
                    id,
                    name: name.to_owned(),
                    created_at: $crate::rows::to_micros(now),
                }))
            }

            async fn rename_group(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::GroupId,
                name: &str,
            ) -> $crate::error::StoreResult<Option<$crate::models::Group>> {
                let row: Option<$crate::rows::GroupRow> = sqlx::query_as(
                    "UPDATE target_groups SET name = $3 WHERE organization_id = $1 AND id = $2 \
                     RETURNING id, name, created_at",
                )
                .bind(org.0)
                .bind(id.0)
                .bind(name)
                .fetch_optional(self.writer())
                .await
                .map_err(|e| $crate::error::unique_as_conflict(e, "a group has this name already"))?;
                Ok(row.map(Into::into))
            }

            async fn delete_group(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::GroupId,
            ) -> $crate::error::StoreResult<bool> {
                let done =
                    sqlx::query("DELETE FROM target_groups WHERE organization_id = $1 AND id = $2")
                        .bind(org.0)
                        .bind(id.0)
                        .execute(self.writer())
                        .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn set_target_tags(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
                tags: &[pharos_domain::ids::TagId],
            ) -> $crate::error::StoreResult<bool> {
                let ids: Vec<uuid::Uuid> = tags.iter().map(|t| t.0).collect();
                self.replace_target_links(org, target, ("target_tags", "tag_id", "tags"), &ids)
                    .await
            }

            async fn set_target_group(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
                group: Option<pharos_domain::ids::GroupId>,
            ) -> $crate::error::StoreResult<bool> {
                // The group must be the organization's own: another
                // tenant's id updates nothing.
                let done = sqlx::query(
                    "UPDATE targets SET group_id = $3 WHERE organization_id = $1 AND id = $2 \
                       AND ($3 IS NULL OR EXISTS \
                         (SELECT 1 FROM target_groups g WHERE g.organization_id = $1 AND g.id = $3))",
                )
                .bind(org.0)
                .bind(target.0)
                .bind(group.map(|g| g.0))
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn tags_of_targets(
                &self,
                org: pharos_domain::ids::OrganizationId,
                targets: &[pharos_domain::ids::TargetId],
            ) -> $crate::error::StoreResult<Vec<(pharos_domain::ids::TargetId, pharos_domain::ids::TagId)>> {
                if targets.is_empty() {
                    return Ok(Vec::new());
                }
                let mut qb: sqlx::QueryBuilder<'_, $db> = sqlx::QueryBuilder::new(
                    "SELECT tt.target_id, tt.tag_id FROM target_tags tt \
                     JOIN tags g ON g.id = tt.tag_id WHERE g.organization_id = ",
                );
                qb.push_bind(org.0).push(" AND tt.target_id IN (");
                let mut ids = qb.separated(", ");
                for target in targets {
                    ids.push_bind(target.0);
                }
                qb.push(") ORDER BY tt.target_id, lower(g.name)");
                let rows: Vec<(uuid::Uuid, uuid::Uuid)> =
                    qb.build_query_as().fetch_all(self.reader()).await?;
                Ok(rows
                    .into_iter()
                    .map(|(t, g)| (pharos_domain::ids::TargetId(t), pharos_domain::ids::TagId(g)))
                    .collect())
            }

            async fn group_state_counts(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<(pharos_domain::ids::GroupId, pharos_domain::status::TargetState, u64)>> {
                // By the organization's groups rather than its targets: a
                // target is only ever in a group of its own organization
                // (`set_target_group`), and this reads `targets_group`
                // alone, never a table row.
                let rows: Vec<(uuid::Uuid, i32, i64)> = sqlx::query_as(&format!(
                    "SELECT group_id, {severity}, COUNT(*) FROM targets \
                     WHERE group_id IN (SELECT id FROM target_groups WHERE organization_id = $1) \
                     GROUP BY group_id, {severity}",
                    severity = $crate::rows::SEVERITY_SQL
                ))
                .bind(org.0)
                .fetch_all(self.reader())
                .await?;
                rows.into_iter()
                    .map(|(group, rank, n)| {
                        Ok((
                            pharos_domain::ids::GroupId(group),
                            $crate::rows::state_of_rank(rank)?,
                            u64::try_from(n).unwrap_or(0),
                        ))
                    })
                    .collect()
            }

            async fn group_heads(
                &self,
                org: pharos_domain::ids::OrganizationId,
                groups: &[pharos_domain::ids::GroupId],
                per_group: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::TargetSummary>> {
                if groups.is_empty() {
                    return Ok(Vec::new());
                }
                // One short walk of `targets_group` per group, in one
                // statement: a window function over every grouped target
                // read them all (33 ms at 10,000).
                let mut qb: sqlx::QueryBuilder<'_, $db> = sqlx::QueryBuilder::new("");
                for (i, group) in groups.iter().enumerate() {
                    if i > 0 {
                        qb.push(" UNION ALL ");
                    }
                    qb.push(format!(
                        "SELECT * FROM (SELECT {columns} FROM targets t \
                         LEFT JOIN checks c ON c.id = t.last_check_id WHERE t.group_id = ",
                        columns = $crate::rows::TARGET_SUMMARY_COLUMNS,
                    ))
                    .push_bind(group.0)
                    .push(" AND t.organization_id = ")
                    .push_bind(org.0)
                    .push(format!(
                        " ORDER BY {}, {}, t.id LIMIT ",
                        $crate::rows::SEVERITY_SQL,
                        $crate::rows::SORT_NAME_SQL
                    ))
                    .push_bind(i64::from(per_group))
                    .push(format!(") h{i}"));
                }
                let rows: Vec<$crate::rows::TargetSummaryRow> =
                    qb.build_query_as().fetch_all(self.reader()).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }
        }
    };
}

pub(crate) use impl_labels;
