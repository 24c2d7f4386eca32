//! The values a channel's configuration is made of, and the rules each
//! must pass. Every error names its field the way the API shows it
//! (`config.url`, `config.to[1]`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

/// A refused configuration, naming the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    /// `config.<path>`, or `config` for the whole value.
    pub field: String,
    pub message: String,
}

impl ConfigError {
    /// `path` is relative to the configuration (`url`, `to[1]`).
    pub fn new(path: &str, message: impl Into<String>) -> Self {
        let field = if path.is_empty() || path == "." {
            "config".to_owned()
        } else {
            format!("config.{path}")
        };
        Self {
            field,
            message: message.into(),
        }
    }
}

/// What a masked secret looks like in the API; sent back unchanged in a
/// patch, it means "keep the stored value".
pub const MASK: &str = "••••";

/// A token, key or password. Its `Debug` never shows it; it serializes as
/// the plain string, so only [`super::ChannelConfig::split`] and the
/// renderers ever see it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(••••)")
    }
}

/// How a secret field is shown in the masked view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// Replaced whole by [`MASK`].
    Opaque,
    /// A URL whose path or query is the key: the scheme and host stay so
    /// people recognise it (`https://hooks.slack.com/…`).
    Url,
    /// A map whose keys are public and values secret (webhook headers).
    Values,
}

/// The longest URL a channel accepts, as for targets.
pub const MAX_URL_LEN: usize = 2048;

/// An http(s) URL: a webhook, or a service's API base URL. Its host is
/// judged when a delivery is sent (DNS can change), not here.
pub fn check_url(path: &str, raw: &str) -> Result<Url, ConfigError> {
    if raw.trim().is_empty() {
        return Err(ConfigError::new(path, "is required"));
    }
    if raw.len() > MAX_URL_LEN {
        return Err(ConfigError::new(
            path,
            format!("must be at most {MAX_URL_LEN} characters"),
        ));
    }
    // URL parsers silently drop tabs and newlines: refuse them instead.
    if raw.chars().any(char::is_control) || raw.trim() != raw {
        return Err(ConfigError::new(
            path,
            "must not contain spaces or control characters at its ends or inside",
        ));
    }
    let url = Url::parse(raw).map_err(|e| ConfigError::new(path, format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(path, "must be an http or https URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ConfigError::new(path, "must have a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(
            path,
            "must not contain a user name or password",
        ));
    }
    if url.fragment().is_some() {
        return Err(ConfigError::new(path, "must not have a #fragment"));
    }
    Ok(url)
}

/// A service's API base URL: a URL without a query, to which Pharos adds
/// the service's paths.
pub fn check_base_url(path: &str, raw: &str) -> Result<Url, ConfigError> {
    let url = check_url(path, raw)?;
    if url.query().is_some() {
        return Err(ConfigError::new(path, "must not have a ?query"));
    }
    Ok(url)
}

/// A token sent in a header or a URL path: printable ASCII, no spaces.
pub fn check_token(path: &str, raw: &str, max: usize) -> Result<(), ConfigError> {
    if raw.is_empty() {
        return Err(ConfigError::new(path, "is required"));
    }
    if raw.len() > max {
        return Err(ConfigError::new(
            path,
            format!("must be at most {max} characters"),
        ));
    }
    if !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConfigError::new(
            path,
            "must be printable ASCII without spaces",
        ));
    }
    Ok(())
}

/// A token that must be exactly `len` letters and digits (Pushover's and
/// PagerDuty's keys), so a typo is caught when the channel is saved.
pub fn check_alphanumeric(path: &str, raw: &str, len: usize) -> Result<(), ConfigError> {
    if raw.len() != len || !raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ConfigError::new(
            path,
            format!("must be {len} letters and digits"),
        ));
    }
    Ok(())
}

/// Plain text a person typed (tags, names): no control characters.
pub fn check_text(path: &str, raw: &str, max: usize) -> Result<(), ConfigError> {
    if raw.trim().is_empty() {
        return Err(ConfigError::new(path, "must not be empty"));
    }
    if raw.chars().count() > max {
        return Err(ConfigError::new(
            path,
            format!("must be at most {max} characters"),
        ));
    }
    if raw.chars().any(char::is_control) {
        return Err(ConfigError::new(
            path,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Accepts a JSON string or integer (a Telegram chat id is often typed as
/// a number) and keeps it as a string.
pub fn string_or_integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(i64),
    }
    Ok(match Raw::deserialize(deserializer)? {
        Raw::Text(text) => text,
        Raw::Number(number) => number.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http_without_credentials_or_hidden_characters() {
        assert!(check_url("url", "https://hooks.slack.com/services/T/B/x").is_ok());
        for bad in [
            "",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://exa\nmple.com/",
            " https://example.com/",
            "https://example.com/#x",
            "not a url",
        ] {
            let err = check_url("url", bad).expect_err(bad);
            assert_eq!(err.field, "config.url");
        }
        assert!(check_url("url", &format!("https://e.com/{}", "a".repeat(2100))).is_err());
        assert!(check_base_url("api_url", "https://api.example.com/?x=1").is_err());
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let secret = Secret::new("xoxb-very-secret");
        assert!(!format!("{secret:?}").contains("very"));
    }
}
