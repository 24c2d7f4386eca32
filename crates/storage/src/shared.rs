//! The queries both backends share.
//!
//! SQLite and PostgreSQL accept the same SQL for everything Pharos does
//! except row locking, and sqlx's row types are generic, so the `Store`
//! implementation is written once here as a macro and stamped out per
//! backend. (A generic `impl<DB: Database>` would need a wall of trait
//! bounds per query; the macro keeps the SQL readable.) Each backend passes
//! the pieces that differ: its name, its migrator and its claim lock clause.

macro_rules! impl_store {
    (
        store = $store:ty,
        db = $db:ty,
        backend = $backend:literal,
        migrator = $migrator:expr,
        claim_lock = $claim_lock:literal,
        row_lock = $row_lock:literal,
        job_lock = $job_lock:ident,
        size_sql = $size_sql:literal $(,)?
    ) => {
        impl $store {
            /// Inserts one target inside `tx` (one INSERT for single and bulk creation).
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

            /// Everything a stored check brings with it: the row, the state
            /// history, the incident, the roll-ups.
            async fn write_check_effects(
                tx: &mut sqlx::Transaction<'_, $db>,
                org: pharos_domain::ids::OrganizationId,
                check: &$crate::models::Check,
                status: &$crate::models::StatusUpdate,
                events: &mut Vec<$crate::events::PendingEvent>,
            ) -> $crate::error::StoreResult<()> {
                use pharos_domain::status::IncidentChange;
                let checked_at = $crate::rows::to_micros(check.checked_at);
                sqlx::query(
                    "INSERT INTO checks (id, target_id, checked_at, status_code, latency_ms, is_up, \
                       degraded, error_class, error, dns_ms, connect_ms, tls_ms, first_byte_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
                .execute(&mut **tx)
                .await?;
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
                // Latency counts only for answers that arrived: a timeout's
                // "latency" is the timeout, not the service's speed.
                let latency = check.latency_ms.filter(|_| check.is_up);
                let bin = latency.map_or(-1, |ms| pharos_domain::rollup::bin_of(ms) as i64);
                for width in pharos_domain::rollup::BUCKET_WIDTHS {
                    sqlx::query($crate::rows::rollup_upsert_sql())
                        .bind(check.target_id.0)
                        .bind(i64::from(width))
                        .bind($crate::rows::bucket_start(checked_at, width))
                        .bind(i64::from(check.is_up))
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

            /// Numbers and writes `events` inside `tx`. Organizations take
            /// their numbers in id order, so two transactions never wait on
            /// each other's counters in opposite orders (no deadlock).
            async fn append_events(
                tx: &mut sqlx::Transaction<'_, $db>,
                mut events: Vec<$crate::events::PendingEvent>,
            ) -> $crate::error::StoreResult<()> {
                // Stable: each organization's events keep their order.
                events.sort_by_key(|e| e.organization_id.0);
                for batch in events.chunk_by(|a, b| a.organization_id == b.organization_id) {
                    let org = batch[0].organization_id;
                    let count = i64::try_from(batch.len()).unwrap_or(i64::MAX);
                    let (last,): (i64,) = sqlx::query_as(
                        "UPDATE organizations SET event_seq = event_seq + $1 WHERE id = $2 RETURNING event_seq",
                    )
                    .bind(count)
                    .bind(org.0)
                    .fetch_one(&mut **tx)
                    .await?;
                    for (seq, event) in (last - count + 1..).zip(batch) {
                        sqlx::query(
                            "INSERT INTO events (organization_id, seq, event_type, target_id, incident_id, \
                               occurred_at, payload) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        )
                        .bind(org.0)
                        .bind(seq)
                        .bind(event.event_type.as_str())
                        .bind(event.target_id.0)
                        .bind(event.incident_id)
                        .bind($crate::rows::to_micros(event.occurred_at))
                        .bind(&event.payload)
                        .execute(&mut **tx)
                        .await?;
                    }
                }
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn database_bytes(&self) -> $crate::error::StoreResult<i64> {
                let (bytes,): (i64,) = sqlx::query_as($size_sql).fetch_one(self.reader()).await?;
                Ok(bytes)
            }

            async fn migrate(&self) -> $crate::error::StoreResult<()> {
                $migrator.run(self.writer()).await?;
                Ok(())
            }

            async fn ready(&self) -> $crate::error::StoreResult<bool> {
                let applied: Vec<(i64,)> =
                    sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success")
                        .fetch_all(self.reader())
                        .await?;
                let applied: std::collections::HashSet<i64> =
                    applied.into_iter().map(|(v,)| v).collect();
                Ok($migrator
                    .iter()
                    .all(|m| applied.contains(&m.version)))
            }

            async fn create_account(
                &self,
                account: $crate::models::NewAccount<'_>,
            ) -> $crate::error::StoreResult<($crate::models::User, $crate::models::Organization)> {
                use pharos_domain::ids::{OrganizationId, UserId};
                let now = $crate::rows::to_micros(account.now);
                let user_id = UserId::new();
                let org_id = OrganizationId::new();
                let mut tx = self.writer().begin().await?;
                let inserted = sqlx::query(
                    "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(user_id.0)
                .bind(account.email)
                .bind(account.password_hash)
                .bind(now)
                .execute(&mut *tx)
                .await;
                if let Err(e) = inserted {
                    return Err($crate::error::unique_as_conflict(e, "email is already registered"));
                }
                sqlx::query(
                    "INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)",
                )
                    .bind(org_id.0)
                    .bind(account.organization_name)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO memberships (user_id, organization_id, role, created_at) \
                     VALUES ($1, $2, 'owner', $3)",
                )
                .bind(user_id.0)
                .bind(org_id.0)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok((
                    $crate::models::User {
                        id: user_id,
                        email: account.email.to_owned(),
                        created_at: now,
                    },
                    $crate::models::Organization {
                        id: org_id,
                        name: account.organization_name.to_owned(),
                        created_at: now,
                    },
                ))
            }

            async fn user_credentials(
                &self,
                email: &str,
            ) -> $crate::error::StoreResult<Option<$crate::models::UserCredentials>> {
                let row: Option<($crate::rows::UserRow, String)> = sqlx::query_as::<_, (uuid::Uuid, String, chrono::DateTime<chrono::Utc>, String)>(
                    "SELECT id, email, created_at, password_hash FROM users WHERE email = $1",
                )
                .bind(email)
                .fetch_optional(self.reader())
                .await?
                .map(|(id, email, created_at, hash)| ($crate::rows::UserRow { id, email, created_at }, hash));
                Ok(row.map(|(user, password_hash)| $crate::models::UserCredentials {
                    user: user.into(),
                    password_hash,
                }))
            }

            async fn user(
                &self,
                id: pharos_domain::ids::UserId,
            ) -> $crate::error::StoreResult<Option<$crate::models::User>> {
                let row: Option<$crate::rows::UserRow> =
                    sqlx::query_as("SELECT id, email, created_at FROM users WHERE id = $1")
                        .bind(id.0)
                        .fetch_optional(self.reader())
                        .await?;
                Ok(row.map(Into::into))
            }

            async fn set_password_hash(
                &self,
                id: pharos_domain::ids::UserId,
                password_hash: &str,
            ) -> $crate::error::StoreResult<()> {
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(password_hash)
                    .bind(id.0)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn memberships(
                &self,
                user: pharos_domain::ids::UserId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Membership>> {
                let rows: Vec<(uuid::Uuid, String, chrono::DateTime<chrono::Utc>, String)> = sqlx::query_as(
                    "SELECT o.id, o.name, o.created_at, m.role FROM memberships m \
                     JOIN organizations o ON o.id = m.organization_id \
                     WHERE m.user_id = $1 ORDER BY m.created_at, o.id",
                )
                .bind(user.0)
                .fetch_all(self.reader())
                .await?;
                rows.into_iter()
                    .map(|(id, name, created_at, role)| {
                        Ok($crate::models::Membership {
                            organization: $crate::rows::OrganizationRow { id, name, created_at }.into(),
                            role: $crate::rows::parse_role(&role)?,
                        })
                    })
                    .collect()
            }

            async fn members(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Member>> {
                type Row = (uuid::Uuid, String, chrono::DateTime<chrono::Utc>, String, chrono::DateTime<chrono::Utc>);
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT u.id, u.email, u.created_at, m.role, m.created_at FROM memberships m \
                     JOIN users u ON u.id = m.user_id \
                     WHERE m.organization_id = $1 ORDER BY m.created_at, u.email",
                )
                .bind(org.0)
                .fetch_all(self.reader())
                .await?;
                rows.into_iter()
                    .map(|(id, email, created_at, role, joined_at)| {
                        Ok($crate::models::Member {
                            user: $crate::rows::UserRow { id, email, created_at }.into(),
                            role: $crate::rows::parse_role(&role)?,
                            joined_at,
                        })
                    })
                    .collect()
            }

            async fn rename_organization(
                &self,
                org: pharos_domain::ids::OrganizationId,
                name: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<bool> {
                let done = sqlx::query("UPDATE organizations SET name = $1, updated_at = $2 WHERE id = $3")
                    .bind(name)
                    .bind($crate::rows::to_micros(now))
                    .bind(org.0)
                    .execute(self.writer())
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn organization_summaries(
                &self,
            ) -> $crate::error::StoreResult<Vec<$crate::models::OrganizationSummary>> {
                let rows: Vec<(uuid::Uuid, String, chrono::DateTime<chrono::Utc>, i64, i64)> = sqlx::query_as(
                    "SELECT o.id, o.name, o.created_at, \
                       (SELECT COUNT(*) FROM memberships m WHERE m.organization_id = o.id), \
                       (SELECT COUNT(*) FROM targets t WHERE t.organization_id = o.id) \
                     FROM organizations o ORDER BY o.created_at, o.id",
                )
                .fetch_all(self.reader())
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, name, created_at, members, targets)| $crate::models::OrganizationSummary {
                        organization: $crate::rows::OrganizationRow { id, name, created_at }.into(),
                        members,
                        targets,
                    })
                    .collect())
            }

            async fn create_session(
                &self,
                token_hash: &[u8],
                session: &$crate::models::Session,
            ) -> $crate::error::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash)
                .bind(session.user_id.0)
                .bind($crate::rows::to_micros(session.created_at))
                .bind($crate::rows::to_micros(session.last_seen_at))
                .bind($crate::rows::to_micros(session.expires_at))
                .execute(self.writer())
                .await?;
                Ok(())
            }

            async fn session(
                &self,
                token_hash: &[u8],
            ) -> $crate::error::StoreResult<Option<$crate::models::Session>> {
                type Row = (uuid::Uuid, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>);
                let row: Option<Row> = sqlx::query_as(
                    "SELECT user_id, created_at, last_seen_at, expires_at FROM sessions WHERE token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(self.reader())
                .await?;
                Ok(row.map(|(user_id, created_at, last_seen_at, expires_at)| $crate::models::Session {
                    user_id: pharos_domain::ids::UserId(user_id),
                    created_at,
                    last_seen_at,
                    expires_at,
                }))
            }

            async fn touch_session(
                &self,
                token_hash: &[u8],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<()> {
                sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                    .bind($crate::rows::to_micros(now))
                    .bind(token_hash)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn delete_session(&self, token_hash: &[u8]) -> $crate::error::StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn delete_other_sessions(
                &self,
                user: pharos_domain::ids::UserId,
                keep: &[u8],
            ) -> $crate::error::StoreResult<u64> {
                let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                    .bind(user.0)
                    .bind(keep)
                    .execute(self.writer())
                    .await?;
                Ok(done.rows_affected())
            }

            async fn delete_stale_sessions(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                idle_before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<u64> {
                let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2")
                    .bind($crate::rows::to_micros(now))
                    .bind($crate::rows::to_micros(idle_before))
                    .execute(self.writer())
                    .await?;
                Ok(done.rows_affected())
            }

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

            async fn try_lock_job(
                &self,
                job: pharos_domain::job::Job,
            ) -> $crate::error::StoreResult<Option<$crate::models::JobLock>> {
                self.$job_lock(job).await
            }

            async fn last_job_run(
                &self,
                job: pharos_domain::job::Job,
            ) -> $crate::error::StoreResult<Option<$crate::models::JobRun>> {
                let row: Option<(String, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>, i64)> =
                    sqlx::query_as(
                        "SELECT runner, started_at, finished_at, rows_affected FROM job_runs \
                         WHERE job = $1 ORDER BY finished_at DESC LIMIT 1",
                    )
                    .bind(job.as_str())
                    .fetch_optional(self.writer())
                    .await?;
                Ok(row.map(|(runner, started_at, finished_at, rows)| $crate::models::JobRun {
                    job,
                    runner,
                    started_at,
                    finished_at,
                    rows_affected: u64::try_from(rows).unwrap_or(0),
                }))
            }

            async fn record_job_run(
                &self,
                run: &$crate::models::JobRun,
            ) -> $crate::error::StoreResult<()> {
                let mut tx = self.writer().begin().await?;
                sqlx::query(
                    "INSERT INTO job_runs (id, job, runner, started_at, finished_at, rows_affected) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(uuid::Uuid::now_v7())
                .bind(run.job.as_str())
                .bind(&run.runner)
                .bind($crate::rows::to_micros(run.started_at))
                .bind($crate::rows::to_micros(run.finished_at))
                .bind(i64::try_from(run.rows_affected).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM job_runs WHERE job = $1 AND finished_at < $2")
                    .bind(run.job.as_str())
                    .bind($crate::rows::to_micros(run.finished_at - chrono::Duration::days(7)))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn events(
                &self,
                org: pharos_domain::ids::OrganizationId,
                after: i64,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Event>> {
                let rows: Vec<$crate::rows::EventRow> = sqlx::query_as(
                    "SELECT organization_id, seq, event_type, target_id, incident_id, occurred_at, payload \
                     FROM events WHERE organization_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                )
                .bind(org.0)
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(self.reader())
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn prune_events(
                &self,
                before: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::error::StoreResult<u64> {
                let done = sqlx::query(
                    "DELETE FROM events WHERE (organization_id, seq) IN \
                       (SELECT organization_id, seq FROM events WHERE occurred_at < $1 LIMIT $2)",
                )
                .bind($crate::rows::to_micros(before))
                .bind(i64::from(limit))
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected())
            }

            async fn target_by_heartbeat_token(
                &self,
                token: &str,
            ) -> $crate::error::StoreResult<Option<$crate::models::Target>> {
                let sql = format!(
                    "SELECT {} FROM targets t WHERE t.heartbeat_token = $1",
                    $crate::rows::TARGET_COLUMNS_T
                );
                let row: Option<$crate::rows::TargetRow> =
                    sqlx::query_as(&sql).bind(token).fetch_optional(self.reader()).await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn set_run_started(
                &self,
                id: pharos_domain::ids::TargetId,
                at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> $crate::error::StoreResult<()> {
                sqlx::query("UPDATE targets SET run_started_at = $1 WHERE id = $2")
                    .bind(at.map($crate::rows::to_micros))
                    .bind(id.0)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn record_direct(
                &self,
                record: &$crate::models::DirectRecord,
            ) -> $crate::error::StoreResult<bool> {
                let check = &record.check;
                let t = &record.status.transition;
                let mut tx = self.writer().begin().await?;
                // Compare-and-set on the state the result was computed from;
                // the epoch bump voids any worker's claim in flight.
                let updated: Option<(uuid::Uuid,)> = sqlx::query_as(
                    "UPDATE targets SET next_due_at = $1, lease_owner = NULL, lease_until = NULL, \
                       lease_epoch = lease_epoch + 1, last_check_id = $2, state = $3, \
                       consecutive_failures = $4, run_started_at = NULL, \
                       state_changed_at = CASE WHEN $5 THEN $6 ELSE state_changed_at END \
                     WHERE id = $7 AND state = $8 AND consecutive_failures = $9 \
                     RETURNING organization_id",
                )
                .bind($crate::rows::to_micros(record.next_due_at))
                .bind(check.id.0)
                .bind(t.state.as_str())
                .bind(i64::from(t.consecutive_failures))
                .bind(t.changed)
                .bind($crate::rows::to_micros(check.checked_at))
                .bind(check.target_id.0)
                .bind(record.status.previous.as_str())
                .bind(i64::from(record.expected_failures))
                .fetch_optional(&mut *tx)
                .await?;
                let Some((org,)) = updated else {
                    return Ok(false);
                };
                let org = pharos_domain::ids::OrganizationId(org);
                let mut events = Vec::new();
                Self::write_check_effects(&mut tx, org, check, &record.status, &mut events).await?;
                Self::append_events(&mut tx, events).await?;
                tx.commit().await?;
                Ok(true)
            }

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
                let rows: Vec<$crate::rows::RollupCountsRow> =
                    sqlx::query_as($crate::rows::ROLLUP_COUNTS_SQL)
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

            async fn prune_checks(
                &self,
                before: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::error::StoreResult<u64> {
                // Small batches keep each transaction short, so writers are
                // never locked out for long.
                let done = sqlx::query(
                    "DELETE FROM checks WHERE id IN \
                       (SELECT id FROM checks WHERE checked_at < $1 LIMIT $2)",
                )
                .bind($crate::rows::to_micros(before))
                .bind(i64::from(limit))
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected())
            }

            async fn prune_rollups(
                &self,
                width: u32,
                before: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::error::StoreResult<u64> {
                let done = sqlx::query(
                    "DELETE FROM check_rollups WHERE (target_id, bucket_seconds, bucket_start) IN \
                       (SELECT target_id, bucket_seconds, bucket_start FROM check_rollups \
                        WHERE bucket_seconds = $1 AND bucket_start < $2 LIMIT $3)",
                )
                .bind(i64::from(width))
                .bind($crate::rows::to_micros(before))
                .bind(i64::from(limit))
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected())
            }

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
                                  WHERE NOT paused AND next_due_at <= $3 \
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
                    let released: Option<(uuid::Uuid,)> = sqlx::query_as(
                        "UPDATE targets SET next_due_at = $1, lease_owner = NULL, lease_until = NULL, \
                           last_check_id = $2, state = $5, consecutive_failures = $6, \
                           state_changed_at = CASE WHEN $7 THEN $8 ELSE state_changed_at END, \
                           certificate_window = $9 \
                         WHERE id = $3 AND lease_epoch = $4 AND lease_owner IS NOT NULL \
                         RETURNING organization_id",
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
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some((org,)) = released else {
                        continue;
                    };
                    let org = pharos_domain::ids::OrganizationId(org);
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

pub(crate) use impl_store;
