//! Claiming due targets and writing their results under the claim. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_scheduling {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        impl $store {
            /// Everything a stored check brings with it: the row, the state
            /// history, the incident, the roll-ups.
            async fn write_check_effects(
                tx: &mut sqlx::Transaction<'_, $db>,
                org: pharos_domain::ids::OrganizationId,
                check: &$crate::models::Check,
                status: &$crate::models::StatusUpdate,
                events: &mut Vec<$crate::events::PendingEvent>,
            ) -> $crate::error::StoreResult<()> {
                Self::insert_check(tx, check, None).await?;
                Self::write_status_effects(tx, org, check, status, events).await
            }

            /// Stores the check row; `false` when an agent's result for
            /// this slot is stored already (a retried push).
            pub(crate) async fn insert_check(
                tx: &mut sqlx::Transaction<'_, $db>,
                check: &$crate::models::Check,
                slot: Option<chrono::DateTime<chrono::Utc>>,
            ) -> $crate::error::StoreResult<bool> {
                let checked_at = $crate::rows::to_micros(check.checked_at);
                let done = sqlx::query(
                    "INSERT INTO checks (id, target_id, checked_at, status_code, latency_ms, is_up, \
                       degraded, error_class, error, dns_ms, connect_ms, tls_ms, first_byte_ms, in_maintenance, \
                       agent_id, slot_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(check.id.0)
                .bind(check.target_id.0)
                .bind(checked_at)
                .bind(check.status_code.map(i32::from))
                .bind(check.latency_ms.map(i64::from))
                .bind(check.is_up)
                .bind(check.degraded)
                .bind(check.error_class.map(|c| c.as_str()))
                .bind(check.error.as_deref())
                .bind(check.timings.dns_ms.map(i64::from))
                .bind(check.timings.connect_ms.map(i64::from))
                .bind(check.timings.tls_ms.map(i64::from))
                .bind(check.timings.first_byte_ms.map(i64::from))
                .bind(check.in_maintenance)
                .bind(check.location.agent().map(|a| a.0))
                .bind(slot.map($crate::rows::to_micros))
                .execute(&mut **tx)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            /// The state history, the incident, the events and the
            /// roll-ups of a stored check.
            pub(crate) async fn write_status_effects(
                tx: &mut sqlx::Transaction<'_, $db>,
                org: pharos_domain::ids::OrganizationId,
                check: &$crate::models::Check,
                status: &$crate::models::StatusUpdate,
                events: &mut Vec<$crate::events::PendingEvent>,
            ) -> $crate::error::StoreResult<()> {
                use pharos_domain::status::IncidentChange;
                let checked_at = $crate::rows::to_micros(check.checked_at);
                let transition = &status.transition;
                if transition.changed {
                    sqlx::query(
                        "INSERT INTO state_changes (id, target_id, changed_at, from_state, to_state, check_id) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(uuid::Uuid::now_v7())
                    .bind(check.target_id.0)
                    .bind(checked_at)
                    .bind(status.previous.as_str())
                    .bind(transition.state.as_str())
                    .bind(check.id.0)
                    .execute(&mut **tx)
                    .await?;
                }
                let incident_id = match transition.incident {
                    IncidentChange::Open => {
                        let id = uuid::Uuid::now_v7();
                        sqlx::query(
                            "INSERT INTO incidents (id, target_id, opened_at, cause, error_class, first_check_id) \
                             VALUES ($1, $2, $3, $4, $5, $6)",
                        )
                        .bind(id)
                        .bind(check.target_id.0)
                        .bind(checked_at)
                        .bind(check.error.as_deref().unwrap_or("the check failed"))
                        .bind(check.error_class.map(|c| c.as_str()))
                        .bind(check.id.0)
                        .execute(&mut **tx)
                        .await?;
                        Some(id)
                    }
                    IncidentChange::Close => {
                        let closed: Option<(uuid::Uuid,)> = sqlx::query_as(
                            "UPDATE incidents SET closed_at = $1 WHERE target_id = $2 AND closed_at IS NULL \
                             RETURNING id",
                        )
                        .bind(checked_at)
                        .bind(check.target_id.0)
                        .fetch_optional(&mut **tx)
                        .await?;
                        closed.map(|(id,)| id)
                    }
                    IncidentChange::None => None,
                };
                $crate::events::of_check(org, check, status, incident_id, events);
                Self::write_rollups(tx, check).await
            }

            /// A worker's result for a target checked from several
            /// locations: the worker judged the `local` location (its
            /// failure count is the target's `consecutive_failures`); the
            /// target's state is what the quorum says. `false` when the
            /// lease was lost.
            async fn record_local_location(
                tx: &mut sqlx::Transaction<'_, $db>,
                record: &$crate::models::CheckRecord,
                events: &mut Vec<$crate::events::PendingEvent>,
            ) -> $crate::error::StoreResult<bool> {
                let check = &record.check;
                let t = &record.status.transition;
                let released = sqlx::query(
                    "UPDATE targets SET next_due_at = $1, lease_owner = NULL, lease_until = NULL, \
                       consecutive_failures = $2, certificate_window = $3 \
                     WHERE id = $4 AND lease_epoch = $5 AND lease_owner IS NOT NULL AND quorum IS NOT NULL",
                )
                .bind($crate::rows::to_micros(record.next_due_at))
                .bind(i64::from(t.consecutive_failures))
                .bind(record.certificate.window.map(i64::from))
                .bind(check.target_id.0)
                .bind(record.lease_epoch)
                .execute(&mut **tx)
                .await?;
                if released.rows_affected() == 0 {
                    return Ok(false);
                }
                let own: Option<(String,)> = sqlx::query_as(
                    "SELECT state FROM location_states WHERE target_id = $1 AND location = $2",
                )
                .bind(check.target_id.0)
                .bind(uuid::Uuid::nil())
                .fetch_optional(&mut **tx)
                .await?;
                let own = own
                    .and_then(|(s,)| pharos_domain::status::TargetState::parse(&s))
                    .unwrap_or(pharos_domain::status::TargetState::Pending);
                // An unconfirmed failure (re-checked soon) or a held target
                // leaves the location's view as it was.
                let local = if t.recheck_soon || check.in_maintenance {
                    own
                } else if check.is_up {
                    if check.degraded {
                        pharos_domain::status::TargetState::Degraded
                    } else {
                        pharos_domain::status::TargetState::Up
                    }
                } else {
                    pharos_domain::status::TargetState::Down
                };
                Self::insert_check(tx, check, None).await?;
                let status = Self::settle_location(
                    tx,
                    check.target_id,
                    pharos_domain::agent::Location::Local,
                    local,
                    t.consecutive_failures,
                    check.checked_at,
                )
                .await?;
                match status {
                    Some(status) => {
                        Self::write_target_state(tx, check, &status).await?;
                        Self::write_status_effects(tx, record.organization_id, check, &status, events)
                            .await?;
                    }
                    None => Self::write_rollups(tx, check).await?,
                }
                if let Some((expires_at, window)) = record.certificate.warning {
                    $crate::events::certificate_expiring(record.organization_id, check, expires_at, window, events);
                }
                Ok(true)
            }

            /// The three roll-up upserts of a stored check.
            pub(crate) async fn write_rollups(
                tx: &mut sqlx::Transaction<'_, $db>,
                check: &$crate::models::Check,
            ) -> $crate::error::StoreResult<()> {
                let checked_at = $crate::rows::to_micros(check.checked_at);
                // Latency counts only for answers that arrived: a timeout's
                // "latency" is the timeout, not the service's speed.
                let latency = check.latency_ms.filter(|_| check.is_up);
                // A failure during a maintenance window is planned, not
                // downtime: it counts as up in uptime and status pages.
                let counts_up = check.is_up || check.in_maintenance;
                let bin = latency.map_or(-1, |ms| pharos_domain::rollup::bin_of(ms) as i64);
                for width in pharos_domain::rollup::BUCKET_WIDTHS {
                    sqlx::query($crate::rows::rollup_upsert_sql())
                        .bind(check.target_id.0)
                        .bind(i64::from(width))
                        .bind($crate::rows::bucket_start(checked_at, width))
                        .bind(i64::from(counts_up))
                        .bind(i64::from(check.degraded))
                        .bind(i64::from(latency.is_some()))
                        .bind(latency.map_or(0, i64::from))
                        .bind(latency.map(|ms| i32::try_from(ms).unwrap_or(i32::MAX)))
                        .bind(bin)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::SchedulingStore for $store {
            async fn claim_due_targets(
                &self,
                worker: &str,
                now: chrono::DateTime<chrono::Utc>,
                lease: chrono::Duration,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::ClaimedTarget>> {
                let now = $crate::rows::to_micros(now);
                let sql = format!(
                    "UPDATE targets SET lease_owner = $1, lease_until = $2, lease_epoch = lease_epoch + 1 \
                     WHERE id IN (SELECT id FROM targets \
                                  WHERE NOT paused AND check_local AND next_due_at <= $3 \
                                    AND (lease_until IS NULL OR lease_until < $3) \
                                  ORDER BY next_due_at LIMIT $4 {}) \
                     RETURNING {}, lease_epoch",
                    $claim_lock,
                    $crate::rows::TARGET_COLUMNS
                );
                let rows: Vec<$crate::rows::ClaimRow> = sqlx::query_as(&sql)
                    .bind(worker)
                    .bind(now + lease)
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(self.writer())
                    .await?;
                rows.into_iter()
                    .map(|row| {
                        let target: $crate::models::Target = row.target.try_into()?;
                        Ok($crate::models::ClaimedTarget {
                            due_at: target.next_due_at,
                            target,
                            lease_epoch: row.lease_epoch,
                        })
                    })
                    .collect()
            }

            async fn due_work(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<$crate::models::DueWork> {
                // One range scan of the next_due_at index: only due rows.
                let (waiting, claimed): (Option<i64>, Option<i64>) = sqlx::query_as(
                    "SELECT CAST(SUM(CASE WHEN lease_until IS NULL OR lease_until < $1 THEN 1 ELSE 0 END) AS BIGINT), \
                            CAST(SUM(CASE WHEN lease_until >= $1 THEN 1 ELSE 0 END) AS BIGINT) \
                     FROM targets WHERE NOT paused AND check_local AND next_due_at <= $1",
                )
                .bind($crate::rows::to_micros(now))
                .fetch_one(self.reader())
                .await?;
                Ok($crate::models::DueWork {
                    waiting: waiting.unwrap_or(0),
                    claimed: claimed.unwrap_or(0),
                })
            }

            async fn release_claims(
                &self,
                claims: &[(pharos_domain::ids::TargetId, i64, chrono::DateTime<chrono::Utc>)],
            ) -> $crate::error::StoreResult<u64> {
                let mut released = 0;
                let mut tx = self.writer().begin().await?;
                for (id, epoch, due) in claims {
                    let done = sqlx::query(
                        "UPDATE targets SET lease_owner = NULL, lease_until = NULL, next_due_at = $1 \
                         WHERE id = $2 AND lease_epoch = $3 AND lease_owner IS NOT NULL",
                    )
                    .bind($crate::rows::to_micros(*due))
                    .bind(id.0)
                    .bind(*epoch)
                    .execute(&mut *tx)
                    .await?;
                    released += done.rows_affected();
                }
                tx.commit().await?;
                Ok(released)
            }

            async fn record_checks(
                &self,
                records: &[$crate::models::CheckRecord],
            ) -> $crate::error::StoreResult<u64> {
                let mut written = 0;
                let mut events = Vec::new();
                let mut tx = self.writer().begin().await?;
                for record in records {
                    let check = &record.check;
                    // The epoch proves this worker still holds the lease.
                    let t = &record.status.transition;
                    let released = sqlx::query(
                        "UPDATE targets SET next_due_at = $1, lease_owner = NULL, lease_until = NULL, \
                           last_check_id = $2, state = $5, consecutive_failures = $6, \
                           state_changed_at = CASE WHEN $7 THEN $8 ELSE state_changed_at END, \
                           certificate_window = $9 \
                         WHERE id = $3 AND lease_epoch = $4 AND lease_owner IS NOT NULL AND quorum IS NULL",
                    )
                    .bind($crate::rows::to_micros(record.next_due_at))
                    .bind(check.id.0)
                    .bind(check.target_id.0)
                    .bind(record.lease_epoch)
                    .bind(t.state.as_str())
                    .bind(i64::from(t.consecutive_failures))
                    .bind(t.changed)
                    .bind($crate::rows::to_micros(check.checked_at))
                    .bind(record.certificate.window.map(i64::from))
                    .execute(&mut *tx)
                    .await?;
                    let org = record.organization_id;
                    if released.rows_affected() == 0 {
                        // A target checked from several locations (or a
                        // lost lease, which this also drops).
                        if Self::record_local_location(&mut tx, record, &mut events).await? {
                            written += 1;
                        }
                        continue;
                    }
                    Self::write_check_effects(&mut tx, org, check, &record.status, &mut events).await?;
                    if let Some((expires_at, window)) = record.certificate.warning {
                        $crate::events::certificate_expiring(org, check, expires_at, window, &mut events);
                    }
                    written += 1;
                }
                Self::append_events(&mut tx, events).await?;
                tx.commit().await?;
                Ok(written)
            }
        }
    };
}

pub(crate) use impl_scheduling;
