//! `/incidents`: the organization's incidents across its targets, open
//! ones first and then the closed ones, newest first, a page at a time;
//! each with its target, when it started and ended, how long it lasted,
//! and the alerts it sent with their status, per channel
//! (`pharos_app::incidents`, which reads the notifications of the whole
//! page in one query).

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use pharos_app::incidents::{self, IncidentRecord};
use pharos_domain::alert::NotificationStatus;
use pharos_domain::ids::ChannelId;
use pharos_storage::models::IncidentCursor;
use serde::Deserialize;

use super::format;
use super::{render, Chrome, PageResult, PageUser};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// Incidents per page.
const PER_PAGE: u32 = 25;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IncidentsQuery {
    /// Where the previous page ended (an opaque cursor).
    after: String,
}

/// An alert an incident sent, as a line of the list.
pub struct SentRow {
    pub when_iso: String,
    pub when: String,
    pub kind: &'static str,
    pub channel: String,
    pub status: &'static str,
    /// `ok`, `bad` or `wait`: how the status is coloured.
    pub tone: &'static str,
}

pub struct IncidentRow {
    pub target_id: String,
    pub target: String,
    pub address: String,
    pub started_iso: String,
    pub started: String,
    pub ended: String,
    pub open: bool,
    pub duration: String,
    pub cause: String,
    pub sent: Vec<SentRow>,
    /// The list holds only the latest alerts of this incident.
    pub more_sent: bool,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    chrome: Chrome,
    incidents: Vec<IncidentRow>,
    next: Option<String>,
    first_page: bool,
    per_incident: u32,
}

fn tone(status: NotificationStatus) -> &'static str {
    match status {
        NotificationStatus::Delivered => "ok",
        NotificationStatus::Failed => "bad",
        NotificationStatus::Pending | NotificationStatus::Delivering => "wait",
        NotificationStatus::Folded => "muted",
    }
}

fn row(
    record: &IncidentRecord,
    channels: &HashMap<ChannelId, String>,
    now: chrono::DateTime<Utc>,
) -> IncidentRow {
    let i = &record.incident.incident;
    let target_name = record
        .incident
        .target_name
        .clone()
        .unwrap_or_else(|| record.incident.target_url.clone());
    IncidentRow {
        target_id: i.target_id.0.to_string(),
        target: target_name,
        address: record.incident.target_url.clone(),
        started_iso: format::iso(i.opened_at),
        started: format::full(i.opened_at),
        ended: i.closed_at.map(format::full).unwrap_or_default(),
        open: i.closed_at.is_none(),
        duration: format::duration(i.closed_at.unwrap_or(now) - i.opened_at),
        cause: i.cause.clone(),
        sent: record
            .notifications
            .iter()
            .map(|n| SentRow {
                when_iso: format::iso(n.created_at),
                when: format::full(n.created_at),
                kind: n.kind.as_str(),
                channel: channels
                    .get(&n.channel_id)
                    .cloned()
                    .unwrap_or_else(|| "a deleted channel".to_owned()),
                status: n.status.as_str(),
                tone: tone(n.status),
            })
            .collect(),
        more_sent: record.notifications.len() >= incidents::NOTIFICATIONS_PER_INCIDENT as usize,
    }
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    ApiQuery(query): ApiQuery<IncidentsQuery>,
) -> PageResult {
    // A cursor that does not decode is treated as "first page".
    let after = IncidentCursor::decode(&query.after);
    let (page, channels) = tokio::try_join!(
        incidents::list(&state.app, &current, after, PER_PAGE),
        pharos_app::channels::list(&state.app, &current),
    )?;
    let channels: HashMap<ChannelId, String> = channels
        .into_iter()
        .map(|d| {
            let name = format!("{} ({})", d.channel.name, d.channel.kind.label());
            (d.channel.id, name)
        })
        .collect();
    let now = Utc::now();
    let page = IncidentsPage {
        chrome: Chrome::new(Some(&current), "incidents"),
        incidents: page.items.iter().map(|r| row(r, &channels, now)).collect(),
        next: page.next.map(|c| c.encode()),
        first_page: after.is_none(),
        per_incident: incidents::NOTIFICATIONS_PER_INCIDENT,
    };
    Ok(render(StatusCode::OK, &page))
}
