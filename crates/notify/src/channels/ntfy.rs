//! ntfy: a JSON publish (`POST` to the server's root with the topic in
//! the body), which carries UTF-8 titles that the header form cannot.
//! The topic is a secret: on a public server whoever knows it can read.

use pharos_domain::ChannelKind;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::config::KindConfig;
use super::fields::{check_base_url, check_text, check_token, ConfigError, Mask, Secret};
use super::form::{FormField, FormInput};
use super::text;
use super::{join_url, json_request, plain_message, RenderContext, RenderError};
use crate::delivery::{Delivery, HttpVerb};
use crate::notice::{Notice, NoticeKind};

const DEFAULT_SERVER_URL: &str = "https://ntfy.sh";

fn default_server_url() -> String {
    DEFAULT_SERVER_URL.to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NtfyConfig {
    #[serde(default = "default_server_url")]
    pub server_url: String,
    pub topic: Secret,
    /// 1 (min) to 5 (max), for outages; default 4 (high). Recoveries and
    /// the rest go out at 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    /// Extra tags (or emoji short codes) on every message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// For a protected topic: `Authorization: Bearer <token>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<Secret>,
}

impl KindConfig for NtfyConfig {
    const SECRETS: &'static [(&'static str, Mask)] =
        &[("topic", Mask::Opaque), ("access_token", Mask::Opaque)];
    const FORM: &'static [FormField] = &[
        FormField::text(
            "server_url",
            "Server address",
            "Optional: your own ntfy server.",
        )
        .input(FormInput::Url)
        .default(DEFAULT_SERVER_URL)
        .example(DEFAULT_SERVER_URL),
        FormField::text(
            "topic",
            "Topic",
            "1 to 64 letters, digits, - or _. Anyone who knows a public topic can read it, \
             so it is kept secret: choose one hard to guess.",
        )
        .secret(),
        FormField::text(
            "priority",
            "Priority of outages",
            "Optional: 1 (min) to 5 (max); 4 (high) when empty. Other messages go out at 3.",
        )
        .input(FormInput::Number { min: 1, max: 5 })
        .optional()
        .example("4"),
        FormField::text(
            "tags",
            "Tags",
            "Optional: tags or emoji short codes added to every message, one a line, at most 10.",
        )
        .input(FormInput::List)
        .optional()
        .example("production"),
        FormField::text(
            "access_token",
            "Access token",
            "Optional: for a protected topic (sent as a Bearer token).",
        )
        .secret()
        .optional(),
    ];

    fn validate(&self) -> Result<(), ConfigError> {
        check_base_url("server_url", &self.server_url)?;
        // ntfy's own rule for topic names.
        let topic = self.topic.expose();
        if topic.is_empty()
            || topic.len() > 64
            || !topic
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(ConfigError::new(
                "topic",
                "must be 1 to 64 letters, digits, - or _",
            ));
        }
        if let Some(priority) = self.priority {
            if !(1..=5).contains(&priority) {
                return Err(ConfigError::new("priority", "must be 1 to 5"));
            }
        }
        if self.tags.len() > 10 {
            return Err(ConfigError::new("tags", "at most 10 tags"));
        }
        for (i, tag) in self.tags.iter().enumerate() {
            let path = format!("tags[{i}]");
            check_text(&path, tag, 64)?;
            if tag.contains(',') {
                return Err(ConfigError::new(&path, "must not contain a comma"));
            }
        }
        if let Some(token) = &self.access_token {
            check_token("access_token", token.expose(), 256)?;
        }
        Ok(())
    }
}

pub(crate) fn render(
    config: &NtfyConfig,
    notice: &Notice,
    ctx: &RenderContext,
) -> Result<Delivery, RenderError> {
    // The root, with its slash (also under a path prefix).
    let url = join_url(ChannelKind::Ntfy, &config.server_url, &[""])?;
    let (priority, tag) = match notice.kind {
        NoticeKind::Down => (config.priority.unwrap_or(4), "rotating_light"),
        NoticeKind::Up => (3, "white_check_mark"),
        NoticeKind::Degraded => (3, "warning"),
        NoticeKind::CertificateExpiring { .. } => (3, "lock"),
        NoticeKind::Test => (3, "test_tube"),
        NoticeKind::Summary { .. } => (3, "repeat"),
        NoticeKind::AgentOffline { .. } => (4, "satellite"),
        NoticeKind::AgentOnline { .. } => (3, "satellite"),
    };
    let mut tags = vec![tag.to_owned()];
    tags.extend(config.tags.iter().cloned());
    let payload = json!({
        "topic": config.topic.expose(),
        "title": text::title(notice),
        "message": plain_message(notice, ctx),
        "priority": priority,
        "tags": tags,
        "click": text::link(notice, ctx),
    });
    let mut headers = Vec::new();
    let mut secrets = vec![config.topic.expose().to_owned()];
    if let Some(token) = &config.access_token {
        headers.push((
            "Authorization".to_owned(),
            format!("Bearer {}", token.expose()),
        ));
        secrets.push(token.expose().to_owned());
    }
    Ok(json_request(
        HttpVerb::Post,
        url,
        headers,
        &payload,
        secrets,
    ))
}
