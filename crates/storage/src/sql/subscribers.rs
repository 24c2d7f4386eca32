//! Status page subscribers and their delivery queue (migration 0017). The
//! SQL both backends run, stamped out per backend by `sql::impl_store!`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::StoreError;
use crate::models::{PageSubscriber, SubscriberDelivery, SubscriberKind};
use pharos_domain::ids::{PageIncidentId, StatusPageId};
use pharos_domain::status_page::{IncidentStatus, PageIncidentKind};

pub(crate) const SUBSCRIBER_COLUMNS: &str =
    "id, page_id, kind, address, state = 'confirmed' AS confirmed, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct SubscriberRow {
    pub id: Uuid,
    pub page_id: Uuid,
    pub kind: String,
    pub address: String,
    pub confirmed: bool,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<SubscriberRow> for PageSubscriber {
    type Error = StoreError;

    fn try_from(row: SubscriberRow) -> Result<Self, StoreError> {
        Ok(PageSubscriber {
            kind: SubscriberKind::parse(&row.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("subscriber {}: kind", row.id)))?,
            id: row.id,
            page_id: StatusPageId(row.page_id),
            address: row.address,
            confirmed: row.confirmed,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    pub id: Uuid,
    pub subscriber_id: Uuid,
    pub subscriber_kind: String,
    pub address: String,
    pub signing_secret: Option<Vec<u8>>,
    pub attempts: i32,
    pub page_id: Uuid,
    pub page_title: String,
    pub page_slug: String,
    pub incident_id: Uuid,
    pub incident_title: String,
    pub kind: String,
    pub status: String,
    pub message: Option<String>,
    pub at: DateTime<Utc>,
}

impl TryFrom<DeliveryRow> for SubscriberDelivery {
    type Error = StoreError;

    fn try_from(row: DeliveryRow) -> Result<Self, StoreError> {
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("subscriber delivery {}: {what}", row.id));
        Ok(SubscriberDelivery {
            kind: PageIncidentKind::parse(&row.kind).ok_or_else(|| corrupt("kind"))?,
            status: IncidentStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
            id: row.id,
            subscriber_id: row.subscriber_id,
            subscriber_kind: SubscriberKind::parse(&row.subscriber_kind)
                .ok_or_else(|| corrupt("subscriber kind"))?,
            address: row.address,
            signing_secret: row.signing_secret,
            attempts: row.attempts,
            page_id: StatusPageId(row.page_id),
            page_title: row.page_title,
            page_slug: row.page_slug,
            incident_id: PageIncidentId(row.incident_id),
            incident_title: row.incident_title,
            message: row.message.unwrap_or_default(),
            at: row.at,
        })
    }
}

/// A delivery with what renders it: the announced update when the key is
/// one, else the incident as posted.
pub(crate) const DELIVERY_SELECT: &str = "SELECT d.id, d.subscriber_id, s.kind AS subscriber_kind, s.address, \
       s.signing_secret, d.attempts, \
       p.id AS page_id, p.title AS page_title, p.slug AS page_slug, i.id AS incident_id, i.title AS incident_title, \
       i.kind, COALESCE(u.status, i.status) AS status, u.message, \
       COALESCE(u.created_at, i.created_at) AS at \
     FROM status_page_deliveries d \
     JOIN status_page_subscribers s ON s.id = d.subscriber_id \
     JOIN status_page_incidents i ON i.id = d.incident_id \
     JOIN status_pages p ON p.id = i.page_id \
     LEFT JOIN status_page_incident_updates u ON u.id = d.announce_key";

macro_rules! impl_subscribers {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::SubscriberStore for $store {
            async fn subscribe(
                &self,
                page: pharos_domain::ids::StatusPageId,
                id: uuid::Uuid,
                address: &str,
                token_hash: &[u8],
                now: chrono::DateTime<chrono::Utc>,
                expires_at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<$crate::models::SubscribeWrite> {
                use $crate::sql::subscribers::{SubscriberRow, SUBSCRIBER_COLUMNS};
                // A confirmed row is never touched (its WHERE fails); a
                // pending one gets the new token.
                let row: Option<SubscriberRow> = sqlx::query_as(&format!(
                    "INSERT INTO status_page_subscribers \
                       (id, page_id, kind, address, state, confirm_token_hash, confirm_expires_at, created_at) \
                     VALUES ($1, $2, 'email', $3, 'pending', $4, $5, $6) \
                     ON CONFLICT (page_id, kind, address) DO UPDATE \
                       SET confirm_token_hash = excluded.confirm_token_hash, \
                           confirm_expires_at = excluded.confirm_expires_at \
                       WHERE status_page_subscribers.state = 'pending' \
                     RETURNING {SUBSCRIBER_COLUMNS}"
                ))
                .bind(id)
                .bind(page.0)
                .bind(address)
                .bind(token_hash)
                .bind($crate::rows::to_micros(expires_at))
                .bind($crate::rows::to_micros(now))
                .fetch_optional(self.writer())
                .await?;
                Ok(match row {
                    Some(row) => $crate::models::SubscribeWrite::Pending(row.try_into()?),
                    None => $crate::models::SubscribeWrite::AlreadyConfirmed,
                })
            }

            async fn confirm_subscriber(
                &self,
                page: pharos_domain::ids::StatusPageId,
                token_hash: &[u8],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Option<$crate::models::PageSubscriber>> {
                use $crate::sql::subscribers::{SubscriberRow, SUBSCRIBER_COLUMNS};
                let row: Option<SubscriberRow> = sqlx::query_as(&format!(
                    "UPDATE status_page_subscribers \
                     SET state = 'confirmed', confirmed_at = $3, confirm_token_hash = NULL, \
                         confirm_expires_at = NULL \
                     WHERE page_id = $1 AND confirm_token_hash = $2 AND state = 'pending' \
                       AND confirm_expires_at > $3 \
                     RETURNING {SUBSCRIBER_COLUMNS}"
                ))
                .bind(page.0)
                .bind(token_hash)
                .bind($crate::rows::to_micros(now))
                .fetch_optional(self.writer())
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn page_subscriber(
                &self,
                page: pharos_domain::ids::StatusPageId,
                id: uuid::Uuid,
            ) -> $crate::error::StoreResult<Option<$crate::models::PageSubscriber>> {
                use $crate::sql::subscribers::{SubscriberRow, SUBSCRIBER_COLUMNS};
                let row: Option<SubscriberRow> = sqlx::query_as(&format!(
                    "SELECT {SUBSCRIBER_COLUMNS} FROM status_page_subscribers \
                     WHERE page_id = $1 AND id = $2"
                ))
                .bind(page.0)
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn add_webhook_subscriber(
                &self,
                page: pharos_domain::ids::StatusPageId,
                id: uuid::Uuid,
                url: &str,
                sealed_secret: &[u8],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<$crate::models::PageSubscriber> {
                use $crate::sql::subscribers::{SubscriberRow, SUBSCRIBER_COLUMNS};
                let row: SubscriberRow = sqlx::query_as(&format!(
                    "INSERT INTO status_page_subscribers \
                       (id, page_id, kind, address, signing_secret, state, created_at, confirmed_at) \
                     VALUES ($1, $2, 'webhook', $3, $4, 'confirmed', $5, $5) \
                     RETURNING {SUBSCRIBER_COLUMNS}"
                ))
                .bind(id)
                .bind(page.0)
                .bind(url)
                .bind(sealed_secret)
                .bind($crate::rows::to_micros(now))
                .fetch_one(self.writer())
                .await
                .map_err(|e| {
                    $crate::error::unique_as_conflict(e, "this page has a webhook subscriber with this URL")
                })?;
                row.try_into()
            }

            async fn page_subscribers(
                &self,
                page: pharos_domain::ids::StatusPageId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::PageSubscriber>> {
                use $crate::sql::subscribers::{SubscriberRow, SUBSCRIBER_COLUMNS};
                let rows: Vec<SubscriberRow> = sqlx::query_as(&format!(
                    "SELECT {SUBSCRIBER_COLUMNS} FROM status_page_subscribers \
                     WHERE page_id = $1 ORDER BY created_at, id"
                ))
                .bind(page.0)
                .fetch_all(self.reader())
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn remove_subscriber(
                &self,
                page: pharos_domain::ids::StatusPageId,
                id: uuid::Uuid,
            ) -> $crate::error::StoreResult<bool> {
                let done = sqlx::query(
                    "DELETE FROM status_page_subscribers WHERE page_id = $1 AND id = $2",
                )
                .bind(page.0)
                .bind(id)
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn queue_announcement(
                &self,
                page: pharos_domain::ids::StatusPageId,
                incident: pharos_domain::ids::PageIncidentId,
                announce_key: uuid::Uuid,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<u64> {
                // Ids are made here, one per subscriber; the unique key
                // drops a second queueing of the same announcement.
                let subscribers: Vec<(uuid::Uuid,)> = sqlx::query_as(
                    "SELECT s.id FROM status_page_subscribers s \
                     JOIN status_page_incidents i ON i.page_id = s.page_id \
                     WHERE s.page_id = $1 AND i.id = $2 AND s.state = 'confirmed'",
                )
                .bind(page.0)
                .bind(incident.0)
                .fetch_all(self.reader())
                .await?;
                let mut queued = 0;
                let mut tx = self.writer().begin().await?;
                for (subscriber,) in subscribers {
                    let done = sqlx::query(
                        "INSERT INTO status_page_deliveries \
                           (id, subscriber_id, incident_id, announce_key, attempts, next_attempt_at, created_at) \
                         VALUES ($1, $2, $3, $4, 0, $5, $5) \
                         ON CONFLICT (subscriber_id, announce_key) DO NOTHING",
                    )
                    .bind(uuid::Uuid::now_v7())
                    .bind(subscriber)
                    .bind(incident.0)
                    .bind(announce_key)
                    .bind($crate::rows::to_micros(now))
                    .execute(&mut *tx)
                    .await?;
                    queued += done.rows_affected();
                }
                tx.commit().await?;
                Ok(queued)
            }

            async fn claim_subscriber_deliveries(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::SubscriberDelivery>> {
                use $crate::sql::subscribers::{DeliveryRow, DELIVERY_SELECT};
                // The outer conditions repeat the inner ones so two workers
                // racing for a row cannot both lease it (PostgreSQL checks
                // them again on the row it locks).
                let claimed: Vec<(uuid::Uuid,)> = sqlx::query_as(
                    "UPDATE status_page_deliveries \
                     SET leased_until = $2, attempts = attempts + 1 \
                     WHERE id IN ( \
                         SELECT id FROM status_page_deliveries \
                         WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
                           AND (leased_until IS NULL OR leased_until <= $1) \
                         ORDER BY next_attempt_at LIMIT $3) \
                       AND delivered_at IS NULL AND failed_at IS NULL \
                       AND (leased_until IS NULL OR leased_until <= $1) \
                     RETURNING id",
                )
                .bind($crate::rows::to_micros(now))
                .bind($crate::rows::to_micros(lease_until))
                .bind(i64::from(limit))
                .fetch_all(self.writer())
                .await?;
                let mut deliveries = Vec::with_capacity(claimed.len());
                for (id,) in claimed {
                    let row: Option<DeliveryRow> =
                        sqlx::query_as(&format!("{DELIVERY_SELECT} WHERE d.id = $1"))
                            .bind(id)
                            .fetch_optional(self.writer())
                            .await?;
                    if let Some(row) = row {
                        deliveries.push(row.try_into()?);
                    }
                }
                Ok(deliveries)
            }

            async fn finish_subscriber_delivery(
                &self,
                id: uuid::Uuid,
                outcome: &$crate::models::SubscriberDeliveryOutcome,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<()> {
                use $crate::models::SubscriberDeliveryOutcome as Outcome;
                let now = $crate::rows::to_micros(now);
                let query = match outcome {
                    Outcome::Delivered => sqlx::query(
                        "UPDATE status_page_deliveries \
                         SET delivered_at = $2, leased_until = NULL, last_error = NULL WHERE id = $1",
                    )
                    .bind(id)
                    .bind(now),
                    Outcome::RetryAt(at, error) => sqlx::query(
                        "UPDATE status_page_deliveries \
                         SET next_attempt_at = $2, leased_until = NULL, last_error = $3 WHERE id = $1",
                    )
                    .bind(id)
                    .bind($crate::rows::to_micros(*at))
                    .bind(error.as_str()),
                    Outcome::Failed(error) => sqlx::query(
                        "UPDATE status_page_deliveries \
                         SET failed_at = $2, leased_until = NULL, last_error = $3 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(now)
                    .bind(error.as_str()),
                };
                query.execute(self.writer()).await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_subscribers;
