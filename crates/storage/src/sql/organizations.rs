//! An organization's own record and members. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_organizations {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        impl $store {
            /// Locks the organization's row (PostgreSQL; SQLite has one
            /// writer) and reads `user`'s role in it and its number of
            /// owners; `None` when `user` is not a member.
            async fn lock_membership(
                tx: &mut sqlx::Transaction<'_, $db>,
                org: pharos_domain::ids::OrganizationId,
                user: pharos_domain::ids::UserId,
            ) -> $crate::error::StoreResult<Option<(pharos_domain::organization::Role, i64)>> {
                let locked: Option<(uuid::Uuid,)> =
                    sqlx::query_as(concat!("SELECT id FROM organizations WHERE id = $1 ", $row_lock))
                        .bind(org.0)
                        .fetch_optional(&mut **tx)
                        .await?;
                if locked.is_none() {
                    return Ok(None);
                }
                let role: Option<(String,)> = sqlx::query_as(
                    "SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2",
                )
                .bind(org.0)
                .bind(user.0)
                .fetch_optional(&mut **tx)
                .await?;
                let Some((role,)) = role else {
                    return Ok(None);
                };
                let (owners,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM memberships WHERE organization_id = $1 AND role = 'owner'",
                )
                .bind(org.0)
                .fetch_one(&mut **tx)
                .await?;
                Ok(Some(($crate::rows::parse_role(&role)?, owners)))
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::OrganizationStore for $store {
            async fn members(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Member>> {
                let rows: Vec<$crate::rows::MemberRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM memberships m JOIN users u ON u.id = m.user_id \
                     WHERE m.organization_id = $1 ORDER BY m.created_at, u.email",
                    $crate::rows::MEMBER_COLUMNS
                ))
                .bind(org.0)
                .fetch_all(self.reader())
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn member(
                &self,
                org: pharos_domain::ids::OrganizationId,
                user: pharos_domain::ids::UserId,
            ) -> $crate::error::StoreResult<Option<$crate::models::Member>> {
                let row: Option<$crate::rows::MemberRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM memberships m JOIN users u ON u.id = m.user_id \
                     WHERE m.organization_id = $1 AND m.user_id = $2",
                    $crate::rows::MEMBER_COLUMNS
                ))
                .bind(org.0)
                .bind(user.0)
                .fetch_optional(self.reader())
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn change_member_role(
                &self,
                org: pharos_domain::ids::OrganizationId,
                user: pharos_domain::ids::UserId,
                role: pharos_domain::organization::Role,
            ) -> $crate::error::StoreResult<$crate::models::MemberChange> {
                let mut tx = self.writer().begin().await?;
                let current = Self::lock_membership(&mut tx, org, user).await?;
                let Some((current, owners)) = current else {
                    return Ok($crate::models::MemberChange::NotFound);
                };
                if current == pharos_domain::organization::Role::Owner
                    && role != pharos_domain::organization::Role::Owner
                    && owners <= 1
                {
                    return Ok($crate::models::MemberChange::LastOwner);
                }
                sqlx::query(
                    "UPDATE memberships SET role = $1 WHERE organization_id = $2 AND user_id = $3",
                )
                .bind(role.as_str())
                .bind(org.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok($crate::models::MemberChange::Done)
            }

            async fn remove_member(
                &self,
                org: pharos_domain::ids::OrganizationId,
                user: pharos_domain::ids::UserId,
            ) -> $crate::error::StoreResult<$crate::models::MemberChange> {
                let mut tx = self.writer().begin().await?;
                let current = Self::lock_membership(&mut tx, org, user).await?;
                let Some((current, owners)) = current else {
                    return Ok($crate::models::MemberChange::NotFound);
                };
                if current == pharos_domain::organization::Role::Owner && owners <= 1 {
                    return Ok($crate::models::MemberChange::LastOwner);
                }
                sqlx::query("DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2")
                    .bind(org.0)
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok($crate::models::MemberChange::Done)
            }

            async fn update_organization(
                &self,
                org: pharos_domain::ids::OrganizationId,
                change: $crate::models::OrganizationChange<'_>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE organizations SET name = COALESCE($1, name), \
                     require_two_factor = COALESCE($2, require_two_factor), updated_at = $3 \
                     WHERE id = $4",
                )
                .bind(change.name)
                .bind(change.require_two_factor)
                .bind($crate::rows::to_micros(now))
                .bind(org.0)
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_organization(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<bool> {
                // Every table that belongs to an organization references it
                // ON DELETE CASCADE (sessions acting in it: SET NULL).
                let done = sqlx::query("DELETE FROM organizations WHERE id = $1")
                    .bind(org.0)
                    .execute(self.writer())
                    .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

pub(crate) use impl_organizations;
