//! Server-side sessions. The browser holds a random token in an HTTP-only
//! cookie; the database holds only its keyed hash, so a leaked database
//! cannot be replayed as sessions.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use hmac::{Hmac, Mac};
use pharos_domain::ids::OrganizationId;
use pharos_domain::organization::Role;
use pharos_storage::models::{Membership, Session, User};
use rand::RngCore;
use sha2::Sha256;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Clone)]
pub struct SessionConfig {
    /// Keys the token hashes (PHAROS_SECRET_KEY).
    pub secret: Vec<u8>,
    /// Pharos is reached over HTTPS: cookies get `Secure` and `__Host-`.
    pub secure_cookies: bool,
    pub idle_timeout: Duration,
    pub absolute_timeout: Duration,
}

impl std::fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionConfig")
            .field("secret", &"***")
            .field("secure_cookies", &self.secure_cookies)
            .field("idle_timeout", &self.idle_timeout)
            .field("absolute_timeout", &self.absolute_timeout)
            .finish()
    }
}

impl SessionConfig {
    pub fn cookie_name(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-pharos_session"
        } else {
            "pharos_session"
        }
    }

    fn token_hash(&self, token: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret).unwrap_or_else(|_| {
            <Hmac<Sha256> as Mac>::new_from_slice(b"-").expect("HMAC takes any key")
        });
        mac.update(token.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    fn cookie(&self, value: String, max_age: Duration) -> Cookie<'static> {
        let mut cookie = Cookie::new(self.cookie_name(), value);
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_path("/");
        cookie.set_secure(self.secure_cookies);
        cookie.set_max_age(time_duration(max_age));
        cookie
    }
}

fn time_duration(d: Duration) -> time::Duration {
    time::Duration::seconds(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Starts a session for `user` and returns the cookie that carries it.
pub async fn start(state: &AppState, user: &User) -> Result<Cookie<'static>, ApiError> {
    let config = &state.config.session;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let now = Utc::now();
    let absolute =
        chrono::Duration::from_std(config.absolute_timeout).unwrap_or(chrono::Duration::days(30));
    let session = Session {
        user_id: user.id,
        created_at: now,
        last_seen_at: now,
        expires_at: now + absolute,
    };
    state
        .store
        .create_session(&config.token_hash(&token), &session)
        .await?;
    Ok(config.cookie(token, config.absolute_timeout))
}

/// Ends the session the cookie names, if any, and returns a cookie that
/// clears it in the browser.
pub async fn end(state: &AppState, jar: &CookieJar) -> Result<Cookie<'static>, ApiError> {
    let config = &state.config.session;
    if let Some(cookie) = jar.get(config.cookie_name()) {
        state
            .store
            .delete_session(&config.token_hash(cookie.value()))
            .await?;
    }
    Ok(config.cookie(String::new(), Duration::ZERO))
}

/// A signed-in user, the organization they act in, and their role there.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub organization: OrganizationId,
    pub role: Role,
    pub memberships: Vec<Membership>,
    /// The stored hash of this request's session token.
    pub session_hash: Vec<u8>,
}

/// Refreshing `last_seen_at` on every request would make every read a
/// write; once a minute is precise enough for an idle timeout of hours.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let config = &state.config.session;
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(config.cookie_name())
            .ok_or(ApiError::Unauthenticated)?;
        if token.value().is_empty() || token.value().len() > 128 {
            return Err(ApiError::Unauthenticated);
        }
        let hash = config.token_hash(token.value());
        let session = state
            .store
            .session(&hash)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        let now = Utc::now();
        let idle =
            chrono::Duration::from_std(config.idle_timeout).unwrap_or(chrono::Duration::days(7));
        if session.expires_at <= now || session.last_seen_at + idle <= now {
            state.store.delete_session(&hash).await?;
            return Err(ApiError::Unauthenticated);
        }
        if now - session.last_seen_at > TOUCH_EVERY {
            state.store.touch_session(&hash, now).await?;
        }
        let user = state
            .store
            .user(session.user_id)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        let memberships = state.store.memberships(user.id).await?;
        let primary = memberships
            .first()
            .ok_or(ApiError::Forbidden("you belong to no organization"))?;
        Ok(CurrentUser {
            organization: primary.organization.id,
            role: primary.role,
            user,
            memberships,
            session_hash: hash,
        })
    }
}

impl CurrentUser {
    /// Refuses viewers, who may look but not change.
    pub fn require_editor(&self) -> Result<(), ApiError> {
        if self.role.can_edit_targets() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("viewers cannot change targets"))
        }
    }
}
