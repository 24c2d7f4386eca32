//! `/api/v1/audit-log`: every change in the organization, newest first,
//! for owners and admins.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use pharos_app::audit;
use pharos_domain::audit::AuditAction;
use pharos_domain::ids::AuditEntryId;
use pharos_domain::ValidationError;
use pharos_storage::models::AuditEntry;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::models::{string_enum, Page};
use super::responses::{Manager, Query, SignedIn};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::state::AppState;

fn action_schema() -> utoipa::openapi::Object {
    let mut schema = string_enum(AuditAction::ALL.map(AuditAction::as_str));
    schema.description = Some("What was done.".to_owned());
    schema
}

/// One change: who, from where, what, when.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    #[schema(schema_with = action_schema)]
    pub action: String,
    /// The person who acted (for an API key, the key's creator).
    pub actor_user_id: Option<Uuid>,
    pub actor_email: Option<String>,
    /// Set when the change came with an API key.
    pub api_key_id: Option<Uuid>,
    pub client_address: Option<String>,
    /// What it was done to: an id, or a person's email.
    pub subject: Option<String>,
    /// The changed fields (names, or plain values); never a secret.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<&AuditEntry> for AuditEntryView {
    fn from(e: &AuditEntry) -> Self {
        Self {
            id: e.id.0,
            at: e.at,
            action: e.action.as_str().to_owned(),
            actor_user_id: e.actor_user_id.map(|u| u.0),
            actor_email: e.actor_email.clone(),
            api_key_id: e.api_key_id.map(|k| k.0),
            client_address: e.client_address.clone(),
            subject: e.subject.clone(),
            details: e.details.clone(),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The organization's audit log, newest first, 50 a page (owners and
/// admins). Entries are kept 400 days.
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "organization", operation_id = "audit_log",
    params(AuditQuery),
    responses((status = 200, body = Page<AuditEntryView>), Query, SignedIn, Manager))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntryView>>> {
    let before = match query.cursor.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(AuditEntryId(Uuid::parse_str(raw).map_err(|_| {
            ValidationError::new("cursor", "is not a cursor this API gave")
        })?)),
    };
    let entries = audit::list(&state.app, &current, before).await?;
    let next_cursor = (entries.len() == audit::PAGE as usize)
        .then(|| entries.last().map(|e| e.id.0.to_string()))
        .flatten();
    Ok(Json(Page {
        items: entries.iter().map(Into::into).collect(),
        next_cursor,
    }))
}
