//! The organization's event log. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_events {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        impl $store {
            /// Numbers and writes `events` inside `tx`. Organizations take
            /// their numbers in id order, so two transactions never wait on
            /// each other's counters in opposite orders (no deadlock).
            async fn append_events(
                tx: &mut sqlx::Transaction<'_, $db>,
                mut events: Vec<$crate::events::PendingEvent>,
            ) -> $crate::error::StoreResult<Vec<i64>> {
                // Stable: each organization's events keep their order.
                // The sequence numbers come back in this sorted order (the
                // given order, when all are of one organization).
                events.sort_by_key(|e| e.organization_id.0);
                let mut seqs = Vec::with_capacity(events.len());
                for batch in events.chunk_by(|a, b| a.organization_id == b.organization_id) {
                    let org = batch[0].organization_id;
                    let count = i64::try_from(batch.len()).unwrap_or(i64::MAX);
                    let (last,): (i64,) = sqlx::query_as(
                        "UPDATE organizations SET event_seq = event_seq + $1 WHERE id = $2 RETURNING event_seq",
                    )
                    .bind(count)
                    .bind(org.0)
                    .fetch_one(&mut **tx)
                    .await?;
                    for (seq, event) in (last - count + 1..).zip(batch) {
                        seqs.push(seq);
                        sqlx::query(
                            "INSERT INTO events (organization_id, seq, event_type, target_id, incident_id, \
                               occurred_at, payload) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        )
                        .bind(org.0)
                        .bind(seq)
                        .bind(event.event_type.as_str())
                        .bind(event.target_id.0)
                        .bind(event.incident_id)
                        .bind($crate::rows::to_micros(event.occurred_at))
                        .bind(&event.payload)
                        .execute(&mut **tx)
                        .await?;
                    }
                }
                Ok(seqs)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::EventStore for $store {
            async fn events(
                &self,
                org: pharos_domain::ids::OrganizationId,
                after: i64,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Event>> {
                let rows: Vec<$crate::rows::EventRow> = sqlx::query_as(
                    "SELECT organization_id, seq, event_type, target_id, incident_id, occurred_at, payload \
                     FROM events WHERE organization_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                )
                .bind(org.0)
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(self.reader())
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }
        }
    };
}

pub(crate) use impl_events;
