//! A target's detail page (state, uptime, history and latency charts,
//! incidents, a page of checks) and the actions it offers: pause, resume,
//! delete.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, Utc};
use pharos_domain::ids::{CheckId, TargetId};
use pharos_storage::models::{Check, CheckCursor, Incident};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::extract::{ApiQuery, PathId};
use crate::pages::format::{self, badge, Badge};
use crate::pages::{charts, flash, render, see_other, Chrome, PageResult, PageUser};
use crate::state::AppState;
use pharos_app::dashboard;
use pharos_app::targets::{self, Window};

pub async fn delete(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    targets::delete(&state.app, &current, TargetId(id)).await?;
    Ok((flash::set(jar, "deleted"), see_other("/")).into_response())
}

async fn set_paused(
    state: AppState,
    current: CurrentUser,
    id: uuid::Uuid,
    jar: CookieJar,
    paused: bool,
) -> PageResult {
    targets::set_paused(&state.app, &current, TargetId(id), paused).await?;
    let code = if paused { "paused" } else { "resumed" };
    Ok((flash::set(jar, code), see_other(&format!("/targets/{id}"))).into_response())
}

pub async fn pause(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    set_paused(state, current, id, jar, true).await
}

pub async fn resume(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    set_paused(state, current, id, jar, false).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailQuery {
    /// Latency chart window: 24h (default), 72h, 7d, 30d or 365d.
    window: String,
    /// Checks page cursor.
    before: String,
}

pub struct CheckRow {
    pub when_iso: String,
    pub when: String,
    pub state: Badge,
    pub status: String,
    pub latency: String,
    pub error: String,
}

pub struct IncidentRow {
    pub opened_iso: String,
    pub opened: String,
    pub closed: String,
    pub duration: String,
    pub open: bool,
    pub cause: String,
}

pub struct UptimeCell {
    pub label: &'static str,
    pub value: String,
}

pub struct WindowOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "target_detail.html")]
struct DetailPage {
    chrome: Chrome,
    id: String,
    name: String,
    url: String,
    kind: String,
    heartbeat_url: Option<String>,
    schedule: String,
    state: Badge,
    paused: bool,
    since: String,
    last_checked: String,
    last_checked_iso: String,
    last_error: Option<String>,
    uptimes: Vec<UptimeCell>,
    history: String,
    history_summary: String,
    latency: String,
    windows: Vec<WindowOption>,
    incidents: Vec<IncidentRow>,
    checks: Vec<CheckRow>,
    next_page: Option<String>,
    first_page: bool,
    can_edit: bool,
}

/// Checks pages travel as opaque base64 of "<micros>.<check id>".
fn encode_cursor(c: CheckCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}.{}", c.checked_at.timestamp_micros(), c.id))
}

/// A cursor that does not decode is treated as "first page".
fn decode_cursor(raw: &str) -> Option<CheckCursor> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw).ok()?).ok()?;
    let (micros, id) = text.split_once('.')?;
    Some(CheckCursor {
        checked_at: chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        id: CheckId(uuid::Uuid::parse_str(id).ok()?),
    })
}

fn check_row(c: &Check) -> CheckRow {
    CheckRow {
        when_iso: format::iso(c.checked_at),
        when: format::full(c.checked_at),
        state: badge(format::check_state(c)),
        status: c
            .status_code
            .map(|s| s.to_string())
            .unwrap_or_else(|| "—".to_owned()),
        latency: format::latency(c.latency_ms),
        error: c.error.clone().unwrap_or_default(),
    }
}

fn incident_row(i: &Incident, now: chrono::DateTime<Utc>) -> IncidentRow {
    let end = i.closed_at.unwrap_or(now);
    IncidentRow {
        opened_iso: format::iso(i.opened_at),
        opened: format::full(i.opened_at),
        closed: i
            .closed_at
            .map(format::full)
            .unwrap_or_else(|| "ongoing".to_owned()),
        duration: format::duration(end - i.opened_at),
        open: i.closed_at.is_none(),
        cause: i.cause.clone(),
    }
}

const CHECKS_PER_PAGE: u32 = 20;
const INCIDENTS_SHOWN: u32 = 20;
const WINDOWS: [(&str, &str); 5] = [
    ("24h", "24 hours"),
    ("72h", "72 hours"),
    ("7d", "7 days"),
    ("30d", "30 days"),
    ("365d", "365 days"),
];

pub async fn detail(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
    ApiQuery(query): ApiQuery<DetailQuery>,
) -> PageResult {
    let id = TargetId(id);
    let target = targets::get(&state.app, &current, id).await?;
    let now = Utc::now();
    let name = target.name.clone().unwrap_or_else(|| target.url.clone());

    let uptimes = targets::uptime(&state.app, &current, id)
        .await?
        .iter()
        .map(|(window, value)| UptimeCell {
            label: WINDOWS
                .iter()
                .find(|(w, _)| *w == window.as_str())
                .map_or("", |(_, l)| l),
            value: value
                .map(charts::percent)
                .unwrap_or_else(|| "no data yet".to_owned()),
        })
        .collect();

    let three_days = Window::ThreeDays;
    let history = targets::history(&state.app, &current, id, three_days).await?;
    let history = dashboard::buckets(
        &history,
        Duration::seconds(i64::from(three_days.bucket_seconds())),
    );
    let window = Window::parse(&query.window).unwrap_or(Window::Day);
    let window_label = WINDOWS
        .iter()
        .find(|(w, _)| *w == window.as_str())
        .map_or("24 hours", |(_, l)| l);
    let latency_buckets = if window == three_days {
        history.clone()
    } else {
        let raw = targets::history(&state.app, &current, id, window).await?;
        dashboard::buckets(&raw, Duration::seconds(i64::from(window.bucket_seconds())))
    };
    let windows = WINDOWS
        .iter()
        .map(|(value, label)| WindowOption {
            value,
            label,
            selected: *value == window.as_str(),
        })
        .collect();

    let incidents = targets::incidents(&state.app, &current, id, INCIDENTS_SHOWN)
        .await?
        .iter()
        .map(|i| incident_row(i, now))
        .collect();

    let before = decode_cursor(&query.before);
    let (page, next) = targets::checks(&state.app, &current, id, before, CHECKS_PER_PAGE).await?;
    let latest = if before.is_none() {
        page.first().cloned()
    } else {
        targets::checks(&state.app, &current, id, None, 1)
            .await?
            .0
            .into_iter()
            .next()
    };
    // Whole only from the configured public URL: the Host a request names
    // is not trusted with a link that carries the secret token (the page's
    // script prefixes the browser's own origin to a relative one).
    let heartbeat_url = target.heartbeat_token.as_ref().map(|token| {
        let origin = state.config.public_origin.as_deref().unwrap_or_default();
        format!("{}/ping/{token}", origin.trim_end_matches('/'))
    });
    let schedule = if target.is_heartbeat() {
        format!(
            "expects a ping {}, grace {} s",
            format::interval(target.interval_seconds),
            target.grace_seconds.unwrap_or(0)
        )
    } else {
        format!(
            "{}, timeout {} s",
            format::interval(target.interval_seconds),
            target.timeout_seconds
        )
    };
    let (jar, message) = flash::take(jar);
    let history_label = format!("{name}, last 72 hours in 15-minute bars");
    let page = DetailPage {
        chrome: Chrome::new(Some(&current), "").with_flash(message),
        id: id.0.to_string(),
        url: target.url.clone(),
        kind: target.kind().as_str().to_owned(),
        heartbeat_url,
        schedule,
        state: badge(target.shown_state()),
        paused: target.paused,
        since: target
            .state_changed_at
            .map(|t| format!("since {}", format::full(t)))
            .unwrap_or_default(),
        last_checked: latest
            .as_ref()
            .map(|c| format::full(c.checked_at))
            .unwrap_or_else(|| "not yet".to_owned()),
        last_checked_iso: latest
            .as_ref()
            .map(|c| format::iso(c.checked_at))
            .unwrap_or_default(),
        last_error: latest.as_ref().filter(|c| !c.is_up).map(|c| {
            c.error
                .clone()
                .unwrap_or_else(|| "the check failed".to_owned())
        }),
        uptimes,
        history: charts::history_chart(&history, &history_label),
        history_summary: charts::strip_summary(&history, "Last 72 hours"),
        latency: charts::latency_chart(&latency_buckets, &format!("Latency, last {window_label}")),
        windows,
        incidents,
        checks: page.iter().map(check_row).collect(),
        next_page: next.map(encode_cursor),
        first_page: before.is_none(),
        can_edit: current.role.can_edit_targets(),
        name,
    };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}
