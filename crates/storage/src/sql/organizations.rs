//! An organization's own record and members. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_organizations {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::OrganizationStore for $store {
            async fn members(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Member>> {
                type Row = (
                    uuid::Uuid,
                    String,
                    chrono::DateTime<chrono::Utc>,
                    Option<chrono::DateTime<chrono::Utc>>,
                    String,
                    chrono::DateTime<chrono::Utc>,
                );
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT u.id, u.email, u.created_at, u.email_verified_at, m.role, m.created_at FROM memberships m \
                     JOIN users u ON u.id = m.user_id \
                     WHERE m.organization_id = $1 ORDER BY m.created_at, u.email",
                )
                .bind(org.0)
                .fetch_all(self.reader())
                .await?;
                rows.into_iter()
                    .map(|(id, email, created_at, email_verified_at, role, joined_at)| {
                        Ok($crate::models::Member {
                            user: $crate::rows::UserRow {
                                id,
                                email,
                                created_at,
                                email_verified_at,
                            }
                            .into(),
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
                let done = sqlx::query(
                    "UPDATE organizations SET name = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(name)
                .bind($crate::rows::to_micros(now))
                .bind(org.0)
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

pub(crate) use impl_organizations;
