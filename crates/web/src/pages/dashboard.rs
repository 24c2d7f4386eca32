//! `/`: every target of the organization, its state, last check, latency,
//! 24 h uptime and bar strip; search, state filter and sort are query
//! parameters, so they work without JavaScript.

use std::cmp::Ordering;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::{charts, flash, format, render, Chrome, PageResult, PageUser};
use crate::extract::ApiQuery;
use pharos_domain::status::TargetState;

use super::format::{badge, severity, Badge, STATES};
use crate::state::AppState;
use pharos_app::dashboard::{self, uptime_of, Bucket, OverviewRow};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DashboardQuery {
    q: String,
    state: String,
    sort: String,
}

pub struct RowView {
    pub id: String,
    pub name: String,
    pub url: String,
    pub state: Badge,
    state_value: TargetState,
    pub checked_iso: String,
    pub checked_text: String,
    pub checked_full: String,
    pub latency: String,
    pub uptime: String,
    pub strip: String,
    /// A maintenance window holds the target now.
    pub in_maintenance: bool,
    latency_ms: Option<u32>,
    uptime_value: Option<f64>,
    checked_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub struct StateOption {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

pub struct SortOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// A maintenance window the dashboard mentions: open now, or opening
/// within a day.
pub struct MaintenanceNote {
    pub name: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    maintenance_open: Vec<MaintenanceNote>,
    maintenance_soon: Vec<MaintenanceNote>,
    rows: Vec<RowView>,
    total: usize,
    q: String,
    states: Vec<StateOption>,
    sorts: Vec<SortOption>,
    filtered: bool,
    can_edit: bool,
}

const SORTS: [(&str, &str); 5] = [
    ("state", "Worst state first"),
    ("name", "Name"),
    ("latency", "Slowest first"),
    ("uptime", "Lowest uptime first"),
    ("checked", "Last checked"),
];

fn row_view(row: OverviewRow, now: chrono::DateTime<chrono::Utc>) -> RowView {
    let checked_at = row.target.last_checked_at;
    let latency_ms = row.target.last_latency_ms;
    let uptime_value = uptime_of(&row.day);
    let name = row
        .target
        .name
        .clone()
        .unwrap_or_else(|| row.target.url.clone());
    let (uptime, strip) = day_cells(&row.day, &name);
    RowView {
        id: row.target.id.0.to_string(),
        strip,
        uptime,
        in_maintenance: false,
        name,
        state: badge(row.target.shown_state()),
        state_value: row.target.shown_state(),
        url: row.target.url,
        checked_iso: checked_at.map(format::iso).unwrap_or_default(),
        checked_text: checked_at
            .map(|t| format::ago(now, t))
            .unwrap_or_else(|| "not yet".to_owned()),
        checked_full: checked_at.map(format::full).unwrap_or_default(),
        latency: format::latency(latency_ms),
        latency_ms,
        uptime_value,
        checked_at,
    }
}

/// A row's last 24 h as its cells show it: the uptime text and the strip.
/// Live updates redraw them with this too.
pub(super) fn day_cells(day: &[Bucket], name: &str) -> (String, String) {
    let uptime = uptime_of(day)
        .map(charts::percent)
        .unwrap_or_else(|| "no data yet".to_owned());
    (
        uptime,
        charts::status_strip(day, &format!("{name}, last 24 hours")),
    )
}

fn sort_rows(rows: &mut [RowView], sort: &str) {
    let by_name = |a: &RowView, b: &RowView| a.name.to_lowercase().cmp(&b.name.to_lowercase());
    // Missing values sort last whichever way the column goes.
    fn last_if_none<T: PartialOrd>(a: Option<T>, b: Option<T>, desc: bool) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) => {
                let o = a.partial_cmp(&b).unwrap_or(Ordering::Equal);
                if desc {
                    o.reverse()
                } else {
                    o
                }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    rows.sort_by(|a, b| {
        let primary = match sort {
            "name" => Ordering::Equal,
            "latency" => last_if_none(a.latency_ms, b.latency_ms, true),
            "uptime" => last_if_none(a.uptime_value, b.uptime_value, false),
            "checked" => last_if_none(a.checked_at, b.checked_at, true),
            _ => severity(a.state_value).cmp(&severity(b.state_value)),
        };
        primary.then_with(|| by_name(a, b))
    });
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> PageResult {
    let overview = dashboard::overview(&state.app, &current).await?;
    let windows = pharos_app::maintenance::list(&state.app, &current).await?;
    let total = overview.rows.len();
    let mut counts = [0usize; STATES.len()];
    for row in &overview.rows {
        if let Some(i) = STATES.iter().position(|s| *s == row.target.shown_state()) {
            counts[i] += 1;
        }
    }
    let wanted_state = TargetState::parse(&query.state);
    let needle = query.q.trim().to_lowercase();
    let now = overview.now;
    let mut rows: Vec<RowView> = overview
        .rows
        .into_iter()
        .filter(|r| wanted_state.is_none_or(|s| r.target.shown_state() == s))
        .filter(|r| {
            needle.is_empty()
                || r.target.url.to_lowercase().contains(&needle)
                || r.target
                    .name
                    .as_ref()
                    .is_some_and(|n| n.to_lowercase().contains(&needle))
        })
        .map(|r| {
            let id = r.target.id;
            RowView {
                in_maintenance: windows.iter().any(|w| w.covers(id, now)),
                ..row_view(r, now)
            }
        })
        .collect();
    let (mut maintenance_open, mut maintenance_soon) = (Vec::new(), Vec::new());
    for window in &windows {
        let Some(next) = window.schedule.current_or_next(now) else {
            continue;
        };
        let (open, status) = super::maintenance::status_of(window, now);
        let note = MaintenanceNote {
            name: window.name.clone(),
            status,
        };
        if open {
            maintenance_open.push(note);
        } else if next.starts_at - now <= chrono::Duration::days(1) {
            maintenance_soon.push(note);
        }
    }
    let sort = SORTS
        .iter()
        .find(|(v, _)| *v == query.sort)
        .map_or("state", |(v, _)| v);
    sort_rows(&mut rows, sort);

    let mut states = vec![StateOption {
        value: "",
        label: format!("All states ({total})"),
        selected: wanted_state.is_none(),
    }];
    states.extend(STATES.iter().zip(counts).map(|(s, n)| StateOption {
        value: s.as_str(),
        label: format!("{} ({n})", badge(*s).label),
        selected: wanted_state == Some(*s),
    }));
    let sorts = SORTS
        .iter()
        .map(|(value, label)| SortOption {
            value,
            label,
            selected: *value == sort,
        })
        .collect();
    let (jar, message) = flash::take(jar);
    let page = DashboardPage {
        chrome: Chrome::new(Some(&current), "dashboard").with_flash(message),
        maintenance_open,
        maintenance_soon,
        rows,
        total,
        q: query.q,
        states,
        sorts,
        filtered: wanted_state.is_some() || !needle.is_empty(),
        can_edit: current.role.can_edit_targets(),
    };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}
