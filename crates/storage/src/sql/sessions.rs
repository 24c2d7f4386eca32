//! Sessions, found by the keyed hash of their token. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_sessions {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::SessionStore for $store {
            async fn create_session(
                &self,
                token_hash: &[u8],
                session: &$crate::models::Session,
            ) -> $crate::error::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, organization_id) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(token_hash)
                .bind(session.user_id.0)
                .bind($crate::rows::to_micros(session.created_at))
                .bind($crate::rows::to_micros(session.last_seen_at))
                .bind($crate::rows::to_micros(session.expires_at))
                .bind(session.organization_id.map(|o| o.0))
                .execute(self.writer())
                .await?;
                Ok(())
            }

            async fn session(
                &self,
                token_hash: &[u8],
            ) -> $crate::error::StoreResult<Option<$crate::models::Session>> {
                type Row = (uuid::Uuid, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>, Option<uuid::Uuid>);
                let row: Option<Row> = sqlx::query_as(
                    "SELECT user_id, created_at, last_seen_at, expires_at, organization_id FROM sessions WHERE token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(self.reader())
                .await?;
                Ok(row.map(|(user_id, created_at, last_seen_at, expires_at, organization_id)| $crate::models::Session {
                    user_id: pharos_domain::ids::UserId(user_id),
                    created_at,
                    last_seen_at,
                    expires_at,
                    organization_id: organization_id.map(pharos_domain::ids::OrganizationId),
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

            async fn set_session_organization(
                &self,
                token_hash: &[u8],
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<()> {
                sqlx::query("UPDATE sessions SET organization_id = $1 WHERE token_hash = $2")
                    .bind(org.0)
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
        }
    };
}

pub(crate) use impl_sessions;
