//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

use super::agents::{
    AgentSettingsRequest, AgentSettingsView, AgentView, ApproveAgentRequest, LocationView,
};
use super::api_keys::{ApiKeyCreatorView, ApiKeyView, CreateApiKeyRequest, CreatedApiKeyView};

use super::alert_models::*;
use super::audit::AuditEntryView;
use super::invitations::{
    AcceptInvitationRequest, CreateInvitationRequest, InvitationView, SentInvitationView,
};
use super::labels::{CreateTagRequest, GroupRequest, GroupView, TagView, UpdateTagRequest};
use super::maintenance::{
    CreateMaintenanceRequest, MaintenanceView, OccurrenceView, ScheduleBody,
    UpdateMaintenanceRequest,
};
use super::members::ChangeRoleRequest;
use super::models::*;
use super::organization::DeleteOrganizationRequest;
use super::organizations::{MyOrganizationView, SwitchOrganizationRequest};
use super::page_subscribers::{AddWebhookSubscriberRequest, AddedWebhookView, PageSubscriberView};
use super::responses::{SESSION_ONLY_401, SIGNED_IN_401};
use super::schemas::{AlertSettingsRequest, CreateChannelRequest, UpdateChannelRequest};
use super::sessions::{RevokedSessionsView, SessionView};
use super::status_pages::{
    CreatePageIncidentRequest, CreateStatusPageRequest, IncidentUpdateView, PageIncidentView,
    SectionBody, StatusPageView, UpdatePageIncidentRequest, UpdateStatusPageRequest,
};
use super::two_factor::{
    CodeRequest, DisableTwoFactorRequest, EnrolmentView, RecoveryCodesView, TwoFactorView,
};
use crate::error::{ErrorBody, ErrorEnvelope};
use crate::public::status_page::{self as public_page, PublicStatusPageView};

#[derive(OpenApi)]
#[openapi(
    info(title = "Pharos API", description = "Uptime monitoring: targets, checks, alerts and accounts.\n\n\
        Authenticate with the session cookie `POST /api/v1/auth/login` sets, or with an API key \
        (`POST /api/v1/api-keys`) sent as `Authorization: Bearer phk_...`; a key acts in its \
        organization with its role. A request with a key carries no cookie, so the cross-site \
        refusal does not apply to it."),
    modifiers(&Security, &TwoFactorHold),
    paths(
        super::auth::register,
        super::auth::login,
        super::auth::logout,
        super::auth::me,
        super::auth::change_password,
        super::sessions::list,
        super::sessions::revoke,
        super::sessions::revoke_others,
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
        super::organization::update,
        super::organization::delete,
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
        super::api_keys::list,
        super::api_keys::create,
        super::api_keys::revoke,
        super::agents::list,
        super::agents::locations,
        super::agents::approve,
        super::agents::revoke,
        super::agents::pending,
        super::agents::approve_pending,
        super::agents::reject_pending,
        super::agents::get_settings,
        super::agents::set_settings,
        super::events::feed,
        super::audit::list,
        super::channels::list,
        super::channels::create,
        super::channels::get,
        super::channels::update,
        super::channels::delete,
        super::channels::test,
        super::labels::list_tags,
        super::labels::create_tag,
        super::labels::update_tag,
        super::labels::delete_tag,
        super::labels::list_groups,
        super::labels::create_group,
        super::labels::update_group,
        super::labels::delete_group,
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
        super::targets::rotate_badge,
        crate::public::badge::status,
        crate::public::badge::uptime,
        crate::public::badge::latency,
        crate::public::instance::status,
        super::heartbeat::success,
        super::heartbeat::success_get,
        super::heartbeat::fail,
        super::heartbeat::fail_get,
        super::heartbeat::start,
        super::heartbeat::start_get,
        super::health::healthz,
        super::health::readyz,
        super::status_pages::list,
        super::status_pages::create,
        super::status_pages::get,
        super::status_pages::update,
        super::status_pages::delete,
        super::status_pages::incidents,
        super::status_pages::create_incident,
        super::status_pages::get_incident,
        super::status_pages::update_incident,
        super::status_pages::delete_incident,
        super::page_subscribers::list,
        super::page_subscribers::add_webhook,
        super::page_subscribers::remove,
        crate::public::status_page::json,
        super::custom_domains::get,
        super::custom_domains::set,
        super::custom_domains::delete,
        super::custom_domains::verify,
    ),
    components(schemas(ErrorEnvelope, ErrorBody, AccountView, UserView, OrganizationView, TargetView, BadgeUrls, super::custom_domains::SetCustomDomainRequest, super::custom_domains::CustomDomainView, super::custom_domains::TxtRecordView, crate::public::badge::BadgeWindow, crate::public::instance::InstanceStatusView, crate::public::instance::WebHealthView, crate::public::instance::DatabaseHealthView, crate::public::instance::WorkerHealthView, CheckSettings, CheckView,
        TimingsView, CheckNowView, TargetStatusView, IncidentView, UptimeView, HistoryView, HistoryWindow, HistoryBucketView, RegisterRequest, LoginRequest, ChangePasswordRequest,
        TwoFactorView, EnrolmentView, CodeRequest, RecoveryCodesView, DisableTwoFactorRequest,
        ForgotPasswordRequest, TokenRequest, ResetPasswordRequest, TokenValidityView, AcceptedView,
        OrganizationDetailView, MemberView, UpdateOrganizationRequest, CreateTargetRequest, CheckNowRequest,
        UpdateTargetRequest, EventView, EventFeed, ChannelView, CreatedChannelView, ChannelTestView,
        AlertSettingsView, TargetAlertsView, NotificationView, AttemptView, CreateChannelRequest,
        UpdateChannelRequest, AlertSettingsRequest, MaintenanceView, OccurrenceView, ScheduleBody,
        CreateMaintenanceRequest, UpdateMaintenanceRequest, MyOrganizationView, SwitchOrganizationRequest,
        ChangeRoleRequest, InvitationView, SentInvitationView, CreateInvitationRequest, AcceptInvitationRequest,
        CreateApiKeyRequest, ApiKeyView, ApiKeyCreatorView, CreatedApiKeyView, AuditEntryView, SessionView, DeleteOrganizationRequest,
        RevokedSessionsView, TagView, CreateTagRequest, UpdateTagRequest, GroupView, GroupRequest,
        StatusPageView, SectionBody, CreateStatusPageRequest, UpdateStatusPageRequest,
        PageIncidentView, IncidentUpdateView, CreatePageIncidentRequest, UpdatePageIncidentRequest,
        PageSubscriberView, AddedWebhookView, AddWebhookSubscriberRequest,
        PublicStatusPageView, public_page::PublicOverallView, public_page::PublicSectionView, public_page::PublicComponentView,
        public_page::PublicDayView, public_page::PublicIncidentView, public_page::PublicUpdateView, public_page::PublicMaintenanceView,
        AgentView, ApproveAgentRequest, AgentSettingsView, AgentSettingsRequest, LocationView)),
    tags((name = "auth"), (name = "organization"), (name = "api-keys"), (name = "agents"), (name = "targets"), (name = "tags"), (name = "groups"), (name = "heartbeats"), (name = "events"), (name = "channels"), (name = "alerts"), (name = "maintenance"), (name = "status-pages"), (name = "public", description = "Open to anyone: status pages, target badges and the instance's health, under their own per-client rate limit."), (name = "health"))
)]
pub struct ApiDoc;

/// The two ways to authenticate, and which operations take which. Read
/// from the answers each operation documents, so it cannot drift from
/// them: one answering `SignedIn`'s 401 takes a session or a key, one
/// answering `SessionOnly`'s takes a session alone, the rest are public.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        const SESSION: &str = "session";
        const API_KEY: &str = "api_key";
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "pharos_session",
                "The session cookie `POST /api/v1/auth/login` sets (named \
                 `__Host-pharos_session` when Pharos is served over HTTPS).",
            ))),
        );
        components.add_security_scheme(
            API_KEY,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("phk_<random>_<checksum>")
                    .description(Some(
                        "An API key (`POST /api/v1/api-keys`): \
                         `Authorization: Bearer phk_...`. Only for `/api/v1` routes, \
                         never for the HTML pages.",
                    ))
                    .build(),
            ),
        );
        let needs = |scheme: &str| SecurityRequirement::new(scheme, Vec::<String>::new());
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let unauthorized = operation
                    .responses
                    .responses
                    .get("401")
                    .and_then(|r| match r {
                        utoipa::openapi::RefOr::T(response) => Some(response.description.clone()),
                        utoipa::openapi::RefOr::Ref(_) => None,
                    });
                let Some(description) = unauthorized else {
                    continue;
                };
                if description == SESSION_ONLY_401 {
                    operation.security = Some(vec![needs(SESSION)]);
                } else if description == SIGNED_IN_401 {
                    operation.security = Some(vec![needs(SESSION), needs(API_KEY)]);
                }
            }
        }
    }
}

/// The operations someone held to set up two-factor sign-in may still
/// use (they take `auth::Enrolling`; signing out reads no actor at all).
pub const OPEN_WHILE_HELD: [&str; 6] = [
    "logout",
    "two_factor_status",
    "two_factor_setup",
    "two_factor_enable",
    "list_my_organizations",
    "switch_organization",
];

/// What every other authenticated operation may answer when the
/// organization requires two-factor sign-in of a caller without it.
pub const HELD_403: &str = "The organization the caller acts in requires two-factor sign-in \
    and they have not turned it on (`two_factor_setup_required`): until they do, only setting \
    it up, switching organization and signing out are open.";

/// Documents the two-factor hold's 403 on every operation that takes a
/// session or a key, but those open while held: appended to the 403 an
/// operation documents already, or added as its 403.
struct TwoFactorHold;

impl Modify for TwoFactorHold {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let authenticated = matches!(
                    operation.responses.responses.get("401"),
                    Some(RefOr::T(r)) if r.description == SESSION_ONLY_401 || r.description == SIGNED_IN_401
                );
                let open = operation
                    .operation_id
                    .as_deref()
                    .is_some_and(|id| OPEN_WHILE_HELD.contains(&id));
                if !authenticated || open {
                    continue;
                }
                match operation.responses.responses.get_mut("403") {
                    Some(RefOr::T(response)) => {
                        response.description = format!("{} Or: {HELD_403}", response.description);
                    }
                    _ => {
                        operation.responses.responses.insert(
                            "403".to_owned(),
                            RefOr::T(super::responses::envelope(HELD_403).build()),
                        );
                    }
                }
            }
        }
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
