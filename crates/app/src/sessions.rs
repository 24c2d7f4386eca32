//! Sessions: a random token held by the client, its keyed hash in the
//! store. Started at every login (the token rotates), ended when idle too
//! long or past its absolute lifetime.

use chrono::Utc;
use pharos_storage::models::{Session, User};

use crate::actor::{Actor, Credential};
use crate::error::{AppError, AppResult};
use crate::tokens::new_token;
use crate::App;

/// Refreshing `last_seen_at` on every request would make every read a
/// write; once a minute is precise enough for an idle timeout of hours.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// Tokens longer than this are not ours; refused before any hashing.
const MAX_TOKEN_LEN: usize = 128;

/// A session just started: the token to hand the client, once.
pub struct StartedSession {
    pub token: String,
    pub session: Session,
}

/// Starts a session for `user`.
pub async fn start(app: &App, user: &User) -> AppResult<StartedSession> {
    let token = new_token(32);
    let now = Utc::now();
    let absolute = chrono::Duration::from_std(app.settings.session_absolute_timeout)
        .unwrap_or(chrono::Duration::days(30));
    let session = Session {
        user_id: user.id,
        created_at: now,
        last_seen_at: now,
        expires_at: now + absolute,
        organization_id: None,
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

/// The actor a session token stands for, acting in the organization the
/// session chose (`organization::switch`) while they still belong to it,
/// else in their first; expired and idle sessions are ended and refused.
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
    let idle = chrono::Duration::from_std(app.settings.session_idle_timeout)
        .unwrap_or(chrono::Duration::days(7));
    if session.expires_at <= now || session.last_seen_at + idle <= now {
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
    Ok(Actor {
        organization: primary.organization.id,
        role: primary.role,
        user,
        memberships,
        credential: Credential::Session { token_hash: hash },
        client: None,
    })
}
