//! `/api/v1/auth/*`: register, log in and out, who am I, change password,
//! reset a forgotten one, prove an email address.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use axum_extra::extract::CookieJar;

use super::models::*;
use super::responses::{CrossSite, JsonBody, RateLimited, SessionOnly, SignedIn};
use crate::auth::{session, CurrentUser};
use crate::client_addr::SignInClient;
use crate::error::{ApiResult, ErrorEnvelope};
use crate::extract::ApiJson;
use crate::state::{AppState, ClientAddr};
use pharos_app::account_links;
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
              (status = 401, body = ErrorEnvelope, description = "Wrong email or password (`invalid_credentials`); \
                the account asks for a second factor (`second_factor_required`: send `code`); or the code was wrong or \
                used (`invalid_second_factor`)."),
              JsonBody, CrossSite, RateLimited))]
pub async fn login(
    State(state): State<AppState>,
    SignInClient(client): SignInClient,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<(CookieJar, Json<AccountView>)> {
    let signed_in = accounts::login(
        &state.app,
        &client,
        &body.email,
        &body.password,
        body.code.as_deref(),
    )
    .await?;
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

/// What "forgot password" always answers, whether or not the account exists.
const RESET_ASKED: &str =
    "If an account has this address, a link to choose a new password is on its way.";

/// Ask for a password reset link. The answer is the same whether or not an
/// account has the address; the link (valid `PHAROS_PASSWORD_RESET_MINUTES`,
/// single use) goes by mail.
#[utoipa::path(post, path = "/api/v1/auth/forgot-password", tag = "auth", request_body = ForgotPasswordRequest,
    responses((status = 202, body = AcceptedView), JsonBody, CrossSite, RateLimited))]
pub async fn forgot_password(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(body): ApiJson<ForgotPasswordRequest>,
) -> ApiResult<(StatusCode, Json<AcceptedView>)> {
    account_links::forgot_password(&state.app, client.0, &body.email).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(AcceptedView {
            message: RESET_ASKED.to_owned(),
        }),
    ))
}

/// Whether a password reset link still works (unused and unexpired).
#[utoipa::path(post, path = "/api/v1/auth/verify-reset-token", tag = "auth", request_body = TokenRequest,
    responses((status = 200, body = TokenValidityView), JsonBody, CrossSite))]
pub async fn verify_reset_token(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TokenRequest>,
) -> ApiResult<Json<TokenValidityView>> {
    let valid = account_links::reset_link_is_valid(&state.app, &body.token).await?;
    Ok(Json(TokenValidityView { valid }))
}

/// Set a new password with a reset link: the link is used up and every
/// session of the account ends (sign in again).
#[utoipa::path(post, path = "/api/v1/auth/reset-password", tag = "auth", request_body = ResetPasswordRequest,
    responses((status = 204, description = "The password is set; every session ended."),
        JsonBody, CrossSite, RateLimited))]
pub async fn reset_password(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(body): ApiJson<ResetPasswordRequest>,
) -> ApiResult<StatusCode> {
    account_links::reset_password(&state.app, client.0, &body.token, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Prove an email address with the link mailed to it.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "auth", request_body = TokenRequest,
    responses((status = 204, description = "The address is verified."), JsonBody, CrossSite))]
pub async fn verify_email(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TokenRequest>,
) -> ApiResult<StatusCode> {
    account_links::verify_email(&state.app, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mail the signed-in user a new verification link (the last one stops
/// working).
#[utoipa::path(post, path = "/api/v1/auth/verify-email/resend", tag = "auth",
    responses((status = 202, body = AcceptedView), SessionOnly, RateLimited))]
pub async fn resend_verification(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<(StatusCode, Json<AcceptedView>)> {
    let sent = account_links::resend_verification(&state.app, &current).await?;
    let message = if sent {
        format!("A new link is on its way to {}.", current.user.email)
    } else {
        "Your address is verified already.".to_owned()
    };
    Ok((StatusCode::ACCEPTED, Json(AcceptedView { message })))
}
