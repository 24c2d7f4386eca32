//! Discord webhooks: one embed with the notice's colour and a link. No
//! mention is ever parsed (`allowed_mentions`), whatever a name contains.

use pharos_domain::ChannelKind;
use serde_json::{json, Value};

use super::config::IncomingWebhookConfig;
use super::text::{self, clip, markdown};
use super::{post_json_to_webhook, RenderContext, RenderError};
use crate::delivery::Delivery;
use crate::notice::Notice;

pub(crate) fn render(
    config: &IncomingWebhookConfig,
    notice: &Notice,
    ctx: &RenderContext,
) -> Result<Delivery, RenderError> {
    // Discord's limits: title 256, description 4096, field value 1024.
    let fields: Vec<Value> = text::facts(notice)
        .into_iter()
        .map(|(label, value)| {
            json!({
                "name": label,
                "value": clip(&markdown(&value), 1024),
                "inline": super::slack::is_short(label),
            })
        })
        .collect();
    let payload = json!({
        "username": "Pharos",
        "allowed_mentions": {"parse": []},
        "embeds": [{
            "title": clip(&markdown(&text::title(notice)), 256),
            "description": clip(&markdown(&text::sentence(notice, ctx.now)), 4096),
            "url": text::link(notice, ctx),
            "color": text::colour(notice.kind),
            "fields": fields,
            "timestamp": notice.occurred_at.to_rfc3339(),
            "footer": {"text": clip(&format!("Pharos · {}", text::one_line(&notice.organization)), 2048)},
        }],
    });
    post_json_to_webhook(ChannelKind::Discord, &config.url, &payload)
}
