//! What Pharos shows to anyone, signed in or not: target badges and the
//! instance's own health (status pages join them). Every answer here is
//! built from a short-lived shared cache and carries an `ETag`, and all of
//! it sits under its own per-client rate limit (`rate_limit`).

pub mod badge;
pub mod badge_svg;
pub mod http_cache;
pub mod instance;
pub mod rate_limit;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// Every public route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/badge/{token}/status.svg", get(badge::status))
        .route("/badge/{token}/uptime.svg", get(badge::uptime))
        .route("/badge/{token}/latency.svg", get(badge::latency))
        .route("/api/public/status", get(instance::status))
}
