//! Pharos's web layer: the JSON API (and, later, the HTML pages) over the
//! same services, with the middleware every route shares.

pub mod agent_api;
pub mod api;
pub mod auth;
pub mod client_addr;
pub mod error;
pub mod extract;
pub mod http_metrics;
pub mod pages;
pub mod public;
pub mod request_log;
pub mod state;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::middleware;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use state::{AppState, MetricsAccess, WebConfig};

/// The whole application: routes, then the layers every request passes,
/// outermost last: bodies are bounded, cross-site writes are refused,
/// panics become 500s, security headers are set, requests are traced
/// under their route template and a request id.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    api::routes()
        .merge(pages::routes())
        .merge(public::routes())
        .merge(agent_api::routes())
        .fallback(pages::not_found)
        // Before the routes (and their extractors) do any work; inside
        // the metrics, so its 429s are counted.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            public::rate_limit::limit,
        ))
        // A verified custom domain's requests leave here for the public
        // routes alone (with their own rate limit).
        .layer(middleware::from_fn_with_state(
            state.clone(),
            public::custom_domain::route,
        ))
        .layer(middleware::from_fn(http_metrics::record))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::csrf::refuse_cross_site,
        ))
        // Inside the header layers, so a panic's 500 carries them too.
        .layer(CatchPanicLayer::custom(panic_to_500))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            ),
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_log::span))
        // Outside the trace, so its span and the answer carry the id.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(request_log::NewRequestId))
        .layer(middleware::from_fn(request_log::drop_unfit_request_id))
        .with_state(state)
}

/// The agent endpoint alone, for `PHAROS_AGENT_LISTEN`: agents reach it
/// on an address of its own while the dashboard stays elsewhere.
pub fn agent_router(state: AppState) -> Router {
    agent_api::routes()
        .layer(middleware::from_fn(http_metrics::record))
        .layer(CatchPanicLayer::custom(panic_to_500))
        .layer(TraceLayer::new_for_http().make_span_with(request_log::span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(request_log::NewRequestId))
        .layer(middleware::from_fn(request_log::drop_unfit_request_id))
        .with_state(state)
}

/// A handler's panic as a 500 (the page routes catch theirs first and
/// turn it into the HTML error page).
pub(crate) fn panic_to_500(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    axum::response::IntoResponse::into_response(ApiError::internal(anyhow::anyhow!(
        "a handler panicked"
    )))
}

/// Serves the application on `listener` until `shutdown` resolves, while
/// forgetting idle rate-limit keys in the background.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = state.app.clone();
    let housekeeping = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            // Per replica by nature; the session sweep is a cluster job
            // (`pharos_scheduler::jobs`).
            app.limits.forget_idle_keys();
        }
    });
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    housekeeping.abort();
    served
}
