//! Remote agents: the organization's list and settings (tenant-facing),
//! admission, tokens, assignments and results (system), and each
//! location's own view of a target checked from several. The SQL both
//! backends run, stamped out per backend by `sql::impl_store!`.
//!
//! A target checked from several locations (`targets.quorum` set) keeps
//! one `location_states` row per location; its own state is what a quorum
//! of them says (`pharos_domain::quorum::combine`). Both the workers'
//! results (the `local` location) and the agents' go through
//! `settle_location` inside their write's transaction, so two locations
//! reporting at once are judged one after the other. An agent's push reads
//! the quorum inputs of all its targets in three statements
//! (`load_locations`, the targets' rows locked first) into a
//! `deferred::LocationBook`, judges every result in memory, and writes the
//! changed views at the end.

/// An agent reaches a target (aliased `t`, the agent bound as `$1`, its
/// organization as `$2`) of its own organization, or of any when the
/// agent is a public location.
pub(crate) const AGENT_REACHES_TARGET: &str = "(t.organization_id = $2 \
     OR EXISTS (SELECT 1 FROM agents pa WHERE pa.id = $1 AND pa.public))";

macro_rules! impl_agents {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        impl $store {
            /// Records `location`'s new view of a target and returns how the
            /// target's own state moves, by its quorum over its locations
            /// still reporting (offline agents left out). `None`: the target
            /// is gone or not checked from several locations. The view is
            /// written with the batch (`write_deferred`).
            pub(crate) async fn settle_location(
                tx: &mut sqlx::Transaction<'_, $db>,
                book: &mut $crate::deferred::LocationBook,
                target: pharos_domain::ids::TargetId,
                location: pharos_domain::agent::Location,
                state: pharos_domain::status::TargetState,
                failures: u32,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Option<$crate::models::StatusUpdate>> {
                Self::load_locations(tx, book, [target.0]).await?;
                Ok(book.settle(target.0, location, state, failures, now))
            }

            /// Reads into `book` what judging `ids` by their locations
            /// needs, for those not read yet: the targets' rows (locked,
            /// in id order, so that two batches judge a target one after
            /// the other and never deadlock), their counted agents and
            /// every location's view, a few hundred targets a statement.
            pub(crate) async fn load_locations(
                tx: &mut sqlx::Transaction<'_, $db>,
                book: &mut $crate::deferred::LocationBook,
                ids: impl IntoIterator<Item = uuid::Uuid>,
            ) -> $crate::error::StoreResult<()> {
                use pharos_domain::status::TargetState;
                let missing = book.missing(ids);
                for chunk in missing.chunks($crate::sql::agents::IDS_PER_QUERY) {
                    book.mark_loaded(chunk);
                    let list = $crate::sql::agents::placeholders(1, chunk.len());
                    let sql = format!(
                        "SELECT id, state, quorum, check_local FROM targets WHERE id IN ({list}) ORDER BY id {}",
                        $row_lock
                    );
                    let mut query = sqlx::query_as::<_, (uuid::Uuid, String, Option<String>, bool)>(&sql);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    for (id, state, quorum, check_local) in query.fetch_all(&mut **tx).await? {
                        let state = TargetState::parse(&state)
                            .ok_or_else(|| $crate::error::StoreError::Corrupt(format!("unknown state {state:?}")))?;
                        let quorum = quorum
                            .map(|q| pharos_domain::quorum::Quorum::parse(&q))
                            .transpose()
                            .map_err(|e| $crate::error::StoreError::Corrupt(format!("targets.quorum: {e}")))?;
                        book.add_target(id, $crate::deferred::QuorumTarget { state, quorum, check_local });
                    }
                    let sql = format!(
                        "SELECT ta.target_id, ta.agent_id, a.name FROM target_agents ta \
                           JOIN agents a ON a.id = ta.agent_id JOIN targets t ON t.id = ta.target_id \
                         WHERE ta.target_id IN ({list}) AND a.status = 'approved' AND a.offline_since IS NULL \
                           AND (a.organization_id = t.organization_id OR a.public) \
                         ORDER BY a.name"
                    );
                    let mut query = sqlx::query_as::<_, (uuid::Uuid, uuid::Uuid, String)>(&sql);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    for (target, agent, name) in query.fetch_all(&mut **tx).await? {
                        book.add_agent(target, agent, name);
                    }
                    let sql = format!(
                        "SELECT target_id, location, state, consecutive_failures FROM location_states \
                         WHERE target_id IN ({list})"
                    );
                    let mut query = sqlx::query_as::<_, (uuid::Uuid, uuid::Uuid, String, i32)>(&sql);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    for (target, location, state, failures) in query.fetch_all(&mut **tx).await? {
                        let state = TargetState::parse(&state).unwrap_or(TargetState::Pending);
                        book.add_view(target, location, state, u32::try_from(failures).unwrap_or(0));
                    }
                }
                Ok(())
            }

            /// Writes the location views a batch changed, many to a
            /// statement.
            pub(crate) async fn write_location_views(
                tx: &mut sqlx::Transaction<'_, $db>,
                book: &$crate::deferred::LocationBook,
            ) -> $crate::error::StoreResult<()> {
                let rows: Vec<_> = book.changed().collect();
                for chunk in rows.chunks(500) {
                    let mut qb: sqlx::QueryBuilder<'_, $db> = sqlx::QueryBuilder::new(
                        "INSERT INTO location_states (target_id, location, state, consecutive_failures, updated_at) ",
                    );
                    qb.push_values(chunk, |mut row, ((target, location), (state, failures, at))| {
                        row.push_bind(*target)
                            .push_bind(*location)
                            .push_bind(state.as_str())
                            .push_bind(i64::from(*failures))
                            .push_bind($crate::rows::to_micros(*at));
                    });
                    qb.push(
                        " ON CONFLICT (target_id, location) DO UPDATE SET state = excluded.state, \
                           consecutive_failures = excluded.consecutive_failures, updated_at = excluded.updated_at",
                    );
                    qb.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// An agent went offline (or came back): one event per target
            /// it checks, and one alert per channel that alerts for any of
            /// them (its own channels, or the organization's default ones
            /// for a target with none), not one per target: an agent with
            /// 2,000 targets is one message. A public location's targets
            /// are told organization by organization, each its own
            /// targets only. Written in the caller's transaction, with the
            /// change of the agent's presence, so it is told exactly once.
            pub(crate) async fn write_agent_presence(
                tx: &mut sqlx::Transaction<'_, $db>,
                agent: &$crate::models::Agent,
                online: bool,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<()> {
                let targets: Vec<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(&format!(
                    "SELECT t.organization_id, ta.target_id FROM target_agents ta \
                     JOIN targets t ON t.id = ta.target_id WHERE ta.agent_id = $1 AND {} \
                     ORDER BY t.organization_id, ta.target_id",
                    $crate::sql::agents::AGENT_REACHES_TARGET
                ))
                .bind(agent.id.0)
                .bind(agent.organization_id.0)
                .fetch_all(&mut **tx)
                .await?;
                let kind = if online {
                    pharos_domain::alert::NotificationKind::AgentOnline
                } else {
                    pharos_domain::alert::NotificationKind::AgentOffline
                };
                for group in targets.chunk_by(|a, b| a.0 == b.0) {
                    let org = pharos_domain::ids::OrganizationId(group[0].0);
                    let first = group[0].1;
                    let mut events = Vec::with_capacity(group.len());
                    for (_, target) in group {
                        $crate::events::agent_presence(
                            agent,
                            org,
                            online,
                            pharos_domain::ids::TargetId(*target),
                            group.len(),
                            now,
                            &mut events,
                        );
                    }
                    let payload: serde_json::Value =
                        serde_json::from_str(&events[0].payload).unwrap_or_default();
                    let seqs = Self::append_events(tx, events).await?;
                    let Some(first_seq) = seqs.first().copied() else {
                        continue;
                    };
                    let channels: Vec<(uuid::Uuid,)> = sqlx::query_as(
                        "SELECT DISTINCT tc.channel_id FROM target_agents ta \
                           JOIN targets t ON t.id = ta.target_id \
                           JOIN target_channels tc ON tc.target_id = ta.target_id \
                         WHERE ta.agent_id = $1 AND t.organization_id = $2 \
                         UNION \
                         SELECT c.id FROM channels c WHERE c.organization_id = $2 AND c.is_default \
                           AND EXISTS (SELECT 1 FROM target_agents ta JOIN targets t ON t.id = ta.target_id \
                             WHERE ta.agent_id = $1 AND t.organization_id = $2 \
                             AND NOT EXISTS (SELECT 1 FROM target_channels tc WHERE tc.target_id = ta.target_id))",
                    )
                    .bind(agent.id.0)
                    .bind(org.0)
                    .fetch_all(&mut **tx)
                    .await?;
                    for (channel,) in channels {
                        let notification = $crate::models::NewNotification {
                            channel_id: pharos_domain::ids::ChannelId(channel),
                            event_seq: first_seq,
                            reminder: 0,
                            target_id: pharos_domain::ids::TargetId(first),
                            incident_id: None,
                            kind,
                            payload: payload.clone(),
                            include_history: false,
                            occurred_at: now,
                            due_at: now,
                        };
                        Self::insert_notification(
                            tx,
                            org,
                            &notification,
                            pharos_domain::alert::NotificationStatus::Pending,
                            now,
                        )
                        .await?;
                    }
                }
                Ok(())
            }

            /// Marks an offline agent online again and tells of it; `false`
            /// when it was not offline. Only the request that finds it
            /// offline brings it back: two heartbeats at once cannot both.
            pub(crate) async fn bring_back(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: pharos_domain::ids::AgentId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<bool> {
                let back: Option<$crate::rows::AgentRow> = sqlx::query_as(&format!(
                    "UPDATE agents SET offline_since = NULL WHERE id = $1 AND offline_since IS NOT NULL \
                     RETURNING {}",
                    $crate::rows::AGENT_COLUMNS
                ))
                .bind(id.0)
                .fetch_optional(&mut **tx)
                .await?;
                let Some(row) = back else {
                    return Ok(false);
                };
                let agent: $crate::models::Agent = row.try_into()?;
                if agent.status == pharos_domain::agent::AgentStatus::Approved {
                    Self::write_agent_presence(tx, &agent, true, now).await?;
                }
                Ok(true)
            }

            /// Writes the target's state after `settle_location`.
            pub(crate) async fn write_target_state(
                tx: &mut sqlx::Transaction<'_, $db>,
                check: &$crate::models::Check,
                status: &$crate::models::StatusUpdate,
            ) -> $crate::error::StoreResult<()> {
                sqlx::query(
                    "UPDATE targets SET state = $1, last_check_id = $2, \
                       state_changed_at = CASE WHEN $3 THEN $4 ELSE state_changed_at END \
                     WHERE id = $5",
                )
                .bind(status.transition.state.as_str())
                .bind(check.id.0)
                .bind(status.transition.changed)
                .bind($crate::rows::to_micros(check.checked_at))
                .bind(check.target_id.0)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::AgentStore for $store {
            async fn agents(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Agent>> {
                let rows: Vec<$crate::rows::AgentRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM agents WHERE organization_id = $1 ORDER BY created_at, id",
                    $crate::rows::AGENT_COLUMNS
                ))
                .bind(org.0)
                .fetch_all(self.reader())
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn agent(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::AgentId,
            ) -> $crate::error::StoreResult<Option<$crate::models::Agent>> {
                let row: Option<$crate::rows::AgentRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM agents WHERE organization_id = $1 AND id = $2",
                    $crate::rows::AGENT_COLUMNS
                ))
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(self.reader())
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn agent_by_uuid(
                &self,
                org: pharos_domain::ids::OrganizationId,
                uuid: uuid::Uuid,
            ) -> $crate::error::StoreResult<Option<$crate::models::Agent>> {
                let row: Option<$crate::rows::AgentRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM agents WHERE organization_id = $1 AND uuid = $2",
                    $crate::rows::AGENT_COLUMNS
                ))
                .bind(org.0)
                .bind(uuid)
                .fetch_optional(self.reader())
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn set_agent_status(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::AgentId,
                status: pharos_domain::agent::AgentStatus,
            ) -> $crate::error::StoreResult<bool> {
                let approved = status == pharos_domain::agent::AgentStatus::Approved;
                let done = sqlx::query(
                    "UPDATE agents SET status = $1, \
                       token_hash = CASE WHEN $2 THEN token_hash ELSE NULL END \
                     WHERE organization_id = $3 AND id = $4",
                )
                .bind(status.as_str())
                .bind(approved)
                .bind(org.0)
                .bind(id.0)
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn agent_settings(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<$crate::models::AgentSettings> {
                let row: Option<(bool, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                    "SELECT secret_hash IS NOT NULL, updated_at FROM agent_settings WHERE organization_id = $1",
                )
                .bind(org.0)
                .fetch_optional(self.reader())
                .await?;
                let allowed: Vec<(uuid::Uuid,)> = sqlx::query_as(
                    "SELECT uuid FROM agent_allowed_uuids WHERE organization_id = $1 ORDER BY uuid",
                )
                .bind(org.0)
                .fetch_all(self.reader())
                .await?;
                Ok($crate::models::AgentSettings {
                    secret_set: row.as_ref().is_some_and(|(set, _)| *set),
                    allowed_uuids: allowed.into_iter().map(|(u,)| u).collect(),
                    updated_at: row.map(|(_, at)| at),
                })
            }

            async fn set_agent_settings(
                &self,
                org: pharos_domain::ids::OrganizationId,
                change: $crate::models::AgentSettingsChange<'_>,
            ) -> $crate::error::StoreResult<()> {
                let mut tx = self.writer().begin().await?;
                sqlx::query(
                    "INSERT INTO agent_settings (organization_id, secret_hash, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (organization_id) DO UPDATE SET \
                       secret_hash = COALESCE(excluded.secret_hash, agent_settings.secret_hash), \
                       updated_at = excluded.updated_at",
                )
                .bind(org.0)
                .bind(change.secret_hash)
                .bind($crate::rows::to_micros(change.now))
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    $crate::error::unique_as_conflict(e, "this secret cannot be used: choose another")
                })?;
                sqlx::query("DELETE FROM agent_allowed_uuids WHERE organization_id = $1")
                    .bind(org.0)
                    .execute(&mut *tx)
                    .await?;
                for uuid in change.allowed_uuids {
                    sqlx::query(
                        "INSERT INTO agent_allowed_uuids (organization_id, uuid) VALUES ($1, $2) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(org.0)
                    .bind(uuid)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn set_target_locations(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
                locations: $crate::models::TargetLocations<'_>,
            ) -> $crate::error::StoreResult<bool> {
                let mut tx = self.writer().begin().await?;
                let quorum = locations.quorum.filter(|_| !locations.agents.is_empty());
                let done = sqlx::query(
                    "UPDATE targets SET check_local = $1, quorum = $2 WHERE organization_id = $3 AND id = $4",
                )
                .bind(locations.check_local || locations.agents.is_empty())
                .bind(quorum.map(|q| q.as_string()))
                .bind(org.0)
                .bind(target.0)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM target_agents WHERE target_id = $1")
                    .bind(target.0)
                    .execute(&mut *tx)
                    .await?;
                for agent in locations.agents {
                    // Only the organization's own agents and the
                    // instance's public ones: another organization's
                    // private agent writes nothing, and the whole change
                    // is dropped.
                    let added = sqlx::query(
                        "INSERT INTO target_agents (target_id, agent_id) \
                         SELECT $1, id FROM agents WHERE (organization_id = $2 OR public) AND id = $3 \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(target.0)
                    .bind(org.0)
                    .bind(agent.0)
                    .execute(&mut *tx)
                    .await?;
                    if added.rows_affected() != 1 {
                        return Ok(false);
                    }
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn organization_target_agents(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<
                Vec<(pharos_domain::ids::TargetId, pharos_domain::ids::AgentId)>,
            > {
                let rows: Vec<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
                    "SELECT ta.target_id, ta.agent_id FROM target_agents ta \
                     JOIN targets t ON t.id = ta.target_id \
                     WHERE t.organization_id = $1 ORDER BY ta.target_id, ta.agent_id",
                )
                .bind(org.0)
                .fetch_all(self.reader())
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(t, a)| (pharos_domain::ids::TargetId(t), pharos_domain::ids::AgentId(a)))
                    .collect())
            }

            async fn agents_of_targets(
                &self,
                org: pharos_domain::ids::OrganizationId,
                targets: &[pharos_domain::ids::TargetId],
            ) -> $crate::error::StoreResult<
                Vec<(pharos_domain::ids::TargetId, pharos_domain::ids::AgentId)>,
            > {
                if targets.is_empty() {
                    return Ok(Vec::new());
                }
                let mut qb: sqlx::QueryBuilder<'_, $db> = sqlx::QueryBuilder::new(
                    "SELECT ta.target_id, ta.agent_id FROM target_agents ta \
                     JOIN targets t ON t.id = ta.target_id WHERE t.organization_id = ",
                );
                qb.push_bind(org.0).push(" AND ta.target_id IN (");
                let mut ids = qb.separated(", ");
                for target in targets {
                    ids.push_bind(target.0);
                }
                qb.push(") ORDER BY ta.target_id, ta.agent_id");
                let rows: Vec<(uuid::Uuid, uuid::Uuid)> =
                    qb.build_query_as().fetch_all(self.reader()).await?;
                Ok(rows
                    .into_iter()
                    .map(|(t, a)| (pharos_domain::ids::TargetId(t), pharos_domain::ids::AgentId(a)))
                    .collect())
            }

            async fn location_states(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::LocationState>> {
                let rows: Vec<(uuid::Uuid, String, i32, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                    "SELECT ls.location, ls.state, ls.consecutive_failures, ls.updated_at \
                     FROM location_states ls JOIN targets t ON t.id = ls.target_id \
                     WHERE t.organization_id = $1 AND ls.target_id = $2 ORDER BY ls.location",
                )
                .bind(org.0)
                .bind(target.0)
                .fetch_all(self.reader())
                .await?;
                rows.into_iter()
                    .map(|(location, state, failures, updated_at)| {
                        Ok($crate::models::LocationState {
                            location: if location.is_nil() {
                                pharos_domain::agent::Location::Local
                            } else {
                                pharos_domain::agent::Location::Agent(pharos_domain::ids::AgentId(location))
                            },
                            state: pharos_domain::status::TargetState::parse(&state).ok_or_else(|| {
                                $crate::error::StoreError::Corrupt(format!("unknown state {state:?}"))
                            })?,
                            consecutive_failures: u32::try_from(failures).unwrap_or(0),
                            updated_at,
                        })
                    })
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::AgentAuthStore for $store {
            async fn organization_by_agent_secret(
                &self,
                secret_hash: &[u8],
            ) -> $crate::error::StoreResult<Option<pharos_domain::ids::OrganizationId>> {
                let row: Option<(uuid::Uuid,)> = sqlx::query_as(
                    "SELECT organization_id FROM agent_settings WHERE secret_hash = $1",
                )
                .bind(secret_hash)
                .fetch_optional(self.reader())
                .await?;
                Ok(row.map(|(id,)| pharos_domain::ids::OrganizationId(id)))
            }

            async fn admit_agent(
                &self,
                org: pharos_domain::ids::OrganizationId,
                intro: $crate::models::AgentIntroduction<'_>,
                token_hash: &[u8],
                pending_limit: u32,
            ) -> $crate::error::StoreResult<$crate::models::AgentAdmission> {
                use pharos_domain::agent::AgentStatus;
                use $crate::models::AgentAdmission;
                let now = $crate::rows::to_micros(intro.now);
                let mut tx = self.writer().begin().await?;
                let existing: Option<(uuid::Uuid, String)> = sqlx::query_as(&format!(
                    "SELECT id, status FROM agents WHERE organization_id = $1 AND uuid = $2 {}",
                    $row_lock
                ))
                .bind(org.0)
                .bind(intro.uuid)
                .fetch_optional(&mut *tx)
                .await?;
                let allowed: Option<(i64,)> = sqlx::query_as(
                    "SELECT CAST(1 AS BIGINT) FROM agent_allowed_uuids WHERE organization_id = $1 AND uuid = $2",
                )
                .bind(org.0)
                .bind(intro.uuid)
                .fetch_optional(&mut *tx)
                .await?;
                let allowed = allowed.is_some();
                let admission = match existing {
                    None => {
                        let id = pharos_domain::ids::AgentId::new();
                        if !allowed {
                            let (pending,): (i64,) = sqlx::query_as(
                                "SELECT COUNT(*) FROM agents WHERE organization_id = $1 AND status = 'pending'",
                            )
                            .bind(org.0)
                            .fetch_one(&mut *tx)
                            .await?;
                            if pending >= i64::from(pending_limit) {
                                return Ok(AgentAdmission::PendingListFull);
                            }
                        }
                        let status = if allowed { AgentStatus::Approved } else { AgentStatus::Pending };
                        sqlx::query(
                            "INSERT INTO agents (id, organization_id, uuid, name, version, status, token_hash, \
                               created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                        )
                        .bind(id.0)
                        .bind(org.0)
                        .bind(intro.uuid)
                        .bind(intro.name)
                        .bind(intro.version)
                        .bind(status.as_str())
                        .bind(allowed.then_some(token_hash))
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| $crate::error::unique_as_conflict(e, "this agent is joining already"))?;
                        if allowed { AgentAdmission::Admitted(id) } else { AgentAdmission::Pending }
                    }
                    Some((id, status)) => {
                        let status = AgentStatus::parse(&status).ok_or_else(|| {
                            $crate::error::StoreError::Corrupt(format!("unknown agent status {status:?}"))
                        })?;
                        let admitted = match status {
                            AgentStatus::Approved => true,
                            AgentStatus::Pending => allowed,
                            AgentStatus::Rejected | AgentStatus::Revoked => {
                                return Ok(AgentAdmission::Refused);
                            }
                        };
                        if admitted {
                            Self::bring_back(&mut tx, pharos_domain::ids::AgentId(id), intro.now).await?;
                        }
                        sqlx::query(
                            "UPDATE agents SET name = $1, version = $2, last_seen_at = $3, offline_since = NULL, \
                               status = CASE WHEN $4 THEN 'approved' ELSE status END, \
                               token_hash = CASE WHEN $4 THEN $5 ELSE token_hash END \
                             WHERE id = $6",
                        )
                        .bind(intro.name)
                        .bind(intro.version)
                        .bind(now)
                        .bind(admitted)
                        .bind(token_hash)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                        if admitted {
                            AgentAdmission::Admitted(pharos_domain::ids::AgentId(id))
                        } else {
                            AgentAdmission::Pending
                        }
                    }
                };
                tx.commit().await?;
                Ok(admission)
            }

            async fn agent_by_token(
                &self,
                token_hash: &[u8],
            ) -> $crate::error::StoreResult<Option<$crate::models::Agent>> {
                // Read on every request, never cached: a revoked token
                // finds nothing at its next use.
                let row: Option<$crate::rows::AgentRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM agents WHERE token_hash = $1 AND status = 'approved'",
                    $crate::rows::AGENT_COLUMNS
                ))
                .bind(token_hash)
                .fetch_optional(self.reader())
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn public_agents(
                &self,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Agent>> {
                let rows: Vec<$crate::rows::AgentRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM agents WHERE public AND status = 'approved' ORDER BY name, id",
                    $crate::rows::AGENT_COLUMNS
                ))
                .fetch_all(self.reader())
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn set_agent_public(
                &self,
                id: pharos_domain::ids::AgentId,
                public: bool,
            ) -> $crate::error::StoreResult<Option<$crate::models::Agent>> {
                let row: Option<$crate::rows::AgentRow> = sqlx::query_as(&format!(
                    "UPDATE agents SET public = $1 WHERE id = $2 RETURNING {}",
                    $crate::rows::AGENT_COLUMNS
                ))
                .bind(public)
                .bind(id.0)
                .fetch_optional(self.writer())
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn touch_agent(
                &self,
                id: pharos_domain::ids::AgentId,
                version: Option<&str>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<bool> {
                let mut tx = self.writer().begin().await?;
                let came_back = Self::bring_back(&mut tx, id, now).await?;
                sqlx::query(
                    "UPDATE agents SET last_seen_at = $1, version = COALESCE($2, version) WHERE id = $3",
                )
                .bind($crate::rows::to_micros(now))
                .bind(version)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(came_back)
            }

            async fn agent_assignments(
                &self,
                org: pharos_domain::ids::OrganizationId,
                agent: pharos_domain::ids::AgentId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Target>> {
                // CROSS JOIN keeps SQLite on the agent's own rows of
                // `target_agents` first (PostgreSQL plans it as any join):
                // a plain JOIN walked every target of the organization and
                // probed each, 100,000 rows for an agent's 2,000.
                let rows: Vec<$crate::rows::TargetRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM target_agents ta CROSS JOIN targets t \
                     WHERE ta.agent_id = $1 AND t.id = ta.target_id \
                       AND NOT t.paused AND t.kind <> 'heartbeat' AND {} ORDER BY t.id",
                    $crate::rows::TARGET_COLUMNS_T,
                    $crate::sql::agents::AGENT_REACHES_TARGET
                ))
                .bind(agent.0)
                .bind(org.0)
                .fetch_all(self.reader())
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn agent_target_intervals(
                &self,
                org: pharos_domain::ids::OrganizationId,
                agent: pharos_domain::ids::AgentId,
                targets: &[pharos_domain::ids::TargetId],
            ) -> $crate::error::StoreResult<
                Vec<(pharos_domain::ids::TargetId, u32, pharos_domain::ids::OrganizationId)>,
            > {
                let mut ids: Vec<uuid::Uuid> = targets.iter().map(|t| t.0).collect();
                ids.sort();
                ids.dedup();
                let mut found = Vec::new();
                for chunk in ids.chunks($crate::sql::agents::IDS_PER_QUERY) {
                    let sql = format!(
                        "SELECT t.id, t.interval_seconds, t.organization_id FROM target_agents ta \
                           CROSS JOIN targets t \
                         WHERE ta.agent_id = $1 AND ta.target_id IN ({}) AND t.id = ta.target_id \
                           AND NOT t.paused AND t.kind <> 'heartbeat' AND {}",
                        $crate::sql::agents::placeholders(3, chunk.len()),
                        $crate::sql::agents::AGENT_REACHES_TARGET
                    );
                    let mut query = sqlx::query_as::<_, (uuid::Uuid, i32, uuid::Uuid)>(&sql)
                        .bind(agent.0)
                        .bind(org.0);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    for (id, interval, target_org) in query.fetch_all(self.reader()).await? {
                        found.push((
                            pharos_domain::ids::TargetId(id),
                            u32::try_from(interval).map_err(|_| {
                                $crate::error::StoreError::Corrupt(format!("interval {interval}"))
                            })?,
                            pharos_domain::ids::OrganizationId(target_org),
                        ));
                    }
                }
                Ok(found)
            }

            async fn record_agent_checks(
                &self,
                org: pharos_domain::ids::OrganizationId,
                agent: pharos_domain::ids::AgentId,
                checks: &[$crate::models::AgentCheck],
                confirmation: pharos_domain::status::Confirmation,
            ) -> $crate::error::StoreResult<$crate::models::AgentBatchWrite> {
                use pharos_domain::status::TargetState;
                let mut write = $crate::models::AgentBatchWrite::default();
                // A push is a sign of life as good as a heartbeat, dated
                // when it reached the store: under a load that queues
                // heartbeats behind result writes (one SQLite writer), an
                // agent whose results keep arriving is never found silent.
                let heard_at = chrono::Utc::now();
                let mut tx = self.writer().begin().await?;
                sqlx::query("UPDATE agents SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1")
                    .bind($crate::rows::to_micros(heard_at))
                    .bind(agent.0)
                    .execute(&mut *tx)
                    .await?;
                // Which of the batch's targets are still the agent's, read
                // in the transaction (only those: an agent has thousands),
                // each with its own organization: a public location's
                // results are its targets' organizations' news.
                let mut batch_ids: Vec<uuid::Uuid> = checks.iter().map(|c| c.check.target_id.0).collect();
                batch_ids.sort();
                batch_ids.dedup();
                let mut assigned: std::collections::HashMap<uuid::Uuid, pharos_domain::ids::OrganizationId> =
                    std::collections::HashMap::new();
                for chunk in batch_ids.chunks($crate::sql::agents::IDS_PER_QUERY) {
                    let sql = format!(
                        "SELECT ta.target_id, t.organization_id FROM target_agents ta CROSS JOIN targets t \
                         WHERE ta.agent_id = $1 AND ta.target_id IN ({}) AND t.id = ta.target_id AND {}",
                        $crate::sql::agents::placeholders(3, chunk.len()),
                        $crate::sql::agents::AGENT_REACHES_TARGET
                    );
                    let mut query = sqlx::query_as::<_, (uuid::Uuid, uuid::Uuid)>(&sql).bind(agent.0).bind(org.0);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    assigned.extend(
                        query
                            .fetch_all(&mut *tx)
                            .await?
                            .into_iter()
                            .map(|(t, o)| (t, pharos_domain::ids::OrganizationId(o))),
                    );
                }
                let location = pharos_domain::agent::Location::Agent(agent);
                let accepted: Vec<&$crate::models::AgentCheck> = checks
                    .iter()
                    .filter(|item| assigned.contains_key(&item.check.target_id.0))
                    .collect();
                write.refused = u32::try_from(checks.len() - accepted.len()).unwrap_or(u32::MAX);
                // One statement stores the batch; a slot stored already (a
                // retried push) is not stored again and moves nothing.
                let rows: Vec<_> = accepted.iter().map(|item| (&item.check, Some(item.slot))).collect();
                let stored = Self::insert_checks(&mut tx, &rows).await?;
                let mut deferred = $crate::deferred::Deferred::default();
                Self::load_locations(
                    &mut tx,
                    &mut deferred.locations,
                    accepted.iter().map(|item| item.check.target_id.0),
                )
                .await?;
                for item in accepted {
                    let check = &item.check;
                    if !stored.contains(&check.id.0) {
                        write.duplicates += 1;
                        continue;
                    }
                    write.stored += 1;
                    let target_org = assigned[&check.target_id.0];
                    if check.in_maintenance {
                        // Held, as a worker's check is: kept in history,
                        // the location's view holds and its unconfirmed
                        // failures are forgotten; nothing moves, nothing
                        // is told.
                        let held = deferred.locations.view(check.target_id.0, location);
                        if held.is_some_and(|(_, failures)| failures > 0) {
                            deferred.locations.forget_failures(check.target_id.0, location);
                            sqlx::query(
                                "UPDATE location_states SET consecutive_failures = 0 \
                                 WHERE target_id = $1 AND location = $2",
                            )
                            .bind(check.target_id.0)
                            .bind(agent.0)
                            .execute(&mut *tx)
                            .await?;
                        }
                        deferred.rollups.add(check);
                        continue;
                    }
                    let (state, failures) = deferred
                        .locations
                        .view(check.target_id.0, location)
                        .unwrap_or((TargetState::Pending, 0));
                    let t = pharos_domain::status::apply(state, failures, item.verdict, confirmation);
                    let status = Self::settle_location(
                        &mut tx,
                        &mut deferred.locations,
                        check.target_id,
                        location,
                        t.state,
                        t.consecutive_failures,
                        check.checked_at,
                    )
                    .await?;
                    if let Some(status) = status {
                        Self::write_target_state(&mut tx, check, &status).await?;
                        Self::write_status_effects(&mut tx, target_org, check, &status, &mut deferred).await?;
                    } else {
                        // Agents alone, without a quorum rule (should not
                        // happen: setting agents sets one): history only.
                        deferred.rollups.add(check);
                    }
                }
                Self::write_deferred(&mut tx, deferred).await?;
                tx.commit().await?;
                Ok(write)
            }

            async fn mark_silent_agents(
                &self,
                before: chrono::DateTime<chrono::Utc>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Vec<$crate::models::Agent>> {
                let mut tx = self.writer().begin().await?;
                let rows: Vec<$crate::rows::AgentRow> = sqlx::query_as(&format!(
                    "UPDATE agents SET offline_since = $1 \
                     WHERE status = 'approved' AND offline_since IS NULL AND last_seen_at < $2 \
                     RETURNING {}",
                    $crate::rows::AGENT_COLUMNS
                ))
                .bind($crate::rows::to_micros(now))
                .bind($crate::rows::to_micros(before))
                .fetch_all(&mut *tx)
                .await?;
                let agents: Vec<$crate::models::Agent> =
                    rows.into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?;
                for agent in &agents {
                    Self::write_agent_presence(&mut tx, agent, false, now).await?;
                }
                tx.commit().await?;
                Ok(agents)
            }
        }
    };
}

pub(crate) use impl_agents;

/// Ids bound in one `IN (...)` list (SQLite takes 32,766 parameters,
/// PostgreSQL 65,535; a result batch has at most 500).
pub(crate) const IDS_PER_QUERY: usize = 500;

/// `$first, $first+1, ...`: `count` numbered placeholders.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
