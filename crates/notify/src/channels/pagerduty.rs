//! PagerDuty Events API v2: `trigger` on down and `resolve` on up, with
//! the incident id as the `dedup_key`, so one outage is one PagerDuty
//! incident however often it is retried. Degradation and certificate
//! warnings trigger at `warning` under their own keys. A test or a summary
//! pages no one: it is a change event (`/v2/change/enqueue`).

use pharos_domain::ChannelKind;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::config::KindConfig;
use super::fields::{check_alphanumeric, check_base_url, ConfigError, Mask, Secret};
use super::form::{FormField, FormInput};
use super::text::{self, clip};
use super::{join_url, json_request, RenderContext, RenderError};
use crate::delivery::{Delivery, HttpVerb};
use crate::notice::{Notice, NoticeKind};

const DEFAULT_API_URL: &str = "https://events.pagerduty.com";

fn default_api_url() -> String {
    DEFAULT_API_URL.to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerdutyConfig {
    /// An Events API v2 integration key.
    pub routing_key: Secret,
    #[serde(default = "default_api_url")]
    pub api_url: String,
}

impl KindConfig for PagerdutyConfig {
    const SECRETS: &'static [(&'static str, Mask)] = &[("routing_key", Mask::Opaque)];
    const FORM: &'static [FormField] = &[
        FormField::text(
            "routing_key",
            "Integration key",
            "An Events API v2 integration key (routing key): 32 letters and digits.",
        )
        .secret(),
        FormField::text(
            "api_url",
            "Events API address",
            "Optional: only for a compatible server.",
        )
        .input(FormInput::Url)
        .default(DEFAULT_API_URL)
        .example(DEFAULT_API_URL),
    ];

    fn validate(&self) -> Result<(), ConfigError> {
        check_alphanumeric("routing_key", self.routing_key.expose(), 32)?;
        check_base_url("api_url", &self.api_url).map(drop)
    }
}

/// The key PagerDuty groups events of one problem by.
pub(crate) fn dedup_key(notice: &Notice) -> String {
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
            format!("pharos-change-{}", notice.target_id)
        }
    }
}

pub(crate) fn render(
    config: &PagerdutyConfig,
    notice: &Notice,
    ctx: &RenderContext,
) -> Result<Delivery, RenderError> {
    let routing_key = config.routing_key.expose();
    let link = text::link(notice, ctx);
    let links = json!([{"href": link, "text": "Open in Pharos"}]);
    let custom_details: Map<String, Value> = text::facts(notice)
        .into_iter()
        .map(|(label, value)| (label.to_owned(), Value::String(value)))
        .collect();
    // PagerDuty's summary is at most 1024 characters.
    let summary = clip(
        &format!(
            "{}: {}",
            text::title(notice),
            text::sentence(notice, ctx.now)
        ),
        1024,
    );
    let source = clip(&text::one_line(&notice.target_address), 255);

    let (path, payload): (&[&str], Value) = match notice.kind {
        NoticeKind::Test | NoticeKind::Summary { .. } => (
            &["v2", "change", "enqueue"],
            json!({
                "routing_key": routing_key,
                "payload": {
                    "summary": summary,
                    "timestamp": notice.occurred_at.to_rfc3339(),
                    "source": source,
                    "custom_details": custom_details,
                },
                "links": links,
            }),
        ),
        NoticeKind::Up | NoticeKind::AgentOnline { .. } => (
            &["v2", "enqueue"],
            json!({
                "routing_key": routing_key,
                "event_action": "resolve",
                "dedup_key": dedup_key(notice),
            }),
        ),
        NoticeKind::Down
        | NoticeKind::Degraded
        | NoticeKind::CertificateExpiring { .. }
        | NoticeKind::AgentOffline { .. } => {
            let severity = if notice.kind == NoticeKind::Down {
                "critical"
            } else {
                "warning"
            };
            (
                &["v2", "enqueue"],
                json!({
                    "routing_key": routing_key,
                    "event_action": "trigger",
                    "dedup_key": dedup_key(notice),
                    "client": "Pharos",
                    "client_url": link,
                    "links": links,
                    "payload": {
                        "summary": summary,
                        "source": source,
                        "severity": severity,
                        "timestamp": notice.occurred_at.to_rfc3339(),
                        "component": clip(&text::target_name(notice), 255),
                        "class": notice.target_kind.as_str(),
                        "group": clip(&text::one_line(&notice.organization), 255),
                        "custom_details": custom_details,
                    },
                }),
            )
        }
    };
    let url = join_url(ChannelKind::Pagerduty, &config.api_url, path)?;
    Ok(json_request(
        HttpVerb::Post,
        url,
        Vec::new(),
        &payload,
        vec![routing_key.to_owned()],
    ))
}
