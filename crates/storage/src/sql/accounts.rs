//! Users and their credentials, found by email or id (sign-up, sign-in). The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_accounts {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::AccountStore for $store {
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
                        email_verified_at: None,
                    },
                    $crate::models::Organization {
                        id: org_id,
                        name: account.organization_name.to_owned(),
                        created_at: now,
                        require_two_factor: false,
                    },
                ))
            }

            async fn user_credentials(
                &self,
                email: &str,
            ) -> $crate::error::StoreResult<Option<$crate::models::UserCredentials>> {
                type Row = (uuid::Uuid, String, chrono::DateTime<chrono::Utc>, Option<chrono::DateTime<chrono::Utc>>, String);
                let row: Option<Row> = sqlx::query_as(
                    "SELECT id, email, created_at, email_verified_at, password_hash FROM users WHERE email = $1",
                )
                .bind(email)
                .fetch_optional(self.reader())
                .await?;
                Ok(row.map(|(id, email, created_at, email_verified_at, password_hash)| $crate::models::UserCredentials {
                    user: $crate::rows::UserRow { id, email, created_at, email_verified_at }.into(),
                    password_hash,
                }))
            }

            async fn user(
                &self,
                id: pharos_domain::ids::UserId,
            ) -> $crate::error::StoreResult<Option<$crate::models::User>> {
                let row: Option<$crate::rows::UserRow> =
                    sqlx::query_as("SELECT id, email, created_at, email_verified_at FROM users WHERE id = $1")
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
                let rows: Vec<(uuid::Uuid, String, chrono::DateTime<chrono::Utc>, bool, String)> = sqlx::query_as(
                    "SELECT o.id, o.name, o.created_at, o.require_two_factor, m.role FROM memberships m \
                     JOIN organizations o ON o.id = m.organization_id \
                     WHERE m.user_id = $1 ORDER BY m.created_at, o.id",
                )
                .bind(user.0)
                .fetch_all(self.reader())
                .await?;
                rows.into_iter()
                    .map(|(id, name, created_at, require_two_factor, role)| {
                        Ok($crate::models::Membership {
                            organization: $crate::rows::OrganizationRow { id, name, created_at, require_two_factor }.into(),
                            role: $crate::rows::parse_role(&role)?,
                        })
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use impl_accounts;
