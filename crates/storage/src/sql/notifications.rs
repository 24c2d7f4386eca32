//! The outbox: events fanned out into notifications, claimed under a
//! lease, every attempt recorded; and the notifications a tenant may read.
//! The SQL both backends run, stamped out per backend by `sql::impl_store!`.

macro_rules! impl_notifications {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        impl $store {
            /// Where and when a target alerts, or `None` when it is gone.
            async fn alert_route(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
                defaults: &pharos_domain::alert::AlertSettings,
                default_channels: &[pharos_domain::ids::ChannelId],
            ) -> $crate::error::StoreResult<Option<$crate::models::AlertRoute>> {
                use $crate::store::{AlertSettingsStore, ChannelStore};
                let exists: Option<(uuid::Uuid,)> =
                    sqlx::query_as("SELECT id FROM targets WHERE organization_id = $1 AND id = $2")
                        .bind(org.0)
                        .bind(target.0)
                        .fetch_optional(self.reader())
                        .await?;
                if exists.is_none() {
                    return Ok(None);
                }
                let settings = self
                    .target_alert_settings(org, target)
                    .await?
                    .unwrap_or(*defaults);
                let mut channels = self.target_channels(org, target).await?;
                if channels.is_empty() {
                    channels = default_channels.to_vec();
                }
                Ok(Some($crate::models::AlertRoute { settings, channels }))
            }
        }

        impl $store {
            /// Inserts one notification unless its (event, channel,
            /// reminder) is there; a channel deleted meanwhile gets none.
            async fn insert_notification(
                tx: &mut sqlx::Transaction<'_, $db>,
                org: pharos_domain::ids::OrganizationId,
                n: &$crate::models::NewNotification,
                status: pharos_domain::alert::NotificationStatus,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<u64> {
                let done = sqlx::query(
                    "INSERT INTO notifications (id, organization_id, channel_id, event_seq, reminder, \
                       target_id, incident_id, kind, payload, include_history, occurred_at, created_at, \
                       status, attempts, next_attempt_at) \
                     SELECT $1, $2, id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $14, 0, $12 \
                     FROM channels WHERE id = $13 AND organization_id = $2 \
                     ON CONFLICT (organization_id, event_seq, channel_id, reminder) DO NOTHING",
                )
                .bind(uuid::Uuid::now_v7())
                .bind(org.0)
                .bind(n.event_seq)
                .bind(i64::from(n.reminder))
                .bind(n.target_id.0)
                .bind(n.incident_id)
                .bind(n.kind.as_str())
                .bind(n.payload.to_string())
                .bind(n.include_history)
                .bind($crate::rows::to_micros(n.occurred_at))
                .bind($crate::rows::to_micros(now))
                .bind($crate::rows::to_micros(n.due_at))
                .bind(n.channel_id.0)
                .bind(status.as_str())
                .execute(&mut **tx)
                .await?;
                Ok(done.rows_affected())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::NotificationStore for $store {
            async fn target_notifications(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Notification>> {
                let sql = format!(
                    "SELECT {} FROM notifications WHERE organization_id = $1 AND target_id = $2 \
                     ORDER BY created_at DESC, id DESC LIMIT $3",
                    $crate::rows::NOTIFICATION_COLUMNS
                );
                let rows: Vec<$crate::rows::NotificationRow> = sqlx::query_as(&sql)
                    .bind(org.0)
                    .bind(target.0)
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn incident_notifications(
                &self,
                org: pharos_domain::ids::OrganizationId,
                incident: uuid::Uuid,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Notification>> {
                let sql = format!(
                    "SELECT {} FROM notifications WHERE organization_id = $1 AND incident_id = $2 \
                     ORDER BY created_at DESC, id DESC LIMIT $3",
                    $crate::rows::NOTIFICATION_COLUMNS
                );
                let rows: Vec<$crate::rows::NotificationRow> = sqlx::query_as(&sql)
                    .bind(org.0)
                    .bind(incident)
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn incidents_notifications(
                &self,
                org: pharos_domain::ids::OrganizationId,
                incidents: &[uuid::Uuid],
                per_incident: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Notification>> {
                if incidents.is_empty() {
                    return Ok(Vec::new());
                }
                // One read for a whole page of incidents: each incident's
                // latest rows, numbered within the incident.
                let columns = $crate::rows::NOTIFICATION_COLUMNS;
                let mut query = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {columns} FROM (SELECT {columns}, ROW_NUMBER() OVER \
                       (PARTITION BY incident_id ORDER BY created_at DESC, id DESC) AS n \
                     FROM notifications WHERE organization_id = "
                ));
                query.push_bind(org.0);
                query.push(" AND incident_id IN (");
                let mut ids = query.separated(", ");
                for id in incidents {
                    ids.push_bind(*id);
                }
                query.push(")) ranked WHERE n <= ");
                query.push_bind(i64::from(per_incident));
                query.push(" ORDER BY incident_id, created_at DESC, id DESC");
                let rows: Vec<$crate::rows::NotificationRow> = query
                    .build_query_as()
                    .fetch_all(self.reader())
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn notification_attempts(
                &self,
                org: pharos_domain::ids::OrganizationId,
                ids: &[pharos_domain::ids::NotificationId],
            ) -> $crate::error::StoreResult<Vec<$crate::models::NotificationAttempt>> {
                let mut out = Vec::new();
                for id in ids {
                    let rows: Vec<$crate::rows::AttemptRow> = sqlx::query_as(
                        "SELECT a.notification_id, a.attempted_at, a.outcome, a.status_code, a.error, \
                           a.duration_ms \
                         FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id \
                         WHERE n.organization_id = $1 AND a.notification_id = $2 \
                         ORDER BY a.attempted_at, a.id",
                    )
                    .bind(org.0)
                    .bind(id.0)
                    .fetch_all(self.reader())
                    .await?;
                    for row in rows {
                        out.push(row.try_into()?);
                    }
                }
                Ok(out)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::OutboxStore for $store {
            async fn events_to_fan_out(
                &self,
                organizations: u32,
                events: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::FanOutBatch>> {
                use $crate::store::{AlertSettingsStore, EventStore};
                let behind: Vec<(uuid::Uuid, i64)> = sqlx::query_as(
                    "SELECT o.id, COALESCE(c.seq, 0) FROM organizations o \
                     LEFT JOIN alert_cursors c ON c.organization_id = o.id \
                     WHERE o.event_seq > COALESCE(c.seq, 0) ORDER BY o.id LIMIT $1",
                )
                .bind(i64::from(organizations))
                .fetch_all(self.reader())
                .await?;
                let mut batches = Vec::with_capacity(behind.len());
                for (org, after) in behind {
                    let org = pharos_domain::ids::OrganizationId(org);
                    let found = self.events(org, after, events).await?;
                    if found.is_empty() {
                        continue;
                    }
                    let defaults = self.alert_defaults(org).await?;
                    let default_channels: Vec<(uuid::Uuid,)> = sqlx::query_as(
                        "SELECT id FROM channels WHERE organization_id = $1 AND is_default \
                         ORDER BY created_at, id",
                    )
                    .bind(org.0)
                    .fetch_all(self.reader())
                    .await?;
                    let default_channels: Vec<pharos_domain::ids::ChannelId> = default_channels
                        .into_iter()
                        .map(|(id,)| pharos_domain::ids::ChannelId(id))
                        .collect();
                    let mut routes = std::collections::HashMap::new();
                    let mut out = Vec::with_capacity(found.len());
                    for event in found {
                        let route = match routes.get(&event.target_id) {
                            Some(route) => Clone::clone(route),
                            None => {
                                let route = self
                                    .alert_route(org, event.target_id, &defaults, &default_channels)
                                    .await?;
                                routes.insert(event.target_id, route.clone());
                                route
                            }
                        };
                        out.push($crate::models::EventToFanOut { event, route });
                    }
                    batches.push($crate::models::FanOutBatch {
                        organization_id: org,
                        after,
                        events: out,
                    });
                }
                Ok(batches)
            }

            async fn enqueue_notifications(
                &self,
                org: pharos_domain::ids::OrganizationId,
                after: i64,
                up_to: i64,
                notifications: &[$crate::models::NewNotification],
                fold: pharos_domain::alert::FoldRule,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<bool> {
                use pharos_domain::alert::NotificationStatus;
                let mut tx = self.writer().begin().await?;
                // The cursor moves first: a second sender with the same
                // batch waits here, then finds it moved and writes nothing.
                let moved = sqlx::query(
                    "INSERT INTO alert_cursors (organization_id, seq) VALUES ($1, $2) \
                     ON CONFLICT (organization_id) DO UPDATE SET seq = excluded.seq \
                     WHERE alert_cursors.seq = $3",
                )
                .bind(org.0)
                .bind(up_to)
                .bind(after)
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() != 1 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                let since = now
                    - chrono::Duration::from_std(fold.window).unwrap_or(chrono::Duration::minutes(1));
                for n in notifications {
                    // What the channel was told (or is about to be) of this
                    // target lately.
                    let (recent,): (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM notifications \
                         WHERE channel_id = $1 AND target_id = $2 AND created_at > $3 \
                           AND status <> 'folded'",
                    )
                    .bind(n.channel_id.0)
                    .bind(n.target_id.0)
                    .bind($crate::rows::to_micros(since))
                    .fetch_one(&mut *tx)
                    .await?;
                    let status = if recent >= i64::from(fold.limit) {
                        NotificationStatus::Folded
                    } else {
                        NotificationStatus::Pending
                    };
                    Self::insert_notification(&mut tx, org, n, status, now).await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn claim_notifications(
                &self,
                owner: &str,
                now: chrono::DateTime<chrono::Utc>,
                lease: chrono::Duration,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::ClaimedNotification>> {
                let now = $crate::rows::to_micros(now);
                let sql = format!(
                    "UPDATE notifications SET status = 'delivering', lease_owner = $1, lease_until = $2, \
                       lease_epoch = lease_epoch + 1 \
                     WHERE id IN (SELECT id FROM notifications \
                                  WHERE (status = 'pending' OR (status = 'delivering' AND lease_until < $3)) \
                                    AND next_attempt_at <= $3 \
                                    AND channel_id NOT IN (SELECT id FROM channels WHERE resume_at > $3) \
                                  ORDER BY next_attempt_at, event_seq LIMIT $4 {}) \
                     RETURNING {}, lease_epoch",
                    $claim_lock,
                    $crate::rows::NOTIFICATION_COLUMNS
                );
                let rows: Vec<$crate::rows::ClaimedNotificationRow> = sqlx::query_as(&sql)
                    .bind(owner)
                    .bind(now + lease)
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(self.writer())
                    .await?;
                let channel_sql = format!(
                    "SELECT {} FROM channels WHERE id = $1",
                    $crate::rows::CHANNEL_COLUMNS
                );
                let mut channels = std::collections::HashMap::new();
                let mut names = std::collections::HashMap::new();
                // RETURNING has no order: each channel's notifications go
                // out in the order their events happened.
                let mut rows = rows;
                rows.sort_by(|a, b| {
                    (a.notification.next_attempt_at, a.notification.organization_id, a.notification.event_seq, a.notification.reminder)
                        .cmp(&(b.notification.next_attempt_at, b.notification.organization_id, b.notification.event_seq, b.notification.reminder))
                });
                let mut claimed = Vec::with_capacity(rows.len());
                for row in rows {
                    let lease_epoch = row.lease_epoch;
                    let notification: $crate::models::Notification = row.notification.try_into()?;
                    if !channels.contains_key(&notification.channel_id) {
                        let channel: Option<$crate::rows::ChannelRow> = sqlx::query_as(&channel_sql)
                            .bind(notification.channel_id.0)
                            .fetch_optional(self.writer())
                            .await?;
                        let channel: Option<$crate::models::Channel> =
                            channel.map(TryInto::try_into).transpose()?;
                        channels.insert(notification.channel_id, channel);
                    }
                    let Some(Some(channel)) = channels.get(&notification.channel_id) else {
                        // Deleted meanwhile: its notifications went with it.
                        continue;
                    };
                    if !names.contains_key(&notification.organization_id) {
                        let name: Option<(String,)> =
                            sqlx::query_as("SELECT name FROM organizations WHERE id = $1")
                                .bind(notification.organization_id.0)
                                .fetch_optional(self.writer())
                                .await?;
                        names.insert(
                            notification.organization_id,
                            name.map(|(n,)| n).unwrap_or_default(),
                        );
                    }
                    let organization_name = names
                        .get(&notification.organization_id)
                        .cloned()
                        .unwrap_or_default();
                    claimed.push($crate::models::ClaimedNotification {
                        channel: channel.clone(),
                        notification,
                        lease_epoch,
                        organization_name,
                    });
                }
                Ok(claimed)
            }

            async fn record_attempt(
                &self,
                attempt: &$crate::models::AttemptRecord,
            ) -> $crate::error::StoreResult<bool> {
                use pharos_domain::alert::{AttemptOutcome, NotificationStatus};
                let at = $crate::rows::to_micros(attempt.attempted_at);
                let status = match attempt.outcome {
                    AttemptOutcome::Delivered => NotificationStatus::Delivered,
                    AttemptOutcome::Retry => NotificationStatus::Pending,
                    AttemptOutcome::Failed => NotificationStatus::Failed,
                };
                let mut tx = self.writer().begin().await?;
                let held: Option<(uuid::Uuid,)> = sqlx::query_as(
                    "UPDATE notifications SET status = $1, attempts = attempts + 1, \
                       next_attempt_at = COALESCE($2, next_attempt_at), lease_owner = NULL, lease_until = NULL, \
                       delivered_at = CASE WHEN $3 THEN $4 ELSE delivered_at END, \
                       last_status = $5, last_error = $6 \
                     WHERE id = $7 AND lease_epoch = $8 AND status = 'delivering' \
                     RETURNING channel_id",
                )
                .bind(status.as_str())
                .bind(attempt.next_attempt_at.map($crate::rows::to_micros))
                .bind(attempt.outcome == AttemptOutcome::Delivered)
                .bind(at)
                .bind(attempt.status_code.map(i32::from))
                .bind(attempt.error.as_deref())
                .bind(attempt.notification_id.0)
                .bind(attempt.lease_epoch)
                .fetch_optional(&mut *tx)
                .await?;
                // The attempt happened either way: log it while its
                // notification exists.
                sqlx::query(
                    "INSERT INTO notification_attempts (id, notification_id, attempted_at, outcome, \
                       status_code, error, duration_ms) \
                     SELECT $1, id, $2, $3, $4, $5, $6 FROM notifications WHERE id = $7",
                )
                .bind(uuid::Uuid::now_v7())
                .bind(at)
                .bind(attempt.outcome.as_str())
                .bind(attempt.status_code.map(i32::from))
                .bind(attempt.error.as_deref())
                .bind(i64::try_from(attempt.duration.as_millis()).unwrap_or(i64::MAX))
                .bind(attempt.notification_id.0)
                .execute(&mut *tx)
                .await?;
                if let Some((channel,)) = held {
                    match attempt.channel {
                        $crate::models::ChannelHealth::Answered => {
                            sqlx::query(
                                "UPDATE channels SET failures = 0, resume_at = NULL \
                                 WHERE id = $1 AND (failures <> 0 OR resume_at IS NOT NULL)",
                            )
                            .bind(channel)
                            .execute(&mut *tx)
                            .await?;
                        }
                        $crate::models::ChannelHealth::Failing { resume_at } => {
                            // A burst of failures while the channel is
                            // already paused counts once.
                            sqlx::query(
                                "UPDATE channels SET failures = failures + 1, resume_at = $2 \
                                 WHERE id = $1 AND (resume_at IS NULL OR resume_at <= $3)",
                            )
                            .bind(channel)
                            .bind($crate::rows::to_micros(resume_at))
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                }
                tx.commit().await?;
                Ok(held.is_some())
            }

            async fn release_notifications(
                &self,
                claims: &[(pharos_domain::ids::NotificationId, i64)],
                due_at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<u64> {
                let mut released = 0;
                let mut tx = self.writer().begin().await?;
                for (id, epoch) in claims {
                    let done = sqlx::query(
                        "UPDATE notifications SET status = 'pending', lease_owner = NULL, lease_until = NULL, \
                           next_attempt_at = $1 \
                         WHERE id = $2 AND lease_epoch = $3 AND status = 'delivering'",
                    )
                    .bind($crate::rows::to_micros(due_at))
                    .bind(id.0)
                    .bind(*epoch)
                    .execute(&mut *tx)
                    .await?;
                    released += done.rows_affected();
                }
                tx.commit().await?;
                Ok(released)
            }

            async fn open_incident_alerts(
                &self,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::models::OpenIncidentAlert>> {
                use $crate::store::AlertSettingsStore;
                let open: Vec<(uuid::Uuid, uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
                    "SELECT n.organization_id, n.target_id, n.incident_id FROM notifications n \
                     JOIN incidents i ON i.id = n.incident_id \
                     WHERE n.kind = 'down' AND n.reminder = 0 AND i.closed_at IS NULL \
                     GROUP BY n.organization_id, n.target_id, n.incident_id \
                     ORDER BY n.incident_id LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(self.reader())
                .await?;
                let sql = format!(
                    "SELECT {} FROM notifications \
                     WHERE organization_id = $1 AND incident_id = $2 AND kind = 'down' \
                     ORDER BY channel_id, reminder DESC",
                    $crate::rows::NOTIFICATION_COLUMNS
                );
                let mut out = Vec::with_capacity(open.len());
                for (org, target, incident) in open {
                    let org = pharos_domain::ids::OrganizationId(org);
                    let target = pharos_domain::ids::TargetId(target);
                    let settings = match self.target_alert_settings(org, target).await? {
                        Some(own) => own,
                        None => self.alert_defaults(org).await?,
                    };
                    let rows: Vec<$crate::rows::NotificationRow> = sqlx::query_as(&sql)
                        .bind(org.0)
                        .bind(incident)
                        .fetch_all(self.reader())
                        .await?;
                    let mut latest: Vec<$crate::models::Notification> = Vec::new();
                    for row in rows {
                        let n: $crate::models::Notification = row.try_into()?;
                        if latest.last().is_none_or(|l| l.channel_id != n.channel_id) {
                            latest.push(n);
                        }
                    }
                    out.push($crate::models::OpenIncidentAlert {
                        organization_id: org,
                        target_id: target,
                        incident_id: incident,
                        settings,
                        latest,
                    });
                }
                Ok(out)
            }

            async fn enqueue_reminders(
                &self,
                org: pharos_domain::ids::OrganizationId,
                reminders: &[$crate::models::NewNotification],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<u64> {
                let mut written = 0;
                let mut tx = self.writer().begin().await?;
                for n in reminders {
                    written += Self::insert_notification(
                        &mut tx,
                        org,
                        n,
                        pharos_domain::alert::NotificationStatus::Pending,
                        now,
                    )
                    .await?;
                }
                tx.commit().await?;
                Ok(written)
            }

            async fn summarize_folded(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                window: chrono::Duration,
                due_at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<u64> {
                let ready: Vec<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
                    "SELECT channel_id, target_id FROM notifications \
                     WHERE status = 'folded' AND folded_into IS NULL \
                     GROUP BY channel_id, target_id HAVING MIN(created_at) <= $1",
                )
                .bind($crate::rows::to_micros(now - window))
                .fetch_all(self.writer())
                .await?;
                let mut made = 0;
                for (channel, target) in ready {
                    let mut tx = self.writer().begin().await?;
                    // Locked: a second sender waits, then finds them told.
                    let folded: Vec<(uuid::Uuid,)> = sqlx::query_as(&format!(
                        "SELECT id FROM notifications \
                         WHERE channel_id = $1 AND target_id = $2 AND status = 'folded' \
                           AND folded_into IS NULL \
                         ORDER BY organization_id, event_seq, reminder {}",
                        $row_lock
                    ))
                    .bind(channel)
                    .bind(target)
                    .fetch_all(&mut *tx)
                    .await?;
                    let Some(((summary,), rest)) = folded.split_last() else {
                        tx.rollback().await?;
                        continue;
                    };
                    sqlx::query(
                        "UPDATE notifications SET status = 'pending', kind = 'summary', folded = $2, \
                           next_attempt_at = $3 WHERE id = $1",
                    )
                    .bind(summary)
                    .bind(i64::try_from(folded.len()).unwrap_or(i64::MAX))
                    .bind($crate::rows::to_micros(due_at))
                    .execute(&mut *tx)
                    .await?;
                    for (id,) in rest {
                        sqlx::query("UPDATE notifications SET folded_into = $2 WHERE id = $1")
                            .bind(id)
                            .bind(summary)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    made += 1;
                }
                Ok(made)
            }

            async fn notification_queue_depth(&self) -> $crate::error::StoreResult<u64> {
                let (count,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM notifications WHERE status = 'pending' OR status = 'delivering'",
                )
                .fetch_one(self.reader())
                .await?;
                Ok(u64::try_from(count).unwrap_or(0))
            }
        }
    };
}

pub(crate) use impl_notifications;
