//! `/`: a window of the organization's targets, worst first, with their
//! state, last check, latency, 24 h uptime and bar strip; the groups,
//! folded (`<details>`), each with its worst state and first rows; search,
//! filters by state, tag and group, sort and pages are query parameters,
//! so everything works without JavaScript. The server sends one screenful
//! whatever the organization's size (`app::dashboard::window`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use pharos_domain::ids::TagId;
use pharos_domain::status::TargetState;
use pharos_storage::models::{DashboardSort, TargetFilter, TargetSummary};
use serde::Deserialize;

use super::format::{badge, Badge, STATES};
use super::{charts, flash, format, render, Chrome, PageResult, PageUser};
use crate::extract::ApiQuery;
use crate::state::AppState;
use pharos_app::dashboard::{self, uptime_of, Bucket, OverviewRow};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DashboardQuery {
    q: String,
    state: String,
    tag: String,
    group: String,
    sort: String,
    page: Option<u32>,
}

/// A tag as a chip: its name and its palette colour's class.
pub struct TagChip {
    pub name: String,
    pub color: &'static str,
}

pub struct RowView {
    pub id: String,
    pub name: String,
    pub url: String,
    pub state: Badge,
    pub checked_iso: String,
    pub checked_text: String,
    pub checked_full: String,
    pub latency: String,
    pub uptime: String,
    pub strip: String,
    /// A maintenance window holds the target now.
    pub in_maintenance: bool,
    pub tags: Vec<TagChip>,
    pub group: Option<String>,
}

/// A row of a folded group: name, state and last check only.
pub struct HeadView {
    pub id: String,
    pub name: String,
    pub state: Badge,
    pub checked_iso: String,
    pub checked_text: String,
    pub checked_full: String,
    pub tags: Vec<TagChip>,
}

pub struct GroupView {
    pub id: String,
    pub name: String,
    /// The worst state of its targets; `None` when empty.
    pub worst: Option<Badge>,
    /// "12 targets: 1 down, 11 up".
    pub counts: String,
    pub total: u64,
    /// Open at first when something in it is down or degraded.
    pub open: bool,
    pub heads: Vec<HeadView>,
    pub more: bool,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A count by state in the summary, linking to that filter.
pub struct StateCount {
    pub badge: Badge,
    pub count: u64,
    pub href: String,
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
    groups: Vec<GroupView>,
    /// Targets in the organization (no filter).
    total: u64,
    matching: u64,
    first_shown: u64,
    last_shown: u64,
    page: u32,
    pages: u32,
    prev_href: Option<String>,
    next_href: Option<String>,
    summary: Vec<StateCount>,
    q: String,
    states: Vec<Choice>,
    tags: Vec<Choice>,
    group_choices: Vec<Choice>,
    sorts: Vec<Choice>,
    filtered: bool,
    can_edit: bool,
    live_url: String,
}

const SORTS: [(&str, &str, DashboardSort); 4] = [
    ("state", "Worst state first", DashboardSort::Severity),
    ("name", "Name", DashboardSort::Name),
    ("latency", "Slowest first", DashboardSort::Latency),
    ("checked", "Last checked", DashboardSort::Checked),
];

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

fn chips(ids: Option<&Vec<TagId>>, tags: &HashMap<TagId, TagChip>) -> Vec<TagChip> {
    ids.into_iter()
        .flatten()
        .filter_map(|id| tags.get(id))
        .map(|t| TagChip {
            name: t.name.clone(),
            color: t.color,
        })
        .collect()
}

fn checked(target: &TargetSummary, now: chrono::DateTime<chrono::Utc>) -> (String, String, String) {
    let at = target.last_checked_at;
    (
        at.map(format::iso).unwrap_or_default(),
        at.map(|t| format::ago(now, t))
            .unwrap_or_else(|| "not yet".to_owned()),
        at.map(format::full).unwrap_or_default(),
    )
}

/// The dashboard's own URL with `changes` laid over the current query, so
/// links keep the search, filters and sort.
fn href(query: &DashboardQuery, changes: &[(&str, String)]) -> String {
    let page = query.page.map(|p| p.to_string()).unwrap_or_default();
    let current = [
        ("q", query.q.clone()),
        ("state", query.state.clone()),
        ("tag", query.tag.clone()),
        ("group", query.group.clone()),
        ("sort", query.sort.clone()),
        ("page", page),
    ];
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (key, value) in current {
        let value = changes
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(value, |(_, v)| v.clone());
        if !value.is_empty() {
            out.append_pair(key, &value);
        }
    }
    let query = out.finish();
    if query.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{query}")
    }
}

fn count_words(counts: &[(TargetState, u64)], total: u64) -> String {
    let mut parts: Vec<String> = STATES
        .iter()
        .filter_map(|s| {
            counts
                .iter()
                .find(|(c, _)| c == s)
                .map(|(_, n)| format!("{n} {}", badge(*s).label.to_lowercase()))
        })
        .collect();
    parts.sort_by_key(|p| {
        // Worst first, as the rows.
        STATES
            .iter()
            .position(|s| p.ends_with(&badge(*s).label.to_lowercase()))
            .map(|i| pharos_domain::labels::severity(STATES[i]))
    });
    let noun = if total == 1 { "target" } else { "targets" };
    if parts.is_empty() {
        format!("{total} {noun}")
    } else {
        format!("{total} {noun}: {}", parts.join(", "))
    }
}

/// The filter the query asks for. Unlike the API, the page ignores what
/// it cannot read (an old bookmark's deleted tag, a hand-typed state)
/// rather than refusing: the controls show what is applied.
fn lenient_filter(query: &DashboardQuery) -> TargetFilter {
    let id = |raw: &str| uuid::Uuid::parse_str(raw.trim()).ok();
    let search: String = query
        .q
        .chars()
        .filter(|c| !c.is_control())
        .take(pharos_app::targets::MAX_SEARCH_LEN)
        .collect();
    let search = search.trim();
    TargetFilter {
        tag: id(&query.tag).map(pharos_domain::ids::TagId),
        group: id(&query.group).map(pharos_domain::ids::GroupId),
        state: TargetState::parse(query.state.trim()),
        search: (!search.is_empty()).then(|| search.to_owned()),
    }
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> PageResult {
    let filter = lenient_filter(&query);
    let (sort_value, _, sort) = SORTS
        .iter()
        .find(|(v, _, _)| *v == query.sort)
        .copied()
        .unwrap_or(SORTS[0]);
    let unfiltered = filter == Default::default();
    let (window, windows, all_counts) = tokio::try_join!(
        dashboard::window(&state.app, &current, &filter, sort, query.page.unwrap_or(1)),
        pharos_app::maintenance::list(&state.app, &current),
        async {
            // The summary counts the whole organization; with no filter
            // the window's own aggregate is that already.
            if unfiltered {
                Ok(None)
            } else {
                dashboard::state_counts(&state.app, &current)
                    .await
                    .map(Some)
            }
        },
    )?;
    let now = window.now;
    let all_counts = all_counts.unwrap_or_else(|| window.counts.clone());
    let total: u64 = all_counts.iter().map(|(_, n)| n).sum();

    let tag_chips: HashMap<TagId, TagChip> = window
        .tags
        .iter()
        .map(|t| {
            (
                t.id,
                TagChip {
                    name: t.name.clone(),
                    color: t.color.as_str(),
                },
            )
        })
        .collect();
    let group_names: HashMap<_, _> = window
        .group_names
        .iter()
        .map(|g| (g.id, g.name.clone()))
        .collect();

    let rows: Vec<RowView> = window
        .rows
        .into_iter()
        .map(|OverviewRow { target, day }| {
            let name = target.name.clone().unwrap_or_else(|| target.url.clone());
            let (uptime, strip) = day_cells(&day, &name);
            let (checked_iso, checked_text, checked_full) = checked(&target, now);
            RowView {
                id: target.id.0.to_string(),
                in_maintenance: windows.iter().any(|w| w.covers(target.id, now)),
                tags: chips(window.row_tags.get(&target.id), &tag_chips),
                group: target.group_id.and_then(|g| group_names.get(&g).cloned()),
                state: badge(target.shown_state()),
                url: target.url,
                name,
                uptime,
                strip,
                checked_iso,
                checked_text,
                checked_full,
                latency: format::latency(target.last_latency_ms),
            }
        })
        .collect();

    let groups = window
        .groups
        .iter()
        .map(|g| {
            let worst = g.worst;
            GroupView {
                id: g.group.id.0.to_string(),
                name: g.group.name.clone(),
                worst: worst.map(badge),
                counts: count_words(&g.counts, g.total),
                total: g.total,
                open: worst.is_some_and(|s| matches!(s, TargetState::Down | TargetState::Degraded)),
                more: g.total > g.heads.len() as u64,
                heads: g
                    .heads
                    .iter()
                    .map(|t| {
                        let (checked_iso, checked_text, checked_full) = checked(t, now);
                        HeadView {
                            id: t.id.0.to_string(),
                            name: t.name.clone().unwrap_or_else(|| t.url.clone()),
                            state: badge(t.shown_state()),
                            checked_iso,
                            checked_text,
                            checked_full,
                            tags: chips(window.row_tags.get(&t.id), &tag_chips),
                        }
                    })
                    .collect(),
            }
        })
        .collect();

    let (mut maintenance_open, mut maintenance_soon) = (Vec::new(), Vec::new());
    for w in &windows {
        let Some(next) = w.schedule.current_or_next(now) else {
            continue;
        };
        let (open, status) = super::maintenance::status_of(w, now);
        let note = MaintenanceNote {
            name: w.name.clone(),
            status,
        };
        if open {
            maintenance_open.push(note);
        } else if next.starts_at - now <= chrono::Duration::days(1) {
            maintenance_soon.push(note);
        }
    }

    let pages = u32::try_from(window.matching.div_ceil(u64::from(window.per_page)))
        .unwrap_or(u32::MAX)
        .max(1);
    let page = window.page;
    let first_shown = u64::from(page - 1) * u64::from(window.per_page) + 1;
    let last_shown = first_shown + rows.len() as u64 - 1;
    let page_href = |p: u32| href(&query, &[("page", p.to_string())]);
    let counted = |s: TargetState| {
        window
            .counts
            .iter()
            .find(|(c, _)| *c == s)
            .map_or(0, |(_, n)| *n)
    };
    let filtered_total: u64 = window.counts.iter().map(|(_, n)| n).sum();
    let mut states = vec![Choice {
        value: String::new(),
        label: format!("All states ({filtered_total})"),
        selected: filter.state.is_none(),
    }];
    states.extend(STATES.iter().map(|s| Choice {
        value: s.as_str().to_owned(),
        label: format!("{} ({})", badge(*s).label, counted(*s)),
        selected: filter.state == Some(*s),
    }));
    let mut tags = vec![Choice {
        value: String::new(),
        label: "Any tag".to_owned(),
        selected: filter.tag.is_none(),
    }];
    tags.extend(window.tags.iter().map(|t| Choice {
        value: t.id.0.to_string(),
        label: t.name.clone(),
        selected: filter.tag == Some(t.id),
    }));
    let mut group_choices = vec![Choice {
        value: String::new(),
        label: "Any group".to_owned(),
        selected: filter.group.is_none(),
    }];
    group_choices.extend(window.group_names.iter().map(|g| Choice {
        value: g.id.0.to_string(),
        label: g.name.clone(),
        selected: filter.group == Some(g.id),
    }));
    let sorts = SORTS
        .iter()
        .map(|(value, label, _)| Choice {
            value: (*value).to_owned(),
            label: (*label).to_owned(),
            selected: *value == sort_value,
        })
        .collect();
    let summary = STATES
        .iter()
        .map(|s| StateCount {
            badge: badge(*s),
            count: all_counts
                .iter()
                .find(|(c, _)| c == s)
                .map_or(0, |(_, n)| *n),
            href: format!("/?state={}", s.as_str()),
        })
        .filter(|c| c.count > 0)
        .collect();
    let (jar, message) = flash::take(jar);
    let page = DashboardPage {
        chrome: Chrome::new(Some(&current), "dashboard").with_flash(message),
        maintenance_open,
        maintenance_soon,
        groups,
        total,
        matching: window.matching,
        first_shown,
        last_shown,
        page,
        pages,
        prev_href: (page > 1).then(|| page_href(page - 1)),
        next_href: (page < pages).then(|| page_href(page + 1)),
        summary,
        q: query.q.clone(),
        states,
        tags,
        group_choices,
        sorts,
        filtered: !unfiltered,
        can_edit: current.role.can_edit_targets(),
        live_url: format!("/events?since={}", now.timestamp_millis()),
        rows,
    };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_query_and_change_one_thing() {
        let query = DashboardQuery {
            q: "a b&c".to_owned(),
            state: "down".to_owned(),
            page: Some(3),
            ..DashboardQuery::default()
        };
        assert_eq!(
            href(&query, &[("page", "4".to_owned())]),
            "/?q=a+b%26c&state=down&page=4"
        );
        assert_eq!(href(&DashboardQuery::default(), &[]), "/");
    }

    #[test]
    fn group_counts_read_worst_first() {
        let counts = [(TargetState::Up, 11), (TargetState::Down, 1)];
        assert_eq!(count_words(&counts, 12), "12 targets: 1 down, 11 up");
        assert_eq!(count_words(&[], 0), "0 targets");
    }
}
