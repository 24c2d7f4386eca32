//! Maintenance windows and the targets they hold. The SQL both backends
//! run, stamped out per backend by `sql::impl_store!`.

macro_rules! impl_maintenance {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        impl $store {
            /// Writes a window's targets (after its row); a target that is
            /// not the organization's inserts nothing and is returned.
            async fn write_maintenance_targets(
                tx: &mut sqlx::Transaction<'_, $db>,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::MaintenanceId,
                scope: &pharos_domain::maintenance::MaintenanceScope,
            ) -> $crate::error::StoreResult<Option<pharos_domain::ids::TargetId>> {
                let pharos_domain::maintenance::MaintenanceScope::Targets(targets) = scope else {
                    return Ok(None);
                };
                let mut seen = std::collections::HashSet::new();
                for target in targets.iter().filter(|t| seen.insert(**t)) {
                    let added = sqlx::query(
                        "INSERT INTO maintenance_targets (window_id, target_id) \
                         SELECT $1, id FROM targets WHERE organization_id = $2 AND id = $3",
                    )
                    .bind(id.0)
                    .bind(org.0)
                    .bind(target.0)
                    .execute(&mut **tx)
                    .await?;
                    if added.rows_affected() != 1 {
                        return Ok(Some(*target));
                    }
                }
                Ok(None)
            }

            /// Rows and their targets, made into windows.
            fn assemble_windows(
                rows: Vec<$crate::rows::MaintenanceRow>,
                links: Vec<(uuid::Uuid, uuid::Uuid)>,
            ) -> $crate::error::StoreResult<Vec<pharos_domain::maintenance::MaintenanceWindow>> {
                let mut targets: std::collections::HashMap<uuid::Uuid, Vec<pharos_domain::ids::TargetId>> =
                    std::collections::HashMap::new();
                for (window, target) in links {
                    targets
                        .entry(window)
                        .or_default()
                        .push(pharos_domain::ids::TargetId(target));
                }
                rows.into_iter()
                    .map(|row| {
                        let ids = targets.remove(&row.id).unwrap_or_default();
                        row.into_window(ids)
                    })
                    .collect()
            }

            /// Windows with their targets: one organization's, one window
            /// of it, or (both `None`) every organization's.
            async fn load_windows(
                &self,
                org: Option<pharos_domain::ids::OrganizationId>,
                id: Option<pharos_domain::ids::MaintenanceId>,
            ) -> $crate::error::StoreResult<Vec<pharos_domain::maintenance::MaintenanceWindow>> {
                let rows: Vec<$crate::rows::MaintenanceRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM maintenance_windows \
                     WHERE ($1 IS NULL OR organization_id = $1) AND ($2 IS NULL OR id = $2) \
                     ORDER BY organization_id, created_at, id",
                    $crate::rows::MAINTENANCE_COLUMNS
                ))
                .bind(org.map(|o| o.0))
                .bind(id.map(|i| i.0))
                .fetch_all(self.reader())
                .await?;
                let links: Vec<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
                    "SELECT mt.window_id, mt.target_id FROM maintenance_targets mt \
                     JOIN maintenance_windows w ON w.id = mt.window_id \
                     WHERE ($1 IS NULL OR w.organization_id = $1) AND ($2 IS NULL OR w.id = $2) \
                     ORDER BY mt.window_id, mt.target_id",
                )
                .bind(org.map(|o| o.0))
                .bind(id.map(|i| i.0))
                .fetch_all(self.reader())
                .await?;
                Self::assemble_windows(rows, links)
            }

            async fn save_maintenance(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::MaintenanceId,
                plan: &pharos_domain::maintenance::MaintenancePlan,
                now: chrono::DateTime<chrono::Utc>,
                create: bool,
            ) -> $crate::error::StoreResult<$crate::models::MaintenanceWrite> {
                use pharos_domain::maintenance::MaintenanceScope;
                let (kind, starts_at, ends_at, weekdays, start_minute, duration, zone) =
                    $crate::rows::schedule_columns(&plan.schedule);
                let all_targets = matches!(plan.scope, MaintenanceScope::Organization);
                let now = $crate::rows::to_micros(now);
                let mut tx = self.writer().begin().await?;
                let written = if create {
                    sqlx::query(
                        "INSERT INTO maintenance_windows (id, organization_id, name, kind, starts_at, ends_at, \
                           weekdays, start_minute, duration_minutes, time_zone, all_targets, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
                    )
                } else {
                    sqlx::query(
                        "UPDATE maintenance_windows SET name = $3, kind = $4, starts_at = $5, ends_at = $6, \
                           weekdays = $7, start_minute = $8, duration_minutes = $9, time_zone = $10, \
                           all_targets = $11, updated_at = $12 \
                         WHERE id = $1 AND organization_id = $2",
                    )
                }
                .bind(id.0)
                .bind(org.0)
                .bind(plan.name.as_str())
                .bind(kind)
                .bind(starts_at)
                .bind(ends_at)
                .bind(weekdays)
                .bind(start_minute)
                .bind(duration)
                .bind(zone)
                .bind(all_targets)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::error::unique_as_conflict(e, "a maintenance window with this id exists"))?;
                if written.rows_affected() != 1 {
                    return Ok($crate::models::MaintenanceWrite::NotFound);
                }
                sqlx::query("DELETE FROM maintenance_targets WHERE window_id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                if let Some(foreign) = Self::write_maintenance_targets(&mut tx, org, id, &plan.scope).await? {
                    tx.rollback().await?;
                    return Ok($crate::models::MaintenanceWrite::UnknownTarget(foreign));
                }
                tx.commit().await?;
                match $crate::store::MaintenanceStore::maintenance_window(self, org, id).await? {
                    Some(window) => Ok($crate::models::MaintenanceWrite::Saved(window)),
                    // Deleted between the commit and the read.
                    None => Ok($crate::models::MaintenanceWrite::NotFound),
                }
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::MaintenanceStore for $store {
            async fn create_maintenance(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::MaintenanceId,
                plan: &pharos_domain::maintenance::MaintenancePlan,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<$crate::models::MaintenanceWrite> {
                self.save_maintenance(org, id, plan, now, true).await
            }

            async fn maintenance_windows(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<pharos_domain::maintenance::MaintenanceWindow>> {
                self.load_windows(Some(org), None).await
            }

            async fn maintenance_window(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::MaintenanceId,
            ) -> $crate::error::StoreResult<Option<pharos_domain::maintenance::MaintenanceWindow>> {
                Ok(self.load_windows(Some(org), Some(id)).await?.pop())
            }

            async fn replace_maintenance(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::MaintenanceId,
                plan: &pharos_domain::maintenance::MaintenancePlan,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<$crate::models::MaintenanceWrite> {
                self.save_maintenance(org, id, plan, now, false).await
            }

            async fn delete_maintenance(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::MaintenanceId,
            ) -> $crate::error::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM maintenance_windows WHERE organization_id = $1 AND id = $2")
                    .bind(org.0)
                    .bind(id.0)
                    .execute(self.writer())
                    .await?;
                Ok(done.rows_affected() > 0)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::MaintenanceCalendarStore for $store {
            async fn all_maintenance_windows(
                &self,
            ) -> $crate::error::StoreResult<Vec<pharos_domain::maintenance::MaintenanceWindow>> {
                self.load_windows(None, None).await
            }
        }
    };
}

pub(crate) use impl_maintenance;
