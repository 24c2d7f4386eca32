//! API keys: the organization's list (tenant-facing) and the lookup by
//! keyed hash that authenticates a request (system). The SQL both
//! backends run, stamped out per backend by `sql::impl_store!`.

macro_rules! impl_api_keys {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::ApiKeyStore for $store {
            async fn create_api_key(
                &self,
                org: pharos_domain::ids::OrganizationId,
                key: $crate::models::NewApiKey<'_>,
                limit: u32,
            ) -> $crate::error::StoreResult<Option<$crate::models::ApiKey>> {
                // The count and the insert are one statement, so two
                // requests racing at the limit cannot both pass it by much
                // (the limit bounds the list, it is not a quota).
                let done = sqlx::query(
                    "INSERT INTO api_keys (id, organization_id, name, prefix, token_hash, role, \
                     created_by, created_at, expires_at) \
                     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 \
                     WHERE (SELECT COUNT(*) FROM api_keys WHERE organization_id = $2) < $10",
                )
                .bind(key.id.0)
                .bind(org.0)
                .bind(key.name)
                .bind(key.prefix)
                .bind(key.token_hash)
                .bind(key.role.as_str())
                .bind(key.created_by.0)
                .bind($crate::rows::to_micros(key.created_at))
                .bind(key.expires_at.map($crate::rows::to_micros))
                .bind(i64::from(limit))
                .execute(self.writer())
                .await
                .map_err(|e| $crate::error::unique_as_conflict(e, "this key exists already"))?;
                if done.rows_affected() == 0 {
                    return Ok(None);
                }
                let row: $crate::rows::ApiKeyRow = sqlx::query_as(&format!(
                    "SELECT {} FROM api_keys k JOIN users u ON u.id = k.created_by \
                     WHERE k.organization_id = $1 AND k.id = $2",
                    $crate::rows::API_KEY_COLUMNS
                ))
                .bind(org.0)
                .bind(key.id.0)
                .fetch_one(self.writer())
                .await?;
                Ok(Some(row.try_into()?))
            }

            async fn api_keys(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::ApiKey>> {
                let rows: Vec<$crate::rows::ApiKeyRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM api_keys k JOIN users u ON u.id = k.created_by \
                     WHERE k.organization_id = $1 ORDER BY k.created_at, k.id",
                    $crate::rows::API_KEY_COLUMNS
                ))
                .bind(org.0)
                .fetch_all(self.reader())
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn api_key(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::ApiKeyId,
            ) -> $crate::error::StoreResult<Option<$crate::models::ApiKey>> {
                let row: Option<$crate::rows::ApiKeyRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM api_keys k JOIN users u ON u.id = k.created_by \
                     WHERE k.organization_id = $1 AND k.id = $2",
                    $crate::rows::API_KEY_COLUMNS
                ))
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(self.reader())
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn delete_api_key(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::ApiKeyId,
            ) -> $crate::error::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM api_keys WHERE organization_id = $1 AND id = $2")
                    .bind(org.0)
                    .bind(id.0)
                    .execute(self.writer())
                    .await?;
                Ok(done.rows_affected() == 1)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::ApiKeyAuthStore for $store {
            async fn api_key_holder(
                &self,
                token_hash: &[u8],
            ) -> $crate::error::StoreResult<Option<$crate::models::ApiKeyHolder>> {
                #[derive(sqlx::FromRow)]
                struct Row {
                    #[sqlx(flatten)]
                    key: $crate::rows::ApiKeyRow,
                    organization_name: String,
                    organization_created_at: chrono::DateTime<chrono::Utc>,
                    organization_requires_two_factor: bool,
                    creator_created_at: chrono::DateTime<chrono::Utc>,
                    creator_email_verified_at: Option<chrono::DateTime<chrono::Utc>>,
                    creator_role: Option<String>,
                }
                // Read on every request, never cached: a key revoked a
                // moment ago is gone for every replica's next request.
                let row: Option<Row> = sqlx::query_as(&format!(
                    "SELECT {}, o.name AS organization_name, o.created_at AS organization_created_at, \
                     o.require_two_factor AS organization_requires_two_factor, \
                     u.created_at AS creator_created_at, u.email_verified_at AS creator_email_verified_at, \
                     m.role AS creator_role \
                     FROM api_keys k JOIN users u ON u.id = k.created_by \
                     JOIN organizations o ON o.id = k.organization_id \
                     LEFT JOIN memberships m ON m.user_id = k.created_by \
                     AND m.organization_id = k.organization_id \
                     WHERE k.token_hash = $1",
                    $crate::rows::API_KEY_COLUMNS
                ))
                .bind(token_hash)
                .fetch_optional(self.reader())
                .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let creator_role = row
                    .creator_role
                    .as_deref()
                    .map($crate::rows::parse_role)
                    .transpose()?;
                let creator = $crate::models::User {
                    id: pharos_domain::ids::UserId(row.key.created_by),
                    email: row.key.created_by_email.clone(),
                    created_at: row.creator_created_at,
                    email_verified_at: row.creator_email_verified_at,
                };
                let organization = $crate::models::Organization {
                    id: pharos_domain::ids::OrganizationId(row.key.organization_id),
                    name: row.organization_name,
                    created_at: row.organization_created_at,
                    require_two_factor: row.organization_requires_two_factor,
                };
                Ok(Some($crate::models::ApiKeyHolder {
                    key: row.key.try_into()?,
                    organization,
                    creator,
                    creator_role,
                }))
            }

            async fn touch_api_key(
                &self,
                id: pharos_domain::ids::ApiKeyId,
                now: chrono::DateTime<chrono::Utc>,
                since: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<()> {
                sqlx::query(
                    "UPDATE api_keys SET last_used_at = $1 \
                     WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
                )
                .bind($crate::rows::to_micros(now))
                .bind(id.0)
                .bind($crate::rows::to_micros(since))
                .execute(self.writer())
                .await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_api_keys;
