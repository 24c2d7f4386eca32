//! `/events`: Server-Sent Events with the state of the caller's targets.
//! The server reads the organization's latest checks once a second and
//! sends what changed; the page's script patches the rows in place. A
//! stream lives a few minutes, then the browser reconnects, which checks
//! the session again (a logged-out session stops receiving).

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use futures_util::stream::{self, Stream};
use serde::Serialize;

use pharos_domain::ids::TargetId;

use super::format::{self, badge};
use super::PageUser;
use crate::auth::CurrentUser;
use crate::state::AppState;
use pharos_app::dashboard;

const POLL: Duration = Duration::from_secs(1);
const STREAM_LIFETIME: Duration = Duration::from_secs(300);
/// At most this many rows get their strip redrawn in one tick: when many
/// targets change state at once (a network outage), all get their new
/// state at once and their strips over the next few ticks.
const ROW_REFRESHES_PER_TICK: usize = 25;

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
    /// What the strip's text alternative names: the target's name or URL.
    #[serde(skip)]
    pub name: String,
}

/// A row's new 24 h uptime and strip, sent with a status whose state
/// changed (reading roll-ups on every check of every target would cost
/// the poll far more than the rare state change does).
#[derive(Debug, Serialize)]
struct RowRefresh<'a> {
    #[serde(flatten)]
    status: &'a LiveStatus,
    uptime: String,
    strip: String,
}

async fn snapshot(state: &AppState, current: &CurrentUser) -> Option<HashMap<String, LiveStatus>> {
    let targets = match pharos_app::dashboard::summaries(&state.app, current).await {
        Ok(targets) => targets,
        Err(e) => {
            tracing::debug!(error = %e, "live status read failed; retrying next tick");
            return None;
        }
    };
    Some(
        targets
            .into_iter()
            .map(|target| {
                let b = badge(target.shown_state());
                let status = LiveStatus {
                    id: target.id.0.to_string(),
                    state: b.value,
                    label: b.label,
                    icon: b.icon,
                    checked_iso: target.last_checked_at.map(format::iso).unwrap_or_default(),
                    checked_full: target.last_checked_at.map(format::full).unwrap_or_default(),
                    latency: format::latency(target.last_latency_ms),
                    name: target.name.unwrap_or(target.url),
                };
                (status.id.clone(), status)
            })
            .collect(),
    )
}

struct Poller {
    state: AppState,
    current: CurrentUser,
    seen: HashMap<String, LiveStatus>,
    /// Rows whose state changed but whose strip is not redrawn yet (past
    /// the per-tick bound, or the roll-up read failed).
    stale: HashSet<String>,
    started: tokio::time::Instant,
    first: bool,
}

/// Events since the last tick: one `status` per changed target, and a
/// `targets` event when targets were added or removed. A row whose state
/// changed also gets its uptime and strip, up to a bound per tick; the
/// rest wait in `stale` for the next ticks.
async fn changes(
    state: &AppState,
    current: &CurrentUser,
    seen: &HashMap<String, LiveStatus>,
    now: &HashMap<String, LiveStatus>,
    stale: &mut HashSet<String>,
) -> Vec<Event> {
    let mut events = Vec::new();
    for status in now.values() {
        let before = seen.get(&status.id);
        if before.is_some_and(|b| b.state != status.state) {
            stale.insert(status.id.clone());
        }
    }
    stale.retain(|id| now.contains_key(id));
    let redraw: Vec<String> = stale.iter().take(ROW_REFRESHES_PER_TICK).cloned().collect();
    for status in now.values() {
        let changed = seen.get(&status.id) != Some(status);
        let refreshed = match redraw.contains(&status.id) {
            true => row_refresh(state, current, status).await,
            false => None,
        };
        let event = match &refreshed {
            Some(row) => {
                stale.remove(&status.id);
                Event::default().event("status").json_data(row)
            }
            None if changed => Event::default().event("status").json_data(status),
            None => continue,
        };
        events.extend(event.ok());
    }
    if seen.len() != now.len() || seen.keys().any(|k| !now.contains_key(k)) {
        events.push(
            Event::default()
                .event("targets")
                .data(now.len().to_string()),
        );
    }
    events
}

/// The row's uptime and strip drawn as the dashboard draws them; `None`
/// when the roll-ups cannot be read (the next change tries again).
async fn row_refresh<'a>(
    state: &AppState,
    current: &CurrentUser,
    status: &'a LiveStatus,
) -> Option<RowRefresh<'a>> {
    let id = uuid::Uuid::parse_str(&status.id).ok()?;
    let day = match dashboard::day_of(&state.app, current, TargetId(id)).await {
        Ok(day) => day,
        Err(e) => {
            tracing::debug!(error = %e, "live strip read failed");
            return None;
        }
    };
    let (uptime, strip) = super::dashboard::day_cells(&day, &status.name);
    Some(RowRefresh {
        status,
        uptime,
        strip,
    })
}

pub async fn stream(
    State(state): State<AppState>,
    PageUser(current): PageUser,
) -> impl IntoResponse {
    let poller = Poller {
        state,
        current,
        seen: HashMap::new(),
        stale: HashSet::new(),
        started: tokio::time::Instant::now(),
        first: true,
    };
    let events = stream::unfold(poller, |mut p| async move {
        loop {
            if p.started.elapsed() > STREAM_LIFETIME {
                return None;
            }
            if !p.first {
                tokio::time::sleep(POLL).await;
            }
            let Some(now) = snapshot(&p.state, &p.current).await else {
                continue;
            };
            // The page was rendered moments ago and what changed since is
            // unknown here, so the first tick sends every row.
            let batch = if p.first {
                now.values()
                    .filter_map(|s| Event::default().event("status").json_data(s).ok())
                    .collect()
            } else {
                changes(&p.state, &p.current, &p.seen, &now, &mut p.stale).await
            };
            p.first = false;
            p.seen = now;
            if !batch.is_empty() {
                return Some((stream::iter(batch.into_iter().map(Ok::<_, Infallible>)), p));
            }
        }
    });
    let flat: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(futures_util::StreamExt::flatten(events));
    Sse::new(flat).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
