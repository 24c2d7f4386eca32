//! Two-factor sign-in: the sealed TOTP secret, the replay guard and the
//! recovery codes. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_two_factor {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::TwoFactorStore for $store {
            async fn two_factor(
                &self,
                user: pharos_domain::ids::UserId,
            ) -> $crate::error::StoreResult<Option<$crate::models::TwoFactor>> {
                type Row = (Vec<u8>, Option<chrono::DateTime<chrono::Utc>>, i64, i64);
                let row: Option<Row> = sqlx::query_as(
                    "SELECT f.secret, f.enabled_at, f.last_step, \
                       (SELECT COUNT(*) FROM recovery_codes r WHERE r.user_id = f.user_id AND r.used_at IS NULL) \
                     FROM two_factor f WHERE f.user_id = $1",
                )
                .bind(user.0)
                .fetch_optional(self.reader())
                .await?;
                Ok(row.map(|(sealed_secret, enabled_at, last_step, left)| $crate::models::TwoFactor {
                    sealed_secret,
                    enabled_at,
                    last_step,
                    recovery_codes_left: u32::try_from(left).unwrap_or(0),
                }))
            }

            async fn begin_two_factor(
                &self,
                user: pharos_domain::ids::UserId,
                sealed_secret: &[u8],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<bool> {
                let mut tx = self.writer().begin().await?;
                let enabled: Option<(Option<chrono::DateTime<chrono::Utc>>,)> =
                    sqlx::query_as(&format!("SELECT enabled_at FROM two_factor WHERE user_id = $1 {}", $row_lock))
                        .bind(user.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                if matches!(enabled, Some((Some(_),))) {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM two_factor WHERE user_id = $1")
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO two_factor (user_id, secret, created_at) VALUES ($1, $2, $3)")
                    .bind(user.0)
                    .bind(sealed_secret)
                    .bind($crate::rows::to_micros(now))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn enable_two_factor(
                &self,
                user: pharos_domain::ids::UserId,
                step: i64,
                recovery_code_hashes: &[Vec<u8>],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<bool> {
                let mut tx = self.writer().begin().await?;
                let enabled = sqlx::query(
                    "UPDATE two_factor SET enabled_at = $1, last_step = $2 \
                     WHERE user_id = $3 AND enabled_at IS NULL",
                )
                .bind($crate::rows::to_micros(now))
                .bind(step)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
                if enabled.rows_affected() != 1 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                for hash in recovery_code_hashes {
                    sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                        .bind(user.0)
                        .bind(hash)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn accept_two_factor_step(
                &self,
                user: pharos_domain::ids::UserId,
                step: i64,
            ) -> $crate::error::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE two_factor SET last_step = $1 \
                     WHERE user_id = $2 AND enabled_at IS NOT NULL AND last_step < $1",
                )
                .bind(step)
                .bind(user.0)
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn use_recovery_code(
                &self,
                user: pharos_domain::ids::UserId,
                code_hash: &[u8],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE recovery_codes SET used_at = $1 \
                     WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
                )
                .bind($crate::rows::to_micros(now))
                .bind(user.0)
                .bind(code_hash)
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn disable_two_factor(
                &self,
                user: pharos_domain::ids::UserId,
            ) -> $crate::error::StoreResult<bool> {
                let mut tx = self.writer().begin().await?;
                sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query("DELETE FROM two_factor WHERE user_id = $1")
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

pub(crate) use impl_two_factor;
