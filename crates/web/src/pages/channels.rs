//! `/channels`: the organization's notification channels: the list, a
//! form to add one (its settings as JSON, with each kind's fields named),
//! Send test and delete. Everyone in the organization sees the list;
//! owners and admins get the forms. It calls the same use cases as the
//! API (`pharos_app::channels`).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Form;
use axum_extra::extract::CookieJar;
use pharos_app::channels::{self, TestOutcome};
use pharos_domain::ids::ChannelId;
use pharos_domain::ChannelKind;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{flash, render, see_other, Chrome, FieldErrors, PageError, PageResult, PageUser};
use crate::auth::CurrentUser;
use crate::extract::PathId;
use crate::state::AppState;

pub struct ChannelRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub is_default: bool,
    /// The masked settings, one line.
    pub summary: String,
}

pub struct KindChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// How a "Send test" went, to show above the list.
pub struct TestResult {
    pub channel: String,
    pub delivered: bool,
    pub text: String,
}

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    chrome: Chrome,
    can_manage: bool,
    channels: Vec<ChannelRow>,
    kinds: Vec<KindChoice>,
    name_value: String,
    config_value: String,
    default_checked: bool,
    /// A new webhook's signing secret, shown this once.
    signing_secret: Option<String>,
    test: Option<TestResult>,
    config_hint: &'static str,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChannelForm {
    kind: String,
    name: String,
    config: String,
    is_default: Option<String>,
}

/// The fields each kind's settings take, for the form's hint.
const CONFIG_HINT: &str = "JSON. email: {\"to\": [\"ops@example.com\"]}; webhook: {\"url\": \"https://...\", \
    \"headers\": {}}; slack, discord, teams, google_chat, mattermost: {\"url\": \"<incoming webhook URL>\"}; \
    the others their service's tokens and ids (see docs).";

struct Values {
    kind: String,
    name: String,
    config: String,
    is_default: bool,
}

async fn page(
    state: &AppState,
    current: &CurrentUser,
    errors: FieldErrors,
    values: Values,
    signing_secret: Option<String>,
    test: Option<TestResult>,
    flash: Option<&'static str>,
) -> Result<ChannelsPage, PageError> {
    let listed = channels::list(&state.app, current).await?;
    let rows = listed
        .into_iter()
        .map(|d| ChannelRow {
            id: d.channel.id.0.to_string(),
            kind: d.channel.kind.label(),
            is_default: d.channel.is_default,
            summary: summary(&d.config),
            name: d.channel.name,
        })
        .collect();
    let kinds = ChannelKind::ALL
        .into_iter()
        .map(|k| KindChoice {
            value: k.as_str(),
            label: k.label(),
            selected: k.as_str() == values.kind,
        })
        .collect();
    Ok(ChannelsPage {
        chrome: Chrome::new(Some(current), "channels").with_flash(flash),
        can_manage: current.role.can_manage_organization(),
        channels: rows,
        kinds,
        name_value: values.name,
        config_value: values.config,
        default_checked: values.is_default,
        signing_secret,
        test,
        config_hint: CONFIG_HINT,
        errors,
    })
}

/// A masked configuration in one line: `key: value` pairs.
fn summary(config: &Value) -> String {
    let Some(map) = config.as_object() else {
        return String::new();
    };
    map.iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}: {s}"),
            other => format!("{k}: {other}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn empty() -> Values {
    Values {
        kind: ChannelKind::Webhook.as_str().to_owned(),
        name: String::new(),
        config: "{\"url\": \"\"}".to_owned(),
        is_default: false,
    }
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
) -> PageResult {
    let (jar, message) = flash::take(jar);
    let page = page(
        &state,
        &current,
        FieldErrors::default(),
        empty(),
        None,
        None,
        message,
    )
    .await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

pub async fn create(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    Form(form): Form<ChannelForm>,
) -> PageResult {
    let values = Values {
        kind: form.kind.clone(),
        name: form.name.clone(),
        config: form.config.clone(),
        is_default: form.is_default.is_some(),
    };
    let config: Value = match serde_json::from_str(&form.config) {
        Ok(config) => config,
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.add("config", format!("is not JSON: {e}"));
            let page = page(&state, &current, errors, values, None, None, None).await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let mut fields = Map::new();
    fields.insert("kind".to_owned(), Value::String(form.kind));
    fields.insert("name".to_owned(), Value::String(form.name));
    fields.insert("config".to_owned(), config);
    fields.insert("is_default".to_owned(), Value::Bool(values.is_default));
    match channels::create(&state.app, &current, fields).await {
        // A webhook's secret is shown on this one answer, never again.
        Ok(created) => {
            let page = page(
                &state,
                &current,
                FieldErrors::default(),
                empty(),
                created.signing_secret,
                None,
                Some("Channel added."),
            )
            .await?;
            Ok(render(StatusCode::CREATED, &page))
        }
        Err(e @ pharos_app::AppError::Forbidden(_)) => Err(PageError(e.into())),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let errors = errors.fold_into("config");
            let page = page(&state, &current, errors, values, None, None, None).await?;
            Ok(render(status, &page))
        }
    }
}

pub async fn test(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
) -> PageResult {
    let channel = channels::get(&state.app, &current, ChannelId(id)).await?;
    let outcome = channels::send_test(&state.app, &current, ChannelId(id)).await?;
    let test = match outcome {
        TestOutcome::Delivered { status, duration } => TestResult {
            channel: channel.channel.name,
            delivered: true,
            text: format!(
                "delivered: the service answered {status} in {} ms",
                duration.as_millis()
            ),
        },
        TestOutcome::Failed { status, error, .. } => TestResult {
            channel: channel.channel.name,
            delivered: false,
            text: match status {
                Some(code) => format!("failed ({code}): {error}"),
                None => format!("failed: {error}"),
            },
        },
    };
    let page = page(
        &state,
        &current,
        FieldErrors::default(),
        empty(),
        None,
        Some(test),
        None,
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

pub async fn delete(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    PathId(id): PathId,
) -> PageResult {
    channels::delete(&state.app, &current, ChannelId(id)).await?;
    Ok((flash::set(jar, "channel_deleted"), see_other("/channels")).into_response())
}

#[derive(Template)]
#[template(path = "channel_edit.html")]
struct EditPage {
    chrome: Chrome,
    id: String,
    title: String,
    kind: &'static str,
    name_value: String,
    config_value: String,
    default_checked: bool,
    errors: FieldErrors,
}

/// `config` keys the form shows: JSON, secrets masked, pretty enough to edit.
fn config_text(config: &Value) -> String {
    serde_json::to_string_pretty(config).unwrap_or_default()
}

pub async fn edit_form(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
) -> PageResult {
    let d = channels::get(&state.app, &current, ChannelId(id)).await?;
    // Only managers may change it: the form is not offered to others.
    current
        .require_manager("only owners and admins manage notification channels")
        .map_err(|e| PageError(e.into()))?;
    let page = EditPage {
        chrome: Chrome::new(Some(&current), "channels"),
        id: id.to_string(),
        title: d.channel.name.clone(),
        kind: d.channel.kind.label(),
        name_value: d.channel.name,
        config_value: config_text(&d.config),
        default_checked: d.channel.is_default,
        errors: FieldErrors::default(),
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn update(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    PathId(id): PathId,
    Form(form): Form<ChannelForm>,
) -> PageResult {
    let existing = channels::get(&state.app, &current, ChannelId(id)).await?;
    let refuse = |errors: FieldErrors, status: StatusCode| {
        let page = EditPage {
            chrome: Chrome::new(Some(&current), "channels"),
            id: id.to_string(),
            title: existing.channel.name.clone(),
            kind: existing.channel.kind.label(),
            name_value: form.name.clone(),
            config_value: form.config.clone(),
            default_checked: form.is_default.is_some(),
            errors,
        };
        render(status, &page)
    };
    let config: Value = match serde_json::from_str(&form.config) {
        Ok(config) => config,
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.add("config", format!("is not JSON: {e}"));
            return Ok(refuse(errors, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let mut fields = Map::new();
    fields.insert("name".to_owned(), Value::String(form.name.clone()));
    fields.insert("config".to_owned(), config);
    fields.insert(
        "is_default".to_owned(),
        Value::Bool(form.is_default.is_some()),
    );
    match channels::update(&state.app, &current, ChannelId(id), fields).await {
        Ok(_) => Ok((flash::set(jar, "channel_saved"), see_other("/channels")).into_response()),
        Err(e @ pharos_app::AppError::Forbidden(_)) => Err(PageError(e.into())),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            Ok(refuse(errors.fold_into("config"), status))
        }
    }
}
