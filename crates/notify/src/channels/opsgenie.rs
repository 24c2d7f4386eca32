//! Opsgenie Alert API: create an alert on down with the incident as its
//! `alias` (Opsgenie folds a repeat into the open alert), close it by that
//! alias on up. Degradation and certificate warnings are P3 alerts under
//! their own aliases; a test or a summary is a P5.

use pharos_domain::ChannelKind;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::config::KindConfig;
use super::fields::{check_base_url, check_token, ConfigError, Mask, Secret};
use super::form::{FormField, FormInput};
use super::text::{self, clip};
use super::{join_url, json_request, plain_message, RenderContext, RenderError};
use crate::delivery::{Delivery, HttpVerb};
use crate::notice::{Notice, NoticeKind};

const DEFAULT_API_URL: &str = "https://api.opsgenie.com";

fn default_api_url() -> String {
    DEFAULT_API_URL.to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsgenieConfig {
    /// An API integration's key.
    pub api_key: Secret,
    /// `https://api.eu.opsgenie.com` for EU accounts.
    #[serde(default = "default_api_url")]
    pub api_url: String,
}

impl KindConfig for OpsgenieConfig {
    const SECRETS: &'static [(&'static str, Mask)] = &[("api_key", Mask::Opaque)];
    const FORM: &'static [FormField] = &[
        FormField::text(
            "api_key",
            "API key",
            "The key of an API integration in Opsgenie.",
        )
        .secret(),
        FormField::text(
            "api_url",
            "API address",
            "Optional: https://api.eu.opsgenie.com for accounts in the EU.",
        )
        .input(FormInput::Url)
        .default(DEFAULT_API_URL)
        .example(DEFAULT_API_URL),
    ];

    fn validate(&self) -> Result<(), ConfigError> {
        check_token("api_key", self.api_key.expose(), 128)?;
        check_base_url("api_url", &self.api_url).map(drop)
    }
}

/// The alert's alias: one per incident (at most 512 characters).
pub(crate) fn alias(notice: &Notice, ctx: &RenderContext) -> String {
    match (notice.kind, notice.incident_id) {
        (NoticeKind::Down | NoticeKind::Up, Some(incident)) => {
            format!("pharos-incident-{incident}")
        }
        (NoticeKind::Down | NoticeKind::Up, None) => format!("pharos-target-{}", notice.target_id),
        (NoticeKind::Degraded, _) => format!("pharos-degraded-{}", notice.target_id),
        (NoticeKind::CertificateExpiring { .. }, _) => {
            format!("pharos-certificate-{}", notice.target_id)
        }
        // Offline opens the agent's alert; online closes it.
        (NoticeKind::AgentOffline { agent, .. } | NoticeKind::AgentOnline { agent, .. }, _) => {
            format!("pharos-agent-{agent}")
        }
        (NoticeKind::Test | NoticeKind::Summary { .. }, _) => {
            clip(&format!("pharos-{}", ctx.delivery_key), 512)
        }
    }
}

pub(crate) fn render(
    config: &OpsgenieConfig,
    notice: &Notice,
    ctx: &RenderContext,
) -> Result<Delivery, RenderError> {
    let key = config.api_key.expose();
    let headers = vec![("Authorization".to_owned(), format!("GenieKey {key}"))];
    let alias = alias(notice, ctx);
    let closes = matches!(notice.kind, NoticeKind::Up | NoticeKind::AgentOnline { .. });
    let (url, payload) = if closes {
        let mut url = join_url(
            ChannelKind::Opsgenie,
            &config.api_url,
            &["v2", "alerts", &alias, "close"],
        )?;
        url.query_pairs_mut().append_pair("identifierType", "alias");
        let note = clip(&text::sentence(notice, ctx.now), 25_000);
        (
            url,
            json!({"source": "Pharos", "user": "Pharos", "note": note}),
        )
    } else {
        let priority = match notice.kind {
            NoticeKind::Down => "P1",
            NoticeKind::Degraded
            | NoticeKind::CertificateExpiring { .. }
            | NoticeKind::AgentOffline { .. } => "P3",
            _ => "P5",
        };
        let mut details: Map<String, Value> = text::facts(notice)
            .into_iter()
            .map(|(label, value)| (label.to_owned(), Value::String(value)))
            .collect();
        details.insert("Link".to_owned(), Value::String(text::link(notice, ctx)));
        let url = join_url(ChannelKind::Opsgenie, &config.api_url, &["v2", "alerts"])?;
        // Opsgenie's limits: message 130, description 15000, entity 512.
        let payload = json!({
            "message": clip(&text::title(notice), 130),
            "alias": alias,
            "description": clip(&plain_message(notice, ctx), 15_000),
            "details": details,
            "entity": clip(&text::one_line(&notice.target_address), 512),
            "source": "Pharos",
            "priority": priority,
            "tags": ["pharos", text::event_name(notice.kind), notice.target_kind.as_str()],
        });
        (url, payload)
    };
    Ok(json_request(
        HttpVerb::Post,
        url,
        headers,
        &payload,
        vec![key.to_owned()],
    ))
}
