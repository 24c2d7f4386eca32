//! A public status page as visitors get it: `/status/{slug}` (HTML),
//! `/status/{slug}/history` (90 days of incidents) and
//! `GET /api/public/status-pages/{slug}` (JSON), all drawn from one
//! [`PublicStatusPageView`] of the page's snapshot. Only what the page
//! names is in it: shown names, addresses when the page opts in, never a
//! target's id. No session is read and no cookie is set.

use std::sync::LazyLock;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use pharos_app::status_pages::{PublicComponent, PublicDay, PublicIncident, PublicPage};
use pharos_app::AppError;
use pharos_domain::status_page::{
    ComponentState, IncidentStatus, OverallState, PageIncidentKind, PageTheme, StatusPageSlug,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::snapshot::{Rendered, Snapshot};
use crate::api::models::string_enum;
use crate::api::responses::PublicPageNotFound;
use crate::error::ApiError;
use crate::pages::assets;
use crate::state::AppState;

/// The page's own style sheet, inlined (one small request fewer, nothing
/// render-blocking) and allowed by its hash in the page's CSP.
pub(crate) const CSS: &str = include_str!("../../assets/status.css");

pub(crate) static CSP: LazyLock<HeaderValue> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    let policy = format!(
        "default-src 'none'; style-src 'sha256-{hash}'; script-src 'self'; connect-src 'self'; \
         img-src https: http:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'"))
});

fn overall_schema() -> utoipa::openapi::Object {
    string_enum(OverallState::ALL.iter().map(|s| s.as_str()))
}

fn component_schema() -> utoipa::openapi::Object {
    string_enum(ComponentState::ALL.iter().map(|s| s.as_str()))
}

fn status_schema() -> utoipa::openapi::Object {
    string_enum(IncidentStatus::ALL.iter().map(|s| s.as_str()))
}

fn kind_schema() -> utoipa::openapi::Object {
    string_enum(PageIncidentKind::ALL.iter().map(|s| s.as_str()))
}

fn theme_schema() -> utoipa::openapi::Object {
    string_enum(PageTheme::ALL.iter().map(|s| s.as_str()))
}

/// The page's state in one line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicOverallView {
    #[schema(schema_with = overall_schema)]
    pub state: String,
    /// "All systems operational", "Partial outage", "Major outage", "Under maintenance".
    pub label: String,
}

/// One day of a component's 90-day bar.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicDayView {
    pub date: NaiveDate,
    /// Percent of checks up that day; null without checks.
    pub uptime: Option<f64>,
    /// Titles of the incidents that touched it that day (left out when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incidents: Vec<String>,
}

impl PublicDayView {
    /// The bar's colour class: no data, up, partly down, mostly down.
    pub fn class(&self) -> &'static str {
        match self.uptime {
            None => "n",
            Some(u) if u >= 99.9 && self.incidents.is_empty() => "u",
            Some(u) if u >= 95.0 => "w",
            Some(_) => "d",
        }
    }

    fn day(&self) -> String {
        day_label(self.date)
    }

    pub fn uptime_text(&self) -> String {
        match self.uptime {
            Some(u) => format!("{} uptime", percent(u)),
            None => "no data".to_owned(),
        }
    }

    /// Listed in the screen-reader table: a day that was not all up.
    pub fn notable(&self) -> bool {
        self.class() != "u" && self.class() != "n" || !self.incidents.is_empty()
    }

    pub fn date_text(&self) -> String {
        self.day()
    }
}

fn percent(u: f64) -> String {
    let mut out = String::new();
    push_percent(&mut out, u);
    out
}

/// An uptime as the page prints it: "100%" or two decimals, rounded down
/// (99.996% is not "100%" while anything was down).
fn push_percent(out: &mut String, u: f64) {
    use std::fmt::Write;
    if u >= 99.995 {
        out.push_str("100%");
    } else {
        let _ = write!(out, "{:.2}%", (u * 100.0).floor() / 100.0);
    }
}

/// A day as the page prints it: "7 Dec 2026".
fn day_label(date: NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}

/// The bars' day labels, formatted once per page: every component shows
/// the same 90 days.
#[derive(Default)]
struct DayLabels(std::collections::HashMap<NaiveDate, String>);

impl DayLabels {
    fn get(&mut self, date: NaiveDate) -> &str {
        self.0.entry(date).or_insert_with(|| day_label(date))
    }
}

/// A component's 90 bar items, each with its tooltip: the day, its uptime
/// and its incidents. Written by hand rather than by the template because
/// a 1,000-target page has 90,000 of them, and the template's per-item
/// strings (date, tooltip, percent) were most of its render time. Incident
/// titles are escaped; everything else here is made of digits and
/// month names. `</li>` is optional in HTML and left out (90,000 of it
/// is 450 KB).
fn bars_html(days: &[PublicDayView], labels: &mut DayLabels) -> String {
    let mut out = String::with_capacity(days.len() * 48);
    for d in days {
        out.push_str("<li class=");
        out.push_str(d.class());
        out.push_str(" title=\"");
        out.push_str(labels.get(d.date));
        out.push_str(": ");
        match d.uptime {
            Some(u) => {
                push_percent(&mut out, u);
                out.push_str(" uptime");
            }
            None => out.push_str("no data"),
        }
        for incident in &d.incidents {
            out.push_str(" · ");
            html_escape::encode_double_quoted_attribute_to_string(incident, &mut out);
        }
        out.push_str("\">");
    }
    out
}

/// A target as the page shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicComponentView {
    /// Stable within the page's layout (`s0c1`); not a target id.
    pub key: String,
    pub name: String,
    /// The target's address, only when the page shows addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[schema(schema_with = component_schema)]
    pub state: String,
    pub state_label: String,
    /// Percent up over the 90 days; null without checks.
    pub uptime_90d: Option<f64>,
    /// 90 days, oldest first, the last one today (UTC).
    pub days: Vec<PublicDayView>,
    /// The HTML page's bar items for `days` (`bars_html`).
    #[serde(skip)]
    pub bars: String,
}

impl PublicComponentView {
    fn of(c: &PublicComponent, labels: &mut DayLabels) -> Self {
        let days: Vec<PublicDayView> = c.days.iter().map(day_view).collect();
        Self {
            key: c.key.clone(),
            name: c.name.clone(),
            url: c.url.clone(),
            state: c.state.as_str().to_owned(),
            state_label: c.state.label().to_owned(),
            uptime_90d: c.uptime_percent(),
            bars: bars_html(&days, labels),
            days,
        }
    }

    pub fn uptime_text(&self) -> String {
        match self.uptime_90d {
            Some(u) => format!("{} uptime", percent(u)),
            None => "No data".to_owned(),
        }
    }

    pub fn has_notable_days(&self) -> bool {
        self.days.iter().any(PublicDayView::notable)
    }
}

fn day_view(d: &PublicDay) -> PublicDayView {
    PublicDayView {
        date: d.date,
        uptime: d.uptime_percent(),
        incidents: d.incidents.clone(),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicSectionView {
    pub name: String,
    pub components: Vec<PublicComponentView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicUpdateView {
    #[schema(schema_with = status_schema)]
    pub status: String,
    pub message: String,
    pub at: DateTime<Utc>,
}

impl PublicUpdateView {
    pub fn status_label(&self) -> &'static str {
        pharos_domain::status_page::IncidentStatus::parse(&self.status)
            .map(|s| s.label())
            .unwrap_or("Update")
    }

    pub fn when(&self) -> String {
        when(self.at)
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// A published incident or announcement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicIncidentView {
    pub id: Uuid,
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    pub title: String,
    #[schema(schema_with = status_schema)]
    pub status: String,
    pub status_label: String,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The page's components it affects, by their shown names.
    pub components: Vec<String>,
    /// Newest first.
    pub updates: Vec<PublicUpdateView>,
}

impl PublicIncidentView {
    fn of(i: &PublicIncident) -> Self {
        Self {
            id: i.id.0,
            kind: i.kind.as_str().to_owned(),
            title: i.title.clone(),
            status: i.status.as_str().to_owned(),
            status_label: i.status.label().to_owned(),
            created_at: i.created_at,
            resolved_at: i.resolved_at,
            components: i.components.clone(),
            updates: i
                .updates
                .iter()
                .map(|u| PublicUpdateView {
                    status: u.status.as_str().to_owned(),
                    message: u.message.clone(),
                    at: u.at,
                })
                .collect(),
        }
    }

    pub fn created(&self) -> String {
        when(self.created_at)
    }

    pub fn resolved(&self) -> Option<String> {
        self.resolved_at.map(when)
    }
}

/// Scheduled maintenance holding components of the page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicMaintenanceView {
    pub name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub in_progress: bool,
    pub components: Vec<String>,
}

impl PublicMaintenanceView {
    pub fn starts(&self) -> String {
        when(self.starts_at)
    }

    pub fn ends(&self) -> String {
        when(self.ends_at)
    }
}

/// What a public status page shows, as JSON.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicStatusPageView {
    pub title: String,
    pub slug: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    #[schema(schema_with = theme_schema)]
    pub theme: String,
    pub overall: PublicOverallView,
    pub sections: Vec<PublicSectionView>,
    /// Published incidents not resolved yet, newest first.
    pub active_incidents: Vec<PublicIncidentView>,
    /// Published announcements not resolved yet, newest first.
    pub announcements: Vec<PublicIncidentView>,
    /// Maintenance in progress or starting within 7 days.
    pub scheduled_maintenance: Vec<PublicMaintenanceView>,
    /// Every published incident and announcement of the last 90 days.
    pub history: Vec<PublicIncidentView>,
}

impl PublicStatusPageView {
    pub fn of(p: &PublicPage) -> Self {
        let mut labels = DayLabels::default();
        Self {
            title: p.page.title.clone(),
            slug: p.page.slug.clone(),
            description: p.page.description.clone(),
            logo_url: p.page.logo_url.clone(),
            theme: p.page.theme.as_str().to_owned(),
            overall: overall(p.overall),
            sections: p
                .sections
                .iter()
                .map(|s| PublicSectionView {
                    name: s.name.clone(),
                    components: s
                        .components
                        .iter()
                        .map(|c| PublicComponentView::of(c, &mut labels))
                        .collect(),
                })
                .collect(),
            active_incidents: p
                .active_incidents
                .iter()
                .map(PublicIncidentView::of)
                .collect(),
            announcements: p.announcements.iter().map(PublicIncidentView::of).collect(),
            scheduled_maintenance: p
                .maintenance
                .iter()
                .map(|m| PublicMaintenanceView {
                    name: m.name.clone(),
                    starts_at: m.starts_at,
                    ends_at: m.ends_at,
                    in_progress: m.in_progress,
                    components: m.components.clone(),
                })
                .collect(),
            history: p.history.iter().map(PublicIncidentView::of).collect(),
        }
    }
}

fn overall(state: OverallState) -> PublicOverallView {
    PublicOverallView {
        state: state.as_str().to_owned(),
        label: state.label().to_owned(),
    }
}

#[derive(Template)]
#[template(path = "public/status_page.html")]
struct PageHtml<'a> {
    v: &'a PublicStatusPageView,
    css: &'static str,
    script: String,
}

#[derive(Template)]
#[template(path = "public/history.html")]
struct HistoryHtml<'a> {
    v: &'a PublicStatusPageView,
    css: &'static str,
}

fn rendered_html<T: Template>(template: &T) -> Result<Rendered, ApiError> {
    let html = template
        .render()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("status page template: {e}")))?;
    Ok(Rendered::new(
        "text/html; charset=utf-8",
        html.into_bytes(),
        Some(CSP.clone()),
    ))
}

/// The three bodies of a page's snapshot.
pub fn render(page: &PublicPage, public_url: &str) -> Result<Snapshot, ApiError> {
    let v = PublicStatusPageView::of(page);
    // The JSON on a second thread while this one writes the HTML: the two
    // are most of a large page's build (each body is hashed for its ETag
    // too), and a snapshot is built at most once per page every few seconds.
    let (json, html) = std::thread::scope(|scope| {
        let json = scope.spawn(|| {
            serde_json::to_vec(&v)
                .map(|json| Rendered::new("application/json", json, None))
                .map_err(|e| ApiError::internal(anyhow::anyhow!("status page JSON: {e}")))
        });
        let html = rendered_html(&PageHtml {
            v: &v,
            css: CSS,
            script: assets::url("status.js"),
        });
        let json = json.join().unwrap_or_else(|_| {
            Err(ApiError::internal(anyhow::anyhow!(
                "status page JSON: the thread panicked"
            )))
        });
        (json, html)
    });
    Ok(Snapshot {
        html: html?,
        history: rendered_html(&HistoryHtml { v: &v, css: CSS })?,
        json: json?,
        rss: Rendered::new(
            "application/rss+xml; charset=utf-8",
            super::feeds::rss(page, public_url),
            None,
        ),
        atom: Rendered::new(
            "application/atom+xml; charset=utf-8",
            super::feeds::atom(page, public_url),
            None,
        ),
    })
}

/// The slug's snapshot, or 404 (a malformed slug never reaches the cache).
async fn snapshot(state: &AppState, slug: &str) -> Result<std::sync::Arc<Snapshot>, ApiError> {
    if StatusPageSlug::parse("slug", slug).is_err() {
        return Err(ApiError::App(AppError::NotFound));
    }
    state
        .public
        .get(&state.app, slug)
        .await?
        .ok_or(ApiError::App(AppError::NotFound))
}

#[derive(Template)]
#[template(path = "public/not_found.html")]
struct NotFoundHtml {
    css: &'static str,
}

/// A visitor's HTML answer to an error: its own small page (never the
/// dashboard's error page, whose chrome reads the session).
pub(crate) fn html_error(e: ApiError) -> Response {
    let status = e.status();
    if status != axum::http::StatusCode::NOT_FOUND {
        return e.into_response();
    }
    match (NotFoundHtml { css: CSS }).render() {
        Ok(html) => {
            let mut response = (status, axum::response::Html(html)).into_response();
            response
                .headers_mut()
                .insert(axum::http::header::CONTENT_SECURITY_POLICY, CSP.clone());
            response
        }
        Err(_) => status.into_response(),
    }
}

/// `/status/{slug}`.
pub async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    match snapshot(&state, &slug).await {
        Ok(snapshot) => snapshot.html.respond(&headers),
        Err(e) => html_error(e),
    }
}

/// `/status/{slug}/history`.
pub async fn history(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    match snapshot(&state, &slug).await {
        Ok(snapshot) => snapshot.history.respond(&headers),
        Err(e) => html_error(e),
    }
}

/// `/status/{slug}/feed.rss`: the page's posts of 90 days, RSS 2.0.
pub async fn feed_rss(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    Ok(snapshot(&state, &slug).await?.rss.respond(&headers))
}

/// `/status/{slug}/feed.atom`: the page's posts of 90 days, Atom.
pub async fn feed_atom(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    Ok(snapshot(&state, &slug).await?.atom.respond(&headers))
}

/// What a public status page shows, as JSON: its overall state, each
/// component's state and 90 days of daily uptime, open incidents,
/// announcements, scheduled maintenance and 90 days of history. Answers
/// 304 to a matching `If-None-Match`; cached for a few seconds.
#[utoipa::path(get, path = "/api/public/status-pages/{slug}", tag = "public", operation_id = "get_public_status_page",
    params(("slug" = String, Path, description = "The page's slug.")),
    responses(
        (status = 200, body = PublicStatusPageView, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the `If-None-Match` version."),
        PublicPageNotFound))]
pub async fn json(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    Ok(snapshot(&state, &slug).await?.json.respond(&headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(date: &str, uptime: Option<f64>, incidents: &[&str]) -> PublicDayView {
        PublicDayView {
            date: date.parse().expect("date"),
            uptime,
            incidents: incidents.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn bars_carry_each_days_class_and_tooltip() {
        let days = [
            day("2026-12-05", None, &[]),
            day("2026-12-06", Some(100.0), &[]),
            day("2026-12-07", Some(96.456), &["API slow"]),
        ];
        let html = bars_html(&days, &mut DayLabels::default());
        assert_eq!(
            html,
            "<li class=n title=\"5 Dec 2026: no data\">\
             <li class=u title=\"6 Dec 2026: 100% uptime\">\
             <li class=w title=\"7 Dec 2026: 96.45% uptime · API slow\">"
        );
    }

    #[test]
    fn incident_titles_in_bars_are_escaped() {
        let days = [day(
            "2026-12-07",
            Some(50.0),
            &["\"><script>alert(1)</script>"],
        )];
        let html = bars_html(&days, &mut DayLabels::default());
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&quot;&gt;&lt;script&gt;"), "{html}");
        assert!(html.starts_with("<li class=d title="), "{html}");
    }
}
