//! Telegram: the Bot API's `sendMessage` with `parse_mode: HTML`; every
//! value is HTML-escaped (Telegram refuses a message whose tags do not
//! parse, and a name could otherwise add a link).

use pharos_domain::ChannelKind;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::config::KindConfig;
use super::fields::{check_base_url, string_or_integer, ConfigError, Mask, Secret};
use super::form::{FormField, FormInput};
use super::text::{self, html};
use super::{join_url, json_request, RenderContext, RenderError};
use crate::delivery::{Delivery, HttpVerb};
use crate::notice::Notice;

const DEFAULT_API_URL: &str = "https://api.telegram.org";

fn default_api_url() -> String {
    DEFAULT_API_URL.to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramConfig {
    /// `123456:ABC-DEF...` from @BotFather.
    pub bot_token: Secret,
    /// A chat's number (`-100123...`) or a channel's `@name`.
    #[serde(deserialize_with = "string_or_integer")]
    pub chat_id: String,
    #[serde(default = "default_api_url")]
    pub api_url: String,
}

impl KindConfig for TelegramConfig {
    const SECRETS: &'static [(&'static str, Mask)] = &[("bot_token", Mask::Opaque)];
    const FORM: &'static [FormField] = &[
        FormField::text(
            "bot_token",
            "Bot token",
            "From @BotFather, such as 123456:ABC-DEF….",
        )
        .secret(),
        FormField::text(
            "chat_id",
            "Chat",
            "A chat's number (-100123…) or a public channel's @name. The bot must be in it.",
        )
        .example("-1001234567890"),
        FormField::text(
            "api_url",
            "Bot API address",
            "Optional: for a Bot API server of your own.",
        )
        .input(FormInput::Url)
        .default(DEFAULT_API_URL)
        .example(DEFAULT_API_URL),
    ];

    fn validate(&self) -> Result<(), ConfigError> {
        // The token goes into the URL path: only the characters tokens have.
        let token = self.bot_token.expose();
        let well_formed = token.split_once(':').is_some_and(|(bot, key)| {
            !bot.is_empty()
                && bot.bytes().all(|b| b.is_ascii_digit())
                && !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        if !well_formed || token.len() > 128 {
            return Err(ConfigError::new(
                "bot_token",
                "is not a bot token (123456:ABC-DEF..., from @BotFather)",
            ));
        }
        let chat = self.chat_id.as_str();
        let numeric = chat.strip_prefix('-').unwrap_or(chat);
        let is_number = !numeric.is_empty()
            && numeric.len() <= 20
            && numeric.bytes().all(|b| b.is_ascii_digit());
        let is_name = chat.strip_prefix('@').is_some_and(|name| {
            (4..=32).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
        if !is_number && !is_name {
            return Err(ConfigError::new(
                "chat_id",
                "must be a chat number (-100123...) or a channel's @name",
            ));
        }
        check_base_url("api_url", &self.api_url).map(drop)
    }
}

pub(crate) fn render(
    config: &TelegramConfig,
    notice: &Notice,
    ctx: &RenderContext,
) -> Result<Delivery, RenderError> {
    let token = config.bot_token.expose();
    let url = join_url(
        ChannelKind::Telegram,
        &config.api_url,
        &[&format!("bot{token}"), "sendMessage"],
    )?;
    let mut message = format!(
        "<b>{}</b>: {}\n{}\n",
        text::word(notice.kind),
        html(&text::target_name(notice)),
        html(&text::sentence(notice, ctx.now)),
    );
    for (label, value) in text::facts(notice) {
        message.push_str(&format!("\n<b>{}</b>: {}", html(label), html(&value)));
    }
    message.push_str(&format!(
        "\n\n<a href=\"{}\">Open in Pharos</a>",
        html(&text::link(notice, ctx))
    ));
    let payload = json!({
        "chat_id": config.chat_id,
        "text": message,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": true},
    });
    Ok(json_request(
        HttpVerb::Post,
        url,
        Vec::new(),
        &payload,
        vec![token.to_owned()],
    ))
}
