//! The target form: adding and editing a target (every kind's settings,
//! errors by the field) and "Check now" of what the form describes.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::Form;
use axum_extra::extract::CookieJar;
use pharos_domain::alert::AlertSettings;
use pharos_domain::check::{CheckOutcome, Verdict};
use pharos_domain::check_spec::{DnsRecordType, HttpMethod};
use pharos_domain::ids::TargetId;
use pharos_domain::status::TargetState;
use pharos_domain::TargetKind;
use pharos_storage::models::Target;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::PathId;
use crate::pages::alerts::{AlertForm, AlertFormView};
use crate::pages::format::{self, badge, Badge};
use crate::pages::{
    flash, render, see_other, Chrome, FieldErrors, PageError, PageResult, PageUser,
};
use crate::state::AppState;
use pharos_app::targets::{self, TargetFields};

/// Where each kind's settings sit on the form: (kind, the API's name, the
/// form's name). The kinds' fieldsets are all in the page (shown without
/// JavaScript), so settings that several kinds share, such as `host`, get
/// a name per kind. A setting not listed here is not drawn, and its
/// errors go to the list at the top of the form.
const FORM_NAMES: &[(TargetKind, &str, &str)] = &[
    (TargetKind::Http, "url", "url"),
    (TargetKind::Http, "method", "method"),
    (TargetKind::Http, "expected_status", "expected_status"),
    (TargetKind::Http, "keyword", "keyword"),
    (TargetKind::Http, "keyword_absent", "keyword_absent"),
    (TargetKind::Http, "json_path", "json_path"),
    (TargetKind::Http, "json_expected", "json_expected"),
    (
        TargetKind::Http,
        "degraded_latency_ms",
        "degraded_latency_ms",
    ),
    (TargetKind::Http, "max_redirects", "max_redirects"),
    (TargetKind::Http, "verify_tls", "ignore_tls_errors"),
    (TargetKind::Http, "headers", "headers"),
    (TargetKind::Http, "body", "body"),
    (TargetKind::Tcp, "host", "tcp_host"),
    (TargetKind::Tcp, "port", "tcp_port"),
    (TargetKind::Ping, "host", "ping_host"),
    (TargetKind::Ping, "count", "ping_count"),
    (TargetKind::Dns, "host", "dns_name"),
    (TargetKind::Dns, "record_type", "dns_record_type"),
    (TargetKind::Dns, "server", "dns_server"),
    (TargetKind::Dns, "expected", "dns_expected"),
    (TargetKind::Tls, "host", "tls_host"),
    (TargetKind::Tls, "port", "tls_port"),
    (TargetKind::Tls, "warn_days", "tls_warn_days"),
    (TargetKind::Heartbeat, "grace_seconds", "grace_seconds"),
];

/// Fields every kind has, under the same name on the form and in the API.
const COMMON_FIELDS: [&str; 11] = [
    "kind",
    "name",
    "interval_seconds",
    "timeout_seconds",
    "channel_ids",
    "tag_ids",
    "group_id",
    "location_ids",
    "quorum",
    "alert_type",
    "repeat_minutes",
];

/// The form field that shows an error the service reported on `field` (an
/// API name, perhaps with a path such as `headers[0].name`), or `None` when
/// the form does not draw it.
fn form_field(kind: Option<TargetKind>, field: &str) -> Option<&'static str> {
    let base = field.split(['[', '.']).next().unwrap_or(field);
    COMMON_FIELDS
        .iter()
        .find(|f| **f == base)
        .copied()
        .or_else(|| {
            FORM_NAMES
                .iter()
                .find(|(k, api, _)| Some(*k) == kind && *api == base)
                .map(|(_, _, form)| *form)
        })
}

/// The target form as typed; numbers stay text until parsed, so a typo
/// comes back to the same field instead of a generic refusal. Checkboxes
/// are `"on"` when ticked and absent otherwise.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TargetForm {
    kind: String,
    name: String,
    interval_seconds: String,
    timeout_seconds: String,
    // HTTP
    url: String,
    method: String,
    expected_status: String,
    keyword: String,
    keyword_absent: String,
    json_path: String,
    json_expected: String,
    degraded_latency_ms: String,
    max_redirects: String,
    ignore_tls_errors: String,
    /// One `Name: value` a line.
    headers: String,
    body: String,
    // TCP
    tcp_host: String,
    tcp_port: String,
    // Ping
    ping_host: String,
    ping_count: String,
    // DNS
    dns_name: String,
    dns_record_type: String,
    dns_server: String,
    dns_expected: String,
    // TLS
    tls_host: String,
    tls_port: String,
    tls_warn_days: String,
    // Heartbeat
    grace_seconds: String,
    /// Present when the form drew its alert part (settings and channels):
    /// a form posted without it leaves both as they are.
    alerts_part: String,
    /// Ticked: the organization's alert settings, and the fields of
    /// `alerts` are not used.
    alerts_default: Option<String>,
    #[serde(flatten)]
    alerts: AlertForm,
    /// The ticked channels (`channel_ids`, once per channel; read apart,
    /// see `from_pairs`).
    #[serde(skip)]
    channel_ids: Vec<String>,
    /// Present when the form drew its tags and group: a form posted
    /// without it leaves both as they are.
    labels_part: String,
    /// The ticked tags (`tag_ids`, once per tag, read like `channel_ids`).
    #[serde(skip)]
    tag_ids: Vec<String>,
    /// The chosen group's id; empty: none.
    group_id: String,
    /// Present when the form drew its locations part (the organization
    /// has agents): a form posted without it leaves them as they are.
    locations_part: String,
    /// The ticked locations (`location_ids`, once per location).
    #[serde(skip)]
    location_ids: Vec<String>,
    /// `any`, `majority`, `all` or a number.
    quorum: String,
    /// `check` from the "Check now" button: run the check, save nothing.
    action: String,
}

/// A stored JSON value as typed in the form: a string as it is (quoted
/// only when it would otherwise read as another JSON value), anything
/// else as JSON.
fn json_value_text(value: &Value) -> String {
    match value {
        Value::String(s) if serde_json::from_str::<Value>(s).is_err() => s.clone(),
        other => other.to_string(),
    }
}

/// The reverse of `json_value_text`: JSON when it parses, a string when not.
fn json_value_of(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or_else(|_| Value::from(raw))
}

fn ticked(raw: &str) -> bool {
    matches!(raw, "on" | "true" | "1")
}

impl TargetForm {
    /// The form as posted. A browser sends `channel_ids` once per ticked
    /// channel, which a struct cannot hold, so the pairs are read here.
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, PageError> {
        let (tag_ids, pairs): (Vec<_>, Vec<_>) =
            pairs.into_iter().partition(|(name, _)| name == "tag_ids");
        let (locations, pairs): (Vec<_>, Vec<_>) = pairs
            .into_iter()
            .partition(|(name, _)| name == "location_ids");
        let (ids, rest): (Vec<_>, Vec<_>) = pairs
            .into_iter()
            .partition(|(name, _)| name == "channel_ids");
        let unreadable = |e: &dyn std::fmt::Display| {
            PageError(
                pharos_app::AppError::InvalidField {
                    field: String::new(),
                    message: format!("the form could not be read: {e}"),
                }
                .into(),
            )
        };
        // The rest read as forms are (checkboxes as options), from the
        // pairs as they came.
        let encoded = serde_urlencoded::to_string(&rest).map_err(|e| unreadable(&e))?;
        let mut form: TargetForm =
            serde_urlencoded::from_str(&encoded).map_err(|e| unreadable(&e))?;
        form.channel_ids = ids.into_iter().map(|(_, id)| id).collect();
        form.tag_ids = tag_ids.into_iter().map(|(_, id)| id).collect();
        form.location_ids = locations.into_iter().map(|(_, id)| id).collect();
        Ok(form)
    }

    /// The alert settings the form asks for: `Some(None)` for the
    /// organization's, `Some(Some(_))` the target's own, `None` to leave
    /// them (the form had no alert part, or a refusal, which lands on its
    /// field).
    fn alert_settings(&self, errors: &mut FieldErrors) -> Option<Option<AlertSettings>> {
        if self.alerts_part.is_empty() {
            return None;
        }
        if self.alerts_default.is_some() {
            return Some(None);
        }
        match crate::pages::alerts::settings_of(self.alerts.clone()) {
            Ok(settings) => Some(Some(settings)),
            Err(pharos_app::AppError::Validation(v)) => {
                errors.add(v.field, v.message);
                None
            }
            Err(pharos_app::AppError::InvalidField { field, message }) => {
                errors.add(&field, message);
                None
            }
            Err(other) => {
                errors.add("", other.to_string());
                None
            }
        }
    }

    /// A new form: each kind's defaults filled in.
    fn blank() -> Self {
        Self {
            kind: "http".to_owned(),
            interval_seconds: "300".to_owned(),
            timeout_seconds: "10".to_owned(),
            method: "GET".to_owned(),
            ping_count: "3".to_owned(),
            dns_record_type: "A".to_owned(),
            tls_port: "443".to_owned(),
            tls_warn_days: "14".to_owned(),
            grace_seconds: "60".to_owned(),
            alerts_part: "on".to_owned(),
            alerts_default: Some("on".to_owned()),
            alerts: AlertForm::of(&AlertSettings::default()),
            ..Self::default()
        }
    }

    /// The form of a stored target, read through the API's view of its
    /// settings so the two never disagree.
    fn of(target: &Target) -> Self {
        let settings: Map<String, Value> =
            targets::check_settings_for_api(&target.check).unwrap_or_default();
        let text = |key: &str| match settings.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let flag = |key: &str| settings.get(key).and_then(Value::as_bool);
        let mut form = Self {
            kind: target.kind().as_str().to_owned(),
            name: target.name.clone().unwrap_or_default(),
            interval_seconds: target.interval_seconds.to_string(),
            timeout_seconds: target.timeout_seconds.to_string(),
            ..Self::blank()
        };
        if let Some(grace) = target.grace_seconds {
            form.grace_seconds = grace.to_string();
        }
        let set = |slot: &mut String, key: &str| {
            let value = text(key);
            if !value.is_empty() {
                *slot = value;
            }
        };
        match target.kind() {
            TargetKind::Http => {
                form.url = if settings.contains_key("url") {
                    text("url")
                } else {
                    target.url.clone()
                };
                set(&mut form.method, "method");
                form.expected_status = settings
                    .get("expected_status")
                    .and_then(Value::as_array)
                    .map(|codes| {
                        codes
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                form.keyword = text("keyword");
                form.json_path = text("json_path");
                form.json_expected = settings
                    .get("json_expected")
                    .map(json_value_text)
                    .unwrap_or_default();
                form.degraded_latency_ms = text("degraded_latency_ms");
                form.max_redirects = text("max_redirects");
                form.body = text("body");
                form.headers = settings
                    .get("headers")
                    .and_then(Value::as_array)
                    .map(|headers| {
                        headers
                            .iter()
                            .map(|h| {
                                let part = |k| h.get(k).and_then(Value::as_str).unwrap_or_default();
                                format!("{}: {}", part("name"), part("value"))
                            })
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default();
                if flag("keyword_absent") == Some(true) {
                    form.keyword_absent = "on".to_owned();
                }
                if flag("verify_tls") == Some(false) {
                    form.ignore_tls_errors = "on".to_owned();
                }
            }
            TargetKind::Tcp => {
                form.tcp_host = text("host");
                form.tcp_port = text("port");
            }
            TargetKind::Ping => {
                form.ping_host = text("host");
                set(&mut form.ping_count, "count");
            }
            TargetKind::Dns => {
                form.dns_name = text("host");
                set(&mut form.dns_record_type, "record_type");
                form.dns_server = text("server");
                form.dns_expected = text("expected");
            }
            TargetKind::Tls => {
                form.tls_host = text("host");
                set(&mut form.tls_port, "port");
                set(&mut form.tls_warn_days, "warn_days");
            }
            TargetKind::Heartbeat => {}
        }
        form
    }

    /// The chosen kind; `None` for a name that is no kind (the service
    /// refuses it by the field).
    fn kind(&self) -> Option<TargetKind> {
        if self.kind.is_empty() {
            Some(TargetKind::Http)
        } else {
            self.kind.parse().ok()
        }
    }

    /// The fields the targets service takes, as the API would send them:
    /// the common ones and the chosen kind's, under the API's names.
    /// Blank numbers mean "the default" (new) or "unchanged" (edit); blank
    /// text clears an optional setting on edit.
    fn fields(&self, editing: bool, errors: &mut FieldErrors) -> TargetFields {
        let mut fields = TargetFields::new();
        let kind = self.kind();
        let kind_name = kind.map_or(self.kind.as_str(), |k| k.as_str());
        fields.insert("kind".into(), Value::from(kind_name));
        let text = |fields: &mut TargetFields, api: &str, raw: &str| {
            let raw = raw.trim();
            if !raw.is_empty() {
                fields.insert(api.into(), Value::from(raw));
            } else if editing {
                fields.insert(api.into(), Value::Null);
            }
        };
        // Texts compared with what a target answers keep their spaces: a
        // keyword " OK " is not "OK".
        let verbatim = |fields: &mut TargetFields, api: &str, raw: &str| {
            if !raw.trim().is_empty() {
                fields.insert(api.into(), Value::from(raw));
            } else if editing {
                fields.insert(api.into(), Value::Null);
            }
        };
        text(&mut fields, "name", &self.name);
        // Optional numbers clear like text; required ones keep their
        // default or stored value when blank.
        let mut number = |fields: &mut TargetFields, api: &str, raw: &str, clears: bool| {
            let raw = raw.trim();
            if raw.is_empty() {
                if clears && editing {
                    fields.insert(api.into(), Value::Null);
                }
                return;
            }
            match raw.parse::<i64>() {
                Ok(n) => {
                    fields.insert(api.into(), Value::from(n));
                }
                Err(_) => errors.add(
                    form_field(kind, api).unwrap_or(api),
                    "must be a whole number",
                ),
            }
        };
        number(
            &mut fields,
            "interval_seconds",
            &self.interval_seconds,
            false,
        );
        if kind != Some(TargetKind::Heartbeat) {
            number(&mut fields, "timeout_seconds", &self.timeout_seconds, false);
        }
        match kind {
            Some(TargetKind::Http) => {
                fields.insert("url".into(), Value::from(self.url.trim()));
                if !self.method.trim().is_empty() {
                    fields.insert("method".into(), Value::from(self.method.trim()));
                }
                let codes: Vec<Value> = self
                    .expected_status
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(Value::from)
                    .collect();
                fields.insert("expected_status".into(), Value::Array(codes));
                verbatim(&mut fields, "keyword", &self.keyword);
                fields.insert(
                    "keyword_absent".into(),
                    Value::from(ticked(&self.keyword_absent)),
                );
                text(&mut fields, "json_path", &self.json_path);
                if !self.json_expected.trim().is_empty() {
                    fields.insert("json_expected".into(), json_value_of(&self.json_expected));
                } else if editing {
                    fields.insert("json_expected".into(), Value::Null);
                }
                number(
                    &mut fields,
                    "degraded_latency_ms",
                    &self.degraded_latency_ms,
                    true,
                );
                number(&mut fields, "max_redirects", &self.max_redirects, true);
                fields.insert(
                    "verify_tls".into(),
                    Value::from(!ticked(&self.ignore_tls_errors)),
                );
                let mut headers = Vec::new();
                for (n, line) in self.headers.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() {
                        continue;
                    }
                    match line.split_once(':') {
                        Some((name, value)) => headers.push(serde_json::json!({
                            "name": name.trim(),
                            "value": value.trim(),
                        })),
                        None => {
                            errors.add("headers", format!("line {} is not Name: value", n + 1));
                        }
                    }
                }
                fields.insert("headers".into(), Value::Array(headers));
                // The body is sent as typed, spaces and all, except that
                // browsers post a textarea's line breaks as CRLF: a body
                // stored with LF must survive a save unchanged.
                if !self.body.trim().is_empty() {
                    fields.insert("body".into(), Value::from(self.body.replace("\r\n", "\n")));
                } else if editing {
                    fields.insert("body".into(), Value::Null);
                }
            }
            Some(TargetKind::Tcp) => {
                fields.insert("host".into(), Value::from(self.tcp_host.trim()));
                number(&mut fields, "port", &self.tcp_port, false);
            }
            Some(TargetKind::Ping) => {
                fields.insert("host".into(), Value::from(self.ping_host.trim()));
                number(&mut fields, "count", &self.ping_count, false);
            }
            Some(TargetKind::Dns) => {
                fields.insert("host".into(), Value::from(self.dns_name.trim()));
                if !self.dns_record_type.trim().is_empty() {
                    fields.insert(
                        "record_type".into(),
                        Value::from(self.dns_record_type.trim()),
                    );
                }
                text(&mut fields, "server", &self.dns_server);
                text(&mut fields, "expected", &self.dns_expected);
            }
            Some(TargetKind::Tls) => {
                fields.insert("host".into(), Value::from(self.tls_host.trim()));
                number(&mut fields, "port", &self.tls_port, false);
                number(&mut fields, "warn_days", &self.tls_warn_days, false);
            }
            Some(TargetKind::Heartbeat) => {
                number(&mut fields, "grace_seconds", &self.grace_seconds, false)
            }
            // An unknown kind goes to the service as it is, to be refused.
            None => {}
        }
        if !self.locations_part.is_empty() {
            fields.insert(
                "location_ids".into(),
                Value::Array(
                    self.location_ids
                        .iter()
                        .map(|id| Value::from(id.as_str()))
                        .collect(),
                ),
            );
            if !self.quorum.trim().is_empty() {
                fields.insert("quorum".into(), Value::from(self.quorum.trim()));
            }
        }
        // None ticked: the organization's default channels.
        if !self.alerts_part.is_empty() {
            fields.insert(
                "channel_ids".into(),
                Value::Array(
                    self.channel_ids
                        .iter()
                        .map(|id| Value::from(id.as_str()))
                        .collect(),
                ),
            );
        }
        if !self.labels_part.is_empty() {
            fields.insert(
                "tag_ids".into(),
                Value::Array(
                    self.tag_ids
                        .iter()
                        .map(|id| Value::from(id.as_str()))
                        .collect(),
                ),
            );
            let group = self.group_id.trim();
            fields.insert(
                "group_id".into(),
                if group.is_empty() {
                    Value::Null
                } else {
                    Value::from(group)
                },
            );
        }
        fields
    }
}

/// One `<option>` of a select.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

fn choices(options: &[(&'static str, &'static str)], selected: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|(value, label)| Choice {
            value,
            label,
            selected: value.eq_ignore_ascii_case(selected),
        })
        .collect()
}

fn plain_choices<const N: usize>(options: [&'static str; N], selected: &str) -> Vec<Choice> {
    let pairs = options.map(|o| (o, o));
    choices(&pairs, selected)
}

/// The kinds the form offers: every kind the API takes (a blank choice is
/// HTTP, as in the API).
fn kind_choices(selected: &str) -> Vec<Choice> {
    let selected = if selected.is_empty() {
        TargetKind::Http.as_str()
    } else {
        selected
    };
    choices(
        &TargetKind::ALL.map(|k| (k.as_str(), k.description())),
        selected,
    )
}

/// The HTTP settings folded under "More HTTP settings".
const MORE_HTTP_FIELDS: [&str; 7] = [
    "json_path",
    "json_expected",
    "degraded_latency_ms",
    "max_redirects",
    "headers",
    "body",
    "ignore_tls_errors",
];

#[derive(Template)]
#[template(path = "target_form.html")]
struct TargetFormPage {
    chrome: Chrome,
    /// `None` for a new target.
    id: Option<String>,
    kinds: Vec<Choice>,
    methods: Vec<Choice>,
    record_types: Vec<Choice>,
    /// Whether the checkboxes are ticked.
    keyword_absent: bool,
    ignore_tls_errors: bool,
    /// Whether "More HTTP settings" starts open: one of them is set or
    /// has an error, so nothing set is ever out of sight.
    more_http_open: bool,
    form: TargetForm,
    errors: FieldErrors,
    /// Errors no field of the form shows.
    general: Vec<String>,
    /// The result of "Check now", when that was asked.
    result: Option<CheckNowResult>,
    /// The alert settings: the organization's, or the fields below.
    alerts_default: bool,
    /// What the organization's settings do, in one line.
    organization_alerts: String,
    alerts: AlertFormView,
    channels: Vec<ChannelChoice>,
    /// The organization's default channels by name ("none" when none).
    default_channels: String,
    tags: Vec<TagChoice>,
    groups: Vec<GroupChoice>,
    /// Where the target may be checked from (drawn when the organization
    /// has approved agents).
    locations: Vec<LocationChoice>,
    quorums: Vec<crate::pages::status_pages::Choice>,
    /// "30 to 86400. For a heartbeat: the expected period."
    interval_hint: String,
}

/// A tag the target may carry.
pub struct TagChoice {
    pub id: String,
    pub name: String,
    pub color: &'static str,
    pub checked: bool,
}

/// A group the target may be in.
pub struct GroupChoice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// A location the target may be checked from.
pub struct LocationChoice {
    pub id: String,
    pub name: String,
    pub checked: bool,
}

/// A channel the target may send its alerts to.
pub struct ChannelChoice {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub is_default: bool,
    pub checked: bool,
}

/// What the form's alert part shows besides the form's own values: the
/// organization's channels and its alert settings. Read once per page.
/// (And its tags and groups, read alongside.)
pub struct AlertContext {
    channels: Vec<pharos_app::channels::ChannelDetails>,
    defaults: AlertSettings,
    tags: Vec<pharos_storage::models::Tag>,
    groups: Vec<pharos_storage::models::Group>,
    agents: Vec<pharos_storage::models::Agent>,
    /// The instance's shortest interval, for the field's hint.
    min_interval: u32,
}

async fn alert_context(state: &AppState, current: &CurrentUser) -> Result<AlertContext, PageError> {
    let (channels, defaults, tags, groups, agents) = tokio::try_join!(
        pharos_app::channels::list(&state.app, current),
        pharos_app::alerts::defaults(&state.app, current),
        pharos_app::labels::tags(&state.app, current),
        pharos_app::labels::groups(&state.app, current),
        pharos_app::agents::locations(&state.app, current),
    )?;
    Ok(AlertContext {
        channels,
        defaults,
        tags,
        groups,
        agents,
        min_interval: state.app.settings.min_interval_seconds,
    })
}

/// Moves the service's errors onto the form's fields: settings shared by
/// kinds get their per-kind name, and an error about a setting the form
/// does not draw goes to the list at the top, naming the setting.
fn place_errors(kind: Option<TargetKind>, errors: FieldErrors) -> FieldErrors {
    let mut placed = FieldErrors::default();
    for (field, message) in errors.0 {
        if field.is_empty() {
            placed.add("", message);
            continue;
        }
        match form_field(kind, &field) {
            Some(on) => placed.add(on, message),
            None if message.starts_with(&format!("{field}:")) => placed.add("", message),
            None => placed.add("", format!("{field}: {message}")),
        }
    }
    placed
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
    context: &AlertContext,
    id: Option<String>,
    form: TargetForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Response {
    result_page(current, context, id, form, errors, status, None)
}

fn result_page(
    current: &CurrentUser,
    context: &AlertContext,
    id: Option<String>,
    form: TargetForm,
    errors: FieldErrors,
    status: StatusCode,
    result: Option<CheckNowResult>,
) -> Response {
    let nav = if id.is_none() { "new" } else { "" };
    let general = errors
        .0
        .iter()
        .filter(|(field, _)| field.is_empty())
        .map(|(_, message)| message.clone())
        .collect();
    let ignore_tls_errors = ticked(&form.ignore_tls_errors);
    let more_http_open = ignore_tls_errors
        || [
            &form.json_path,
            &form.json_expected,
            &form.degraded_latency_ms,
            &form.max_redirects,
            &form.headers,
            &form.body,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
        || MORE_HTTP_FIELDS
            .iter()
            .any(|field| errors.get(field).is_some());
    let mut alerts = AlertFormView::typed(&form.alerts);
    alerts.type_error = errors.get("alert_type").map(str::to_owned);
    alerts.repeat_error = errors.get("repeat_minutes").map(str::to_owned);
    let channels = context
        .channels
        .iter()
        .map(|d| {
            let id = d.channel.id.0.to_string();
            ChannelChoice {
                checked: form.channel_ids.contains(&id),
                id,
                name: d.channel.name.clone(),
                kind: d.channel.kind.label(),
                is_default: d.channel.is_default,
            }
        })
        .collect();
    let defaults: Vec<&str> = context
        .channels
        .iter()
        .filter(|d| d.channel.is_default)
        .map(|d| d.channel.name.as_str())
        .collect();
    let default_channels = if defaults.is_empty() {
        "none yet".to_owned()
    } else {
        defaults.join(", ")
    };
    let tags = context
        .tags
        .iter()
        .map(|t| {
            let id = t.id.0.to_string();
            TagChoice {
                checked: form.tag_ids.contains(&id),
                id,
                name: t.name.clone(),
                color: t.color.as_str(),
            }
        })
        .collect();
    let groups = context
        .groups
        .iter()
        .map(|g| {
            let id = g.id.0.to_string();
            GroupChoice {
                selected: form.group_id == id,
                id,
                name: g.name.clone(),
            }
        })
        .collect();
    // A new form ticks the server itself.
    let ticked_location = |id: &str| {
        form.location_ids.iter().any(|l| l == id)
            || (form.locations_part.is_empty() && id == "local")
    };
    let mut locations = Vec::new();
    if !context.agents.is_empty() {
        locations.push(LocationChoice {
            checked: ticked_location("local"),
            id: "local".to_owned(),
            name: "This server".to_owned(),
        });
        for agent in &context.agents {
            let id = agent.id.to_string();
            locations.push(LocationChoice {
                checked: ticked_location(&id),
                id,
                name: if agent.public && agent.organization_id != current.organization {
                    format!("{} (public location)", agent.name)
                } else {
                    format!("{} (agent)", agent.name)
                },
            });
        }
    }
    let quorum = if form.quorum.is_empty() {
        "majority"
    } else {
        form.quorum.as_str()
    };
    // The named rules, then "at least N" for each N between one and all
    // of the locations there are (and a saved N, should agents have gone).
    let total = context.agents.len() + 1;
    let mut values: Vec<String> = ["majority", "any", "all"].map(str::to_owned).to_vec();
    values.extend((2..total).map(|n| n.to_string()));
    if !values.iter().any(|v| v == quorum) {
        values.push(quorum.to_owned());
    }
    let quorums = values
        .into_iter()
        .map(|value| crate::pages::status_pages::Choice {
            label: match value.as_str() {
                "majority" => "Most of them (majority)".to_owned(),
                "any" => "Any one of them".to_owned(),
                "all" => "All of them".to_owned(),
                n => format!("At least {n} of them"),
            },
            selected: value == quorum,
            value,
        })
        .collect();
    render(
        status,
        &TargetFormPage {
            tags,
            groups,
            alerts_default: form.alerts_default.is_some(),
            organization_alerts: AlertFormView::summary(&context.defaults),
            alerts,
            channels,
            default_channels,
            locations,
            quorums,
            interval_hint: format!(
                "{} to {}. For a heartbeat: the expected period.",
                context.min_interval,
                pharos_domain::target::IntervalSeconds::MAX
            ),
            chrome: Chrome::new(Some(current), nav),
            id,
            kinds: kind_choices(&form.kind),
            methods: plain_choices(HttpMethod::ALL.map(HttpMethod::as_str), &form.method),
            record_types: plain_choices(
                DnsRecordType::ALL.map(DnsRecordType::as_str),
                &form.dns_record_type,
            ),
            keyword_absent: ticked(&form.keyword_absent),
            ignore_tls_errors,
            more_http_open,
            form,
            errors,
            general,
            result,
        },
    )
}

/// A service's refusal as the form shows it, by the field.
fn refused(
    current: &CurrentUser,
    context: &AlertContext,
    id: Option<String>,
    form: TargetForm,
    e: impl Into<ApiError>,
) -> PageResult {
    let (status, errors) = FieldErrors::from_service(e)?;
    let errors = place_errors(form.kind(), errors);
    Ok(form_page(current, context, id, form, errors, status))
}

/// "Check now": runs the check the form describes (on the edit page, what
/// saving the form would store) and shows the form again with the result,
/// saving nothing.
async fn check_now_page(
    state: &AppState,
    current: &CurrentUser,
    context: &AlertContext,
    id: Option<TargetId>,
    form: TargetForm,
) -> PageResult {
    let page_id = id.map(|id| id.0.to_string());
    let mut errors = FieldErrors::default();
    let fields = form.fields(id.is_some(), &mut errors);
    if !errors.is_empty() {
        return Ok(form_page(
            current,
            context,
            page_id,
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let outcome = match id {
        Some(id) => targets::check_now_edited(&state.app, current, id, fields).await,
        None => targets::check_now(&state.app, current, fields).await,
    };
    match outcome {
        Ok(outcome) => Ok(result_page(
            current,
            context,
            page_id,
            form,
            errors,
            StatusCode::OK,
            Some((&outcome).into()),
        )),
        Err(e) => refused(current, context, page_id, form, e),
    }
}

pub async fn new_form(State(state): State<AppState>, PageUser(current): PageUser) -> PageResult {
    current.require_editor()?;
    let context = alert_context(&state, &current).await?;
    let mut form = TargetForm::blank();
    // Own settings start as the organization's, ready to be changed.
    form.alerts = AlertForm::of(&context.defaults);
    Ok(form_page(
        &current,
        &context,
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
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let form = TargetForm::from_pairs(pairs)?;
    let context = alert_context(&state, &current).await?;
    if form.action == "check" {
        return check_now_page(&state, &current, &context, None, form).await;
    }
    let mut errors = FieldErrors::default();
    let fields = form.fields(false, &mut errors);
    let alerts = form.alert_settings(&mut errors);
    if !errors.is_empty() {
        return Ok(form_page(
            &current,
            &context,
            None,
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    match targets::create(&state.app, &current, fields).await {
        Ok(target) => {
            if let Some(Some(own)) = alerts {
                pharos_app::alerts::set_for_target(&state.app, &current, target.id, Some(own))
                    .await?;
            }
            let to = format!("/targets/{}", target.id.0);
            Ok((flash::set(jar, "created"), see_other(&to)).into_response())
        }
        Err(e) => refused(&current, &context, None, form, e),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
) -> PageResult {
    current.require_editor()?;
    let target = targets::get(&state.app, &current, TargetId(id)).await?;
    let (context, target_alerts, channel_ids, tag_ids) = tokio::try_join!(
        alert_context(&state, &current),
        async {
            Ok::<_, PageError>(pharos_app::alerts::alerts_of(&state.app, &current, &target).await?)
        },
        async { Ok::<_, PageError>(targets::channel_ids_of(&state.app, &current, &target).await?) },
        async {
            Ok::<_, PageError>(
                pharos_app::labels::tags_of(&state.app, &current, &[target.id]).await?,
            )
        },
    )?;
    let mut form = TargetForm::of(&target);
    form.alerts_part = "on".to_owned();
    form.alerts_default = target_alerts.own.is_none().then(|| "on".to_owned());
    form.alerts = AlertForm::of(&target_alerts.effective);
    form.channel_ids = channel_ids.iter().map(|c| c.0.to_string()).collect();
    form.labels_part = "on".to_owned();
    form.tag_ids = tag_ids
        .get(&target.id)
        .into_iter()
        .flatten()
        .map(|t| t.0.to_string())
        .collect();
    form.group_id = target.group_id.map(|g| g.0.to_string()).unwrap_or_default();
    if !context.agents.is_empty() {
        let agents = pharos_app::agents::agent_map(&state.app, &current, &[target.id]).await?;
        form.locations_part = "on".to_owned();
        if target.check_local {
            form.location_ids.push("local".to_owned());
        }
        form.location_ids.extend(
            agents
                .get(&target.id)
                .into_iter()
                .flatten()
                .map(ToString::to_string),
        );
        form.quorum = target
            .quorum
            .map_or_else(|| "majority".to_owned(), |q| q.as_string());
    }
    Ok(form_page(
        &current,
        &context,
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
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let form = TargetForm::from_pairs(pairs)?;
    let context = alert_context(&state, &current).await?;
    if form.action == "check" {
        return check_now_page(&state, &current, &context, Some(TargetId(id)), form).await;
    }
    let page_id = Some(id.to_string());
    let mut errors = FieldErrors::default();
    let fields = form.fields(true, &mut errors);
    let alerts = form.alert_settings(&mut errors);
    if !errors.is_empty() {
        return Ok(form_page(
            &current,
            &context,
            page_id,
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    match targets::update(&state.app, &current, TargetId(id), fields).await {
        Ok(_) => {
            if let Some(settings) = alerts {
                pharos_app::alerts::set_for_target(&state.app, &current, TargetId(id), settings)
                    .await?;
            }
            let to = format!("/targets/{id}");
            Ok((flash::set(jar, "updated"), see_other(&to)).into_response())
        }
        Err(e) => refused(&current, &context, page_id, form, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_land_on_the_field_the_form_draws_or_the_list() {
        let mut errors = FieldErrors::default();
        errors.add("port", "port 0 cannot be checked");
        errors.add("headers[0].name", "bad");
        errors.add("url", "unknown field for a tcp target");
        errors.add("surprise", "surprise: unknown field for a tcp target");
        errors.add("", "too many requests");
        let placed = place_errors(Some(TargetKind::Tcp), errors);
        assert_eq!(placed.get("tcp_port"), Some("port 0 cannot be checked"));
        let general: Vec<_> = placed
            .0
            .iter()
            .filter(|(f, _)| f.is_empty())
            .map(|(_, m)| m.as_str())
            .collect();
        assert_eq!(
            general,
            [
                "headers[0].name: bad",
                "url: unknown field for a tcp target",
                "surprise: unknown field for a tcp target",
                "too many requests"
            ]
        );
        assert_eq!(
            form_field(Some(TargetKind::Http), "headers[0].name"),
            Some("headers")
        );
        assert_eq!(form_field(Some(TargetKind::Dns), "host"), Some("dns_name"));
        assert_eq!(
            form_field(Some(TargetKind::Http), "verify_tls"),
            Some("ignore_tls_errors")
        );
        assert_eq!(form_field(Some(TargetKind::Ping), "port"), None);
    }

    #[test]
    fn json_values_round_trip_through_the_text_field() {
        for value in [
            serde_json::json!("green"),
            serde_json::json!("42"),
            serde_json::json!("true"),
            serde_json::json!(42),
            serde_json::json!(true),
            serde_json::json!(null),
            serde_json::json!({"a": [1, "b"]}),
        ] {
            assert_eq!(json_value_of(&json_value_text(&value)), value, "{value}");
        }
    }

    #[test]
    fn every_kind_the_api_takes_is_offered() {
        let offered: Vec<_> = kind_choices("").iter().map(|c| c.value).collect();
        assert_eq!(offered, ["http", "tcp", "ping", "dns", "tls", "heartbeat"]);
        // Every kind's settings have a place on the form.
        for kind in TargetKind::PROBED {
            let kind = Some(kind);
            assert!(form_field(kind, "host").is_some() || form_field(kind, "url").is_some());
        }
    }
}
