//! What Pharos serves to anyone, without an account: public status pages
//! (`status_page`), built from a per-page snapshot shared by every visitor
//! (`snapshot`), target badges (`badge`, drawn by `badge_svg`) and the
//! instance's own health (`instance`). Answers carry an `ETag`, no route
//! here reads a session or sets a cookie, and all of it sits under its own
//! per-client rate limit (`rate_limit`).

pub mod badge;
pub mod badge_svg;
pub mod custom_domain;
pub mod feeds;
pub mod http_cache;
pub mod instance;
pub mod rate_limit;
pub mod snapshot;
pub mod status_page;
pub mod subscribe;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// Every public route, in one place.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/status/{slug}", get(status_page::page))
        .route("/status/{slug}/history", get(status_page::history))
        .route("/status/{slug}/feed.rss", get(status_page::feed_rss))
        .route("/status/{slug}/feed.atom", get(status_page::feed_atom))
        .route("/status/{slug}/subscribe", post(subscribe::subscribe))
        .route("/status/{slug}/confirm/{token}", get(subscribe::confirm))
        .route(
            "/status/{slug}/unsubscribe/{id}/{signature}",
            get(subscribe::unsubscribe_form).post(subscribe::unsubscribe),
        )
        .route("/api/public/status-pages/{slug}", get(status_page::json))
        .route("/badge/{token}/status.svg", get(badge::status))
        .route("/badge/{token}/uptime.svg", get(badge::uptime))
        .route("/badge/{token}/latency.svg", get(badge::latency))
        .route("/api/public/status", get(instance::status))
}
