//! The JSON API under `/api/v1`, one module per resource.

pub mod agents;
pub mod alert_models;
pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod channels;
pub mod custom_domains;
pub mod events;
pub mod health;
pub mod heartbeat;
pub mod invitations;
pub mod labels;
pub mod maintenance;
pub mod members;
pub mod models;
pub mod openapi;
pub mod organization;
pub mod organizations;
pub mod page_subscribers;
pub mod responses;
pub mod schemas;
pub mod sessions;
pub mod status_pages;
pub mod targets;
pub mod two_factor;

use axum::routing::{delete, get, post, put};
use axum::Router;

use crate::state::AppState;

/// Every API route, in one place.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/register", post(auth::register))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/auth/me", get(auth::me))
        .route("/api/v1/auth/password", post(auth::change_password))
        .route("/api/v1/auth/sessions", get(sessions::list))
        .route(
            "/api/v1/auth/sessions/revoke-others",
            post(sessions::revoke_others),
        )
        .route("/api/v1/auth/sessions/{id}", delete(sessions::revoke))
        .route("/api/v1/auth/two-factor", get(two_factor::status))
        .route("/api/v1/auth/two-factor/setup", post(two_factor::setup))
        .route("/api/v1/auth/two-factor/enable", post(two_factor::enable))
        .route("/api/v1/auth/two-factor/disable", post(two_factor::disable))
        .route("/api/v1/auth/forgot-password", post(auth::forgot_password))
        .route(
            "/api/v1/auth/verify-reset-token",
            post(auth::verify_reset_token),
        )
        .route("/api/v1/auth/reset-password", post(auth::reset_password))
        .route("/api/v1/auth/verify-email", post(auth::verify_email))
        .route(
            "/api/v1/auth/verify-email/resend",
            post(auth::resend_verification),
        )
        .route(
            "/api/v1/organization",
            get(organization::get).patch(organization::update),
        )
        .route("/api/v1/organization/delete", post(organization::delete))
        .route("/api/v1/organization/members", get(members::list))
        .route(
            "/api/v1/organization/members/{id}",
            axum::routing::patch(members::change_role).delete(members::remove),
        )
        .route(
            "/api/v1/organization/invitations",
            get(invitations::list).post(invitations::create),
        )
        .route(
            "/api/v1/organization/invitations/{id}",
            delete(invitations::revoke),
        )
        .route(
            "/api/v1/organization/invitations/{id}/resend",
            post(invitations::resend),
        )
        .route("/api/v1/invitations/accept", post(invitations::accept))
        .route("/api/v1/organizations", get(organizations::list))
        .route("/api/v1/organizations/current", put(organizations::switch))
        .route(
            "/api/v1/api-keys",
            get(api_keys::list).post(api_keys::create),
        )
        .route(
            "/api/v1/api-keys/{id}",
            axum::routing::delete(api_keys::revoke),
        )
        .route("/api/v1/agents", get(agents::list))
        .route("/api/v1/locations", get(agents::locations))
        .route("/api/v1/agents/pending", get(agents::pending))
        .route(
            "/api/v1/agents/pending/{uuid}",
            delete(agents::reject_pending),
        )
        .route(
            "/api/v1/agents/pending/{uuid}/approve",
            post(agents::approve_pending),
        )
        .route(
            "/api/v1/agents/settings",
            get(agents::get_settings).put(agents::set_settings),
        )
        .route("/api/v1/agents/{id}", delete(agents::revoke))
        .route("/api/v1/agents/{id}/approve", put(agents::approve))
        .route(
            "/api/v1/organization/alerts",
            get(alerts::get_defaults).put(alerts::set_defaults),
        )
        .route("/api/v1/events", get(events::feed))
        .route("/api/v1/audit-log", get(audit::list))
        .route(
            "/api/v1/channels",
            get(channels::list).post(channels::create),
        )
        .route(
            "/api/v1/channels/{id}",
            get(channels::get)
                .patch(channels::update)
                .delete(channels::delete),
        )
        .route("/api/v1/channels/{id}/test", post(channels::test))
        .route(
            "/api/v1/tags",
            get(labels::list_tags).post(labels::create_tag),
        )
        .route(
            "/api/v1/tags/{id}",
            axum::routing::patch(labels::update_tag).delete(labels::delete_tag),
        )
        .route(
            "/api/v1/groups",
            get(labels::list_groups).post(labels::create_group),
        )
        .route(
            "/api/v1/groups/{id}",
            axum::routing::patch(labels::update_group).delete(labels::delete_group),
        )
        .route(
            "/api/v1/maintenance",
            get(maintenance::list).post(maintenance::create),
        )
        .route(
            "/api/v1/maintenance/{id}",
            get(maintenance::get)
                .patch(maintenance::update)
                .delete(maintenance::delete),
        )
        .route(
            "/api/v1/status-pages",
            get(status_pages::list).post(status_pages::create),
        )
        .route(
            "/api/v1/status-pages/{id}",
            get(status_pages::get)
                .patch(status_pages::update)
                .delete(status_pages::delete),
        )
        .route(
            "/api/v1/status-pages/{id}/incidents",
            get(status_pages::incidents).post(status_pages::create_incident),
        )
        .route(
            "/api/v1/status-pages/{id}/subscribers",
            get(page_subscribers::list).post(page_subscribers::add_webhook),
        )
        .route(
            "/api/v1/status-pages/{id}/subscribers/{subscriber_id}",
            delete(page_subscribers::remove),
        )
        .route(
            "/api/v1/status-pages/{id}/incidents/{incident_id}",
            get(status_pages::get_incident)
                .patch(status_pages::update_incident)
                .delete(status_pages::delete_incident),
        )
        .route(
            "/api/v1/targets/{id}/alerts",
            get(alerts::get_target)
                .put(alerts::set_target)
                .delete(alerts::reset_target),
        )
        .route(
            "/api/v1/targets/{id}/notifications",
            get(alerts::target_notifications),
        )
        .route("/api/v1/targets", get(targets::list).post(targets::create))
        .route("/api/v1/targets/status", get(targets::status))
        .route("/api/v1/targets/check", post(targets::check_now))
        .route(
            "/api/v1/targets/{id}",
            get(targets::get)
                .patch(targets::update)
                .delete(targets::delete),
        )
        .route("/api/v1/targets/{id}/checks", get(targets::checks))
        .route("/api/v1/targets/{id}/incidents", get(targets::incidents))
        .route("/api/v1/targets/{id}/uptime", get(targets::uptime))
        .route("/api/v1/targets/{id}/history", get(targets::history))
        .route("/api/v1/targets/{id}/pause", post(targets::pause))
        .route("/api/v1/targets/{id}/resume", post(targets::resume))
        .route(
            "/api/v1/targets/{id}/badge/rotate",
            post(targets::rotate_badge),
        )
        .route(
            "/ping/{token}",
            get(heartbeat::success_get).post(heartbeat::success),
        )
        .route(
            "/ping/{token}/fail",
            get(heartbeat::fail_get).post(heartbeat::fail),
        )
        .route(
            "/ping/{token}/start",
            get(heartbeat::start_get).post(heartbeat::start),
        )
        .route(
            "/api/v1/status-pages/{id}/custom-domain",
            get(custom_domains::get)
                .put(custom_domains::set)
                .delete(custom_domains::delete),
        )
        .route(
            "/api/v1/status-pages/{id}/custom-domain/verify",
            post(custom_domains::verify),
        )
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
}
