//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::OpenApi;

use super::alert_models::*;
use super::invitations::{
    AcceptInvitationRequest, CreateInvitationRequest, InvitationView, SentInvitationView,
};
use super::maintenance::{
    CreateMaintenanceRequest, MaintenanceView, OccurrenceView, ScheduleBody,
    UpdateMaintenanceRequest,
};
use super::members::ChangeRoleRequest;
use super::models::*;
use super::organizations::{MyOrganizationView, SwitchOrganizationRequest};
use super::schemas::{AlertSettingsRequest, CreateChannelRequest, UpdateChannelRequest};
use super::two_factor::{
    CodeRequest, DisableTwoFactorRequest, EnrolmentView, RecoveryCodesView, TwoFactorView,
};
use crate::error::{ErrorBody, ErrorEnvelope};

#[derive(OpenApi)]
#[openapi(
    info(title = "Pharos API", description = "Uptime monitoring: targets, checks, alerts and accounts."),
    paths(
        super::auth::register,
        super::auth::login,
        super::auth::logout,
        super::auth::me,
        super::auth::change_password,
        super::two_factor::status,
        super::two_factor::setup,
        super::two_factor::enable,
        super::two_factor::disable,
        super::auth::forgot_password,
        super::auth::verify_reset_token,
        super::auth::reset_password,
        super::auth::verify_email,
        super::auth::resend_verification,
        super::organization::get,
        super::organization::rename,
        super::organizations::list,
        super::organizations::switch,
        super::members::list,
        super::members::change_role,
        super::members::remove,
        super::invitations::list,
        super::invitations::create,
        super::invitations::resend,
        super::invitations::revoke,
        super::invitations::accept,
        super::events::feed,
        super::channels::list,
        super::channels::create,
        super::channels::get,
        super::channels::update,
        super::channels::delete,
        super::channels::test,
        super::maintenance::list,
        super::maintenance::create,
        super::maintenance::get,
        super::maintenance::update,
        super::maintenance::delete,
        super::alerts::get_defaults,
        super::alerts::set_defaults,
        super::alerts::get_target,
        super::alerts::set_target,
        super::alerts::reset_target,
        super::alerts::target_notifications,
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
        TwoFactorView, EnrolmentView, CodeRequest, RecoveryCodesView, DisableTwoFactorRequest,
        ForgotPasswordRequest, TokenRequest, ResetPasswordRequest, TokenValidityView, AcceptedView,
        OrganizationDetailView, MemberView, RenameOrganizationRequest, CreateTargetRequest, CheckNowRequest,
        UpdateTargetRequest, EventView, EventFeed, ChannelView, CreatedChannelView, ChannelTestView,
        AlertSettingsView, TargetAlertsView, NotificationView, AttemptView, CreateChannelRequest,
        UpdateChannelRequest, AlertSettingsRequest, MaintenanceView, OccurrenceView, ScheduleBody,
        CreateMaintenanceRequest, UpdateMaintenanceRequest, MyOrganizationView, SwitchOrganizationRequest,
        ChangeRoleRequest, InvitationView, SentInvitationView, CreateInvitationRequest, AcceptInvitationRequest)),
    tags((name = "auth"), (name = "organization"), (name = "targets"), (name = "heartbeats"), (name = "events"), (name = "channels"), (name = "alerts"), (name = "maintenance"), (name = "health"))
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
