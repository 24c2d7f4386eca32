//! What Pharos serves to anyone, without an account: public status pages
//! (`status_page`), built from a per-page snapshot shared by every visitor
//! (`snapshot`). No route here reads a session or sets a cookie.

pub mod snapshot;
pub mod status_page;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// Every public route, in one place.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/status/{slug}", get(status_page::page))
        .route("/status/{slug}/history", get(status_page::history))
        .route("/api/public/status-pages/{slug}", get(status_page::json))
}
