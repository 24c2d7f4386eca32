//! `/settings/audit-log`: the organization's audit log for owners and
//! admins, newest first, a page at a time (`?cursor=`), readable without
//! JavaScript.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use pharos_app::audit;
use pharos_domain::ids::AuditEntryId;
use serde::Deserialize;

use super::{format, render, Chrome, PageResult, PageUser};
use crate::extract::ApiQuery;
use crate::state::AppState;

pub struct EntryRow {
    pub at_iso: String,
    pub at: String,
    pub who: String,
    pub client: String,
    pub action: &'static str,
    pub subject: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "audit_log.html")]
struct AuditLogPage {
    chrome: Chrome,
    entries: Vec<EntryRow>,
    older: Option<String>,
    first_page: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    cursor: String,
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> PageResult {
    // A cursor that does not parse is the first page.
    let before = uuid::Uuid::parse_str(&query.cursor).ok().map(AuditEntryId);
    let entries = audit::list(&state.app, &current, before).await?;
    let older = (entries.len() == audit::PAGE as usize)
        .then(|| entries.last().map(|e| e.id.0.to_string()))
        .flatten();
    let rows = entries
        .iter()
        .map(|e| EntryRow {
            at_iso: format::iso(e.at),
            at: format::full(e.at),
            who: match (&e.actor_email, e.api_key_id) {
                (Some(email), Some(_)) => format!("{email} (API key)"),
                (Some(email), None) => email.clone(),
                (None, _) => "—".to_owned(),
            },
            client: e.client_address.clone().unwrap_or_else(|| "—".to_owned()),
            action: e.action.as_str(),
            subject: e.subject.clone().unwrap_or_default(),
            details: if e.details.as_object().is_some_and(|o| o.is_empty()) {
                String::new()
            } else {
                e.details.to_string()
            },
        })
        .collect();
    let page = AuditLogPage {
        chrome: Chrome::new(Some(&current), "settings"),
        entries: rows,
        older,
        first_page: before.is_none(),
    };
    Ok(render(StatusCode::OK, &page))
}
