//! Events into notifications: for each new event, the notification kind
//! its target's alert settings give it (`domain::alert::notification_for`)
//! and one notification per channel of the target's route.

use chrono::{DateTime, Utc};
use pharos_domain::alert::{notification_for, FoldRule};
use pharos_domain::event::EventType;
use pharos_domain::status::TargetState;
use pharos_storage::models::{FanOutBatch, NewNotification};
use pharos_storage::{Store, StoreResult};

/// Organizations, and events of each, read per round.
const ORGANIZATIONS_PER_ROUND: u32 = 64;
const EVENTS_PER_ORGANIZATION: u32 = 256;

/// What one round of fan-out did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FannedOut {
    /// Events read past the cursors (and now behind them).
    pub events: usize,
    /// Notifications written.
    pub notifications: usize,
}

/// One round: reads new events and writes their notifications. Safe to run
/// in several processes at once: a batch another sender wrote first is
/// dropped whole.
pub async fn fan_out(
    store: &dyn Store,
    now: DateTime<Utc>,
    fold: FoldRule,
) -> StoreResult<FannedOut> {
    let batches = store
        .events_to_fan_out(ORGANIZATIONS_PER_ROUND, EVENTS_PER_ORGANIZATION)
        .await?;
    let mut done = FannedOut::default();
    for batch in batches {
        let Some(up_to) = batch.events.last().map(|e| e.event.seq) else {
            continue;
        };
        open_auto_drafts(store, &batch, now).await?;
        let notifications = notifications_of(&batch, now);
        let written = store
            .enqueue_notifications(
                batch.organization_id,
                batch.after,
                up_to,
                &notifications,
                fold,
                now,
            )
            .await?;
        if written {
            done.events += batch.events.len();
            done.notifications += notifications.len();
            metrics::counter!("pharos_notifications_enqueued_total")
                .increment(notifications.len() as u64);
        }
    }
    Ok(done)
}

/// A confirmed outage (an incident opened) opens a draft incident on each
/// status page that shows the target and wants drafts. Done before the
/// cursor moves and idempotent (one draft per page and incident), so a
/// failed round, or two senders reading the same batch, open each once.
async fn open_auto_drafts(
    store: &dyn Store,
    batch: &FanOutBatch,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    for item in &batch.events {
        let event = &item.event;
        if event.event_type != EventType::IncidentOpened {
            continue;
        }
        let Some(incident) = event.incident_id else {
            continue;
        };
        let opened = store
            .open_auto_drafts(batch.organization_id, event.target_id, incident, now)
            .await?;
        if !opened.is_empty() {
            metrics::counter!("pharos_status_page_auto_drafts_total")
                .increment(opened.len() as u64);
        }
    }
    Ok(())
}

/// The notifications a batch of events yields.
fn notifications_of(batch: &FanOutBatch, now: DateTime<Utc>) -> Vec<NewNotification> {
    let mut out = Vec::new();
    for item in &batch.events {
        let Some(route) = &item.route else {
            continue;
        };
        let event = &item.event;
        let previous: Option<TargetState> = event
            .payload
            .get("previous_state")
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        let Some(kind) = notification_for(event.event_type, previous, &route.settings) else {
            continue;
        };
        for channel in &route.channels {
            out.push(NewNotification {
                channel_id: *channel,
                event_seq: event.seq,
                reminder: 0,
                target_id: event.target_id,
                incident_id: event.incident_id,
                kind,
                payload: event.payload.clone(),
                include_history: route.settings.include_history,
                occurred_at: event.occurred_at,
                due_at: now,
            });
        }
    }
    out
}

/// One round of folding: each channel whose flapping passed its window
/// gets one summary of what was folded. Returns the summaries made.
pub async fn summarize(store: &dyn Store, now: DateTime<Utc>, fold: FoldRule) -> StoreResult<u64> {
    let window = chrono::Duration::from_std(fold.window).unwrap_or(chrono::Duration::minutes(1));
    let made = store
        .summarize_folded(now, window, now.min(Utc::now()))
        .await?;
    if made > 0 {
        metrics::counter!("pharos_notifications_summaries_total").increment(made);
    }
    Ok(made)
}
