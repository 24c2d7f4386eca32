//! Sessions, found by the keyed hash of their token. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

/// The columns a [`SessionRow`] reads, in its order.
macro_rules! session_columns {
    () => {
        "id, user_id, created_at, last_seen_at, expires_at, organization_id, client_address, user_agent"
    };
}

/// A `sessions` row as read (never the token hash).
#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    id: uuid::Uuid,
    user_id: uuid::Uuid,
    created_at: chrono::DateTime<chrono::Utc>,
    last_seen_at: chrono::DateTime<chrono::Utc>,
    expires_at: chrono::DateTime<chrono::Utc>,
    organization_id: Option<uuid::Uuid>,
    client_address: Option<String>,
    user_agent: Option<String>,
}

impl SessionRow {
    pub(crate) fn into_session(self) -> crate::models::Session {
        crate::models::Session {
            id: pharos_domain::ids::SessionId(self.id),
            user_id: pharos_domain::ids::UserId(self.user_id),
            created_at: self.created_at,
            last_seen_at: self.last_seen_at,
            expires_at: self.expires_at,
            organization_id: self.organization_id.map(pharos_domain::ids::OrganizationId),
            client_address: self.client_address,
            user_agent: self.user_agent,
        }
    }
}

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
                    "INSERT INTO sessions (token_hash, id, user_id, created_at, last_seen_at, expires_at, \
                     organization_id, client_address, user_agent) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(token_hash)
                .bind(session.id.0)
                .bind(session.user_id.0)
                .bind($crate::rows::to_micros(session.created_at))
                .bind($crate::rows::to_micros(session.last_seen_at))
                .bind($crate::rows::to_micros(session.expires_at))
                .bind(session.organization_id.map(|o| o.0))
                .bind(session.client_address.as_deref())
                .bind(session.user_agent.as_deref())
                .execute(self.writer())
                .await?;
                Ok(())
            }

            async fn session(
                &self,
                token_hash: &[u8],
            ) -> $crate::error::StoreResult<Option<$crate::models::Session>> {
                let row: Option<$crate::sql::sessions::SessionRow> = sqlx::query_as(concat!(
                    "SELECT ", $crate::sql::sessions::session_columns!(), " FROM sessions WHERE token_hash = $1"
                ))
                .bind(token_hash)
                .fetch_optional(self.reader())
                .await?;
                Ok(row.map($crate::sql::sessions::SessionRow::into_session))
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

            async fn user_sessions(
                &self,
                user: pharos_domain::ids::UserId,
                now: chrono::DateTime<chrono::Utc>,
                idle_before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Session>> {
                let rows: Vec<$crate::sql::sessions::SessionRow> = sqlx::query_as(concat!(
                    "SELECT ", $crate::sql::sessions::session_columns!(), " FROM sessions \
                     WHERE user_id = $1 AND expires_at > $2 AND last_seen_at >= $3 \
                     ORDER BY last_seen_at DESC, created_at DESC, id"
                ))
                .bind(user.0)
                .bind($crate::rows::to_micros(now))
                .bind($crate::rows::to_micros(idle_before))
                .fetch_all(self.reader())
                .await?;
                Ok(rows.into_iter().map($crate::sql::sessions::SessionRow::into_session).collect())
            }

            async fn delete_user_session(
                &self,
                user: pharos_domain::ids::UserId,
                id: pharos_domain::ids::SessionId,
            ) -> $crate::error::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
                    .bind(id.0)
                    .bind(user.0)
                    .execute(self.writer())
                    .await?;
                Ok(done.rows_affected() == 1)
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
pub(crate) use session_columns;
