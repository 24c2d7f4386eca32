//! Mattermost incoming webhooks: Slack-compatible attachments with a
//! colour; Mattermost renders their text as Markdown, so it is escaped as
//! Markdown (which also keeps `@channel` in a name from notifying anyone).

use pharos_domain::ChannelKind;
use serde_json::{json, Value};

use super::config::IncomingWebhookConfig;
use super::text::{self, markdown};
use super::{post_json_to_webhook, RenderContext, RenderError};
use crate::delivery::Delivery;
use crate::notice::Notice;

pub(crate) fn render(
    config: &IncomingWebhookConfig,
    notice: &Notice,
    ctx: &RenderContext,
) -> Result<Delivery, RenderError> {
    let title = text::title(notice);
    let sentence = text::sentence(notice, ctx.now);
    let fields: Vec<Value> = text::facts(notice)
        .into_iter()
        .map(|(label, value)| {
            json!({"title": label, "value": markdown(&value), "short": super::slack::is_short(label)})
        })
        .collect();
    let payload = json!({
        "username": "Pharos",
        "attachments": [{
            "fallback": format!("{title}: {sentence}"),
            "color": text::colour_hex(notice.kind),
            "title": title,
            "title_link": text::link(notice, ctx),
            "text": markdown(&sentence),
            "fields": fields,
            "footer": format!("Pharos · {}", text::one_line(&notice.organization)),
        }],
    });
    post_json_to_webhook(ChannelKind::Mattermost, &config.url, &payload)
}
