//! The audit log. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_audit {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::AuditStore for $store {
            async fn record_audit(
                &self,
                org: pharos_domain::ids::OrganizationId,
                entry: &$crate::models::AuditEntry,
            ) -> $crate::error::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO audit_log (id, organization_id, at, actor_user_id, actor_email, api_key_id, \
                       client_address, action, subject, details) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(entry.id.0)
                .bind(org.0)
                .bind($crate::rows::to_micros(entry.at))
                .bind(entry.actor_user_id.map(|u| u.0))
                .bind(entry.actor_email.as_deref())
                .bind(entry.api_key_id.map(|k| k.0))
                .bind(entry.client_address.as_deref())
                .bind(entry.action.as_str())
                .bind(entry.subject.as_deref())
                .bind(entry.details.to_string())
                .execute(self.writer())
                .await?;
                Ok(())
            }

            async fn audit_log(
                &self,
                org: pharos_domain::ids::OrganizationId,
                before: Option<pharos_domain::ids::AuditEntryId>,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::AuditEntry>> {
                type Row = (
                    uuid::Uuid,
                    chrono::DateTime<chrono::Utc>,
                    Option<uuid::Uuid>,
                    Option<String>,
                    Option<uuid::Uuid>,
                    Option<String>,
                    String,
                    Option<String>,
                    String,
                );
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT id, at, actor_user_id, actor_email, api_key_id, client_address, action, subject, details \
                     FROM audit_log WHERE organization_id = $1 AND ($2 IS NULL OR id < $2) \
                     ORDER BY id DESC LIMIT $3",
                )
                .bind(org.0)
                .bind(before.map(|b| b.0))
                .bind(i64::from(limit))
                .fetch_all(self.reader())
                .await?;
                rows.into_iter()
                    .map(|(id, at, user, email, key, client, action, subject, details)| {
                        Ok($crate::models::AuditEntry {
                            id: pharos_domain::ids::AuditEntryId(id),
                            at,
                            actor_user_id: user.map(pharos_domain::ids::UserId),
                            actor_email: email,
                            api_key_id: key.map(pharos_domain::ids::ApiKeyId),
                            client_address: client,
                            action: pharos_domain::audit::AuditAction::parse(&action).ok_or_else(|| {
                                $crate::error::StoreError::Corrupt(format!("unknown audit action {action:?}"))
                            })?,
                            subject,
                            details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
                        })
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use impl_audit;
