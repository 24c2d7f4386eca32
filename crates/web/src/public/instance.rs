//! `GET /api/public/status`: the instance's own health (see
//! `pharos_app::instance`), public, reused for a few seconds.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::http_cache;
use crate::api::responses::RateLimited;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct InstanceStatusView {
    pub web: WebHealthView,
    pub database: DatabaseHealthView,
    /// Worker processes seen in the last hour, most recently seen first.
    pub workers: Vec<WorkerHealthView>,
    /// When this answer was read (it is reused for up to 5 s).
    pub checked_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebHealthView {
    /// Always `up`: this process answered.
    pub status: String,
    pub version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseHealthView {
    /// It answered within 2 s.
    pub reachable: bool,
    /// One round trip, in milliseconds; `null` when unreachable.
    pub latency_ms: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkerHealthView {
    /// A stable name that does not reveal the worker's host.
    pub name: String,
    /// It asked for due targets within the last 30 s.
    pub up: bool,
    pub started_at: DateTime<Utc>,
    /// When it last asked for due targets.
    pub last_seen_at: DateTime<Utc>,
    /// When a claim last brought it work; `null`: not yet.
    pub last_claim_at: Option<DateTime<Utc>>,
}

/// The instance's health: this web process, the database, the workers.
#[utoipa::path(get, path = "/api/public/status", tag = "public", operation_id = "instance_status",
    responses(
        (status = 200, body = InstanceStatusView, description = "`ETag` and `Cache-Control` set."),
        (status = 304, description = "Not modified (`If-None-Match`)."),
        RateLimited))]
pub async fn status(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let status = pharos_app::instance::status(&state.app).await;
    let view = InstanceStatusView {
        web: WebHealthView {
            status: "up".to_owned(),
            version: status.version.to_owned(),
        },
        database: DatabaseHealthView {
            reachable: status.database.reachable,
            latency_ms: status.database.latency_ms,
        },
        workers: status
            .workers
            .iter()
            .map(|w| WorkerHealthView {
                name: w.name.clone(),
                up: w.up,
                started_at: w.started_at,
                last_seen_at: w.last_seen_at,
                last_claim_at: w.last_claim_at,
            })
            .collect(),
        checked_at: status.checked_at,
    };
    // Serializing these plain fields cannot fail; an empty body would
    // only mean a bug, never a panic.
    let body = serde_json::to_vec(&view).unwrap_or_default();
    http_cache::respond(&headers, "application/json", "public, max-age=5", body)
}
