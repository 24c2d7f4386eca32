//! `/channels`: the organization's notification channels: the list (with
//! each one's settings masked), Send test and delete; `form.rs` adds and
//! edits them, one form per kind. Everyone in the organization sees the
//! list; owners and admins get the forms. It calls the same use cases as
//! the API (`pharos_app::channels`).

mod form;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use pharos_app::channels::{self, TestOutcome};
use pharos_domain::ids::ChannelId;
use pharos_domain::ChannelKind;
use serde_json::Value;

use super::{flash, render, see_other, Chrome, PageError, PageResult, PageUser};
use crate::auth::CurrentUser;
use crate::extract::PathId;
use crate::state::AppState;

pub use form::{create, edit_form, new_form, update};

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

/// Every service a channel can send to, `selected` chosen (else the
/// first).
fn kind_choices(selected: Option<ChannelKind>) -> Vec<KindChoice> {
    ChannelKind::ALL
        .into_iter()
        .map(|k| KindChoice {
            value: k.as_str(),
            label: k.label(),
            selected: Some(k) == selected,
        })
        .collect()
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
    /// The service select shows no error here (the form's page does).
    kind_error: Option<&'static str>,
    /// A new webhook's signing secret, shown this once.
    signing_secret: Option<String>,
    test: Option<TestResult>,
}

async fn page(
    state: &AppState,
    current: &CurrentUser,
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
    Ok(ChannelsPage {
        chrome: Chrome::new(Some(current), "channels").with_flash(flash),
        can_manage: current.role.can_manage_organization(),
        channels: rows,
        kinds: kind_choices(None),
        kind_error: None,
        signing_secret,
        test,
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

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
) -> PageResult {
    let (jar, message) = flash::take(jar);
    let page = page(&state, &current, None, None, message).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
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
    let page = page(&state, &current, None, Some(test), None).await?;
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
