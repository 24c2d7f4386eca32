//! An organization's channels, the targets that use them, and when to
//! alert. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_channels {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        impl $store {
            /// Locks `target` for the rest of the transaction if it is the
            /// organization's; `false` when it is not (or does not exist).
            async fn lock_own_target(
                tx: &mut sqlx::Transaction<'_, $db>,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
            ) -> $crate::error::StoreResult<bool> {
                let owned: Option<(uuid::Uuid,)> = sqlx::query_as(&format!(
                    "SELECT id FROM targets WHERE organization_id = $1 AND id = $2 {}",
                    $row_lock
                ))
                .bind(org.0)
                .bind(target.0)
                .fetch_optional(&mut **tx)
                .await?;
                Ok(owned.is_some())
            }

            /// Replaces `target`'s rows in `link` (`target_id`, `column`)
            /// with `ids`, each of which must be a row of `owner` in `org`
            /// (its channels, its tags). `false`, and nothing written, when
            /// the target is not the organization's or an id is not (another
            /// tenant's id inserts nothing and undoes the change).
            async fn replace_target_links(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
                (link, column, owner): (&str, &str, &str),
                ids: &[uuid::Uuid],
            ) -> $crate::error::StoreResult<bool> {
                let mut tx = self.writer().begin().await?;
                if !Self::lock_own_target(&mut tx, org, target).await? {
                    return Ok(false);
                }
                sqlx::query(&format!("DELETE FROM {link} WHERE target_id = $1"))
                    .bind(target.0)
                    .execute(&mut *tx)
                    .await?;
                let insert = format!(
                    "INSERT INTO {link} (target_id, {column}) \
                     SELECT $1, id FROM {owner} WHERE organization_id = $2 AND id = $3"
                );
                let mut seen = std::collections::HashSet::new();
                for id in ids.iter().filter(|id| seen.insert(**id)) {
                    let added = sqlx::query(&insert)
                        .bind(target.0)
                        .bind(org.0)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    if added.rows_affected() != 1 {
                        tx.rollback().await?;
                        return Ok(false);
                    }
                }
                tx.commit().await?;
                Ok(true)
            }

            /// The stored form of alert settings: type, period, switches.
            fn alert_columns(
                settings: &pharos_domain::alert::AlertSettings,
            ) -> (&'static str, Option<i64>, bool, bool, bool) {
                (
                    settings.alert_type.name().as_str(),
                    settings.alert_type.repeat_minutes().map(|m| i64::from(m.get())),
                    settings.on_restored,
                    settings.on_degraded,
                    settings.include_history,
                )
            }

            async fn insert_alert_settings(
                tx: &mut sqlx::Transaction<'_, $db>,
                org: pharos_domain::ids::OrganizationId,
                target: Option<pharos_domain::ids::TargetId>,
                settings: &pharos_domain::alert::AlertSettings,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<()> {
                let (alert_type, minutes, restored, degraded, history) = Self::alert_columns(settings);
                sqlx::query(
                    "INSERT INTO alert_settings (organization_id, target_id, alert_type, repeat_minutes, \
                       on_restored, on_degraded, include_history, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(org.0)
                .bind(target.map(|t| t.0))
                .bind(alert_type)
                .bind(minutes)
                .bind(restored)
                .bind(degraded)
                .bind(history)
                .bind($crate::rows::to_micros(now))
                .execute(&mut **tx)
                .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::ChannelStore for $store {
            async fn create_channel(
                &self,
                org: pharos_domain::ids::OrganizationId,
                channel: $crate::models::NewChannel<'_>,
            ) -> $crate::error::StoreResult<$crate::models::Channel> {
                let sql = format!(
                    "INSERT INTO channels (id, organization_id, kind, name, config, secret, is_default, \
                       created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {}",
                    $crate::rows::CHANNEL_COLUMNS
                );
                let row: $crate::rows::ChannelRow = sqlx::query_as(&sql)
                    .bind(channel.id.0)
                    .bind(org.0)
                    .bind(channel.kind.as_str())
                    .bind(channel.name)
                    .bind(channel.config.to_string())
                    .bind(channel.sealed_secret)
                    .bind(channel.is_default)
                    .bind($crate::rows::to_micros(channel.now))
                    .fetch_one(self.writer())
                    .await
                    .map_err(|e| $crate::error::unique_as_conflict(e, "a channel with this id exists"))?;
                row.try_into()
            }

            async fn channels(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Channel>> {
                let sql = format!(
                    "SELECT {} FROM channels WHERE organization_id = $1 ORDER BY created_at, id",
                    $crate::rows::CHANNEL_COLUMNS
                );
                let rows: Vec<$crate::rows::ChannelRow> =
                    sqlx::query_as(&sql).bind(org.0).fetch_all(self.reader()).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn channel(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::ChannelId,
            ) -> $crate::error::StoreResult<Option<$crate::models::Channel>> {
                let sql = format!(
                    "SELECT {} FROM channels WHERE organization_id = $1 AND id = $2",
                    $crate::rows::CHANNEL_COLUMNS
                );
                let row: Option<$crate::rows::ChannelRow> = sqlx::query_as(&sql)
                    .bind(org.0)
                    .bind(id.0)
                    .fetch_optional(self.reader())
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn update_channel(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::ChannelId,
                patch: $crate::models::ChannelPatch<'_>,
            ) -> $crate::error::StoreResult<Option<$crate::models::Channel>> {
                let sql = format!(
                    "UPDATE channels SET name = COALESCE($3, name), \
                       config = CASE WHEN $4 THEN $5 ELSE config END, \
                       secret = CASE WHEN $4 THEN $6 ELSE secret END, \
                       is_default = COALESCE($7, is_default), updated_at = $8 \
                     WHERE organization_id = $1 AND id = $2 RETURNING {}",
                    $crate::rows::CHANNEL_COLUMNS
                );
                let row: Option<$crate::rows::ChannelRow> = sqlx::query_as(&sql)
                    .bind(org.0)
                    .bind(id.0)
                    .bind(patch.name)
                    .bind(patch.config.is_some())
                    .bind(patch.config.map(|(config, _)| config.to_string()))
                    .bind(patch.config.and_then(|(_, secret)| secret))
                    .bind(patch.is_default)
                    .bind($crate::rows::to_micros(patch.now))
                    .fetch_optional(self.writer())
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn delete_channel(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::ChannelId,
            ) -> $crate::error::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM channels WHERE organization_id = $1 AND id = $2")
                    .bind(org.0)
                    .bind(id.0)
                    .execute(self.writer())
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn set_target_channels(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
                channels: &[pharos_domain::ids::ChannelId],
            ) -> $crate::error::StoreResult<bool> {
                let ids: Vec<uuid::Uuid> = channels.iter().map(|c| c.0).collect();
                self.replace_target_links(org, target, ("target_channels", "channel_id", "channels"), &ids)
                    .await
            }

            async fn target_channels(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
            ) -> $crate::error::StoreResult<Vec<pharos_domain::ids::ChannelId>> {
                let rows: Vec<(uuid::Uuid,)> = sqlx::query_as(
                    "SELECT tc.channel_id FROM target_channels tc \
                     JOIN channels c ON c.id = tc.channel_id \
                     WHERE c.organization_id = $1 AND tc.target_id = $2 ORDER BY c.created_at, c.id",
                )
                .bind(org.0)
                .bind(target.0)
                .fetch_all(self.reader())
                .await?;
                Ok(rows.into_iter().map(|(id,)| pharos_domain::ids::ChannelId(id)).collect())
            }

            async fn organization_target_channels(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<(pharos_domain::ids::TargetId, pharos_domain::ids::ChannelId)>> {
                let rows: Vec<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
                    "SELECT tc.target_id, tc.channel_id FROM target_channels tc \
                     JOIN channels c ON c.id = tc.channel_id \
                     WHERE c.organization_id = $1 ORDER BY tc.target_id, c.created_at, c.id",
                )
                .bind(org.0)
                .fetch_all(self.reader())
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(t, c)| (pharos_domain::ids::TargetId(t), pharos_domain::ids::ChannelId(c)))
                    .collect())
            }

            async fn channels_of_targets(
                &self,
                org: pharos_domain::ids::OrganizationId,
                targets: &[pharos_domain::ids::TargetId],
            ) -> $crate::error::StoreResult<Vec<(pharos_domain::ids::TargetId, pharos_domain::ids::ChannelId)>> {
                if targets.is_empty() {
                    return Ok(Vec::new());
                }
                let mut qb: sqlx::QueryBuilder<'_, $db> = sqlx::QueryBuilder::new(
                    "SELECT tc.target_id, tc.channel_id FROM target_channels tc \
                     JOIN channels c ON c.id = tc.channel_id WHERE c.organization_id = ",
                );
                qb.push_bind(org.0).push(" AND tc.target_id IN (");
                let mut ids = qb.separated(", ");
                for target in targets {
                    ids.push_bind(target.0);
                }
                qb.push(") ORDER BY tc.target_id, c.created_at, c.id");
                let rows: Vec<(uuid::Uuid, uuid::Uuid)> =
                    qb.build_query_as().fetch_all(self.reader()).await?;
                Ok(rows
                    .into_iter()
                    .map(|(t, c)| (pharos_domain::ids::TargetId(t), pharos_domain::ids::ChannelId(c)))
                    .collect())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::AlertSettingsStore for $store {
            async fn alert_defaults(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<pharos_domain::alert::AlertSettings> {
                let row: Option<$crate::rows::AlertSettingsRow> = sqlx::query_as(
                    "SELECT alert_type, repeat_minutes, on_restored, on_degraded, include_history \
                     FROM alert_settings WHERE organization_id = $1 AND target_id IS NULL",
                )
                .bind(org.0)
                .fetch_optional(self.reader())
                .await?;
                row.map(TryInto::try_into)
                    .transpose()
                    .map(Option::unwrap_or_default)
            }

            async fn set_alert_defaults(
                &self,
                org: pharos_domain::ids::OrganizationId,
                settings: &pharos_domain::alert::AlertSettings,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<()> {
                let mut tx = self.writer().begin().await?;
                sqlx::query("DELETE FROM alert_settings WHERE organization_id = $1 AND target_id IS NULL")
                    .bind(org.0)
                    .execute(&mut *tx)
                    .await?;
                Self::insert_alert_settings(&mut tx, org, None, settings, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn target_alert_settings(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
            ) -> $crate::error::StoreResult<Option<pharos_domain::alert::AlertSettings>> {
                let row: Option<$crate::rows::AlertSettingsRow> = sqlx::query_as(
                    "SELECT alert_type, repeat_minutes, on_restored, on_degraded, include_history \
                     FROM alert_settings WHERE organization_id = $1 AND target_id = $2",
                )
                .bind(org.0)
                .bind(target.0)
                .fetch_optional(self.reader())
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn set_target_alert_settings(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
                settings: Option<&pharos_domain::alert::AlertSettings>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<bool> {
                let mut tx = self.writer().begin().await?;
                if !Self::lock_own_target(&mut tx, org, target).await? {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM alert_settings WHERE organization_id = $1 AND target_id = $2")
                    .bind(org.0)
                    .bind(target.0)
                    .execute(&mut *tx)
                    .await?;
                if let Some(settings) = settings {
                    Self::insert_alert_settings(&mut tx, org, Some(target), settings, now).await?;
                }
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}

pub(crate) use impl_channels;
