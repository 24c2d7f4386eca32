//! `/api/v1/auth/*`: register, log in and out, who am I, change password.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use axum_extra::extract::CookieJar;

use super::models::*;
use super::responses::{CrossSite, JsonBody, RateLimited, SessionOnly, SignedIn};
use crate::auth::{session, CurrentUser};
use crate::error::{ApiResult, ErrorEnvelope};
use crate::extract::ApiJson;
use crate::state::{AppState, ClientAddr};
use pharos_app::accounts::{self, NewAccountInput};
use pharos_app::api_keys;

/// Create an account and an organization owned by it.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = AccountView), (status = 409, body = ErrorEnvelope, description = "email taken"),
              JsonBody, CrossSite, RateLimited))]
pub async fn register(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<AccountView>)> {
    let registration = NewAccountInput {
        email: &body.email,
        password: &body.password,
        organization: body.organization.as_deref(),
    };
    let (user, org) = accounts::register(&state.app, client.0, registration).await?;
    let view = AccountView {
        user: (&user).into(),
        organizations: vec![OrganizationView::owner(&org)],
    };
    Ok((StatusCode::CREATED, Json(view)))
}

/// Log in; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = AccountView, headers(("Set-Cookie" = String, description = "The session cookie"))),
              (status = 401, body = ErrorEnvelope, description = "Wrong email or password."),
              JsonBody, CrossSite, RateLimited))]
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<(CookieJar, Json<AccountView>)> {
    let signed_in = accounts::login(&state.app, client.0, &body.email, &body.password).await?;
    let view = AccountView {
        user: (&signed_in.user).into(),
        organizations: signed_in.memberships.iter().map(Into::into).collect(),
    };
    let cookie = session::cookie_for(&state, signed_in.session);
    Ok((jar.add(cookie), Json(view)))
}

/// End the current session on the server. An API key cannot sign out
/// (revoke it instead): a request with one is refused.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out (also without a session)."), SessionOnly))]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> ApiResult<(CookieJar, StatusCode)> {
    if let Some(key) = session::bearer_token(&headers) {
        // A wrong key is the usual 401; a good one is told why not.
        api_keys::authenticate(&state.app, key)
            .await?
            .require_session()?;
    }
    let cleared = session::end(&state, &jar).await?;
    Ok((jar.add(cleared), StatusCode::NO_CONTENT))
}

/// The signed-in user and their organizations. With an API key: the
/// key's creator, and only the key's organization, with the key's role.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = AccountView), SignedIn))]
pub async fn me(current: CurrentUser) -> Json<AccountView> {
    Json(AccountView {
        user: (&current.user).into(),
        organizations: current.memberships.iter().map(Into::into).collect(),
    })
}

/// Change the password; every other session of the user ends. Needs a
/// session: a request with an API key is refused (403).
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = ChangePasswordRequest,
    responses((status = 204, description = "Changed."), SessionOnly, JsonBody))]
pub async fn change_password(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    accounts::change_password(
        &state.app,
        &current,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
