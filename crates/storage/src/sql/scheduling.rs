//! Claiming due targets and writing their results under the claim. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_scheduling {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        impl $store {
            /// Everything a stored check brings with it: the row, the state
            /// history, the incident, the roll-ups.
            async fn write_check_effects<'a>(
                tx: &mut sqlx::Transaction<'_, $db>,
                org: pharos_domain::ids::OrganizationId,
                check: &'a $crate::models::Check,
                status: &$crate::models::StatusUpdate,
                deferred: &mut $crate::deferred::Deferred<'a>,
            ) -> $crate::error::StoreResult<()> {
                deferred.checks.push(check);
                Self::write_status_effects(tx, org, check, status, deferred).await
            }

            /// Inserts check rows, many to a statement, and returns the ids
            /// of those stored: an agent's result for a slot stored already
            /// (a retried push) is skipped.
            pub(crate) async fn insert_checks(
                tx: &mut sqlx::Transaction<'_, $db>,
                checks: &[(&$crate::models::Check, Option<chrono::DateTime<chrono::Utc>>)],
            ) -> $crate::error::StoreResult<std::collections::HashSet<uuid::Uuid>> {
                // 16 parameters a row: 500 rows stay far below either
                // backend's limit.
                const ROWS_PER_STATEMENT: usize = 500;
                let mut stored = std::collections::HashSet::with_capacity(checks.len());
                for chunk in checks.chunks(ROWS_PER_STATEMENT) {
                    let mut qb: sqlx::QueryBuilder<'_, $db> = sqlx::QueryBuilder::new(
                        "INSERT INTO checks (id, target_id, checked_at, status_code, latency_ms, is_up, \
                           degraded, error_class, error, dns_ms, connect_ms, tls_ms, first_byte_ms, \
                           in_maintenance, agent_id, slot_at) ",
                    );
                    qb.push_values(chunk, |mut row, (check, slot)| {
                        row.push_bind(check.id.0)
                            .push_bind(check.target_id.0)
                            .push_bind($crate::rows::to_micros(check.checked_at))
                            .push_bind(check.status_code.map(i32::from))
                            .push_bind(check.latency_ms.map(i64::from))
                            .push_bind(check.is_up)
                            .push_bind(check.degraded)
                            .push_bind(check.error_class.map(|c| c.as_str()))
                            .push_bind(check.error.clone())
                            .push_bind(check.timings.dns_ms.map(i64::from))
                            .push_bind(check.timings.connect_ms.map(i64::from))
                            .push_bind(check.timings.tls_ms.map(i64::from))
                            .push_bind(check.timings.first_byte_ms.map(i64::from))
                            .push_bind(check.in_maintenance)
                            .push_bind(check.location.agent().map(|a| a.0))
                            .push_bind(slot.map($crate::rows::to_micros));
                    });
                    qb.push(" ON CONFLICT DO NOTHING RETURNING id");
                    let ids: Vec<(uuid::Uuid,)> = qb.build_query_as().fetch_all(&mut **tx).await?;
                    stored.extend(ids.into_iter().map(|(id,)| id));
                }
                Ok(stored)
            }

            /// Writes a batch's roll-up increments, many buckets to a
            /// statement.
            async fn write_rollup_batch(
                tx: &mut sqlx::Transaction<'_, $db>,
                rollups: &$crate::deferred::RollupBatch,
            ) -> $crate::error::StoreResult<()> {
                // 22 parameters a row.
                const ROWS_PER_STATEMENT: usize = 400;
                let rows = rollups.sorted();
                for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                    let mut qb: sqlx::QueryBuilder<'_, $db> = sqlx::QueryBuilder::new(format!(
                        "INSERT INTO check_rollups (target_id, bucket_seconds, bucket_start, checks, up, degraded, \
                           latency_count, latency_sum, latency_min, latency_max, {}) ",
                        $crate::rows::rollup_bin_columns()
                    ));
                    qb.push_values(chunk, |mut row, ((target, width, start), r)| {
                        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
                        let ms = |v: Option<u32>| v.map(|ms| i32::try_from(ms).unwrap_or(i32::MAX));
                        row.push_bind(*target)
                            .push_bind(i64::from(*width))
                            .push_bind(*start)
                            .push_bind(count(r.checks))
                            .push_bind(count(r.up))
                            .push_bind(count(r.degraded))
                            .push_bind(count(r.latency_count))
                            .push_bind(count(r.latency_sum))
                            .push_bind(ms(r.latency_min))
                            .push_bind(ms(r.latency_max));
                        for bin in r.bins {
                            row.push_bind(count(bin));
                        }
                    });
                    qb.push($crate::rows::rollup_conflict_sql());
                    qb.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Writes what a batch left for the end of its transaction.
            pub(crate) async fn write_deferred(
                tx: &mut sqlx::Transaction<'_, $db>,
                deferred: $crate::deferred::Deferred<'_>,
            ) -> $crate::error::StoreResult<()> {
                if !deferred.checks.is_empty() {
                    let rows: Vec<_> = deferred.checks.iter().map(|c| (*c, None)).collect();
                    Self::insert_checks(tx, &rows).await?;
                }
                if !deferred.rollups.is_empty() {
                    Self::write_rollup_batch(tx, &deferred.rollups).await?;
                }
                Self::write_location_views(tx, &deferred.locations).await?;
                Self::append_events(tx, deferred.events).await?;
                Ok(())
            }

            /// The state history, the incident, the events and the
            /// roll-ups of a stored check.
            pub(crate) async fn write_status_effects(
                tx: &mut sqlx::Transaction<'_, $db>,
                org: pharos_domain::ids::OrganizationId,
                check: &$crate::models::Check,
                status: &$crate::models::StatusUpdate,
                deferred: &mut $crate::deferred::Deferred<'_>,
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
                $crate::events::of_check(org, check, status, incident_id, &mut deferred.events);
                deferred.rollups.add(check);
                Ok(())
            }

            /// A worker's result for a target checked from several
            /// locations: the worker judged the `local` location (its
            /// failure count is the target's `consecutive_failures`); the
            /// target's state is what the quorum says. `false` when the
            /// lease was lost.
            async fn record_local_location<'a>(
                tx: &mut sqlx::Transaction<'_, $db>,
                record: &'a $crate::models::CheckRecord,
                deferred: &mut $crate::deferred::Deferred<'a>,
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
                Self::load_locations(tx, &mut deferred.locations, [check.target_id.0]).await?;
                let own = deferred
                    .locations
                    .view(check.target_id.0, pharos_domain::agent::Location::Local)
                    .map_or(pharos_domain::status::TargetState::Pending, |(state, _)| state);
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
                deferred.checks.push(check);
                let status = Self::settle_location(
                    tx,
                    &mut deferred.locations,
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
                        Self::write_status_effects(tx, record.organization_id, check, &status, deferred)
                            .await?;
                    }
                    None => deferred.rollups.add(check),
                }
                if let Some((expires_at, window)) = record.certificate.warning {
                    $crate::events::certificate_expiring(
                        record.organization_id,
                        check,
                        expires_at,
                        window,
                        &mut deferred.events,
                    );
                }
                Ok(true)
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
                let mut deferred = $crate::deferred::Deferred::default();
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
                        if Self::record_local_location(&mut tx, record, &mut deferred).await? {
                            written += 1;
                        }
                        continue;
                    }
                    Self::write_check_effects(&mut tx, org, check, &record.status, &mut deferred).await?;
                    if let Some((expires_at, window)) = record.certificate.warning {
                        $crate::events::certificate_expiring(org, check, expires_at, window, &mut deferred.events);
                    }
                    written += 1;
                }
                Self::write_deferred(&mut tx, deferred).await?;
                tx.commit().await?;
                Ok(written)
            }
        }
    };
}

pub(crate) use impl_scheduling;
