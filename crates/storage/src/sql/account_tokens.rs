//! The single-use links sent to an account: password resets and email
//! verification. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_account_tokens {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        impl $store {
            /// Marks a link used if it is unused and unexpired; the user it
            /// was for, or `None` (nothing changed).
            async fn use_account_token(
                tx: &mut sqlx::Transaction<'_, $db>,
                purpose: pharos_domain::user::AccountTokenPurpose,
                token_hash: &[u8],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Option<pharos_domain::ids::UserId>> {
                let row: Option<(uuid::Uuid,)> = sqlx::query_as(
                    "UPDATE account_tokens SET used_at = $1 \
                     WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
                     RETURNING user_id",
                )
                .bind($crate::rows::to_micros(now))
                .bind(token_hash)
                .bind(purpose.as_str())
                .fetch_optional(&mut **tx)
                .await?;
                Ok(row.map(|(id,)| pharos_domain::ids::UserId(id)))
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::AccountTokenStore for $store {
            async fn issue_account_token(
                &self,
                user: pharos_domain::ids::UserId,
                purpose: pharos_domain::user::AccountTokenPurpose,
                token_hash: &[u8],
                now: chrono::DateTime<chrono::Utc>,
                expires_at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<()> {
                let mut tx = self.writer().begin().await?;
                // One live link per purpose: asking again voids the last.
                sqlx::query(
                    "DELETE FROM account_tokens WHERE user_id = $1 \
                     AND ((purpose = $2 AND used_at IS NULL) OR expires_at <= $3)",
                )
                .bind(user.0)
                .bind(purpose.as_str())
                .bind($crate::rows::to_micros(now))
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO account_tokens (token_hash, user_id, purpose, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash)
                .bind(user.0)
                .bind(purpose.as_str())
                .bind($crate::rows::to_micros(now))
                .bind($crate::rows::to_micros(expires_at))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn account_token_user(
                &self,
                purpose: pharos_domain::user::AccountTokenPurpose,
                token_hash: &[u8],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Option<pharos_domain::ids::UserId>> {
                let row: Option<(uuid::Uuid,)> = sqlx::query_as(
                    "SELECT user_id FROM account_tokens \
                     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
                )
                .bind(token_hash)
                .bind(purpose.as_str())
                .bind($crate::rows::to_micros(now))
                .fetch_optional(self.reader())
                .await?;
                Ok(row.map(|(id,)| pharos_domain::ids::UserId(id)))
            }

            async fn reset_password(
                &self,
                token_hash: &[u8],
                password_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Option<pharos_domain::ids::UserId>> {
                let mut tx = self.writer().begin().await?;
                let Some(user) = Self::use_account_token(
                    &mut tx,
                    pharos_domain::user::AccountTokenPurpose::PasswordReset,
                    token_hash,
                    now,
                )
                .await?
                else {
                    return Ok(None);
                };
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(password_hash)
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Some(user))
            }

            async fn verify_email(
                &self,
                token_hash: &[u8],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Option<pharos_domain::ids::UserId>> {
                let mut tx = self.writer().begin().await?;
                let Some(user) = Self::use_account_token(
                    &mut tx,
                    pharos_domain::user::AccountTokenPurpose::EmailVerification,
                    token_hash,
                    now,
                )
                .await?
                else {
                    return Ok(None);
                };
                sqlx::query(
                    "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1) WHERE id = $2",
                )
                .bind($crate::rows::to_micros(now))
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Some(user))
            }
        }
    };
}

pub(crate) use impl_account_tokens;
