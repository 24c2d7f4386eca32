//! A target's detail page (state, uptime, history and latency charts,
//! each location's view for a target checked from several, incidents, a
//! page of checks) and the actions it offers: pause, resume, delete.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use chrono::{Duration, Utc};
use pharos_app::locations::LocationView;
use pharos_domain::agent::Location;
use pharos_domain::ids::TargetId;
use pharos_domain::quorum::Quorum;
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

/// Turns the target's badges on, off, or gives them a new token.
async fn change_badge(
    state: &AppState,
    current: &CurrentUser,
    id: uuid::Uuid,
    jar: CookieJar,
    change: BadgeChange,
) -> PageResult {
    let code = match change {
        BadgeChange::Enable(on) => {
            let mut fields = targets::TargetFields::new();
            fields.insert("badge".to_owned(), serde_json::Value::Bool(on));
            targets::update(&state.app, current, TargetId(id), fields).await?;
            if on {
                "badge_on"
            } else {
                "badge_off"
            }
        }
        BadgeChange::Rotate => {
            pharos_app::badges::rotate(&state.app, current, TargetId(id)).await?;
            "badge_rotated"
        }
    };
    Ok((
        flash::set(jar, code),
        see_other(&format!("/targets/{id}#badges")),
    )
        .into_response())
}

enum BadgeChange {
    Enable(bool),
    Rotate,
}

pub async fn badge_on(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    change_badge(&state, &current, id, jar, BadgeChange::Enable(true)).await
}

pub async fn badge_off(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    change_badge(&state, &current, id, jar, BadgeChange::Enable(false)).await
}

pub async fn badge_rotate(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    change_badge(&state, &current, id, jar, BadgeChange::Rotate).await
}

/// A target's badges as its page shows them.
pub struct BadgeLinks {
    /// Same-origin paths for the previews (the page's CSP allows only
    /// its own images).
    pub preview: [String; 3],
    /// The absolute URLs to embed.
    pub absolute: [String; 3],
    /// The README snippet.
    pub markdown: String,
}

fn badge_links(public_url: &str, name: &str, token: &str) -> BadgeLinks {
    let absolute = crate::public::badge::urls(public_url, token);
    let preview = crate::public::badge::urls("", token);
    let markdown = format!(
        "![{name} status]({}) ![{name} uptime]({}) ![{name} latency]({})",
        absolute[0], absolute[1], absolute[2]
    );
    BadgeLinks {
        preview,
        absolute,
        markdown,
    }
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
    /// Taken while a maintenance window held the target.
    pub in_maintenance: bool,
    /// Where it ran, for a target checked from several locations.
    pub location: String,
}

/// One location's view of the target, for a target checked from several.
pub struct LocationRow {
    pub name: String,
    pub offline: bool,
    pub state: Badge,
    pub last_when: String,
    pub last_when_iso: String,
    pub latency: String,
    pub uptime: String,
    /// Its last 24 hours as a status strip and a median-latency line.
    pub strip: String,
    pub latency_line: String,
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
    /// Its public badges, when turned on.
    badges: Option<BadgeLinks>,
    schedule: String,
    state: Badge,
    paused: bool,
    /// The maintenance window holding the target now, and until when.
    maintenance: Option<String>,
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
    notifications: Vec<NotificationRow>,
    /// When the target alerts, and whether that is its own choice.
    alerts: crate::pages::alerts::AlertFormView,
    own_alerts: bool,
    alerts_action: String,
    checks: Vec<CheckRow>,
    /// Empty for a target checked from the server alone.
    locations: Vec<LocationRow>,
    /// "Down when a majority of its 3 locations see it down."
    quorum_rule: String,
    next_page: Option<String>,
    first_page: bool,
    can_edit: bool,
}

/// One alert sent (or being sent) about the target.
pub struct NotificationRow {
    pub when_iso: String,
    pub when: String,
    pub kind: &'static str,
    pub channel: String,
    pub status: &'static str,
    pub attempts: usize,
    pub last_error: String,
}

/// Alerts shown on the page, newest first.
const NOTIFICATIONS_SHOWN: u32 = 20;

fn notification_row(
    r: &pharos_app::alerts::NotificationRecord,
    channels: &std::collections::HashMap<pharos_domain::ids::ChannelId, String>,
) -> NotificationRow {
    let n = &r.notification;
    NotificationRow {
        when_iso: format::iso(n.created_at),
        when: format::full(n.created_at),
        kind: n.kind.as_str(),
        channel: channels.get(&n.channel_id).cloned().unwrap_or_default(),
        status: n.status.as_str(),
        attempts: r.attempts.len(),
        last_error: r
            .attempts
            .last()
            .and_then(|a| a.error.clone())
            .unwrap_or_default(),
    }
}

fn check_row(c: &Check, names: &HashMap<Location, String>) -> CheckRow {
    CheckRow {
        location: names.get(&c.location).cloned().unwrap_or_default(),
        when_iso: format::iso(c.checked_at),
        when: format::full(c.checked_at),
        state: badge(format::check_state(c)),
        status: c
            .status_code
            .map(|s| s.to_string())
            .unwrap_or_else(|| "—".to_owned()),
        latency: format::latency(c.latency_ms),
        error: c.error.clone().unwrap_or_default(),
        in_maintenance: c.in_maintenance,
    }
}

fn location_row(view: &LocationView) -> LocationRow {
    let hours = dashboard::buckets(&view.hours, Duration::hours(1));
    let what = format!("{}, last 24 hours", view.name);
    LocationRow {
        name: view.name.clone(),
        offline: view.offline,
        state: badge(view.state),
        last_when: view
            .latest
            .as_ref()
            .map_or_else(|| "not yet".to_owned(), |c| format::full(c.checked_at)),
        last_when_iso: view
            .latest
            .as_ref()
            .map(|c| format::iso(c.checked_at))
            .unwrap_or_default(),
        latency: view
            .latest
            .as_ref()
            .filter(|c| c.is_up)
            .map_or_else(|| "—".to_owned(), |c| format::latency(c.latency_ms)),
        uptime: pharos_app::dashboard::uptime_of(&hours)
            .map_or_else(|| "no data yet".to_owned(), charts::percent),
        strip: charts::status_strip(&hours, &what),
        latency_line: charts::sparkline(&hours, &what),
    }
}

/// The quorum in words, for the locations section.
fn quorum_rule(quorum: Quorum, locations: usize) -> String {
    let need = quorum.required(u32::try_from(locations).unwrap_or(u32::MAX));
    let rule = match quorum {
        Quorum::Any => "any one".to_owned(),
        Quorum::Majority => "a majority".to_owned(),
        Quorum::All => "all".to_owned(),
        Quorum::AtLeast(n) => format!("at least {n}"),
    };
    format!(
        "Down when {rule} of its {locations} locations see it down ({need} of {locations}); degraded while fewer do."
    )
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
    // The one read of the target. Everything after takes it as read
    // (`targets::*_of`): those take no id and never call `targets::get`,
    // so nothing below reads it again (the test at the end of this file
    // counts the statements that do).
    let target = targets::get(&state.app, &current, id).await?;
    let now = Utc::now();
    let name = target.name.clone().unwrap_or_else(|| target.url.clone());
    let three_days = Window::ThreeDays;
    let window = Window::parse(&query.window).unwrap_or(Window::Day);
    // A cursor that does not decode is treated as "first page".
    let before = CheckCursor::decode(&query.before);

    let app = &state.app;
    let (
        uptimes,
        history,
        window_history,
        incidents,
        (page, next),
        latest,
        notifications,
        channels,
        locations,
    ) = tokio::try_join!(
        targets::uptime_of(app, &current, &target),
        targets::history_of(app, &current, &target, three_days),
        async {
            if window == three_days {
                Ok(None)
            } else {
                targets::history_of(app, &current, &target, window)
                    .await
                    .map(Some)
            }
        },
        targets::incidents_of(app, &current, &target, INCIDENTS_SHOWN),
        targets::checks_of(app, &current, &target, before, CHECKS_PER_PAGE),
        // The latest check, for a later page of checks.
        async {
            if before.is_none() {
                Ok(None)
            } else {
                targets::checks_of(app, &current, &target, None, 1)
                    .await
                    .map(|(checks, _)| checks.into_iter().next())
            }
        },
        pharos_app::alerts::notifications_of(app, &current, &target, NOTIFICATIONS_SHOWN),
        pharos_app::channels::list(app, &current),
        pharos_app::locations::locations_of(app, &current, &target),
    )?;
    let target_alerts = pharos_app::alerts::alerts_of(app, &current, &target).await?;
    let channels: std::collections::HashMap<_, _> = channels
        .into_iter()
        .map(|d| (d.channel.id, d.channel.name))
        .collect();
    let notifications = notifications
        .iter()
        .map(|r| notification_row(r, &channels))
        .collect();

    let uptimes = uptimes
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

    let history = dashboard::buckets(
        &history,
        Duration::seconds(i64::from(three_days.bucket_seconds())),
    );
    let window_label = WINDOWS
        .iter()
        .find(|(w, _)| *w == window.as_str())
        .map_or("24 hours", |(_, l)| l);
    let latency_buckets = match window_history {
        None => history.clone(),
        Some(raw) => {
            dashboard::buckets(&raw, Duration::seconds(i64::from(window.bucket_seconds())))
        }
    };
    let windows = WINDOWS
        .iter()
        .map(|(value, label)| WindowOption {
            value,
            label,
            selected: *value == window.as_str(),
        })
        .collect();

    let incidents = incidents.iter().map(|i| incident_row(i, now)).collect();

    let latest = if before.is_none() {
        page.first().cloned()
    } else {
        latest
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
    let maintenance = pharos_app::maintenance::list(app, &current)
        .await?
        .iter()
        .find(|w| w.covers(id, now))
        .map(|w| {
            format!(
                "{}: {}",
                w.name,
                crate::pages::maintenance::status_of(w, now).1
            )
        });
    let location_names: HashMap<Location, String> = locations
        .iter()
        .map(|l| (l.location, l.name.clone()))
        .collect();
    let page = DetailPage {
        chrome: Chrome::new(Some(&current), "").with_flash(message),
        maintenance,
        id: id.0.to_string(),
        url: target.url.clone(),
        kind: target.kind().as_str().to_owned(),
        heartbeat_url,
        badges: target.badge_token.as_deref().map(|token| {
            // The alt text goes public: the name, never the address.
            let alt = target.name.as_deref().unwrap_or("service");
            badge_links(&app.settings.public_url, alt, token)
        }),
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
        notifications,
        alerts: crate::pages::alerts::AlertFormView::of(&target_alerts.effective),
        own_alerts: target_alerts.own.is_some(),
        alerts_action: format!("/targets/{}/alerts", id.0),
        checks: page.iter().map(|c| check_row(c, &location_names)).collect(),
        quorum_rule: quorum_rule(target.quorum.unwrap_or(Quorum::DEFAULT), locations.len()),
        locations: locations.iter().map(location_row).collect(),
        next_page: next.map(|c| c.encode()),
        first_page: before.is_none(),
        can_edit: current.role.can_edit_targets(),
        name,
    };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use pharos_app::accounts::{self, NewAccountInput};
    use pharos_app::{sessions, Actor};
    use pharos_storage::testing::{Backend, TestDatabase};
    use tracing::instrument::WithSubscriber;

    use super::*;
    use crate::auth::SessionConfig;
    use crate::state::WebConfig;

    /// Every SQL statement sqlx reports (its `sqlx::query` events) while
    /// the future it is attached to runs.
    struct Statements(Arc<Mutex<Vec<String>>>);

    #[derive(Default)]
    struct Sql {
        summary: String,
        statement: String,
    }

    impl tracing::field::Visit for Sql {
        fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
            match field.name() {
                "summary" => self.summary = value.to_owned(),
                "db.statement" => self.statement = value.to_owned(),
                _ => {}
            }
        }

        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            self.record_str(field, &format!("{value:?}"));
        }
    }

    impl tracing::Subscriber for Statements {
        fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
            metadata.target() == "sqlx::query"
        }

        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }

        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

        fn event(&self, event: &tracing::Event<'_>) {
            let mut sql = Sql::default();
            event.record(&mut sql);
            let text = if sql.statement.trim().is_empty() {
                sql.summary
            } else {
                sql.statement
            };
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            self.0.lock().expect("statements").push(text);
        }

        fn enter(&self, _: &tracing::span::Id) {}

        fn exit(&self, _: &tracing::span::Id) {}
    }

    fn config() -> WebConfig {
        WebConfig {
            session: SessionConfig {
                secret: b"test-secret-key-that-is-long-enough-0123456789".to_vec(),
                secure_cookies: false,
                idle_timeout: std::time::Duration::from_secs(3600),
                absolute_timeout: std::time::Duration::from_secs(86_400),
            },
            limits: Default::default(),
            allow_private_targets: false,
            trust_forwarded_for: false,
            public_origin: None,
            max_body_bytes: 64 * 1024,
            metrics_access: crate::MetricsAccess::Public,
            link_base: None,
            password_reset_minutes: 60,
            require_email_verification: false,
        }
    }

    async fn actor(state: &AppState, email: &str) -> Actor {
        let input = NewAccountInput {
            email,
            password: "correct horse battery",
            organization: None,
        };
        let (user, _) = accounts::create_account(&*state.app.store, input)
            .await
            .expect("account");
        let from = sessions::SignInFrom::new(std::net::Ipv4Addr::LOCALHOST.into(), None);
        let started = sessions::start(&state.app, &user, &from)
            .await
            .expect("session");
        sessions::authenticate(&state.app, &started.token)
            .await
            .expect("actor")
    }

    /// The detail page reads its target from the store once, however many
    /// parts it shows (a second latency window and a later page of checks
    /// included), and the reads that take the target as read refuse one of
    /// another organization. Counted on PostgreSQL: its driver runs each
    /// statement in the request's own task, where the subscriber sees it
    /// (SQLite's runs them on a thread of its own). The path above the
    /// store is the same for both backends.
    #[tokio::test]
    async fn the_detail_page_reads_its_target_once() {
        let Some(db) = TestDatabase::create(Backend::Postgres).await else {
            return;
        };
        let store = pharos_storage::connect(&db.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let state = AppState::new(store, config());
        let alice = actor(&state, "alice@example.com").await;
        let mut fields = targets::TargetFields::new();
        fields.insert("url".into(), "https://example.com/".into());
        let target = targets::create(&state.app, &alice, fields)
            .await
            .expect("target");

        let later_page = CheckCursor {
            checked_at: Utc::now(),
            id: pharos_domain::ids::CheckId::new(),
        }
        .encode();
        for (window, before, latency) in [
            ("", String::new(), "Latency, last 24 hours"),
            ("7d", later_page, "Latency, last 7 days"),
        ] {
            let seen = Arc::new(Mutex::new(Vec::new()));
            let query = DetailQuery {
                window: window.to_owned(),
                before,
            };
            let response = detail(
                State(state.clone()),
                PageUser(CurrentUser(alice.clone())),
                PathId(target.id.0),
                CookieJar::new(),
                ApiQuery(query),
            )
            .with_subscriber(Statements(seen.clone()))
            .await;
            let response = match response {
                Ok(response) => response,
                Err(e) => panic!("detail page: {:?}", e.0),
            };
            assert_eq!(response.status(), StatusCode::OK);
            let seen = seen.lock().expect("statements").clone();
            assert!(!seen.is_empty(), "no statement was seen");
            // A read of target rows, not a join that scopes another
            // table's rows to the organization.
            let target_reads: Vec<_> = seen
                .iter()
                .filter(|sql| sql.contains("FROM targets"))
                .collect();
            assert_eq!(target_reads.len(), 1, "window {window:?}: {seen:#?}");
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .expect("body");
            let html = String::from_utf8_lossy(&body);
            assert!(html.contains(latency), "{latency}: {html}");
        }

        let bob = actor(&state, "bob@example.com").await;
        assert!(matches!(
            targets::checks_of(&state.app, &bob, &target, None, 1).await,
            Err(pharos_app::AppError::NotFound)
        ));
        assert!(matches!(
            targets::uptime_of(&state.app, &bob, &target).await,
            Err(pharos_app::AppError::NotFound)
        ));
    }
}
