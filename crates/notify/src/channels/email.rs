//! Email: the subject `DOWN - <target> - <location> - <kind>`, a text and
//! an HTML part. Sent by [`crate::transport::Mailer`] from the instance's
//! SMTP server.

use lettre::Address;
use serde::{Deserialize, Serialize};

use super::config::KindConfig;
use super::fields::{ConfigError, Mask};
use super::form::{FormField, FormInput};
use super::text::{self, html};
use super::RenderContext;
use crate::delivery::{Delivery, EmailMessage};
use crate::notice::{Notice, NoticeKind};

/// Enough for a team list; more belongs in a mailing list.
const MAX_RECIPIENTS: usize = 50;
/// The most verdict changes an email lists from the last 24 hours.
const MAX_HISTORY_ROWS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// Recipient addresses (`name@example.com`).
    pub to: Vec<String>,
    /// Add the last 24 hours of checks to the body.
    #[serde(default)]
    pub include_history: bool,
}

impl KindConfig for EmailConfig {
    const SECRETS: &'static [(&'static str, Mask)] = &[];
    const FORM: &'static [FormField] = &[
        FormField::text(
            "to",
            "Recipients",
            "Email addresses, one a line (commas also separate), at most 50. \
             Sent through the server's SMTP settings.",
        )
        .input(FormInput::List)
        .example("ops@example.com"),
        FormField::text(
            "include_history",
            "Include the last 24 hours of checks",
            "Each email lists the target's changes of the last day.",
        )
        .input(FormInput::Checkbox)
        .optional(),
    ];

    fn validate(&self) -> Result<(), ConfigError> {
        if self.to.is_empty() {
            return Err(ConfigError::new("to", "give at least one address"));
        }
        if self.to.len() > MAX_RECIPIENTS {
            return Err(ConfigError::new(
                "to",
                format!("at most {MAX_RECIPIENTS} addresses"),
            ));
        }
        for (i, address) in self.to.iter().enumerate() {
            // lettre's parser is the one the mailer uses: an address that
            // passes here is one the transport can send to.
            if address.parse::<Address>().is_err() {
                return Err(ConfigError::new(
                    &format!("to[{i}]"),
                    "is not an email address (name@example.com)",
                ));
            }
        }
        Ok(())
    }
}

/// `DOWN - api - local - http`: one line whatever the target's name holds.
pub(crate) fn subject(notice: &Notice) -> String {
    if let NoticeKind::AgentOffline { targets, .. } | NoticeKind::AgentOnline { targets, .. } =
        notice.kind
    {
        // `AGENT OFFLINE - Frankfurt - 12 targets`.
        return format!(
            "{} - {} - {targets} target{}",
            text::word(notice.kind),
            text::target_name(notice),
            if targets == 1 { "" } else { "s" }
        );
    }
    let base = format!(
        "{} - {} - {} - {}",
        text::word(notice.kind),
        text::target_name(notice),
        text::clip(&text::one_line(&notice.location), 100),
        notice.target_kind.as_str(),
    );
    match notice.kind {
        NoticeKind::CertificateExpiring { days_left } => format!("{base} ({days_left} days left)"),
        NoticeKind::Summary { folded } => format!("{base} ({folded} alerts folded)"),
        _ => base,
    }
}

pub(crate) fn render(config: &EmailConfig, notice: &Notice, ctx: &RenderContext) -> Delivery {
    let link = text::link(notice, ctx);
    let sentence = text::sentence(notice, ctx.now);
    let mut facts = text::facts(notice);
    if !config.include_history {
        facts.retain(|(label, _)| *label != "Last 24 hours");
    }
    let changes = match (&notice.history, config.include_history) {
        (Some(history), true) => text::history_changes(history),
        _ => Vec::new(),
    };
    let shown = &changes[changes.len().saturating_sub(MAX_HISTORY_ROWS)..];

    let mut plain = format!("{sentence}\n\n");
    for (label, value) in &facts {
        plain.push_str(&format!("{label}: {value}\n"));
    }
    plain.push_str(&format!("\nOpen in Pharos: {link}\n"));
    if !shown.is_empty() {
        plain.push_str("\nChanges in the last 24 hours:\n");
        for point in shown {
            plain.push_str(&format!(
                "  {}  {}{}\n",
                text::timestamp(point.checked_at),
                point.verdict,
                latency(point.latency_ms)
            ));
        }
    }
    plain.push_str(&format!(
        "\n-- \nPharos, for {}\n",
        text::one_line(&notice.organization)
    ));

    let colour = text::colour_hex(notice.kind);
    let mut body = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;color:#202124\">\
         <p style=\"border-left:4px solid {colour};padding-left:8px;font-size:16px\">\
         <strong>{word}</strong> {sentence}</p><table style=\"border-collapse:collapse\">",
        title = html(&subject(notice)),
        word = text::word(notice.kind),
        sentence = html(&sentence),
    );
    for (label, value) in &facts {
        body.push_str(&format!(
            "<tr><th style=\"text-align:left;padding:2px 12px 2px 0\">{}</th><td>{}</td></tr>",
            html(label),
            html(value)
        ));
    }
    body.push_str(&format!(
        "</table><p><a href=\"{href}\">Open in Pharos</a></p>",
        href = html(&link)
    ));
    if !shown.is_empty() {
        body.push_str(
            "<h2 style=\"font-size:14px\">Changes in the last 24 hours</h2>\
             <table style=\"border-collapse:collapse\">",
        );
        for point in shown {
            body.push_str(&format!(
                "<tr><td style=\"padding:2px 12px 2px 0\">{}</td><td>{}{}</td></tr>",
                html(&text::timestamp(point.checked_at)),
                html(point.verdict),
                html(&latency(point.latency_ms))
            ));
        }
        body.push_str("</table>");
    }
    body.push_str(&format!(
        "<p style=\"color:#5f6368;font-size:12px\">Pharos, for {}</p></body></html>\n",
        html(&text::one_line(&notice.organization))
    ));

    Delivery::Email(EmailMessage {
        to: config.to.clone(),
        subject: subject(notice),
        text: plain,
        html: body,
        headers: Vec::new(),
    })
}

fn latency(ms: Option<u32>) -> String {
    ms.map(|ms| format!(", {ms} ms")).unwrap_or_default()
}
