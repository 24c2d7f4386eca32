//! Sessions on the web: the cookie that carries the token, and the
//! extractor that turns it into an `Actor` (the use cases in
//! `pharos_app::sessions` keep the tokens' hashes). API routes also take
//! an API key, `Authorization: Bearer phk_...` (`pharos_app::api_keys`);
//! pages never do.

use pharos_app::AppError;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use pharos_app::api_keys;
use pharos_app::sessions::{self, StartedSession};
use pharos_app::Actor;

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

/// The cookie that carries a session just started.
pub fn cookie_for(state: &AppState, started: StartedSession) -> Cookie<'static> {
    let config = &state.config.session;
    config.cookie(started.token, config.absolute_timeout)
}

/// Ends the session the cookie names, if any, and returns a cookie that
/// clears it in the browser.
pub async fn end(state: &AppState, jar: &CookieJar) -> Result<Cookie<'static>, ApiError> {
    let config = &state.config.session;
    if let Some(cookie) = jar.get(config.cookie_name()) {
        sessions::end(&state.app, cookie.value()).await?;
    }
    Ok(cleared_cookie(state))
}

/// A cookie that clears the session cookie in the browser.
pub fn cleared_cookie(state: &AppState) -> Cookie<'static> {
    state.config.session.cookie(String::new(), Duration::ZERO)
}

/// The actor behind an API request: its API key when it carries
/// `Authorization: Bearer`, else its session cookie. It derefs to the
/// `Actor` every use case takes. Pages use [`CurrentUser::from_session`].
///
/// An actor held to set up two-factor sign-in first (their organization
/// requires it) is refused here with `two_factor_setup_required`; only
/// the routes that set it up, switch organization or sign out take
/// [`Enrolling`] instead, which lets them through.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Actor);

impl CurrentUser {
    /// The actor behind the session cookie alone, whatever else the
    /// request carries: what pages (and their event stream) accept, so an
    /// API key never opens a page. A held actor is refused.
    pub async fn from_session(parts: &Parts, state: &AppState) -> Result<Self, ApiError> {
        let actor = session_actor(parts, state).await?;
        actor.require_not_held()?;
        Ok(CurrentUser(actor))
    }

    /// The actor behind the request (key, else cookie), held or not.
    async fn any(parts: &Parts, state: &AppState) -> Result<Actor, ApiError> {
        // A key, when one is given, decides alone: a wrong key is refused
        // even if a session cookie came along.
        match bearer_token(&parts.headers) {
            Some(key) => Ok(with_client(
                api_keys::authenticate(&state.app, key).await?,
                parts,
                state,
            )),
            None => session_actor(parts, state).await,
        }
    }
}

/// The actor behind the session cookie, held or not.
async fn session_actor(parts: &Parts, state: &AppState) -> Result<Actor, ApiError> {
    let config = &state.config.session;
    let jar = CookieJar::from_headers(&parts.headers);
    let token = jar
        .get(config.cookie_name())
        .ok_or(ApiError::App(AppError::Unauthenticated))?;
    let actor = sessions::authenticate(&state.app, token.value()).await?;
    Ok(with_client(actor, parts, state))
}

/// The actor with the request's client address, for the audit log.
fn with_client(mut actor: Actor, parts: &Parts, state: &AppState) -> Actor {
    actor.client = crate::state::ClientAddr::of(parts, state).ok().map(|c| c.0);
    actor
}

/// The actor of a route that stays open to someone held to set up
/// two-factor sign-in (`Actor::two_factor_hold`): setting it up, and
/// choosing another organization. Everything else takes [`CurrentUser`].
#[derive(Debug, Clone)]
pub struct Enrolling(pub CurrentUser);

impl Enrolling {
    /// The session cookie's actor alone (pages), held or not.
    pub async fn from_session(parts: &Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Enrolling(CurrentUser(session_actor(parts, state).await?)))
    }
}

impl FromRequestParts<AppState> for Enrolling {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Enrolling(CurrentUser(
            CurrentUser::any(parts, state).await?,
        )))
    }
}

/// The token of `Authorization: Bearer <token>`, when the request has
/// that header (the scheme's case is free, as RFC 9110 says). Other
/// schemes are not Pharos's and are left alone.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_start())
}

impl std::ops::Deref for CurrentUser {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.0
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let actor = CurrentUser::any(parts, state).await?;
        actor.require_not_held()?;
        Ok(CurrentUser(actor))
    }
}
