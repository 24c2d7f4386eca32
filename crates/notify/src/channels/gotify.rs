//! Gotify: `POST /message` with the application token in `X-Gotify-Key`
//! (never in the query, where proxies log it). Plain text display and a
//! click URL through Gotify's `extras`.

use pharos_domain::ChannelKind;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::config::KindConfig;
use super::fields::{check_base_url, check_token, ConfigError, Mask, Secret};
use super::form::{FormField, FormInput};
use super::text;
use super::{join_url, json_request, plain_message, RenderContext, RenderError};
use crate::delivery::{Delivery, HttpVerb};
use crate::notice::{Notice, NoticeKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GotifyConfig {
    /// The Gotify server (`https://push.example.com`).
    pub server_url: String,
    /// An application's token.
    pub app_token: Secret,
}

impl KindConfig for GotifyConfig {
    const SECRETS: &'static [(&'static str, Mask)] = &[("app_token", Mask::Opaque)];
    const FORM: &'static [FormField] = &[
        FormField::text("server_url", "Server address", "Your Gotify server.")
            .input(FormInput::Url)
            .example("https://push.example.com"),
        FormField::text(
            "app_token",
            "Application token",
            "The token of an application made in Gotify for Pharos.",
        )
        .secret(),
    ];

    fn validate(&self) -> Result<(), ConfigError> {
        check_base_url("server_url", &self.server_url)?;
        check_token("app_token", self.app_token.expose(), 256)
    }
}

pub(crate) fn render(
    config: &GotifyConfig,
    notice: &Notice,
    ctx: &RenderContext,
) -> Result<Delivery, RenderError> {
    let url = join_url(ChannelKind::Gotify, &config.server_url, &["message"])?;
    // Gotify: 8 and above is high priority on Android.
    let priority = match notice.kind {
        NoticeKind::Down => 8,
        NoticeKind::Degraded
        | NoticeKind::CertificateExpiring { .. }
        | NoticeKind::AgentOffline { .. } => 6,
        NoticeKind::Up | NoticeKind::AgentOnline { .. } => 5,
        NoticeKind::Test | NoticeKind::Summary { .. } => 3,
    };
    let payload = json!({
        "title": text::title(notice),
        "message": plain_message(notice, ctx),
        "priority": priority,
        "extras": {
            "client::display": {"contentType": "text/plain"},
            "client::notification": {"click": {"url": text::link(notice, ctx)}},
        },
    });
    let token = config.app_token.expose().to_owned();
    Ok(json_request(
        HttpVerb::Post,
        url,
        vec![("X-Gotify-Key".to_owned(), token.clone())],
        &payload,
        vec![token],
    ))
}
