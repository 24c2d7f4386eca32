//! Microsoft Teams: an Adaptive Card in a message envelope, which the
//! Workflows webhooks that replace Office 365 connectors accept (they no
//! longer render the old MessageCard). The card has no theme colour, so
//! the colour is the heading container's style.

use pharos_domain::ChannelKind;
use serde_json::{json, Value};

use super::config::IncomingWebhookConfig;
use super::text;
use super::{post_json_to_webhook, RenderContext, RenderError};
use crate::delivery::Delivery;
use crate::notice::{Notice, NoticeKind};

pub(crate) fn render(
    config: &IncomingWebhookConfig,
    notice: &Notice,
    ctx: &RenderContext,
) -> Result<Delivery, RenderError> {
    let (style, colour) = match notice.kind {
        NoticeKind::Down => ("attention", "Attention"),
        NoticeKind::Up | NoticeKind::AgentOnline { .. } => ("good", "Good"),
        NoticeKind::Degraded
        | NoticeKind::CertificateExpiring { .. }
        | NoticeKind::AgentOffline { .. } => ("warning", "Warning"),
        NoticeKind::Test => ("accent", "Accent"),
        NoticeKind::Summary { .. } => ("emphasis", "Default"),
    };
    let facts: Vec<Value> = text::facts(notice)
        .into_iter()
        .map(|(label, value)| json!({"title": label, "value": escape(&value)}))
        .collect();
    let card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": [
            {
                "type": "Container",
                "style": style,
                "bleed": true,
                "items": [{
                    "type": "TextBlock",
                    "text": escape(&text::title(notice)),
                    "weight": "Bolder",
                    "size": "Medium",
                    "color": colour,
                    "wrap": true,
                }],
            },
            {"type": "TextBlock", "text": escape(&text::sentence(notice, ctx.now)), "wrap": true},
            {"type": "FactSet", "facts": facts},
        ],
        "actions": [{
            "type": "Action.OpenUrl",
            "title": "Open in Pharos",
            "url": text::link(notice, ctx),
        }],
    });
    let payload = json!({
        "type": "message",
        "summary": text::title(notice),
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    });
    post_json_to_webhook(ChannelKind::Teams, &config.url, &payload)
}

/// Adaptive Cards parse a small Markdown subset (emphasis, lists, links):
/// backslash the characters that start those, and nothing else, since
/// Teams shows a needless backslash literally on some clients.
fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if matches!(c, '\\' | '*' | '_' | '[' | ']' | '(' | ')' | '~' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
