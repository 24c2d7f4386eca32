//! The generic webhook: a JSON POST signed with the channel's secret.
//!
//! `X-Pharos-Signature: sha256=<hex HMAC-SHA256(secret, "<ts>.<body>")>`
//! with `X-Pharos-Timestamp: <ts>` (unix seconds of the attempt), so a
//! receiver can verify the body and refuse old replays. Retries carry the
//! same `X-Pharos-Delivery` id.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

use super::config::KindConfig;
use super::fields::{check_url, ConfigError, Mask, Secret};
use super::form::{FormField, FormInput};
use super::text;
use super::{json_body, RenderContext, RenderError};
use crate::delivery::{Delivery, HttpRequest, HttpVerb};
use crate::notice::{Notice, NoticeKind};

pub(crate) const SIGNING_SECRET: &str = "signing_secret";
pub const SIGNATURE_HEADER: &str = "X-Pharos-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Pharos-Timestamp";
pub const DELIVERY_HEADER: &str = "X-Pharos-Delivery";
pub const EVENT_HEADER: &str = "X-Pharos-Event";

const MAX_HEADERS: usize = 20;

/// Names a user may not set: the transport's own (framing, host, type) and
/// every `X-Pharos-*` header (the signature is ours).
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-type",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "upgrade",
    "expect",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// May embed a key (`?token=`): kept with the secrets.
    pub url: Secret,
    /// Extra request headers (`Authorization: Bearer ...`); their values
    /// are secret.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Secret>,
    /// Made by Pharos when the channel is created; shown once.
    pub signing_secret: Secret,
}

impl KindConfig for WebhookConfig {
    const SECRETS: &'static [(&'static str, Mask)] = &[
        ("url", Mask::Url),
        ("headers", Mask::Values),
        (SIGNING_SECRET, Mask::Opaque),
    ];
    const SERVER_MADE: &'static [&'static str] = &[SIGNING_SECRET];
    const FORM: &'static [FormField] = &[
        FormField::text(
            "url",
            "URL",
            "Pharos POSTs JSON here, signed with a secret shown once when the channel is made. \
             Kept secret (it may hold a key) and shown masked.",
        )
        .input(FormInput::Url)
        .secret()
        .example("https://hooks.example.com/pharos"),
        FormField::text(
            "headers",
            "Extra headers",
            "Optional: one Name: value a line, at most 20. Their values are kept secret.",
        )
        .input(FormInput::Headers)
        .secret()
        .optional()
        .example("Authorization: Bearer …"),
    ];

    fn validate(&self) -> Result<(), ConfigError> {
        check_url("url", self.url.expose())?;
        if self.headers.len() > MAX_HEADERS {
            return Err(ConfigError::new(
                "headers",
                format!("at most {MAX_HEADERS} headers"),
            ));
        }
        let mut seen: Vec<String> = Vec::new();
        for (name, value) in &self.headers {
            let path = format!("headers.{name}");
            check_header_name(&path, name)?;
            let lower = name.to_ascii_lowercase();
            if seen.contains(&lower) {
                return Err(ConfigError::new(&path, "is given twice"));
            }
            seen.push(lower);
            check_header_value(&path, value.expose())?;
        }
        if self.signing_secret.expose().len() < 32 {
            return Err(ConfigError::new(SIGNING_SECRET, "is too short"));
        }
        Ok(())
    }
}

fn check_header_name(path: &str, name: &str) -> Result<(), ConfigError> {
    // RFC 9110 token characters.
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || name.len() > 64 || !name.bytes().all(token) {
        return Err(ConfigError::new(
            path,
            "is not a header name (letters, digits and -, at most 64)",
        ));
    }
    let lower = name.to_ascii_lowercase();
    if RESERVED_HEADERS.contains(&lower.as_str()) || lower.starts_with("x-pharos-") {
        return Err(ConfigError::new(
            path,
            "is set by Pharos and cannot be overridden",
        ));
    }
    Ok(())
}

fn check_header_value(path: &str, value: &str) -> Result<(), ConfigError> {
    let visible = |b: u8| b == b' ' || b == b'\t' || b.is_ascii_graphic();
    if value.len() > 1024 || !value.bytes().all(visible) {
        return Err(ConfigError::new(
            path,
            "must be printable ASCII on one line, at most 1024 characters",
        ));
    }
    Ok(())
}

/// 32 random bytes from the operating system, as 64 hex digits.
pub fn new_webhook_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// `sha256=<hex>` over `"<timestamp>.<body>"`: what a receiver recomputes.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn render(
    config: &WebhookConfig,
    notice: &Notice,
    ctx: &RenderContext,
) -> Result<Delivery, RenderError> {
    let event = text::event_name(notice.kind);
    let mut payload = json!({
        "monitor": notice.target_name,
        "type": notice.target_kind.as_str(),
        "target": notice.target_address,
        "event": event,
        "details": notice.details,
        "timestamp": notice.occurred_at.to_rfc3339(),
        "target_id": notice.target_id,
        "incident_id": notice.incident_id,
        "organization": notice.organization,
        "url": text::link(notice, ctx),
        "location": notice.location,
        "since": notice.since.to_rfc3339(),
        "status_code": notice.status_code,
        "error": notice.error,
        "delivery_id": ctx.delivery_key,
    });
    match notice.kind {
        NoticeKind::CertificateExpiring { days_left } => {
            payload["days_left"] = json!(days_left);
        }
        NoticeKind::Summary { folded } => payload["folded"] = json!(folded),
        _ => {}
    }
    if let Some(history) = &notice.history {
        payload["history_summary"] = json!(text::history_summary(history));
    }
    let body = json_body(&payload);
    let timestamp = ctx.now.timestamp();
    let signature = sign(config.signing_secret.expose(), timestamp, &body);

    let url = check_url("url", config.url.expose()).map_err(|e| RenderError::Url {
        kind: pharos_domain::ChannelKind::Webhook,
        message: e.message,
    })?;
    let mut headers: Vec<(String, String)> = config
        .headers
        .iter()
        // Refused at parse time; skipped again so no stored value can
        // replace the signature.
        .filter(|(name, _)| check_header_name("", name).is_ok())
        .map(|(name, value)| (name.clone(), value.expose().to_owned()))
        .collect();
    headers.extend([
        (SIGNATURE_HEADER.to_owned(), signature),
        (TIMESTAMP_HEADER.to_owned(), timestamp.to_string()),
        (DELIVERY_HEADER.to_owned(), ctx.delivery_key.clone()),
        (EVENT_HEADER.to_owned(), event.to_owned()),
    ]);
    let mut secrets = vec![
        config.url.expose().to_owned(),
        config.signing_secret.expose().to_owned(),
    ];
    secrets.extend(config.headers.values().map(|v| v.expose().to_owned()));
    Ok(Delivery::Http(HttpRequest {
        method: HttpVerb::Post,
        url,
        headers,
        content_type: "application/json",
        body,
        secrets,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        let signature = sign("key", 1, b"{}");
        assert!(signature.starts_with("sha256="));
        assert_eq!(signature.len(), "sha256=".len() + 64);
        assert_ne!(signature, sign("key", 2, b"{}"));
        assert_ne!(signature, sign("other", 1, b"{}"));
    }

    #[test]
    fn secrets_are_long_and_fresh() {
        let (a, b) = (new_webhook_secret(), new_webhook_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }

    #[test]
    fn reserved_and_malformed_headers_are_refused() {
        for name in [
            "Host",
            "content-type",
            "X-Pharos-Signature",
            "Connection",
            "a b",
            "",
        ] {
            assert!(check_header_name("h", name).is_err(), "{name}");
        }
        assert!(check_header_name("h", "Authorization").is_ok());
        assert!(check_header_value("h", "Bearer x\r\nHost: evil").is_err());
    }
}
