//! `/api/v1/status-pages/{id}/subscribers*`: a page's subscribers, for its
//! organization's owners and admins (`pharos_app::subscribers`): the list
//! (email addresses partly masked, webhook URLs as their origin only: both
//! may be personal or hold a key), removal, and webhook subscribers added
//! by the owner, whose signing secret is shown once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use pharos_app::subscribers;
use pharos_domain::ids::StatusPageId;
use pharos_storage::models::{PageSubscriber, SubscriberKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::models::{string_enum, Page};
use super::responses::{JsonBody, Manager, PageSubscriberNotFound, SignedIn, StatusPageNotFound};
use super::status_pages::PathIds;
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::{ApiJson, PathId};
use crate::state::AppState;

fn kind_schema() -> utoipa::openapi::Object {
    string_enum(SubscriberKind::ALL.iter().map(|k| k.as_str()))
}

/// A page's subscriber as its owners see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageSubscriberView {
    pub id: Uuid,
    #[schema(schema_with = kind_schema)]
    pub kind: &'static str,
    /// An email address partly masked (`j***@example.com`), or a
    /// webhook's scheme, host and port.
    pub address: String,
    /// Confirmed through the opt-in mail (webhooks: at once).
    pub confirmed: bool,
    pub created_at: DateTime<Utc>,
}

/// `j***@example.com`: enough to recognise, not to harvest.
fn masked_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

fn shown_url(raw: &str) -> String {
    url::Url::parse(raw)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| "***".to_owned())
}

impl From<&PageSubscriber> for PageSubscriberView {
    fn from(s: &PageSubscriber) -> Self {
        PageSubscriberView {
            id: s.id,
            kind: s.kind.as_str(),
            address: match s.kind {
                SubscriberKind::Email => masked_email(&s.address),
                SubscriberKind::Webhook => shown_url(&s.address),
            },
            confirmed: s.confirmed,
            created_at: s.created_at,
        }
    }
}

/// A webhook subscriber just added, with its signing secret, shown this
/// once.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddedWebhookView {
    #[serde(flatten)]
    pub subscriber: PageSubscriberView,
    /// Pharos signs each POST with `X-Pharos-Signature: sha256=<hex
    /// HMAC-SHA256(secret, "<X-Pharos-Timestamp>.<body>")>`.
    pub signing_secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddWebhookSubscriberRequest {
    /// An http(s) URL with a host, without a user name, password or
    /// `#fragment`, at most 2048 characters (422 on `url` otherwise);
    /// Pharos POSTs each published incident and update here as JSON
    /// (event `status_page.incident`). Its address is judged at each
    /// delivery by the instance's SSRF rules.
    pub url: String,
}

/// The page's subscribers, oldest first (owners and admins).
#[utoipa::path(get, path = "/api/v1/status-pages/{id}/subscribers", tag = "status-pages",
    operation_id = "list_page_subscribers",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Page<PageSubscriberView>), SignedIn, Manager, StatusPageNotFound))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<Page<PageSubscriberView>>> {
    let items = subscribers::list(&state.app, &current, StatusPageId(id))
        .await?
        .iter()
        .map(Into::into)
        .collect();
    Ok(Json(Page::whole(items)))
}

/// Add a webhook subscriber (owners and admins).
#[utoipa::path(post, path = "/api/v1/status-pages/{id}/subscribers", tag = "status-pages",
    operation_id = "add_page_webhook_subscriber",
    params(("id" = uuid::Uuid, Path)), request_body = AddWebhookSubscriberRequest,
    responses((status = 201, body = AddedWebhookView),
        (status = 409, description = "The page has a webhook subscriber with this URL."),
        SignedIn, Manager, StatusPageNotFound, JsonBody))]
pub async fn add_webhook(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
    ApiJson(body): ApiJson<AddWebhookSubscriberRequest>,
) -> ApiResult<(StatusCode, Json<AddedWebhookView>)> {
    let added = subscribers::add_webhook(&state.app, &current, StatusPageId(id), &body.url).await?;
    Ok((
        StatusCode::CREATED,
        Json(AddedWebhookView {
            subscriber: (&added.subscriber).into(),
            signing_secret: added.signing_secret,
        }),
    ))
}

/// Remove a subscriber (owners and admins).
#[utoipa::path(delete, path = "/api/v1/status-pages/{id}/subscribers/{subscriber_id}", tag = "status-pages",
    operation_id = "delete_page_subscriber",
    params(("id" = uuid::Uuid, Path), ("subscriber_id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Removed."), SignedIn, Manager, PageSubscriberNotFound))]
pub async fn remove(
    State(state): State<AppState>,
    current: CurrentUser,
    PathIds(page, id): PathIds,
) -> ApiResult<StatusCode> {
    subscribers::remove(&state.app, &current, StatusPageId(page), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked() {
        assert_eq!(masked_email("jane@example.com"), "j***@example.com");
        assert_eq!(
            shown_url("https://hooks.example.com:8443/x?token=secret"),
            "https://hooks.example.com:8443"
        );
    }
}
