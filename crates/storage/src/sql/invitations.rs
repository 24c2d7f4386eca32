//! Invitations to join an organization: the organization's pending ones,
//! and accepting one found by its token's keyed hash. The SQL both
//! backends run, stamped out per backend by `sql::impl_store!`.

macro_rules! impl_invitations {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        impl $store {
            /// An invitation row (the columns of `INVITATION_COLUMNS`).
            fn invitation_of(
                row: (
                    uuid::Uuid,
                    uuid::Uuid,
                    String,
                    String,
                    Option<uuid::Uuid>,
                    chrono::DateTime<chrono::Utc>,
                    chrono::DateTime<chrono::Utc>,
                    Option<chrono::DateTime<chrono::Utc>>,
                ),
            ) -> $crate::error::StoreResult<$crate::models::Invitation> {
                let (id, organization_id, email, role, invited_by, created_at, expires_at, accepted_at) = row;
                Ok($crate::models::Invitation {
                    id: pharos_domain::ids::InvitationId(id),
                    organization_id: pharos_domain::ids::OrganizationId(organization_id),
                    email,
                    role: $crate::rows::parse_role(&role)?,
                    invited_by: invited_by.map(pharos_domain::ids::UserId),
                    created_at,
                    expires_at,
                    accepted_at,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::InvitationStore for $store {
            async fn create_invitation(
                &self,
                org: pharos_domain::ids::OrganizationId,
                invitation: $crate::models::NewInvitation<'_>,
            ) -> $crate::error::StoreResult<$crate::models::Invitation> {
                let created_at = $crate::rows::to_micros(invitation.created_at);
                let expires_at = $crate::rows::to_micros(invitation.expires_at);
                let inserted = sqlx::query(
                    "INSERT INTO invitations (id, organization_id, email, role, token_hash, invited_by, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(invitation.id.0)
                .bind(org.0)
                .bind(invitation.email)
                .bind(invitation.role.as_str())
                .bind(invitation.token_hash)
                .bind(invitation.invited_by.0)
                .bind(created_at)
                .bind(expires_at)
                .execute(self.writer())
                .await;
                if let Err(e) = inserted {
                    return Err($crate::error::unique_as_conflict(
                        e,
                        "this email has a pending invitation already: resend it instead",
                    ));
                }
                Ok($crate::models::Invitation {
                    id: invitation.id,
                    organization_id: org,
                    email: invitation.email.to_owned(),
                    role: invitation.role,
                    invited_by: Some(invitation.invited_by),
                    created_at,
                    expires_at,
                    accepted_at: None,
                })
            }

            async fn pending_invitations(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Invitation>> {
                let rows = sqlx::query_as(
                    "SELECT id, organization_id, email, role, invited_by, created_at, expires_at, accepted_at \
                     FROM invitations WHERE organization_id = $1 AND accepted_at IS NULL \
                     ORDER BY created_at, id",
                )
                .bind(org.0)
                .fetch_all(self.reader())
                .await?;
                rows.into_iter().map(Self::invitation_of).collect()
            }

            async fn pending_invitation(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::InvitationId,
            ) -> $crate::error::StoreResult<Option<$crate::models::Invitation>> {
                let row = sqlx::query_as(
                    "SELECT id, organization_id, email, role, invited_by, created_at, expires_at, accepted_at \
                     FROM invitations WHERE organization_id = $1 AND id = $2 AND accepted_at IS NULL",
                )
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(self.reader())
                .await?;
                row.map(Self::invitation_of).transpose()
            }

            async fn renew_invitation(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::InvitationId,
                token_hash: &[u8],
                invited_by: pharos_domain::ids::UserId,
                created_at: chrono::DateTime<chrono::Utc>,
                expires_at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Option<$crate::models::Invitation>> {
                let done = sqlx::query(
                    "UPDATE invitations SET token_hash = $1, invited_by = $2, created_at = $3, expires_at = $4 \
                     WHERE organization_id = $5 AND id = $6 AND accepted_at IS NULL",
                )
                .bind(token_hash)
                .bind(invited_by.0)
                .bind($crate::rows::to_micros(created_at))
                .bind($crate::rows::to_micros(expires_at))
                .bind(org.0)
                .bind(id.0)
                .execute(self.writer())
                .await?;
                if done.rows_affected() != 1 {
                    return Ok(None);
                }
                let row = sqlx::query_as(
                    "SELECT id, organization_id, email, role, invited_by, created_at, expires_at, accepted_at \
                     FROM invitations WHERE organization_id = $1 AND id = $2",
                )
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(self.writer())
                .await?;
                row.map(Self::invitation_of).transpose()
            }

            async fn delete_invitation(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::InvitationId,
            ) -> $crate::error::StoreResult<bool> {
                let done = sqlx::query(
                    "DELETE FROM invitations WHERE organization_id = $1 AND id = $2 AND accepted_at IS NULL",
                )
                .bind(org.0)
                .bind(id.0)
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected() == 1)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::InvitationAcceptStore for $store {
            async fn invitation_by_token(
                &self,
                token_hash: &[u8],
            ) -> $crate::error::StoreResult<
                Option<($crate::models::Invitation, $crate::models::Organization)>,
            > {
                type Row = (
                    uuid::Uuid,
                    uuid::Uuid,
                    String,
                    String,
                    Option<uuid::Uuid>,
                    chrono::DateTime<chrono::Utc>,
                    chrono::DateTime<chrono::Utc>,
                    Option<chrono::DateTime<chrono::Utc>>,
                    String,
                    chrono::DateTime<chrono::Utc>,
                    bool,
                );
                let row: Option<Row> = sqlx::query_as(
                    "SELECT i.id, i.organization_id, i.email, i.role, i.invited_by, i.created_at, i.expires_at, \
                       i.accepted_at, o.name, o.created_at, o.require_two_factor \
                     FROM invitations i JOIN organizations o ON o.id = i.organization_id \
                     WHERE i.token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(self.reader())
                .await?;
                let Some((id, org, email, role, by, created, expires, accepted, name, org_created, require_two_factor)) = row
                else {
                    return Ok(None);
                };
                let invitation =
                    Self::invitation_of((id, org, email, role, by, created, expires, accepted))?;
                let organization = $crate::rows::OrganizationRow {
                    id: org,
                    name,
                    created_at: org_created,
                    require_two_factor,
                }
                .into();
                Ok(Some((invitation, organization)))
            }

            async fn accept_invitation(
                &self,
                id: pharos_domain::ids::InvitationId,
                invitee: $crate::models::Invitee<'_>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<$crate::models::Acceptance> {
                use $crate::models::{Acceptance, Invitee};
                let now = $crate::rows::to_micros(now);
                let mut tx = self.writer().begin().await?;
                let user = match invitee {
                    Invitee::Existing(user) => user,
                    Invitee::New { id: user, email, password_hash } => {
                        // The emailed link proved the address.
                        let inserted = sqlx::query(
                            "INSERT INTO users (id, email, password_hash, created_at, email_verified_at) \
                             VALUES ($1, $2, $3, $4, $4)",
                        )
                        .bind(user.0)
                        .bind(email)
                        .bind(password_hash)
                        .bind(now)
                        .execute(&mut *tx)
                        .await;
                        if let Err(e) = inserted {
                            return Err($crate::error::unique_as_conflict(
                                e,
                                "email is already registered",
                            ));
                        }
                        user
                    }
                };
                // Used up first: of two acceptances of one link, one wins.
                let row: Option<(uuid::Uuid, String)> = sqlx::query_as(
                    "UPDATE invitations SET accepted_at = $1, accepted_by = $2 \
                     WHERE id = $3 AND accepted_at IS NULL AND expires_at > $1 \
                     RETURNING organization_id, role",
                )
                .bind(now)
                .bind(user.0)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((org, role)) = row else {
                    return Ok(Acceptance::NoLongerValid);
                };
                let joined = sqlx::query(
                    "INSERT INTO memberships (user_id, organization_id, role, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, organization_id) DO NOTHING",
                )
                .bind(user.0)
                .bind(org)
                .bind(role)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if joined.rows_affected() != 1 {
                    // Leave the invitation pending: nothing changed.
                    return Ok(Acceptance::AlreadyMember);
                }
                tx.commit().await?;
                Ok(Acceptance::Joined)
            }
        }
    };
}

pub(crate) use impl_invitations;
