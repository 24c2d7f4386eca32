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
        super::organization::get,
        super::organization::rename,
        super::events::feed,
        super::targets::list,
        super::targets::create,
        super::targets::check_now,
        super::targets::get,
        super::targets::update,
        super::targets::delete,
        super::targets::status,
        super::targets::checks,
        super::targets::incidents,
        super::targets::uptime,
        super::targets::history,
        super::targets::pause,
        super::targets::resume,
        super::heartbeat::success,
        super::heartbeat::success_get,
        super::heartbeat::fail,
        super::heartbeat::fail_get,
        super::heartbeat::start,
        super::heartbeat::start_get,
        super::health::healthz,
        super::health::readyz,
    ),
    components(schemas(ErrorEnvelope, ErrorBody, AccountView, UserView, OrganizationView, TargetView, CheckSettings, CheckView,
        TimingsView, CheckNowView, TargetStatusView, IncidentView, UptimeView, HistoryView, HistoryWindow, HistoryBucketView, RegisterRequest, LoginRequest, ChangePasswordRequest,
        OrganizationDetailView, MemberView, RenameOrganizationRequest, CreateTargetRequest, CheckNowRequest,
        UpdateTargetRequest, EventView, EventFeed)),
    tags((name = "auth"), (name = "organization"), (name = "targets"), (name = "heartbeats"), (name = "events"), (name = "health"))
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
