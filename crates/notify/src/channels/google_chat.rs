//! Google Chat incoming webhooks: a card (cardsV2) with a coloured first
//! line and a button to the target's page; card text is Chat's small HTML
//! subset, so every value is HTML-escaped.

use pharos_domain::ChannelKind;
use serde_json::{json, Value};

use super::config::IncomingWebhookConfig;
use super::text::{self, html};
use super::{post_json_to_webhook, RenderContext, RenderError};
use crate::delivery::Delivery;
use crate::notice::Notice;

pub(crate) fn render(
    config: &IncomingWebhookConfig,
    notice: &Notice,
    ctx: &RenderContext,
) -> Result<Delivery, RenderError> {
    let mut widgets: Vec<Value> = vec![json!({
        "decoratedText": {
            "text": format!(
                "<font color=\"{}\"><b>{}</b></font> {}",
                text::colour_hex(notice.kind),
                text::word(notice.kind),
                html(&text::sentence(notice, ctx.now)),
            ),
            "wrapText": true,
        }
    })];
    widgets.extend(text::facts(notice).into_iter().map(|(label, value)| {
        json!({"decoratedText": {"topLabel": label, "text": html(&value), "wrapText": true}})
    }));
    widgets.push(json!({
        "buttonList": {"buttons": [{
            "text": "Open in Pharos",
            "onClick": {"openLink": {"url": text::link(notice, ctx)}},
        }]}
    }));
    let payload = json!({
        "fallbackText": text::title(notice),
        "cardsV2": [{
            "cardId": "pharos-alert",
            "card": {
                "header": {
                    "title": text::title(notice),
                    "subtitle": format!("Pharos · {}", text::one_line(&notice.organization)),
                },
                "sections": [{"widgets": widgets}],
            },
        }],
    });
    post_json_to_webhook(ChannelKind::GoogleChat, &config.url, &payload)
}
