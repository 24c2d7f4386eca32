//! `/api/v1/agents*`: the organization's remote agents (owners and
//! admins). Agents that knew the shared secret wait in `pending` until
//! approved; `settings` holds the secret (write-only, masked on read) and
//! the UUIDs allowed in before they ask.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use pharos_app::agents::{self, AgentView as AppAgentView};
use pharos_domain::agent::{AgentStatus, LocationKind};
use pharos_domain::ids::AgentId;
use pharos_storage::models::{Agent, AgentSettings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::models::{string_enum, Page};
use super::responses::{AgentNotFound, JsonBody, Manager, PendingAgentNotFound, SignedIn};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::{ApiJson, PathId};
use crate::state::AppState;

/// What the masked secret reads as.
pub const SECRET_MASK: &str = "••••••••";

fn status_schema() -> utoipa::openapi::Object {
    string_enum(AgentStatus::ALL.map(AgentStatus::as_str))
}

/// An agent of the organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentView {
    /// The server's id for it: a check's `location_id`.
    pub id: Uuid,
    /// The UUID the agent made for itself and printed on its first start.
    pub uuid: Uuid,
    /// Its location's name.
    pub name: String,
    pub version: String,
    #[schema(schema_with = status_schema)]
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// Since when it is silent past the offline setting; `null`: online.
    pub offline_since: Option<DateTime<Utc>>,
    /// The targets it checks.
    pub target_ids: Vec<Uuid>,
    /// Published by the instance's operator as a public location: every
    /// organization may check its targets from it.
    pub public: bool,
}

impl AgentView {
    fn of(agent: &Agent, target_ids: Vec<Uuid>) -> Self {
        Self {
            id: agent.id.0,
            uuid: agent.uuid,
            name: agent.name.clone(),
            version: agent.version.clone(),
            status: agent.status.as_str().to_owned(),
            created_at: agent.created_at,
            last_seen_at: agent.last_seen_at,
            offline_since: agent.offline_since,
            target_ids,
            public: agent.public,
        }
    }
}

impl From<&AppAgentView> for AgentView {
    fn from(v: &AppAgentView) -> Self {
        Self::of(&v.agent, v.target_ids.iter().map(|t| t.0).collect())
    }
}

/// Approve (`true`) or reject (`false`) an agent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveAgentRequest {
    pub approved: bool,
}

/// The organization's agent settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentSettingsView {
    /// Masked (`••••••••`) when one is set, `null` when none is: the
    /// secret is never shown.
    pub shared_secret: Option<String>,
    pub allowed_uuids: Vec<Uuid>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<&AgentSettings> for AgentSettingsView {
    fn from(s: &AgentSettings) -> Self {
        Self {
            shared_secret: s.secret_set.then(|| SECRET_MASK.to_owned()),
            allowed_uuids: s.allowed_uuids.clone(),
            updated_at: s.updated_at,
        }
    }
}

/// New agent settings. `shared_secret`: at least 24 characters, no
/// spaces; absent, `null` or the mask keeps the current one.
/// `allowed_uuids` replaces the list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentSettingsRequest {
    #[serde(default)]
    #[schema(min_length = 24, max_length = 256)]
    pub shared_secret: Option<String>,
    /// UUIDs agents printed; a value that is not one is refused with 422
    /// on `allowed_uuids[i]`.
    #[schema(max_items = 1000, value_type = Vec<uuid::Uuid>)]
    pub allowed_uuids: Vec<String>,
}

/// Where a target may be checked from.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationView {
    /// What `location_ids` takes: `local` or the agent's id.
    pub id: String,
    pub name: String,
    /// `server` (this instance), `agent` (the organization's own) or
    /// `public` (a public location the instance's operator runs).
    #[schema(schema_with = location_kind_schema)]
    pub kind: &'static str,
    /// `false` while the agent is offline (it counts for no target then).
    pub online: bool,
}

fn location_kind_schema() -> utoipa::openapi::Object {
    string_enum(LocationKind::ALL.map(LocationKind::as_str))
}

/// The locations the organization's targets may be checked from: the
/// server (`local`), its approved agents, and the instance's public
/// locations. Every member reads it; it is what `location_ids` takes.
#[utoipa::path(get, path = "/api/v1/locations", tag = "agents", operation_id = "list_locations",
    responses((status = 200, body = Page<LocationView>), SignedIn))]
pub async fn locations(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<Page<LocationView>>> {
    let mut items = vec![LocationView {
        id: pharos_domain::agent::Location::LOCAL.to_owned(),
        name: pharos_domain::agent::Location::LOCAL.to_owned(),
        kind: LocationKind::Server.as_str(),
        online: true,
    }];
    items.extend(
        agents::locations(&state.app, &current)
            .await?
            .iter()
            .map(|a| LocationView {
                id: a.id.to_string(),
                name: a.name.clone(),
                kind: if a.organization_id == current.organization {
                    LocationKind::Agent
                } else {
                    LocationKind::Public
                }
                .as_str(),
                online: a.offline_since.is_none(),
            }),
    );
    Ok(Json(Page::whole(items)))
}

/// The organization's agents (approved, rejected, revoked), oldest first.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", operation_id = "list_agents",
    responses((status = 200, body = Page<AgentView>), SignedIn, Manager))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<Page<AgentView>>> {
    let items = agents::list(&state.app, &current)
        .await?
        .iter()
        .map(Into::into)
        .collect();
    Ok(Json(Page::whole(items)))
}

/// Approve or reject an agent. A rejected agent's token stops working at
/// once and its admission is refused until it is approved again.
#[utoipa::path(put, path = "/api/v1/agents/{id}/approve", tag = "agents", operation_id = "approve_agent",
    params(("id" = uuid::Uuid, Path)), request_body = ApproveAgentRequest,
    responses((status = 200, body = AgentView), SignedIn, Manager, AgentNotFound, JsonBody))]
pub async fn approve(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiJson(body): ApiJson<ApproveAgentRequest>,
) -> ApiResult<Json<AgentView>> {
    let agent = agents::decide(&state.app, &current, AgentId(id), body.approved).await?;
    Ok(Json(AgentView::of(&agent, Vec::new())))
}

/// Revoke an agent: its token is refused at its next request, and it
/// cannot join again until approved again.
#[utoipa::path(delete, path = "/api/v1/agents/{id}", tag = "agents", operation_id = "revoke_agent",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Revoked."), SignedIn, Manager, AgentNotFound))]
pub async fn revoke(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    agents::revoke(&state.app, &current, AgentId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Agents that knew the shared secret and wait for approval, oldest first.
#[utoipa::path(get, path = "/api/v1/agents/pending", tag = "agents", operation_id = "list_pending_agents",
    responses((status = 200, body = Page<AgentView>), SignedIn, Manager))]
pub async fn pending(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<Page<AgentView>>> {
    let items = agents::pending(&state.app, &current)
        .await?
        .iter()
        .map(|a| AgentView::of(a, Vec::new()))
        .collect();
    Ok(Json(Page::whole(items)))
}

/// Approve a pending agent by the UUID it printed: its next attempt
/// receives its token.
#[utoipa::path(post, path = "/api/v1/agents/pending/{uuid}/approve", tag = "agents",
    operation_id = "approve_pending_agent", params(("uuid" = String, Path)),
    responses((status = 200, body = AgentView), SignedIn, Manager, PendingAgentNotFound))]
pub async fn approve_pending(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(uuid): Path<String>,
) -> ApiResult<Json<AgentView>> {
    let agent = agents::approve_pending(&state.app, &current, &uuid).await?;
    Ok(Json(AgentView::of(&agent, Vec::new())))
}

/// Turn a pending agent down: it is rejected and does not come back to
/// the list on its next attempt.
#[utoipa::path(delete, path = "/api/v1/agents/pending/{uuid}", tag = "agents",
    operation_id = "reject_pending_agent", params(("uuid" = String, Path)),
    responses((status = 204, description = "Rejected."), SignedIn, Manager, PendingAgentNotFound))]
pub async fn reject_pending(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(uuid): Path<String>,
) -> ApiResult<StatusCode> {
    agents::reject_pending(&state.app, &current, &uuid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization's agent settings; the secret comes back masked.
#[utoipa::path(get, path = "/api/v1/agents/settings", tag = "agents", operation_id = "get_agent_settings",
    responses((status = 200, body = AgentSettingsView), SignedIn, Manager))]
pub async fn get_settings(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<AgentSettingsView>> {
    let settings = agents::settings(&state.app, &current).await?;
    Ok(Json((&settings).into()))
}

/// Set the shared secret (write-only) and the allowed UUIDs.
#[utoipa::path(put, path = "/api/v1/agents/settings", tag = "agents", operation_id = "set_agent_settings",
    request_body = AgentSettingsRequest,
    responses((status = 200, body = AgentSettingsView), SignedIn, Manager, JsonBody,
        (status = 409, body = crate::error::ErrorEnvelope, description = "This secret cannot be used: choose another.")))]
pub async fn set_settings(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<AgentSettingsRequest>,
) -> ApiResult<Json<AgentSettingsView>> {
    let secret = body.shared_secret.as_deref().filter(|s| *s != SECRET_MASK);
    let settings = agents::set_settings(&state.app, &current, secret, &body.allowed_uuids).await?;
    Ok(Json((&settings).into()))
}
