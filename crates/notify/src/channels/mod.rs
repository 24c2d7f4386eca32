//! The 14 channel kinds: each one's configuration (parsed and validated at
//! the edge, its secrets kept apart so storage can encrypt them) and how a
//! [`Notice`] is rendered in that service's own message format.
//!
//! The path of an alert through this module: the engine loads a channel
//! ([`ChannelConfig::join`] of its public and decrypted secret parts), and
//! calls [`render`] with the notice and a [`RenderContext`] at every
//! attempt (the webhook's signature carries the time of sending); the
//! [`Delivery`] it returns goes to [`crate::transport::Transport::deliver`].

mod config;
mod fields;
mod form;
mod text;

mod discord;
mod email;
mod google_chat;
mod gotify;
mod matrix;
mod mattermost;
mod ntfy;
mod opsgenie;
mod pagerduty;
mod pushover;
mod slack;
mod teams;
mod telegram;
mod webhook;

use chrono::{DateTime, Utc};
use pharos_domain::ChannelKind;

use crate::delivery::Delivery;
use crate::notice::Notice;

pub use config::{ChannelConfig, IncomingWebhookConfig};
pub use email::EmailConfig;
pub use fields::{check_url, ConfigError, Secret, MASK};
pub use form::{config_from_form, form_fields, form_values, FormField, FormInput};
pub use gotify::GotifyConfig;
pub use matrix::MatrixConfig;
pub use ntfy::NtfyConfig;
pub use opsgenie::OpsgenieConfig;
pub use pagerduty::PagerdutyConfig;
pub use pushover::PushoverConfig;
pub use telegram::TelegramConfig;
pub use webhook::{
    new_webhook_secret, sign as sign_webhook, WebhookConfig, DELIVERY_HEADER, EVENT_HEADER,
    SIGNATURE_HEADER, TIMESTAMP_HEADER,
};

/// What a renderer needs besides the notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderContext {
    /// The time of this attempt (signatures, "down for 5 min").
    pub now: DateTime<Utc>,
    /// `PHAROS_PUBLIC_URL`, for links to the dashboard.
    pub public_url: String,
    /// Stable per notification (the engine passes its id): services that
    /// deduplicate (Matrix's transaction id, the webhook's
    /// `X-Pharos-Delivery`) see a retry as the same message.
    pub delivery_key: String,
}

/// A notice that cannot be put in this channel's format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The configuration gives a URL the service's path cannot be joined to.
    #[error("cannot build the {kind} request URL: {message}")]
    Url { kind: ChannelKind, message: String },
}

/// The notice in the channel's format, ready for the transport.
pub fn render(
    config: &ChannelConfig,
    notice: &Notice,
    ctx: &RenderContext,
) -> Result<Delivery, RenderError> {
    match config {
        ChannelConfig::Email(c) => Ok(email::render(c, notice, ctx)),
        ChannelConfig::Webhook(c) => webhook::render(c, notice, ctx),
        ChannelConfig::Slack(c) => slack::render(c, notice, ctx),
        ChannelConfig::Discord(c) => discord::render(c, notice, ctx),
        ChannelConfig::Teams(c) => teams::render(c, notice, ctx),
        ChannelConfig::GoogleChat(c) => google_chat::render(c, notice, ctx),
        ChannelConfig::Mattermost(c) => mattermost::render(c, notice, ctx),
        ChannelConfig::Telegram(c) => telegram::render(c, notice, ctx),
        ChannelConfig::Pushover(c) => pushover::render(c, notice, ctx),
        ChannelConfig::Gotify(c) => gotify::render(c, notice, ctx),
        ChannelConfig::Ntfy(c) => ntfy::render(c, notice, ctx),
        ChannelConfig::Matrix(c) => matrix::render(c, notice, ctx),
        ChannelConfig::Pagerduty(c) => pagerduty::render(c, notice, ctx),
        ChannelConfig::Opsgenie(c) => opsgenie::render(c, notice, ctx),
    }
}

/// `base` + path segments, each percent-encoded as one segment (a room id
/// or topic can never add a path or a query).
pub(crate) fn join_url(
    kind: ChannelKind,
    base: &str,
    segments: &[&str],
) -> Result<url::Url, RenderError> {
    let mut url = url::Url::parse(base).map_err(|e| RenderError::Url {
        kind,
        message: e.to_string(),
    })?;
    url.path_segments_mut()
        .map_err(|()| RenderError::Url {
            kind,
            message: "the base URL cannot have a path".to_owned(),
        })?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// A JSON body for an [`crate::delivery::HttpRequest`].
pub(crate) fn json_body(value: &serde_json::Value) -> Vec<u8> {
    // Serializing a `Value` cannot fail: its keys are strings.
    serde_json::to_vec(value).unwrap_or_default()
}

/// A JSON POST to an incoming-webhook URL (the URL is the secret).
pub(crate) fn post_json_to_webhook(
    kind: ChannelKind,
    url: &Secret,
    payload: &serde_json::Value,
) -> Result<Delivery, RenderError> {
    let parsed = url::Url::parse(url.expose()).map_err(|e| RenderError::Url {
        kind,
        message: e.to_string(),
    })?;
    Ok(Delivery::Http(crate::delivery::HttpRequest {
        method: crate::delivery::HttpVerb::Post,
        url: parsed,
        headers: Vec::new(),
        content_type: "application/json",
        body: json_body(payload),
        secrets: vec![url.expose().to_owned()],
    }))
}

/// A JSON request to a service's API.
pub(crate) fn json_request(
    method: crate::delivery::HttpVerb,
    url: url::Url,
    headers: Vec<(String, String)>,
    payload: &serde_json::Value,
    secrets: Vec<String>,
) -> Delivery {
    Delivery::Http(crate::delivery::HttpRequest {
        method,
        url,
        headers,
        content_type: "application/json",
        body: json_body(payload),
        secrets,
    })
}

/// The plain-text body most push services show: the sentence, then one
/// fact per line.
pub(crate) fn plain_message(notice: &Notice, ctx: &RenderContext) -> String {
    let mut message = text::sentence(notice, ctx.now);
    message.push('\n');
    for (label, value) in text::facts(notice) {
        message.push_str(&format!("\n{label}: {value}"));
    }
    message
}
