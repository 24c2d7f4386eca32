//! The organization's incidents across its targets, open ones first, each
//! with the notifications it sent. Everyone in the organization reads them.

use std::collections::HashMap;

use pharos_storage::models::{IncidentCursor, Notification, OrganizationIncident};

use crate::actor::Actor;
use crate::error::AppResult;
use crate::App;

/// The most incidents one page holds.
pub const MAX_INCIDENTS: u32 = 100;

/// The most notifications shown per incident (its latest).
pub const NOTIFICATIONS_PER_INCIDENT: u32 = 20;

/// An incident, its target, and its latest notifications, newest first.
#[derive(Debug, Clone)]
pub struct IncidentRecord {
    pub incident: OrganizationIncident,
    pub notifications: Vec<Notification>,
}

/// A page of incidents and where the next one starts.
#[derive(Debug, Clone)]
pub struct IncidentPage {
    pub items: Vec<IncidentRecord>,
    pub next: Option<IncidentCursor>,
}

/// A page of the organization's incidents (at most `limit`, clamped to
/// 1..=[`MAX_INCIDENTS`]) after `after`, with their notifications read in
/// one query for the whole page.
pub async fn list(
    app: &App,
    actor: &Actor,
    after: Option<IncidentCursor>,
    limit: u32,
) -> AppResult<IncidentPage> {
    let limit = limit.clamp(1, MAX_INCIDENTS);
    // One more than asked tells whether a next page exists.
    let mut found = app
        .store
        .organization_incidents(actor.organization, after, limit + 1)
        .await?;
    let next = if found.len() > limit as usize {
        found.truncate(limit as usize);
        found.last().map(|i| IncidentCursor::after(&i.incident))
    } else {
        None
    };
    let ids: Vec<uuid::Uuid> = found.iter().map(|i| i.incident.id).collect();
    let mut by_incident: HashMap<uuid::Uuid, Vec<Notification>> = HashMap::new();
    for notification in app
        .store
        .incidents_notifications(actor.organization, &ids, NOTIFICATIONS_PER_INCIDENT)
        .await?
    {
        if let Some(incident) = notification.incident_id {
            by_incident.entry(incident).or_default().push(notification);
        }
    }
    let items = found
        .into_iter()
        .map(|incident| IncidentRecord {
            notifications: by_incident
                .remove(&incident.incident.id)
                .unwrap_or_default(),
            incident,
        })
        .collect();
    Ok(IncidentPage { items, next })
}
