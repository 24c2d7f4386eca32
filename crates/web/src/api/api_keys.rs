//! `/api/v1/api-keys*`: the organization's API keys, for scripts and CI
//! (`Authorization: Bearer phk_...`). Owners and admins make, list and
//! revoke them; a key is in the answer that made it, and nowhere else.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use pharos_app::api_keys::{self, CreatedApiKey, NewApiKeyInput};
use pharos_domain::ids::ApiKeyId;
use pharos_domain::organization::Role;
use pharos_storage::models::ApiKey;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::models::{string_enum, Page};
use super::responses::{ApiKeyNotFound, JsonBody, Manager, SignedIn};
use crate::auth::CurrentUser;
use crate::error::{ApiResult, ErrorEnvelope};
use crate::extract::{ApiJson, PathId};
use crate::state::AppState;

fn key_role_schema() -> utoipa::openapi::Object {
    let mut schema = string_enum(Role::ALL.map(Role::as_str));
    schema.description = Some(
        "What the key may do, as a member with this role would: `viewer` is a read-only \
         key. At most the creator's own role; a key never acts above its creator's \
         current role."
            .to_owned(),
    );
    schema
}

/// A new key: a name, a role no higher than the caller's, and when it
/// stops working (a time in the future; absent or `null`: never, until
/// revoked).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    #[schema(schema_with = super::schemas::api_key_name)]
    pub name: String,
    #[schema(schema_with = key_role_schema)]
    pub role: Role,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// Who made a key.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyCreatorView {
    pub id: Uuid,
    pub email: String,
}

/// An API key as the list shows it: never the key itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub name: String,
    /// The key's first characters (`phk_` and 8 more), to recognise it by.
    #[schema(example = "phk_4f9TQz2a")]
    pub prefix: String,
    #[schema(schema_with = key_role_schema)]
    pub role: String,
    pub created_by: ApiKeyCreatorView,
    pub created_at: DateTime<Utc>,
    /// When it stops working; `null`: never, until revoked.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used, to the minute (written at most once a
    /// minute); `null`: never.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<&ApiKey> for ApiKeyView {
    fn from(k: &ApiKey) -> Self {
        Self {
            id: k.id.0,
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            role: k.role.as_str().to_owned(),
            created_by: ApiKeyCreatorView {
                id: k.created_by.0,
                email: k.created_by_email.clone(),
            },
            created_at: k.created_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
        }
    }
}

/// A key just made, with the key itself: shown in this answer only.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKeyView {
    #[serde(flatten)]
    pub api_key: ApiKeyView,
    /// The key, `phk_<random>_<checksum>`: send it as
    /// `Authorization: Bearer <key>`. Pharos keeps only a hash of it and
    /// can never show it again.
    #[schema(pattern = "^phk_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$")]
    pub key: String,
}

impl From<&CreatedApiKey> for CreatedApiKeyView {
    fn from(c: &CreatedApiKey) -> Self {
        Self {
            api_key: (&c.record).into(),
            key: c.key.expose().to_owned(),
        }
    }
}

/// The organization's API keys, oldest first (owners and admins).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", operation_id = "list_api_keys",
    responses((status = 200, body = Page<ApiKeyView>), SignedIn, Manager))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<Page<ApiKeyView>>> {
    let items = api_keys::list(&state.app, &current)
        .await?
        .iter()
        .map(Into::into)
        .collect();
    Ok(Json(Page::whole(items)))
}

/// Make an API key (owners and admins). The key is in this answer, as
/// `key`, and never again. Its role may not be above the caller's, and
/// `expires_at` must be in the future: both are refused with 422 naming
/// the field. An organization holds at most 100 keys.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", operation_id = "create_api_key",
    request_body = CreateApiKeyRequest,
    responses((status = 201, body = CreatedApiKeyView), SignedIn, Manager, JsonBody,
        (status = 409, body = ErrorEnvelope, description = "The organization holds 100 keys already: revoke one first.")))]
pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<CreateApiKeyRequest>,
) -> ApiResult<(StatusCode, Json<CreatedApiKeyView>)> {
    let input = NewApiKeyInput {
        name: &body.name,
        role: body.role,
        expires_at: body.expires_at,
    };
    let created = api_keys::create(&state.app, &current, input).await?;
    Ok((StatusCode::CREATED, Json((&created).into())))
}

/// Revoke an API key (owners and admins; a key with the owner role, only
/// owners). It stops working at once, on every replica.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", operation_id = "revoke_api_key",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Revoked."), SignedIn, Manager, ApiKeyNotFound))]
pub async fn revoke(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    api_keys::revoke(&state.app, &current, ApiKeyId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
