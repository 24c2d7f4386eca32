//! `/events`: Server-Sent Events with the state of the caller's targets.
//! Every stream of an organization listens to one shared poller
//! (`app::live`), which reads the organization's targets once a second;
//! each stream works out from memory what changed since it last sent and
//! sends that, so a hundred open dashboards cost the database what one
//! does. The page's script patches the rows in place. A stream lives a
//! few minutes, then the browser reconnects, which checks the session
//! again (a logged-out session stops receiving).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use futures_util::stream::{self, Stream};
use serde::{Deserialize, Serialize};

use pharos_app::live::{self, LiveSnapshot};
use pharos_domain::ids::TargetId;
use pharos_domain::target::TimeoutSeconds;
use pharos_storage::models::TargetSummary;

use super::format::{self, badge};
use super::PageUser;
use crate::extract::ApiQuery;
use crate::state::AppState;

const STREAM_LIFETIME: Duration = Duration::from_secs(300);

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EventsQuery {
    /// When the page was drawn (Unix milliseconds): the first message
    /// then carries only rows checked since, instead of every row.
    since: Option<i64>,
}

/// What a dashboard row shows that can change between checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveStatus {
    pub id: String,
    pub state: &'static str,
    pub label: &'static str,
    pub icon: &'static str,
    pub checked_iso: String,
    pub checked_full: String,
    pub latency: String,
}

impl From<&TargetSummary> for LiveStatus {
    fn from(target: &TargetSummary) -> Self {
        let b = badge(target.shown_state());
        Self {
            id: target.id.0.to_string(),
            state: b.value,
            label: b.label,
            icon: b.icon,
            checked_iso: target.last_checked_at.map(format::iso).unwrap_or_default(),
            checked_full: target.last_checked_at.map(format::full).unwrap_or_default(),
            latency: format::latency(target.last_latency_ms),
        }
    }
}

/// Whether a row's newest check may have been stored after `since`, so
/// that a page drawn then did not show it. A check's time is when it
/// started; it is stored once it finished (its latency later, or its
/// timeout at most when it has none) and its batch was written. Comparing
/// the start with `since` alone lost a check that was in flight while the
/// page was drawn: the page showed the state before it, and the stream
/// never sent it.
fn maybe_stored_after(target: &TargetSummary, since: DateTime<Utc>) -> bool {
    let Some(started) = target.last_checked_at else {
        return false;
    };
    let took = target
        .last_latency_ms
        .map_or(i64::from(TimeoutSeconds::MAX) * 1000, i64::from);
    started + chrono::Duration::milliseconds(took) + STORE_DELAY >= since
}

/// Longest a finished check is taken to wait before it is stored: the
/// writer's batch linger and the write, with room to spare.
const STORE_DELAY: chrono::Duration = chrono::Duration::seconds(5);

/// A row's new 24 h uptime and strip, sent with a status once the poller
/// has redrawn it after a state change.
#[derive(Debug, Serialize)]
struct RowRefresh {
    #[serde(flatten)]
    status: LiveStatus,
    uptime: String,
    strip: String,
}

/// One stream's memory of what it sent.
struct Listener {
    feed: tokio::sync::watch::Receiver<Option<Arc<LiveSnapshot>>>,
    /// The snapshot the last message was made from.
    sent: Option<Arc<LiveSnapshot>>,
    /// The `seq` of each strip sent.
    strips_sent: HashMap<TargetId, u64>,
    since: Option<DateTime<Utc>>,
    started: tokio::time::Instant,
}

impl Listener {
    /// Events from `now` that this stream has not sent yet.
    fn changes(&mut self, now: &LiveSnapshot) -> Vec<Event> {
        let mut events = Vec::new();
        for (id, target) in &now.targets {
            let changed = match &self.sent {
                Some(before) => before.targets.get(id) != Some(target),
                // The page was drawn at `since`: rows that may have been
                // stored after it.
                None => self
                    .since
                    .is_none_or(|since| maybe_stored_after(target, since)),
            };
            let strip = now
                .days
                .get(id)
                .filter(|(seq, _)| self.strips_sent.get(id).is_none_or(|sent| seq > sent));
            let event = match strip {
                Some((seq, day)) if self.sent.is_some() => {
                    self.strips_sent.insert(*id, *seq);
                    let name = target.name.clone().unwrap_or_else(|| target.url.clone());
                    let (uptime, strip) = super::dashboard::day_cells(day, &name);
                    Event::default().event("status").json_data(RowRefresh {
                        status: target.into(),
                        uptime,
                        strip,
                    })
                }
                Some((seq, _)) => {
                    // Drawn before this page was: the page has it.
                    self.strips_sent.insert(*id, *seq);
                    if !changed {
                        continue;
                    }
                    Event::default()
                        .event("status")
                        .json_data(LiveStatus::from(target))
                }
                None if changed => Event::default()
                    .event("status")
                    .json_data(LiveStatus::from(target)),
                None => continue,
            };
            events.extend(event.ok());
        }
        if let Some(before) = &self.sent {
            let same = before.targets.len() == now.targets.len()
                && before.targets.keys().all(|k| now.targets.contains_key(k));
            if !same {
                events.push(
                    Event::default()
                        .event("targets")
                        .data(now.targets.len().to_string()),
                );
            }
        }
        events
    }
}

pub async fn stream(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> impl IntoResponse {
    let listener = Listener {
        feed: live::subscribe(&state.app, &current),
        sent: None,
        strips_sent: HashMap::new(),
        since: query.since.and_then(DateTime::from_timestamp_millis),
        started: tokio::time::Instant::now(),
    };
    let events = stream::unfold(listener, |mut l| async move {
        loop {
            let left = STREAM_LIFETIME.checked_sub(l.started.elapsed())?;
            // The first snapshot may be there already; later ones are
            // waited for. A poller that is gone ends the stream.
            if l.sent.is_some() || l.feed.borrow().is_none() {
                tokio::time::timeout(left, l.feed.changed())
                    .await
                    .ok()?
                    .ok()?;
            }
            let Some(now) = l.feed.borrow_and_update().clone() else {
                continue;
            };
            let batch = l.changes(&now);
            l.sent = Some(now);
            if !batch.is_empty() {
                return Some((stream::iter(batch.into_iter().map(Ok::<_, Infallible>)), l));
            }
        }
    });
    let flat: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(futures_util::StreamExt::flatten(events));
    Sse::new(flat).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pharos_domain::status::TargetState;

    fn target(checked: Option<DateTime<Utc>>, latency_ms: Option<u32>) -> TargetSummary {
        TargetSummary {
            id: TargetId::new(),
            name: Some("Site".into()),
            url: "https://example.com".into(),
            state: TargetState::Up,
            paused: false,
            last_checked_at: checked,
            last_latency_ms: latency_ms,
            group_id: None,
        }
    }

    fn first_message(since: DateTime<Utc>, rows: Vec<TargetSummary>) -> Vec<Event> {
        let (_sender, feed) = tokio::sync::watch::channel(None);
        let mut listener = Listener {
            feed,
            sent: None,
            strips_sent: HashMap::new(),
            since: Some(since),
            started: tokio::time::Instant::now(),
        };
        let snapshot = LiveSnapshot {
            seq: 1,
            taken_at: since,
            targets: rows.into_iter().map(|t| (t.id, t)).collect(),
            days: HashMap::new(),
        };
        listener.changes(&snapshot)
    }

    #[tokio::test]
    async fn a_check_in_flight_while_the_page_was_drawn_is_sent() {
        let drawn = Utc::now();
        // Started just before the page was drawn, stored just after.
        let in_flight = target(Some(drawn - chrono::Duration::milliseconds(80)), Some(30));
        assert_eq!(first_message(drawn, vec![in_flight]).len(), 1);
    }

    #[tokio::test]
    async fn a_failed_check_without_latency_counts_its_longest_timeout() {
        let drawn = Utc::now();
        let timed_out = target(Some(drawn - chrono::Duration::seconds(40)), None);
        assert_eq!(first_message(drawn, vec![timed_out]).len(), 1);
    }

    #[tokio::test]
    async fn rows_the_page_already_showed_are_not_sent_again() {
        let drawn = Utc::now();
        let old = target(Some(drawn - chrono::Duration::seconds(30)), Some(40));
        let never = target(None, None);
        assert!(first_message(drawn, vec![old, never]).is_empty());
    }
}
