//! `/api/v1/auth/sessions*`: the signed-in person's own sessions: the
//! list (each with its public id, when it began and was last used, the
//! address and user agent it signed in from, and which one is this
//! request's), ending one, and "sign out everywhere else". A session
//! only: an API key is refused.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use pharos_app::sessions::{self, MySession};
use pharos_domain::ids::SessionId;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::models::Page;
use super::responses::{SessionNotFound, SessionOnly};
use crate::auth::{session, CurrentUser};
use crate::error::ApiResult;
use crate::extract::PathId;
use crate::state::AppState;

/// One of the caller's sessions. Its id is public: it is neither the
/// session's token nor anything the token can be found from.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    /// The last request it made (written at most once a minute).
    pub last_seen_at: DateTime<Utc>,
    /// The address it signed in from (`null` for sessions from before
    /// Pharos kept it).
    pub client_address: Option<String>,
    /// The `User-Agent` it signed in with, at most 256 characters.
    pub user_agent: Option<String>,
    /// This is the session the request came with.
    pub current: bool,
}

impl From<&MySession> for SessionView {
    fn from(s: &MySession) -> Self {
        Self {
            id: s.session.id.0,
            created_at: s.session.created_at,
            last_seen_at: s.session.last_seen_at,
            client_address: s.session.client_address.clone(),
            user_agent: s.session.user_agent.clone(),
            current: s.current,
        }
    }
}

/// How many sessions "sign out everywhere else" ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedSessionsView {
    pub revoked: u64,
}

/// The caller's live sessions, the most recently used first (one page).
#[utoipa::path(get, path = "/api/v1/auth/sessions", tag = "auth", operation_id = "list_sessions",
    responses((status = 200, body = Page<SessionView>), SessionOnly))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<Page<SessionView>>> {
    let items = sessions::list(&state.app, &current)
        .await?
        .iter()
        .map(Into::into)
        .collect();
    Ok(Json(Page::whole(items)))
}

/// End one of the caller's sessions: its next request is refused. Ending
/// the current one signs out (its cookie is cleared too).
#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}", tag = "auth", operation_id = "revoke_session",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Ended."), SessionOnly, SessionNotFound))]
pub async fn revoke(
    State(state): State<AppState>,
    current: CurrentUser,
    jar: CookieJar,
    PathId(id): PathId,
) -> ApiResult<(CookieJar, StatusCode)> {
    let id = SessionId(id);
    sessions::revoke(&state.app, &current, id).await?;
    let jar = if current.session_id() == Some(id) {
        jar.add(session::cleared_cookie(&state))
    } else {
        jar
    };
    Ok((jar, StatusCode::NO_CONTENT))
}

/// Sign out everywhere else: every session of the caller ends but this
/// one.
#[utoipa::path(post, path = "/api/v1/auth/sessions/revoke-others", tag = "auth", operation_id = "revoke_other_sessions",
    responses((status = 200, body = RevokedSessionsView), SessionOnly))]
pub async fn revoke_others(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<RevokedSessionsView>> {
    let revoked = sessions::revoke_others(&state.app, &current).await?;
    Ok(Json(RevokedSessionsView { revoked }))
}
