//! `/settings/sessions`: the signed-in person's sessions (when each began
//! and was last used, where it signed in from, with what browser; this
//! one marked), with an end button each and "Sign out everywhere else".
//! Plain forms: no script needed. The same use cases as the API
//! (`pharos_app::sessions`).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use pharos_app::sessions;
use pharos_domain::ids::SessionId;

use super::{flash, render, see_other, Chrome, PageResult, PageUser};
use crate::auth::session;
use crate::extract::PathId;
use crate::state::AppState;

pub struct SessionRow {
    pub id: String,
    pub created: String,
    pub last_seen: String,
    pub address: String,
    pub user_agent: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage {
    chrome: Chrome,
    sessions: Vec<SessionRow>,
    /// Sessions besides this one, for "Sign out everywhere else".
    others: usize,
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
) -> PageResult {
    let (jar, message) = flash::take(jar);
    let sessions: Vec<SessionRow> = sessions::list(&state.app, &current)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            id: s.session.id.0.to_string(),
            created: when(s.session.created_at),
            last_seen: when(s.session.last_seen_at),
            address: s
                .session
                .client_address
                .unwrap_or_else(|| "unknown".to_owned()),
            user_agent: s.session.user_agent.unwrap_or_else(|| "unknown".to_owned()),
            current: s.current,
        })
        .collect();
    let page = SessionsPage {
        chrome: Chrome::new(Some(&current), "settings").with_flash(message),
        others: sessions.iter().filter(|s| !s.current).count(),
        sessions,
    };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// Ends one session; ending this one signs out.
pub async fn revoke(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    let id = SessionId(id);
    sessions::revoke(&state.app, &current, id).await?;
    if current.session_id() == Some(id) {
        let jar = flash::set(jar.add(session::cleared_cookie(&state)), "logged_out");
        return Ok((jar, see_other("/login")).into_response());
    }
    Ok((
        flash::set(jar, "session_revoked"),
        see_other("/settings/sessions"),
    )
        .into_response())
}

/// "Sign out everywhere else".
pub async fn revoke_others(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
) -> PageResult {
    sessions::revoke_others(&state.app, &current).await?;
    Ok((
        flash::set(jar, "sessions_revoked"),
        see_other("/settings/sessions"),
    )
        .into_response())
}
