//! Slack incoming webhooks: a message with one coloured attachment (the
//! legacy attachment is still the only way Slack shows a colour bar).

use pharos_domain::ChannelKind;
use serde_json::{json, Value};

use super::config::IncomingWebhookConfig;
use super::text::{self, slack};
use super::{post_json_to_webhook, RenderContext, RenderError};
use crate::delivery::Delivery;
use crate::notice::Notice;

pub(crate) fn render(
    config: &IncomingWebhookConfig,
    notice: &Notice,
    ctx: &RenderContext,
) -> Result<Delivery, RenderError> {
    let title = slack(&text::title(notice));
    let sentence = slack(&text::sentence(notice, ctx.now));
    let fields: Vec<Value> = text::facts(notice)
        .into_iter()
        .map(|(label, value)| {
            json!({"title": label, "value": slack(&value), "short": is_short(label)})
        })
        .collect();
    let payload = json!({
        "text": format!("{title}: {sentence}"),
        "attachments": [{
            "fallback": format!("{title}: {sentence}"),
            "color": text::colour_hex(notice.kind),
            "title": title,
            "title_link": text::link(notice, ctx),
            "text": sentence,
            "fields": fields,
            "footer": format!("Pharos · {}", slack(&text::one_line(&notice.organization))),
            "ts": notice.occurred_at.timestamp(),
        }],
    });
    post_json_to_webhook(ChannelKind::Slack, &config.url, &payload)
}

/// Facts short enough to sit two to a row.
pub(crate) fn is_short(label: &str) -> bool {
    matches!(label, "Kind" | "Location" | "Since" | "Status code")
}
