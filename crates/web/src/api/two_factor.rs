//! `/api/v1/auth/two-factor*`: two-factor sign-in for the signed-in user:
//! its state, enrolling an authenticator app, confirming it with a first
//! code (which answers the recovery codes, once), and turning it off.
//! Setting it up stays open to someone their organization holds to it
//! (`Enrolling`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use pharos_app::two_factor;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::responses::{JsonBody, RateLimited, SessionOnly};
use crate::auth::{CurrentUser, Enrolling};
use crate::error::{ApiResult, ErrorEnvelope};
use crate::extract::ApiJson;
use crate::state::AppState;

/// Whether two-factor sign-in is on.
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorView {
    pub enabled: bool,
    /// Recovery codes not used yet (0 when off).
    pub recovery_codes_left: u32,
}

/// What an authenticator app needs: scan `qr_svg` or type `secret`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentView {
    /// The secret in base32.
    pub secret: String,
    /// The `otpauth://` URL the QR code holds.
    pub otpauth_url: String,
    /// The QR code, an SVG document.
    pub qr_svg: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// The six digits the app shows now.
    #[schema(max_length = 32, example = "123456")]
    pub code: String,
}

/// Two-factor sign-in is on; these codes are shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesView {
    /// Ten single-use codes for when the app is lost.
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableTwoFactorRequest {
    pub current_password: String,
}

/// Whether two-factor sign-in is on for the signed-in user.
#[utoipa::path(get, path = "/api/v1/auth/two-factor", tag = "auth", operation_id = "two_factor_status",
    responses((status = 200, body = TwoFactorView), SessionOnly))]
pub async fn status(
    State(state): State<AppState>,
    Enrolling(current): Enrolling,
) -> ApiResult<Json<TwoFactorView>> {
    let status = two_factor::status(&state.app, &current).await?;
    Ok(Json(TwoFactorView {
        enabled: status.enabled,
        recovery_codes_left: status.recovery_codes_left,
    }))
}

/// Start enrolling an authenticator app (again: an unconfirmed secret is
/// replaced). Nothing changes at sign-in until a code confirms it.
#[utoipa::path(post, path = "/api/v1/auth/two-factor/setup", tag = "auth", operation_id = "two_factor_setup",
    responses((status = 200, body = EnrolmentView), SessionOnly,
        (status = 409, body = ErrorEnvelope, description = "Two-factor sign-in is on already.")))]
pub async fn setup(
    State(state): State<AppState>,
    Enrolling(current): Enrolling,
) -> ApiResult<Json<EnrolmentView>> {
    let enrolment = two_factor::begin(&state.app, &current).await?;
    Ok(Json(EnrolmentView {
        secret: enrolment.secret,
        otpauth_url: enrolment.url,
        qr_svg: enrolment.qr_svg,
    }))
}

/// Confirm the app with its current code: two-factor sign-in is on, and
/// the answer holds ten recovery codes, once.
#[utoipa::path(post, path = "/api/v1/auth/two-factor/enable", tag = "auth", operation_id = "two_factor_enable",
    request_body = CodeRequest,
    responses((status = 200, body = RecoveryCodesView), SessionOnly, JsonBody, RateLimited,
        (status = 409, body = ErrorEnvelope, description = "Not being set up (start with /setup), or on already.")))]
pub async fn enable(
    State(state): State<AppState>,
    Enrolling(current): Enrolling,
    ApiJson(body): ApiJson<CodeRequest>,
) -> ApiResult<Json<RecoveryCodesView>> {
    let recovery_codes = two_factor::enable(&state.app, &current, &body.code).await?;
    Ok(Json(RecoveryCodesView { recovery_codes }))
}

/// Turn two-factor sign-in off (the password proves it is you).
#[utoipa::path(post, path = "/api/v1/auth/two-factor/disable", tag = "auth", operation_id = "two_factor_disable",
    request_body = DisableTwoFactorRequest,
    responses((status = 204, description = "Off; the secret and recovery codes are gone."), SessionOnly, JsonBody))]
pub async fn disable(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<DisableTwoFactorRequest>,
) -> ApiResult<StatusCode> {
    two_factor::disable(&state.app, &current, &body.current_password).await?;
    Ok(StatusCode::NO_CONTENT)
}
