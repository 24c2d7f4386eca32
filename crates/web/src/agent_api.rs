//! `/agent/v1`: the endpoint agents talk to (outbound from the agent,
//! so no port opens on its machine). Served on the web port, and on
//! `PHAROS_AGENT_LISTEN` when that is set. Its wire types are
//! `pharos_domain::agent_wire`, shared with the agent; it is a machine
//! protocol, kept out of the public OpenAPI document.
//!
//! Bounded: bodies up to `MAX_BODY_BYTES`, batches up to `MAX_BATCH`,
//! requests rate-limited per agent, admissions per client. Tenant
//! isolated: the token names the agent, the agent its organization, and
//! every read and write goes through both.

use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use pharos_app::agents::{self, AgentActor};
use pharos_app::AppError;
use pharos_domain::agent_wire::{
    AdmitRequest, AdmitResponse, Assignments, BatchReceipt, Heartbeat, ResultBatch, MAX_BODY_BYTES,
};

use crate::auth::session::bearer_token;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::state::{AppState, ClientAddr};

/// The agent endpoint's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/v1/admit", post(admit))
        .route("/agent/v1/assignments", get(assignments))
        .route("/agent/v1/results", post(results))
        .route("/agent/v1/heartbeat", post(heartbeat))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// An agent proved by `Authorization: Bearer pha_...`.
pub struct CurrentAgent(pub AgentActor);

impl FromRequestParts<AppState> for CurrentAgent {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(&parts.headers).ok_or(AppError::Unauthenticated)?;
        Ok(CurrentAgent(agents::authenticate(&state.app, token).await?))
    }
}

async fn admit(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(body): ApiJson<AdmitRequest>,
) -> ApiResult<(StatusCode, Json<AdmitResponse>)> {
    let answer = agents::admit(&state.app, &client.0.to_string(), &body).await?;
    let status = match answer {
        AdmitResponse::Admitted { .. } => StatusCode::OK,
        AdmitResponse::Pending => StatusCode::ACCEPTED,
    };
    Ok((status, Json(answer)))
}

async fn assignments(
    State(state): State<AppState>,
    CurrentAgent(agent): CurrentAgent,
) -> ApiResult<Json<Assignments>> {
    Ok(Json(agents::assignments(&state.app, &agent).await?))
}

async fn results(
    State(state): State<AppState>,
    CurrentAgent(agent): CurrentAgent,
    ApiJson(batch): ApiJson<ResultBatch>,
) -> ApiResult<Json<BatchReceipt>> {
    Ok(Json(agents::push_results(&state.app, &agent, batch).await?))
}

async fn heartbeat(
    State(state): State<AppState>,
    CurrentAgent(agent): CurrentAgent,
    ApiJson(beat): ApiJson<Heartbeat>,
) -> ApiResult<StatusCode> {
    agents::heartbeat(&state.app, &agent, &beat).await?;
    Ok(StatusCode::NO_CONTENT)
}
