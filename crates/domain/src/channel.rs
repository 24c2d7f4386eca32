//! Notification channels: where an organization's alerts go.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A channel's kind: the service a notification is delivered to, in that
/// service's own message format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Email,
    Webhook,
    Slack,
    Discord,
    Teams,
    GoogleChat,
    Mattermost,
    Telegram,
    Pushover,
    Gotify,
    Ntfy,
    Matrix,
    Pagerduty,
    Opsgenie,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 14] = [
        ChannelKind::Email,
        ChannelKind::Webhook,
        ChannelKind::Slack,
        ChannelKind::Discord,
        ChannelKind::Teams,
        ChannelKind::GoogleChat,
        ChannelKind::Mattermost,
        ChannelKind::Telegram,
        ChannelKind::Pushover,
        ChannelKind::Gotify,
        ChannelKind::Ntfy,
        ChannelKind::Matrix,
        ChannelKind::Pagerduty,
        ChannelKind::Opsgenie,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Webhook => "webhook",
            ChannelKind::Slack => "slack",
            ChannelKind::Discord => "discord",
            ChannelKind::Teams => "teams",
            ChannelKind::GoogleChat => "google_chat",
            ChannelKind::Mattermost => "mattermost",
            ChannelKind::Telegram => "telegram",
            ChannelKind::Pushover => "pushover",
            ChannelKind::Gotify => "gotify",
            ChannelKind::Ntfy => "ntfy",
            ChannelKind::Matrix => "matrix",
            ChannelKind::Pagerduty => "pagerduty",
            ChannelKind::Opsgenie => "opsgenie",
        }
    }

    /// The name people know the service by, for forms and lists.
    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Email => "Email",
            ChannelKind::Webhook => "Webhook",
            ChannelKind::Slack => "Slack",
            ChannelKind::Discord => "Discord",
            ChannelKind::Teams => "Microsoft Teams",
            ChannelKind::GoogleChat => "Google Chat",
            ChannelKind::Mattermost => "Mattermost",
            ChannelKind::Telegram => "Telegram",
            ChannelKind::Pushover => "Pushover",
            ChannelKind::Gotify => "Gotify",
            ChannelKind::Ntfy => "ntfy",
            ChannelKind::Matrix => "Matrix",
            ChannelKind::Pagerduty => "PagerDuty",
            ChannelKind::Opsgenie => "Opsgenie",
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a channel kind")]
pub struct UnknownChannelKind(pub String);

impl FromStr for ChannelKind {
    type Err = UnknownChannelKind;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        ChannelKind::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| UnknownChannelKind(raw.to_owned()))
    }
}

/// A channel's display name: 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelName(String);

impl ChannelName {
    pub const MAX_LEN: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, crate::ValidationError> {
        const FIELD: &str = "name";
        crate::validation::reject_control_chars(FIELD, raw)?;
        let name = raw.trim();
        if name.is_empty() {
            return Err(crate::ValidationError::new(FIELD, "must not be empty"));
        }
        crate::validation::reject_longer_than(FIELD, name, Self::MAX_LEN)?;
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name_and_serde() {
        for kind in ChannelKind::ALL {
            assert_eq!(kind.as_str().parse::<ChannelKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert!("sms".parse::<ChannelKind>().is_err());
    }

    #[test]
    fn channel_names_are_trimmed_and_bounded() {
        assert_eq!(
            ChannelName::parse("  ops ").map(|n| n.0),
            Ok("ops".to_owned())
        );
        assert!(ChannelName::parse("   ").is_err());
        assert!(ChannelName::parse("a\nb").is_err());
        assert!(ChannelName::parse(&"x".repeat(101)).is_err());
    }
}
