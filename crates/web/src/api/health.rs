//! Liveness and readiness for load balancers and orchestrators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use pharos_app::AppError;
use serde_json::{json, Value};

use crate::state::{AppState, MetricsAccess};

/// The process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200)))]
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The database answers, every migration is applied, and this replica is
/// not shutting down.
#[utoipa::path(get, path = "/readyz", tag = "health", responses((status = 200), (status = 503)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let backend = state.store().backend();
    if state.draining.is_draining() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "draining", "database": backend})),
        );
    }
    // A load balancer wants an answer, not a hung request: a database that
    // does not answer within 2 s is unavailable.
    let Ok(ready) =
        tokio::time::timeout(std::time::Duration::from_secs(2), state.store().ready()).await
    else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "database unavailable", "database": backend})),
        );
    };
    match ready {
        Ok(true) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "database": backend})),
        ),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "migrations pending", "database": backend})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "database unavailable", "database": backend})),
            )
        }
    }
}

/// Prometheus metrics of this process (404 when none are recorded).
pub async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let allowed = match &state.config.metrics_access {
        MetricsAccess::Public => true,
        MetricsAccess::Token(token) => headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| constant_time_eq(given.as_bytes(), token.as_bytes())),
        MetricsAccess::Elsewhere => false,
    };
    match (&state.metrics, allowed) {
        (Some(handle), true) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4",
            )],
            handle.render(),
        )
            .into_response(),
        // Not here, or not for this caller: the same 404 either way.
        _ => crate::error::ApiError::App(AppError::NotFound).into_response(),
    }
}

/// Compares without an early exit, so the time taken says nothing about
/// how much of a guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
