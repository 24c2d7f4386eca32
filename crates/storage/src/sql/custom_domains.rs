//! A status page's custom domain (migration 0015's columns): set or
//! cleared with a new proof token, and marked verified once its TXT record
//! shows the token. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_custom_domains {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::CustomDomainStore for $store {
            async fn set_custom_domain(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::StatusPageId,
                domain: Option<(&str, &str)>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Option<$crate::models::StatusPage>> {
                // A new name (or none) always starts unverified.
                let done = sqlx::query(
                    "UPDATE status_pages SET custom_domain = $3, custom_domain_token = $4, \
                       custom_domain_verified_at = NULL, updated_at = $5 \
                     WHERE organization_id = $1 AND id = $2",
                )
                .bind(org.0)
                .bind(id.0)
                .bind(domain.map(|(host, _)| host))
                .bind(domain.map(|(_, token)| token))
                .bind($crate::rows::to_micros(now))
                .execute(self.writer())
                .await
                .map_err(|e| {
                    $crate::error::unique_as_conflict(
                        e,
                        "another status page has this custom domain",
                    )
                })?;
                if done.rows_affected() == 0 {
                    return Ok(None);
                }
                $crate::store::StatusPageStore::status_page(self, org, id).await
            }

            async fn mark_custom_domain_verified(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::StatusPageId,
                host: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<bool> {
                // Only if the name is still the one that was checked.
                let done = sqlx::query(
                    "UPDATE status_pages SET custom_domain_verified_at = $4 \
                     WHERE organization_id = $1 AND id = $2 AND custom_domain = $3",
                )
                .bind(org.0)
                .bind(id.0)
                .bind(host)
                .bind($crate::rows::to_micros(at))
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected() > 0)
            }
        }
    };
}

pub(crate) use impl_custom_domains;
