//! Adding, editing, viewing and deleting a target.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::Form;
use axum_extra::extract::CookieJar;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, Utc};
use pharos_domain::check::{CheckOutcome, Verdict};
use pharos_domain::ids::{CheckId, TargetId};
use pharos_domain::status::TargetState;
use pharos_storage::models::{Check, CheckCursor, Incident, Target};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::format::{self, badge, Badge};
use super::{charts, flash, render, see_other, Chrome, FieldErrors, PageResult, PageUser};
use crate::auth::CurrentUser;
use crate::extract::{ApiQuery, PathId};
use crate::services::dashboard;
use crate::services::targets::{self, TargetFields, Window};
use crate::state::AppState;

/// The kinds the form offers. DNS checks are left to the API for now: its
/// `name` setting shares the field name of the target's display name.
pub const KINDS: [(&str, &str); 5] = [
    ("http", "HTTP(S) request"),
    ("tcp", "TCP port open"),
    ("ping", "Ping (ICMP)"),
    ("tls", "TLS certificate"),
    ("heartbeat", "Heartbeat (cron job pings Pharos)"),
];

/// The target form as typed; numbers stay text until parsed, so a typo
/// comes back to the same field instead of a generic refusal.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TargetForm {
    kind: String,
    url: String,
    host: String,
    port: String,
    keyword: String,
    name: String,
    interval_seconds: String,
    timeout_seconds: String,
    grace_seconds: String,
    /// `check` from the "Check now" button: run the check, save nothing.
    action: String,
}

impl TargetForm {
    fn of(target: &Target) -> Self {
        let spec: Map<String, Value> = target
            .spec
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default();
        let text = |key: &str| match spec.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        Self {
            kind: target.kind.clone(),
            url: if target.kind == "http" && spec.get("url").is_none() {
                target.url.clone()
            } else {
                text("url")
            },
            host: text("host"),
            port: text("port"),
            keyword: text("keyword"),
            name: target.name.clone().unwrap_or_default(),
            interval_seconds: target.interval_seconds.to_string(),
            timeout_seconds: target.timeout_seconds.to_string(),
            grace_seconds: target
                .grace_seconds
                .map(|g| g.to_string())
                .unwrap_or_default(),
            action: String::new(),
        }
    }

    fn kind(&self) -> &str {
        if self.kind.is_empty() {
            "http"
        } else {
            &self.kind
        }
    }

    /// The fields the targets service takes, as the API would send them.
    /// Blank numbers mean "the default" (new) or "unchanged" (edit); blank
    /// text clears an optional setting on edit.
    fn fields(&self, editing: bool, errors: &mut FieldErrors) -> TargetFields {
        let mut fields = TargetFields::new();
        let kind = self.kind();
        fields.insert("kind".into(), Value::from(kind));
        let name = self.name.trim();
        if !name.is_empty() {
            fields.insert("name".into(), Value::from(name));
        } else if editing {
            fields.insert("name".into(), Value::Null);
        }
        let mut number = |field: &'static str, raw: &str| {
            let raw = raw.trim();
            if raw.is_empty() {
                return;
            }
            match raw.parse::<i64>() {
                Ok(n) => {
                    fields.insert(field.into(), Value::from(n));
                }
                Err(_) => errors.add(field, "must be a whole number"),
            }
        };
        number("interval_seconds", &self.interval_seconds);
        match kind {
            "heartbeat" => number("grace_seconds", &self.grace_seconds),
            "tcp" | "tls" => {
                number("timeout_seconds", &self.timeout_seconds);
                number("port", &self.port);
            }
            _ => number("timeout_seconds", &self.timeout_seconds),
        }
        match kind {
            "http" => {
                fields.insert("url".into(), Value::from(self.url.trim()));
                let keyword = self.keyword.trim();
                if !keyword.is_empty() {
                    fields.insert("keyword".into(), Value::from(keyword));
                } else if editing {
                    fields.insert("keyword".into(), Value::Null);
                }
            }
            "tcp" | "ping" | "tls" => {
                fields.insert("host".into(), Value::from(self.host.trim()));
            }
            _ => {}
        }
        fields
    }
}

pub struct KindOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

fn kind_options(selected: &str) -> Vec<KindOption> {
    KINDS
        .iter()
        .map(|(value, label)| KindOption {
            value,
            label,
            selected: *value == selected,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "target_form.html")]
struct TargetFormPage {
    chrome: Chrome,
    /// `None` for a new target.
    id: Option<String>,
    kinds: Vec<KindOption>,
    form: TargetForm,
    errors: FieldErrors,
    /// The result of "Check now", when that was asked.
    result: Option<CheckNowResult>,
}

/// A check run from the form, as the page shows it.
pub struct CheckNowResult {
    pub state: Badge,
    pub status_code: Option<u16>,
    pub latency: String,
    /// "DNS 3 ms · connect 1 ms · ...", empty when no phase was timed.
    pub timings: String,
    pub error_class: Option<&'static str>,
    pub error: Option<String>,
}

impl From<&CheckOutcome> for CheckNowResult {
    fn from(o: &CheckOutcome) -> Self {
        let state = match o.verdict {
            Verdict::Up => TargetState::Up,
            Verdict::Degraded => TargetState::Degraded,
            Verdict::Down => TargetState::Down,
        };
        let phases = [
            ("DNS", o.timings.dns_ms),
            ("connect", o.timings.connect_ms),
            ("TLS", o.timings.tls_ms),
            ("first byte", o.timings.first_byte_ms),
        ];
        let timings = phases
            .iter()
            .filter_map(|(label, ms)| ms.map(|ms| format!("{label} {ms} ms")))
            .collect::<Vec<_>>()
            .join(" · ");
        Self {
            state: badge(state),
            status_code: o.status_code,
            latency: format::latency(Some(o.latency_ms)),
            timings,
            error_class: o.failure.as_ref().map(|f| f.class.as_str()),
            error: o.failure.as_ref().map(|f| f.message.clone()),
        }
    }
}

fn form_page(
    current: &CurrentUser,
    id: Option<String>,
    form: TargetForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Response {
    result_page(current, id, form, errors, status, None)
}

fn result_page(
    current: &CurrentUser,
    id: Option<String>,
    form: TargetForm,
    errors: FieldErrors,
    status: StatusCode,
    result: Option<CheckNowResult>,
) -> Response {
    let nav = if id.is_none() { "new" } else { "" };
    render(
        status,
        &TargetFormPage {
            chrome: Chrome::new(Some(current), nav),
            id,
            kinds: kind_options(form.kind()),
            form,
            errors,
            result,
        },
    )
}

/// "Check now": runs the check the form describes and shows the form again
/// with the result, saving nothing.
async fn check_now_page(
    state: &AppState,
    current: &CurrentUser,
    id: Option<String>,
    form: TargetForm,
) -> PageResult {
    let mut errors = FieldErrors::default();
    // The whole form describes the check, as for a new target.
    let fields = form.fields(false, &mut errors);
    if !errors.is_empty() {
        return Ok(form_page(
            current,
            id,
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    match targets::check_now(state, current, fields).await {
        Ok(outcome) => Ok(result_page(
            current,
            id,
            form,
            errors,
            StatusCode::OK,
            Some((&outcome).into()),
        )),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            Ok(form_page(current, id, form, errors, status))
        }
    }
}

pub async fn new_form(PageUser(current): PageUser) -> PageResult {
    current.require_editor()?;
    let form = TargetForm {
        kind: "http".to_owned(),
        interval_seconds: "300".to_owned(),
        timeout_seconds: "10".to_owned(),
        grace_seconds: "60".to_owned(),
        ..TargetForm::default()
    };
    Ok(form_page(
        &current,
        None,
        form,
        FieldErrors::default(),
        StatusCode::OK,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    Form(form): Form<TargetForm>,
) -> PageResult {
    if form.action == "check" {
        return check_now_page(&state, &current, None, form).await;
    }
    let mut errors = FieldErrors::default();
    let fields = form.fields(false, &mut errors);
    if !errors.is_empty() {
        return Ok(form_page(
            &current,
            None,
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    match targets::create(&state, &current, fields).await {
        Ok(target) => {
            let to = format!("/targets/{}", target.id.0);
            Ok((flash::set(jar, "created"), see_other(&to)).into_response())
        }
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            Ok(form_page(&current, None, form, errors, status))
        }
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
) -> PageResult {
    current.require_editor()?;
    let target = targets::get(&state, &current, TargetId(id)).await?;
    let form = TargetForm::of(&target);
    Ok(form_page(
        &current,
        Some(id.to_string()),
        form,
        FieldErrors::default(),
        StatusCode::OK,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
    Form(form): Form<TargetForm>,
) -> PageResult {
    let page_id = Some(id.to_string());
    if form.action == "check" {
        return check_now_page(&state, &current, page_id, form).await;
    }
    let mut errors = FieldErrors::default();
    let fields = form.fields(true, &mut errors);
    if !errors.is_empty() {
        return Ok(form_page(
            &current,
            page_id,
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    match targets::update(&state, &current, TargetId(id), fields).await {
        Ok(_) => {
            let to = format!("/targets/{id}");
            Ok((flash::set(jar, "updated"), see_other(&to)).into_response())
        }
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            Ok(form_page(&current, page_id, form, errors, status))
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    targets::delete(&state, &current, TargetId(id)).await?;
    Ok((flash::set(jar, "deleted"), see_other("/")).into_response())
}

async fn set_paused(
    state: AppState,
    current: CurrentUser,
    id: uuid::Uuid,
    jar: CookieJar,
    paused: bool,
) -> PageResult {
    targets::set_paused(&state, &current, TargetId(id), paused).await?;
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
    let target = targets::get(&state, &current, id).await?;
    let now = Utc::now();
    let name = target.name.clone().unwrap_or_else(|| target.url.clone());

    let uptimes = targets::uptime(&state, &current, id)
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
    let history = targets::history(&state, &current, id, three_days).await?;
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
        let raw = targets::history(&state, &current, id, window).await?;
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

    let incidents = targets::incidents(&state, &current, id, INCIDENTS_SHOWN)
        .await?
        .iter()
        .map(|i| incident_row(i, now))
        .collect();

    let before = decode_cursor(&query.before);
    let (page, next) = targets::checks(&state, &current, id, before, CHECKS_PER_PAGE).await?;
    let latest = if before.is_none() {
        page.first().cloned()
    } else {
        targets::checks(&state, &current, id, None, 1)
            .await?
            .0
            .into_iter()
            .next()
    };
    let heartbeat_url = target.heartbeat_token.as_ref().map(|token| {
        format!(
            "{}/ping/{token}",
            state.config.public_origin.clone().unwrap_or_default()
        )
    });
    let schedule = if target.kind == "heartbeat" {
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
        kind: target.kind.clone(),
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
        history: charts::status_strip(&history, &history_label),
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
