//! `/settings/agents` (Settings > Agents), owners and admins: the agents
//! waiting for approval with "Approve" (and "Reject") by UUID, the agents
//! with their location name, version, last sign of life and targets
//! (revoke, or approve again), and the shared secret (set or rotate) and
//! allowed UUIDs. Plain forms, POST-redirect-GET: no script needed.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Form;
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use pharos_app::agents;
use pharos_domain::agent::AgentStatus;
use pharos_domain::ids::AgentId;
use serde::Deserialize;

use super::{flash, render, see_other, Chrome, FieldErrors, PageError, PageResult, PageUser};
use crate::auth::CurrentUser;
use crate::extract::PathId;
use crate::state::AppState;

pub struct PendingRow {
    pub uuid: String,
    pub name: String,
    pub version: String,
    pub asked: String,
}

pub struct TargetLink {
    pub id: String,
    pub name: String,
}

pub struct AgentRow {
    pub id: String,
    pub uuid: String,
    pub name: String,
    pub version: String,
    pub status: &'static str,
    pub approved: bool,
    pub last_seen: String,
    pub offline: bool,
    /// Published as an instance-wide public location by the operator.
    pub public: bool,
    pub targets: Vec<TargetLink>,
}

#[derive(Template)]
#[template(path = "agents.html")]
struct AgentsPage {
    chrome: Chrome,
    pending: Vec<PendingRow>,
    agents: Vec<AgentRow>,
    secret_set: bool,
    allowed_value: String,
    server_url: String,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    shared_secret: String,
    /// One UUID a line.
    allowed_uuids: String,
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

async fn page(
    state: &AppState,
    current: &CurrentUser,
    form: Option<SettingsForm>,
    errors: FieldErrors,
    message: Option<&'static str>,
) -> Result<AgentsPage, PageError> {
    let app = &state.app;
    let pending = agents::pending(app, current)
        .await?
        .into_iter()
        .map(|a| PendingRow {
            uuid: a.uuid.to_string(),
            name: a.name,
            version: a.version,
            asked: when(a.last_seen_at),
        })
        .collect();
    let targets = pharos_app::targets::list(app, current).await?;
    let agents = agents::list(app, current)
        .await?
        .into_iter()
        .map(|v| AgentRow {
            id: v.agent.id.to_string(),
            uuid: v.agent.uuid.to_string(),
            status: v.agent.status.as_str(),
            approved: v.agent.status == AgentStatus::Approved,
            last_seen: when(v.agent.last_seen_at),
            offline: v.agent.offline_since.is_some(),
            public: v.agent.public,
            targets: v
                .target_ids
                .iter()
                .filter_map(|id| targets.iter().find(|t| t.id == *id))
                .map(|t| TargetLink {
                    id: t.id.to_string(),
                    name: t.name.clone().unwrap_or_else(|| t.url.clone()),
                })
                .collect(),
            name: v.agent.name,
            version: v.agent.version,
        })
        .collect();
    let settings = agents::settings(app, current).await?;
    let allowed_value = match form {
        Some(form) => form.allowed_uuids,
        None => settings
            .allowed_uuids
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    };
    Ok(AgentsPage {
        chrome: Chrome::new(Some(current), "settings").with_flash(message),
        pending,
        agents,
        secret_set: settings.secret_set,
        allowed_value,
        server_url: app.settings.public_url.clone(),
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
) -> PageResult {
    let (jar, message) = flash::take(jar);
    let page = page(&state, &current, None, FieldErrors::default(), message).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// Saves the allowed UUIDs and, when one is typed, a new shared secret.
pub async fn save_settings(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    Form(form): Form<SettingsForm>,
) -> PageResult {
    let secret = Some(form.shared_secret.trim()).filter(|s| !s.is_empty());
    let allowed: Vec<String> = form
        .allowed_uuids
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    match agents::set_settings(&state.app, &current, secret, &allowed).await {
        Ok(_) => Ok((
            flash::set(jar, "agents_saved"),
            see_other("/settings/agents"),
        )
            .into_response()),
        Err(e @ pharos_app::AppError::Forbidden(_)) => Err(PageError(e.into())),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let errors = errors.fold_into("allowed_uuids");
            let page = page(&state, &current, Some(form), errors, None).await?;
            Ok(render(status, &page))
        }
    }
}

pub async fn approve_pending(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    Path(uuid): Path<String>,
) -> PageResult {
    agents::approve_pending(&state.app, &current, &uuid).await?;
    Ok((
        flash::set(jar, "agent_approved"),
        see_other("/settings/agents"),
    )
        .into_response())
}

pub async fn reject_pending(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    Path(uuid): Path<String>,
) -> PageResult {
    agents::reject_pending(&state.app, &current, &uuid).await?;
    Ok((
        flash::set(jar, "agent_rejected"),
        see_other("/settings/agents"),
    )
        .into_response())
}

pub async fn revoke(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    PathId(id): PathId,
) -> PageResult {
    agents::revoke(&state.app, &current, AgentId(id)).await?;
    Ok((
        flash::set(jar, "agent_revoked"),
        see_other("/settings/agents"),
    )
        .into_response())
}

pub async fn approve(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    PathId(id): PathId,
) -> PageResult {
    agents::decide(&state.app, &current, AgentId(id), true).await?;
    Ok((
        flash::set(jar, "agent_approved"),
        see_other("/settings/agents"),
    )
        .into_response())
}
