//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::OpenApi;

use super::models::*;
use crate::error::{ErrorBody, ErrorEnvelope};

#[derive(OpenApi)]
#[openapi(
    info(title = "Pharos API", description = "Uptime monitoring: targets, checks and accounts."),
    paths(
        super::auth::register,
        super::auth::login,
        super::auth::logout,
        super::auth::me,
        super::auth::change_password,
        super::targets::list,
        super::targets::create,
        super::targets::get,
        super::targets::update,
        super::targets::delete,
        super::targets::status,
        super::targets::checks,
        super::health::healthz,
        super::health::readyz,
    ),
    components(schemas(ErrorEnvelope, ErrorBody, AccountView, UserView, OrganizationView, TargetView, CheckView,
        TimingsView, TargetStatusView, RegisterRequest, LoginRequest, ChangePasswordRequest, CreateTargetRequest,
        UpdateTargetRequest)),
    tags((name = "auth"), (name = "targets"), (name = "health"))
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
