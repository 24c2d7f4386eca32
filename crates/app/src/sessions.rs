//! Sessions: a random token held by the client, its keyed hash in the
//! store. Started at every login (the token rotates), ended when idle too
//! long or past its absolute lifetime, or by their owner from the list of
//! their sessions (each known there by a public id, never the token nor
//! its hash, with the address and user agent it signed in from).

use std::net::IpAddr;

use chrono::Utc;
use pharos_domain::ids::SessionId;
use pharos_storage::models::{Session, User};

use crate::actor::{Actor, Credential};
use crate::error::{AppError, AppResult};
use crate::tokens::new_token;
use crate::two_factor;
use crate::App;

/// Refreshing `last_seen_at` on every request would make every read a
/// write; once a minute is precise enough for an idle timeout of hours.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// Tokens longer than this are not ours; refused before any hashing.
const MAX_TOKEN_LEN: usize = 128;

/// The longest user agent kept with a session, in characters; longer ones
/// are cut (a client chooses its own, of any length).
pub const MAX_USER_AGENT_CHARS: usize = 256;

/// Where a sign-in came from, kept with the session it starts.
#[derive(Debug, Clone)]
pub struct SignInFrom {
    /// The client address (`X-Forwarded-For` only behind a trusted proxy).
    pub address: IpAddr,
    /// The `User-Agent` as sent, if any; cut to [`MAX_USER_AGENT_CHARS`].
    pub user_agent: Option<String>,
}

impl SignInFrom {
    pub fn new(address: IpAddr, user_agent: Option<&str>) -> Self {
        Self {
            address,
            user_agent: user_agent.and_then(bounded_user_agent),
        }
    }
}

/// A user agent as stored: control characters dropped, trimmed, at most
/// [`MAX_USER_AGENT_CHARS`] characters; `None` when nothing is left.
fn bounded_user_agent(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_USER_AGENT_CHARS)
        .collect();
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// A session just started: the token to hand the client, once.
pub struct StartedSession {
    pub token: String,
    pub session: Session,
}

/// Starts a session for `user`, signed in from `from`.
pub async fn start(app: &App, user: &User, from: &SignInFrom) -> AppResult<StartedSession> {
    let token = new_token(32);
    let now = Utc::now();
    let absolute = chrono::Duration::from_std(app.settings.session_absolute_timeout)
        .unwrap_or(chrono::Duration::days(30));
    let session = Session {
        id: SessionId::new(),
        user_id: user.id,
        created_at: now,
        last_seen_at: now,
        expires_at: now + absolute,
        organization_id: None,
        client_address: Some(from.address.to_string()),
        user_agent: from.user_agent.clone(),
    };
    app.store
        .create_session(&app.tokens.hash(&token), &session)
        .await?;
    Ok(StartedSession { token, session })
}

/// Ends the session `token` names, if there is one.
pub async fn end(app: &App, token: &str) -> AppResult<()> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Ok(());
    }
    app.store.delete_session(&app.tokens.hash(token)).await?;
    Ok(())
}

fn idle_timeout(app: &App) -> chrono::Duration {
    chrono::Duration::from_std(app.settings.session_idle_timeout)
        .unwrap_or(chrono::Duration::days(7))
}

/// The actor a session token stands for, acting in the organization the
/// session chose (`organization::switch`) while they still belong to it,
/// else in their first; expired and idle sessions are ended and refused.
/// When that organization requires two-factor sign-in and the user has
/// not turned it on, the actor comes back held (`two_factor_hold`): the
/// caller lets it through only to set it up, switch or sign out.
pub async fn authenticate(app: &App, token: &str) -> AppResult<Actor> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(AppError::Unauthenticated);
    }
    let hash = app.tokens.hash(token);
    let session = app
        .store
        .session(&hash)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let now = Utc::now();
    if session.expires_at <= now || session.last_seen_at + idle_timeout(app) <= now {
        app.store.delete_session(&hash).await?;
        return Err(AppError::Unauthenticated);
    }
    if now - session.last_seen_at > TOUCH_EVERY {
        app.store.touch_session(&hash, now).await?;
    }
    let user = app
        .store
        .user(session.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let memberships = app.store.memberships(user.id).await?;
    let chosen = session
        .organization_id
        .and_then(|org| memberships.iter().find(|m| m.organization.id == org));
    let primary = chosen
        .or_else(|| memberships.first())
        .ok_or(AppError::Forbidden("you belong to no organization"))?;
    let two_factor_hold = two_factor::holds(app, &primary.organization, &user).await?;
    Ok(Actor {
        organization: primary.organization.id,
        role: primary.role,
        user,
        memberships,
        client: None,
        credential: Credential::Session {
            token_hash: hash,
            id: session.id,
        },
        two_factor_hold,
    })
}

/// One of the caller's sessions, as their list shows it.
#[derive(Debug, Clone)]
pub struct MySession {
    pub session: Session,
    /// The session this request came with.
    pub current: bool,
}

/// The caller's live sessions, the most recently used first. Only a
/// session sees them (an API key is refused).
pub async fn list(app: &App, actor: &Actor) -> AppResult<Vec<MySession>> {
    actor.require_session()?;
    let now = Utc::now();
    let current = actor.session_id();
    let sessions = app
        .store
        .user_sessions(actor.user.id, now, now - idle_timeout(app))
        .await?;
    Ok(sessions
        .into_iter()
        .map(|session| MySession {
            current: Some(session.id) == current,
            session,
        })
        .collect())
}

/// Ends one of the caller's sessions at once (its next request is
/// refused). Another user's session is not found, and nothing ends.
pub async fn revoke(app: &App, actor: &Actor, id: SessionId) -> AppResult<()> {
    actor.require_session()?;
    if app.store.delete_user_session(actor.user.id, id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// "Sign out everywhere else": ends every session of the caller but the
/// one this request came with; answers how many ended.
pub async fn revoke_others(app: &App, actor: &Actor) -> AppResult<u64> {
    actor.require_session()?;
    let keep = actor.session_hash().ok_or(AppError::Unauthenticated)?;
    Ok(app.store.delete_other_sessions(actor.user.id, keep).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_kept_short_and_printable() {
        assert_eq!(bounded_user_agent("  "), None);
        assert_eq!(
            bounded_user_agent(" curl/8.5.0\r\n").as_deref(),
            Some("curl/8.5.0")
        );
        let long = "é".repeat(1000);
        let kept = bounded_user_agent(&long).expect("kept");
        assert_eq!(kept.chars().count(), MAX_USER_AGENT_CHARS);
        assert_eq!(bounded_user_agent("a\u{0}b\u{7f}c").as_deref(), Some("abc"));
    }
}
