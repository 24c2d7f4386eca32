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
        backend = $backend:literal,
        migrator = $migrator:expr,
        claim_lock = $claim_lock:literal $(,)?
    ) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
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
                sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
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
                let rows: Vec<(uuid::Uuid, String, chrono::DateTime<chrono::Utc>, String)> = sqlx::query_as(
                    "SELECT u.id, u.email, u.created_at, m.role FROM memberships m \
                     JOIN users u ON u.id = m.user_id \
                     WHERE m.organization_id = $1 ORDER BY m.created_at, u.email",
                )
                .bind(org.0)
                .fetch_all(self.reader())
                .await?;
                rows.into_iter()
                    .map(|(id, email, created_at, role)| {
                        Ok($crate::models::Member {
                            user: $crate::rows::UserRow { id, email, created_at }.into(),
                            role: $crate::rows::parse_role(&role)?,
                        })
                    })
                    .collect()
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
                let now = $crate::rows::to_micros(target.now);
                let sql = format!(
                    "INSERT INTO targets (id, organization_id, created_by, url, name, interval_seconds, \
                       timeout_seconds, created_at, updated_at, next_due_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8) RETURNING {}",
                    $crate::rows::TARGET_COLUMNS
                );
                let row: $crate::rows::TargetRow = sqlx::query_as(&sql)
                    .bind(id.0)
                    .bind(org.0)
                    .bind(target.created_by.0)
                    .bind(target.url)
                    .bind(target.name)
                    .bind(i64::from(target.interval_seconds))
                    .bind(i64::from(target.timeout_seconds))
                    .bind(now)
                    .fetch_one(self.writer())
                    .await?;
                row.try_into()
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
                       updated_at = $8 \
                     WHERE organization_id = $1 AND id = $2 RETURNING {}",
                    $crate::rows::TARGET_COLUMNS
                );
                let row: Option<$crate::rows::TargetRow> = sqlx::query_as(&sql)
                    .bind(org.0)
                    .bind(id.0)
                    .bind(patch.url)
                    .bind(patch.name.is_some())
                    .bind(patch.name.flatten())
                    .bind(patch.interval_seconds.map(i64::from))
                    .bind(patch.timeout_seconds.map(i64::from))
                    .bind($crate::rows::to_micros(patch.now))
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
                                  WHERE next_due_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
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

            async fn record_checks(
                &self,
                records: &[$crate::models::CheckRecord],
            ) -> $crate::error::StoreResult<u64> {
                let mut written = 0;
                let mut tx = self.writer().begin().await?;
                for record in records {
                    let check = &record.check;
                    // The epoch proves this worker still holds the lease.
                    let released = sqlx::query(
                        "UPDATE targets SET next_due_at = $1, lease_owner = NULL, lease_until = NULL, \
                           last_check_id = $2 \
                         WHERE id = $3 AND lease_epoch = $4 AND lease_owner IS NOT NULL",
                    )
                    .bind($crate::rows::to_micros(record.next_due_at))
                    .bind(check.id.0)
                    .bind(check.target_id.0)
                    .bind(record.lease_epoch)
                    .execute(&mut *tx)
                    .await?;
                    if released.rows_affected() == 0 {
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO checks (id, target_id, checked_at, status_code, latency_ms, is_up, \
                           degraded, error_class, error, dns_ms, connect_ms, tls_ms, first_byte_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    )
                    .bind(check.id.0)
                    .bind(check.target_id.0)
                    .bind($crate::rows::to_micros(check.checked_at))
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
                    .execute(&mut *tx)
                    .await?;
                    written += 1;
                }
                tx.commit().await?;
                Ok(written)
            }
        }
    };
}

pub(crate) use impl_store;
