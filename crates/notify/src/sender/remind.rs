//! Repeated alerts: while an incident stays open, each channel that was
//! told of the outage hears again every `repeat_minutes`, except while a
//! maintenance window holds the target (the reminder comes once the
//! window is over, if the incident is still open).

use chrono::{DateTime, Utc};
use pharos_domain::alert::{AlertType, NotificationKind};
use pharos_domain::maintenance::MaintenanceCalendar;
use pharos_storage::models::NewNotification;
use pharos_storage::{Store, StoreResult};

/// Open incidents looked at per round.
const INCIDENTS_PER_ROUND: u32 = 512;

/// One round: writes the reminders due at `now`; returns how many. Safe
/// in several processes at once: a reminder is one (event, channel,
/// reminder) row, written once.
pub async fn remind(store: &dyn Store, now: DateTime<Utc>) -> StoreResult<u64> {
    let mut written = 0;
    // Read only when some reminder is due.
    let mut calendar: Option<MaintenanceCalendar> = None;
    for alert in store.open_incident_alerts(INCIDENTS_PER_ROUND).await? {
        let AlertType::Repeated(every) = alert.settings.alert_type else {
            continue;
        };
        let every = chrono::Duration::minutes(i64::from(every.get()));
        if !alert.latest.iter().any(|n| n.created_at + every <= now) {
            continue;
        }
        if calendar.is_none() {
            calendar = Some(MaintenanceCalendar::new(
                store.all_maintenance_windows().await?,
            ));
        }
        if calendar
            .as_ref()
            .is_some_and(|c| c.covers(alert.organization_id, alert.target_id, now))
        {
            continue;
        }
        let due: Vec<NewNotification> = alert
            .latest
            .iter()
            .filter(|n| n.created_at + every <= now)
            .map(|n| NewNotification {
                channel_id: n.channel_id,
                event_seq: n.event_seq,
                reminder: n.reminder + 1,
                target_id: alert.target_id,
                incident_id: Some(alert.incident_id),
                kind: NotificationKind::Down,
                payload: n.payload.clone(),
                include_history: n.include_history,
                occurred_at: n.occurred_at,
                // Due at once (never later than the clock, whatever `now`
                // the round judges periods by).
                due_at: now.min(Utc::now()),
            })
            .collect();
        if !due.is_empty() {
            written += store
                .enqueue_reminders(alert.organization_id, &due, now)
                .await?;
        }
    }
    if written > 0 {
        metrics::counter!("pharos_notifications_reminders_total").increment(written);
    }
    Ok(written)
}
