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
                // The page was drawn at `since`: rows checked after it.
                None => self
                    .since
                    .is_none_or(|since| target.last_checked_at.is_some_and(|at| at >= since)),
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
