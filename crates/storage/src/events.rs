//! Building the event log's rows. Events are gathered while a transaction
//! writes a state change and appended at its end (`append_events` in the
//! backends), so they commit, or roll back, with the change they record.

use chrono::{DateTime, Utc};
use pharos_domain::event::{events_of, EventType};
use pharos_domain::ids::{OrganizationId, TargetId};
use pharos_domain::status::TargetState;
use serde_json::{json, Value};

use crate::models::{Check, StatusUpdate};

/// An event written in the current transaction, before it has its number.
#[derive(Debug, Clone)]
pub(crate) struct PendingEvent {
    pub organization_id: OrganizationId,
    pub event_type: EventType,
    pub target_id: TargetId,
    pub incident_id: Option<uuid::Uuid>,
    pub occurred_at: DateTime<Utc>,
    /// JSON text.
    pub payload: String,
}

fn push(
    events: &mut Vec<PendingEvent>,
    org: OrganizationId,
    event_type: EventType,
    target: TargetId,
    incident_id: Option<uuid::Uuid>,
    occurred_at: DateTime<Utc>,
    payload: Value,
) {
    events.push(PendingEvent {
        organization_id: org,
        event_type,
        target_id: target,
        incident_id,
        occurred_at,
        payload: payload.to_string(),
    });
}

/// The events a stored check's state change yields (none for most checks).
pub(crate) fn of_check(
    org: OrganizationId,
    check: &Check,
    status: &StatusUpdate,
    incident_id: Option<uuid::Uuid>,
    events: &mut Vec<PendingEvent>,
) {
    let types = events_of(status.previous, &status.transition);
    if types.is_empty() {
        return;
    }
    let mut payload = json!({
        "previous_state": status.previous,
        "state": status.transition.state,
        "check_id": check.id.0,
        "status_code": check.status_code,
        "latency_ms": check.latency_ms,
        "error_class": check.error_class,
        "error": check.error,
    });
    if !status.locations.is_empty() {
        // Where it was seen, for the alert's location ("Frankfurt, local").
        payload["locations"] = json!(status.locations);
    }
    for event_type in types {
        // The state change and the incident it opens or closes name the
        // same incident.
        push(
            events,
            org,
            event_type,
            check.target_id,
            incident_id,
            check.checked_at,
            payload.clone(),
        );
    }
}

/// A certificate entered its `window` (days before `expires_at`).
pub(crate) fn certificate_expiring(
    org: OrganizationId,
    check: &Check,
    expires_at: DateTime<Utc>,
    window: u32,
    events: &mut Vec<PendingEvent>,
) {
    let days_left = (expires_at - check.checked_at).num_days();
    push(
        events,
        org,
        EventType::CertificateExpiring,
        check.target_id,
        None,
        check.checked_at,
        json!({
            "expires_at": expires_at,
            "days_left": days_left,
            "window_days": window,
            "check_id": check.id.0,
        }),
    );
}

/// A target was paused or resumed (`state` is what its checks established).
pub(crate) fn pause_changed(
    org: OrganizationId,
    target: TargetId,
    paused: bool,
    state: TargetState,
    at: DateTime<Utc>,
    events: &mut Vec<PendingEvent>,
) {
    let event_type = if paused {
        EventType::TargetPaused
    } else {
        EventType::TargetResumed
    };
    push(
        events,
        org,
        event_type,
        target,
        None,
        at,
        json!({ "state": state }),
    );
}

/// An agent checking `target` went silent (`agent_offline`) or was heard
/// from again (`agent_online`) at `at`; `targets` is how many it checks.
pub(crate) fn agent_presence(
    agent: &crate::models::Agent,
    org: OrganizationId,
    online: bool,
    target: TargetId,
    targets: usize,
    at: DateTime<Utc>,
    events: &mut Vec<PendingEvent>,
) {
    let event_type = if online {
        EventType::AgentOnline
    } else {
        EventType::AgentOffline
    };
    push(
        events,
        org,
        event_type,
        target,
        None,
        at,
        json!({
            "agent_id": agent.id.0,
            "location": agent.name,
            "last_seen_at": agent.last_seen_at,
            "targets": targets,
        }),
    );
}
