//! Pushover: `POST /1/messages.json`, form-encoded as its API documents;
//! outages go out at high priority (1), which bypasses quiet hours.

use pharos_domain::ChannelKind;
use serde::{Deserialize, Serialize};

use super::config::KindConfig;
use super::fields::{check_alphanumeric, check_base_url, ConfigError, Mask, Secret};
use super::form::{FormField, FormInput};
use super::text::{self, clip};
use super::{join_url, plain_message, RenderContext, RenderError};
use crate::delivery::{Delivery, HttpRequest, HttpVerb};
use crate::notice::{Notice, NoticeKind};

const DEFAULT_API_URL: &str = "https://api.pushover.net";

fn default_api_url() -> String {
    DEFAULT_API_URL.to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushoverConfig {
    /// The user's (or group's) key.
    pub user_key: Secret,
    /// The application's API token.
    pub app_token: Secret,
    #[serde(default = "default_api_url")]
    pub api_url: String,
}

impl KindConfig for PushoverConfig {
    const SECRETS: &'static [(&'static str, Mask)] =
        &[("user_key", Mask::Opaque), ("app_token", Mask::Opaque)];
    const FORM: &'static [FormField] = &[
        FormField::text(
            "user_key",
            "User key",
            "Your user (or group) key: 30 letters and digits, on Pushover's dashboard.",
        )
        .secret(),
        FormField::text(
            "app_token",
            "Application token",
            "An application's API token: 30 letters and digits.",
        )
        .secret(),
        FormField::text(
            "api_url",
            "API address",
            "Optional: only for a Pushover-compatible server.",
        )
        .input(FormInput::Url)
        .default(DEFAULT_API_URL)
        .example(DEFAULT_API_URL),
    ];

    fn validate(&self) -> Result<(), ConfigError> {
        // Pushover's keys and tokens are 30 letters and digits.
        check_alphanumeric("user_key", self.user_key.expose(), 30)?;
        check_alphanumeric("app_token", self.app_token.expose(), 30)?;
        check_base_url("api_url", &self.api_url).map(drop)
    }
}

pub(crate) fn render(
    config: &PushoverConfig,
    notice: &Notice,
    ctx: &RenderContext,
) -> Result<Delivery, RenderError> {
    let url = join_url(
        ChannelKind::Pushover,
        &config.api_url,
        &["1", "messages.json"],
    )?;
    let priority = match notice.kind {
        NoticeKind::Down => "1",
        NoticeKind::Test | NoticeKind::Summary { .. } => "-1",
        _ => "0",
    };
    // Pushover's limits: title 250, message 1024, url 512 characters.
    let link = text::link(notice, ctx);
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("token", config.app_token.expose())
        .append_pair("user", config.user_key.expose())
        .append_pair("title", &clip(&text::title(notice), 250))
        .append_pair("message", &clip(&plain_message(notice, ctx), 1024))
        .append_pair("priority", priority)
        .append_pair("timestamp", &notice.occurred_at.timestamp().to_string());
    if link.len() <= 512 {
        form.append_pair("url", &link)
            .append_pair("url_title", "Open in Pharos");
    }
    Ok(Delivery::Http(HttpRequest {
        method: HttpVerb::Post,
        url,
        headers: Vec::new(),
        content_type: "application/x-www-form-urlencoded",
        body: form.finish().into_bytes(),
        secrets: vec![
            config.app_token.expose().to_owned(),
            config.user_key.expose().to_owned(),
        ],
    }))
}
