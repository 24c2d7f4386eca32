//! `/api/v1/status-pages/{id}/custom-domain`: a page's own host name
//! (`PUT` sets it and answers the TXT record to publish, `DELETE` removes
//! it, `POST .../verify` checks the record through Pharos's resolver).
//! Owners and admins.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use pharos_app::custom_domains;
use pharos_domain::ids::StatusPageId;
use pharos_storage::models::StatusPage;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::responses::{JsonBody, Manager, SignedIn, StatusPageNotFound};
use crate::auth::CurrentUser;
use crate::error::{ApiResult, ErrorEnvelope};
use crate::extract::{ApiJson, PathId};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetCustomDomainRequest {
    /// The host name visitors will use, such as `status.example.com`.
    #[schema(min_length = 1, max_length = 253)]
    pub host: String,
}

/// A page's custom domain and how to prove it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomDomainView {
    /// `null`: the page has none.
    pub host: Option<String>,
    pub verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
    /// The TXT record to publish (name and value), while a host is set.
    pub txt_record: Option<TxtRecordView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TxtRecordView {
    /// `_pharos-challenge.<host>`
    pub name: String,
    pub value: String,
}

impl From<&StatusPage> for CustomDomainView {
    fn from(page: &StatusPage) -> Self {
        Self {
            host: page.custom_domain.clone(),
            verified: page.custom_domain_verified_at.is_some(),
            verified_at: page.custom_domain_verified_at,
            txt_record: page
                .custom_domain
                .as_deref()
                .zip(page.custom_domain_token.as_deref())
                .map(|(host, token)| TxtRecordView {
                    name: custom_domains::challenge_name(host),
                    value: token.to_owned(),
                }),
        }
    }
}

async fn changed(state: &AppState, page: &StatusPage) -> Json<CustomDomainView> {
    state.custom_domain_changed().await;
    Json(CustomDomainView::from(page))
}

/// The page's custom domain.
#[utoipa::path(get, path = "/api/v1/status-pages/{id}/custom-domain", tag = "status-pages",
    operation_id = "get_custom_domain", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = CustomDomainView), SignedIn, StatusPageNotFound))]
pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<CustomDomainView>> {
    let page = pharos_app::status_pages::get(&state.app, &current, StatusPageId(id)).await?;
    Ok(Json(CustomDomainView::from(&page)))
}

/// Set the page's custom domain: it starts unverified, with a new token
/// to publish as a TXT record at `_pharos-challenge.<host>`. TLS for it
/// is the reverse proxy's job (docs/DEPLOYMENT.md).
#[utoipa::path(put, path = "/api/v1/status-pages/{id}/custom-domain", tag = "status-pages",
    operation_id = "set_custom_domain", params(("id" = uuid::Uuid, Path)), request_body = SetCustomDomainRequest,
    responses((status = 200, body = CustomDomainView), SignedIn, Manager, StatusPageNotFound, JsonBody))]
pub async fn set(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiJson(body): ApiJson<SetCustomDomainRequest>,
) -> ApiResult<Json<CustomDomainView>> {
    let page =
        custom_domains::set(&state.app, &current, StatusPageId(id), Some(&body.host)).await?;
    Ok(changed(&state, &page).await)
}

/// Remove the page's custom domain; that host serves nothing of it any more.
#[utoipa::path(delete, path = "/api/v1/status-pages/{id}/custom-domain", tag = "status-pages",
    operation_id = "delete_custom_domain", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = CustomDomainView), SignedIn, Manager, StatusPageNotFound))]
pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<CustomDomainView>> {
    let page = custom_domains::set(&state.app, &current, StatusPageId(id), None).await?;
    Ok(changed(&state, &page).await)
}

/// Check the TXT record now; once it holds the token, the domain serves
/// the page at `/`.
#[utoipa::path(post, path = "/api/v1/status-pages/{id}/custom-domain/verify", tag = "status-pages",
    operation_id = "verify_custom_domain", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = CustomDomainView), SignedIn, Manager, StatusPageNotFound,
        (status = 422, body = ErrorEnvelope, description = "No custom domain, or its TXT record does not hold the token yet; `field` is `custom_domain`.")))]
pub async fn verify(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<CustomDomainView>> {
    let page = custom_domains::verify(&state.app, &current, StatusPageId(id)).await?;
    Ok(changed(&state, &page).await)
}
