//! [`ChannelConfig`]: one typed configuration per kind, and the four ways
//! storage and the API see it: parsed from a user, split into a public
//! and a secret part (storage encrypts the latter) and joined back,
//! masked for display, and patched.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use pharos_domain::ChannelKind;

use super::email::EmailConfig;
use super::fields::{check_url, ConfigError, Mask, Secret, MASK};
use super::form::{FormField, FormInput};
use super::gotify::GotifyConfig;
use super::matrix::MatrixConfig;
use super::ntfy::NtfyConfig;
use super::opsgenie::OpsgenieConfig;
use super::pagerduty::PagerdutyConfig;
use super::pushover::PushoverConfig;
use super::telegram::TelegramConfig;
use super::webhook::{new_webhook_secret, WebhookConfig, SIGNING_SECRET};

/// What each kind's configuration struct declares about itself.
pub(crate) trait KindConfig: Serialize + DeserializeOwned {
    /// The fields whose values are secret, and how the masked view shows
    /// each. Everything else is public.
    const SECRETS: &'static [(&'static str, Mask)];
    /// Fields Pharos makes and users never set (the webhook's signing
    /// secret); also listed in `SECRETS`.
    const SERVER_MADE: &'static [&'static str] = &[];
    /// The fields a person fills in, in order (every key but the
    /// server-made ones), for the dashboard's form.
    const FORM: &'static [FormField];

    /// The rules serde's types cannot say (URL schemes, ranges, formats).
    fn validate(&self) -> Result<(), ConfigError>;
}

/// The whole configuration of Slack, Discord, Teams, Google Chat and
/// Mattermost channels: the incoming webhook's URL, which embeds its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomingWebhookConfig {
    pub url: Secret,
}

impl KindConfig for IncomingWebhookConfig {
    const SECRETS: &'static [(&'static str, Mask)] = &[("url", Mask::Url)];
    const FORM: &'static [FormField] = &[FormField::text(
        "url",
        "Incoming webhook URL",
        "The address the service gave for the incoming webhook. It holds the webhook's key, \
         so it is kept secret and shown masked.",
    )
    .input(FormInput::Url)
    .secret()
    .example("https://hooks.example.com/services/…")];

    fn validate(&self) -> Result<(), ConfigError> {
        check_url("url", self.url.expose()).map(drop)
    }
}

/// A channel's configuration, one typed variant per [`ChannelKind`].
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelConfig {
    Email(EmailConfig),
    Webhook(WebhookConfig),
    Slack(IncomingWebhookConfig),
    Discord(IncomingWebhookConfig),
    Teams(IncomingWebhookConfig),
    GoogleChat(IncomingWebhookConfig),
    Mattermost(IncomingWebhookConfig),
    Telegram(TelegramConfig),
    Pushover(PushoverConfig),
    Gotify(GotifyConfig),
    Ntfy(NtfyConfig),
    Matrix(MatrixConfig),
    Pagerduty(PagerdutyConfig),
    Opsgenie(OpsgenieConfig),
}

/// Runs `$body` with `$c` bound to the variant's configuration struct.
macro_rules! with_config {
    ($config:expr, $c:ident => $body:expr) => {
        match $config {
            ChannelConfig::Email($c) => $body,
            ChannelConfig::Webhook($c) => $body,
            ChannelConfig::Slack($c)
            | ChannelConfig::Discord($c)
            | ChannelConfig::Teams($c)
            | ChannelConfig::GoogleChat($c)
            | ChannelConfig::Mattermost($c) => $body,
            ChannelConfig::Telegram($c) => $body,
            ChannelConfig::Pushover($c) => $body,
            ChannelConfig::Gotify($c) => $body,
            ChannelConfig::Ntfy($c) => $body,
            ChannelConfig::Matrix($c) => $body,
            ChannelConfig::Pagerduty($c) => $body,
            ChannelConfig::Opsgenie($c) => $body,
        }
    };
}

/// What a kind declares, without a value of it.
struct Rules {
    secrets: &'static [(&'static str, Mask)],
    server_made: &'static [&'static str],
    form: &'static [FormField],
}

fn rules_of<C: KindConfig>() -> Rules {
    Rules {
        secrets: C::SECRETS,
        server_made: C::SERVER_MADE,
        form: C::FORM,
    }
}

/// The form's fields of `kind`.
pub(crate) fn form_of(kind: ChannelKind) -> &'static [FormField] {
    rules(kind).form
}

fn rules(kind: ChannelKind) -> Rules {
    match kind {
        ChannelKind::Email => rules_of::<EmailConfig>(),
        ChannelKind::Webhook => rules_of::<WebhookConfig>(),
        ChannelKind::Slack
        | ChannelKind::Discord
        | ChannelKind::Teams
        | ChannelKind::GoogleChat
        | ChannelKind::Mattermost => rules_of::<IncomingWebhookConfig>(),
        ChannelKind::Telegram => rules_of::<TelegramConfig>(),
        ChannelKind::Pushover => rules_of::<PushoverConfig>(),
        ChannelKind::Gotify => rules_of::<GotifyConfig>(),
        ChannelKind::Ntfy => rules_of::<NtfyConfig>(),
        ChannelKind::Matrix => rules_of::<MatrixConfig>(),
        ChannelKind::Pagerduty => rules_of::<PagerdutyConfig>(),
        ChannelKind::Opsgenie => rules_of::<OpsgenieConfig>(),
    }
}

/// Deserializes and validates one kind's configuration from its complete
/// JSON object (public and secret fields together).
fn decode(kind: ChannelKind, object: Map<String, Value>) -> Result<ChannelConfig, ConfigError> {
    let value = Value::Object(object);
    Ok(match kind {
        ChannelKind::Email => ChannelConfig::Email(decode_as(value)?),
        ChannelKind::Webhook => ChannelConfig::Webhook(decode_as(value)?),
        ChannelKind::Slack => ChannelConfig::Slack(decode_as(value)?),
        ChannelKind::Discord => ChannelConfig::Discord(decode_as(value)?),
        ChannelKind::Teams => ChannelConfig::Teams(decode_as(value)?),
        ChannelKind::GoogleChat => ChannelConfig::GoogleChat(decode_as(value)?),
        ChannelKind::Mattermost => ChannelConfig::Mattermost(decode_as(value)?),
        ChannelKind::Telegram => ChannelConfig::Telegram(decode_as(value)?),
        ChannelKind::Pushover => ChannelConfig::Pushover(decode_as(value)?),
        ChannelKind::Gotify => ChannelConfig::Gotify(decode_as(value)?),
        ChannelKind::Ntfy => ChannelConfig::Ntfy(decode_as(value)?),
        ChannelKind::Matrix => ChannelConfig::Matrix(decode_as(value)?),
        ChannelKind::Pagerduty => ChannelConfig::Pagerduty(decode_as(value)?),
        ChannelKind::Opsgenie => ChannelConfig::Opsgenie(decode_as(value)?),
    })
}

fn decode_as<C: KindConfig>(value: Value) -> Result<C, ConfigError> {
    let config: C = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        ConfigError::new(&field_of(&path, &message), message)
    })?;
    config.validate()?;
    Ok(config)
}

/// serde reports a missing field at its parent; name the field itself.
fn field_of(path: &str, message: &str) -> String {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    match named {
        Some(name) if !path.ends_with(name) => {
            if path == "." || path.is_empty() {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            }
        }
        _ => path.to_owned(),
    }
}

fn object(value: Value, what: &str) -> Result<Map<String, Value>, ConfigError> {
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err(ConfigError::new(
            "",
            format!("{what} must be a JSON object"),
        )),
    }
}

/// A server-made field may come back only as its mask (a PATCH of the
/// masked view), never with a value.
fn refuse_server_made(rules: &Rules, object: &Map<String, Value>) -> Result<(), ConfigError> {
    let given = |field: &&str| {
        object
            .get(*field)
            .is_some_and(|value| value.as_str() != Some(MASK))
    };
    match rules.server_made.iter().copied().find(given) {
        Some(field) => Err(ConfigError::new(
            field,
            "is made by Pharos when the channel is created and cannot be set",
        )),
        None => Ok(()),
    }
}

impl ChannelConfig {
    /// A user's configuration for a new channel of `kind`. Unknown fields
    /// are refused by name. A webhook gets a fresh signing secret here:
    /// read it once with [`ChannelConfig::signing_secret`] for the create
    /// response.
    pub fn parse(kind: ChannelKind, config: Value) -> Result<ChannelConfig, ConfigError> {
        let rules = rules(kind);
        let mut object = object(config, "the configuration")?;
        refuse_server_made(&rules, &object)?;
        if kind == ChannelKind::Webhook {
            object.insert(
                SIGNING_SECRET.to_owned(),
                Value::String(new_webhook_secret()),
            );
        }
        decode(kind, object)
    }

    pub fn kind(&self) -> ChannelKind {
        match self {
            ChannelConfig::Email(_) => ChannelKind::Email,
            ChannelConfig::Webhook(_) => ChannelKind::Webhook,
            ChannelConfig::Slack(_) => ChannelKind::Slack,
            ChannelConfig::Discord(_) => ChannelKind::Discord,
            ChannelConfig::Teams(_) => ChannelKind::Teams,
            ChannelConfig::GoogleChat(_) => ChannelKind::GoogleChat,
            ChannelConfig::Mattermost(_) => ChannelKind::Mattermost,
            ChannelConfig::Telegram(_) => ChannelKind::Telegram,
            ChannelConfig::Pushover(_) => ChannelKind::Pushover,
            ChannelConfig::Gotify(_) => ChannelKind::Gotify,
            ChannelConfig::Ntfy(_) => ChannelKind::Ntfy,
            ChannelConfig::Matrix(_) => ChannelKind::Matrix,
            ChannelConfig::Pagerduty(_) => ChannelKind::Pagerduty,
            ChannelConfig::Opsgenie(_) => ChannelKind::Opsgenie,
        }
    }

    /// A webhook's signing secret (for the create response, once); `None`
    /// for every other kind.
    pub fn signing_secret(&self) -> Option<&str> {
        match self {
            ChannelConfig::Webhook(c) => Some(c.signing_secret.expose()),
            _ => None,
        }
    }

    /// A strong random signing secret (32 bytes from the OS, hex).
    pub fn new_webhook_secret() -> String {
        new_webhook_secret()
    }

    /// Whether an email channel asks for the last 24 hours of checks; chat
    /// kinds show a one-line summary whenever the notice carries them.
    pub fn wants_history(&self) -> bool {
        matches!(self, ChannelConfig::Email(c) if c.include_history)
    }

    /// The complete configuration as JSON, secrets included: only for
    /// `split`, `masked` and `apply_patch`, never for a reader.
    fn full_json(&self) -> Map<String, Value> {
        let value = with_config!(self, c => serde_json::to_value(c));
        // Plain structs of strings, numbers and maps always serialize.
        match value {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    /// `(public, secret)`: two JSON objects that together are the whole
    /// configuration. Storage keeps the first as is and encrypts the second.
    pub fn split(&self) -> (Value, Value) {
        let rules = rules(self.kind());
        let mut public = self.full_json();
        let mut secret = Map::new();
        for (name, _) in rules.secrets {
            if let Some(value) = public.remove(*name) {
                if !value.is_null() {
                    secret.insert((*name).to_owned(), value);
                }
            }
        }
        (Value::Object(public), Value::Object(secret))
    }

    /// The configuration storage split (validated again: what comes back
    /// from a database is outside input too).
    pub fn join(
        kind: ChannelKind,
        public: Value,
        secret: Value,
    ) -> Result<ChannelConfig, ConfigError> {
        let mut object = object(public, "the public configuration")?;
        for (name, value) in self::object(secret, "the secret configuration")? {
            object.insert(name, value);
        }
        decode(kind, object)
    }

    /// The configuration as the API and pages show it: every secret
    /// masked (`"••••"`; URLs keep scheme and host, `https://hooks.slack.com/…`;
    /// header names stay, their values are masked).
    pub fn masked(&self) -> Value {
        let rules = rules(self.kind());
        let mut view = self.full_json();
        for (name, mask) in rules.secrets {
            if let Some(value) = view.get_mut(*name) {
                *value = mask_value(value, *mask);
            }
        }
        Value::Object(view)
    }

    /// The configuration after a PATCH: fields given replace, `null` clears
    /// an optional field, and a secret left out or sent back as its mask
    /// keeps its stored value. The server-made signing secret cannot be
    /// patched.
    pub fn apply_patch(&self, patch: Value) -> Result<ChannelConfig, ConfigError> {
        let kind = self.kind();
        let rules = rules(kind);
        let patch = object(patch, "the configuration")?;
        refuse_server_made(&rules, &patch)?;
        let mut merged = self.full_json();
        for (name, value) in patch {
            let mask = rules
                .secrets
                .iter()
                .find(|(secret, _)| *secret == name)
                .map(|(_, mask)| *mask);
            let stored = merged.get(&name).cloned().unwrap_or(Value::Null);
            let value = match mask {
                Some(mask) => keep_masked(&name, value, &stored, mask)?,
                None => value,
            };
            merged.insert(name, value);
        }
        decode(kind, merged)
    }
}

/// A secret's masked form.
fn mask_value(value: &Value, mask: Mask) -> Value {
    match (value, mask) {
        (Value::Null, _) => Value::Null,
        (Value::String(url), Mask::Url) => Value::String(mask_url(url)),
        (Value::Object(map), Mask::Values) => Value::Object(
            map.keys()
                .map(|name| (name.clone(), Value::String(MASK.to_owned())))
                .collect(),
        ),
        _ => Value::String(MASK.to_owned()),
    }
}

/// `https://hooks.slack.com/…`: enough to recognise, nothing to use.
fn mask_url(raw: &str) -> String {
    match check_url("url", raw) {
        Ok(url) => {
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "{}://{}{port}/…",
                url.scheme(),
                url.host_str().unwrap_or_default()
            )
        }
        Err(_) => MASK.to_owned(),
    }
}

/// A patched secret: the mask (or, for URLs, the masked URL) keeps the
/// stored value; header values that are the mask keep theirs.
fn keep_masked(name: &str, value: Value, stored: &Value, mask: Mask) -> Result<Value, ConfigError> {
    match (value, mask) {
        (Value::String(given), _)
            if given == MASK || Value::String(given.clone()) == mask_value(stored, mask) =>
        {
            Ok(stored.clone())
        }
        (Value::Object(given), Mask::Values) => {
            let mut out = Map::new();
            for (key, value) in given {
                let value = if value.as_str() == Some(MASK) {
                    stored.get(&key).cloned().ok_or_else(|| {
                        ConfigError::new(
                            &format!("{name}.{key}"),
                            "is new: give its value, not the mask",
                        )
                    })?
                } else {
                    value
                };
                out.insert(key, value);
            }
            Ok(Value::Object(out))
        }
        (value, _) => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_unknown_fields_are_named() {
        assert_eq!(field_of(".", "missing field `url`"), "url");
        assert_eq!(field_of("headers", "missing field `x`"), "headers.x");
        assert_eq!(
            field_of("bogus", "unknown field `bogus`, expected `url`"),
            "bogus"
        );
        assert_eq!(field_of("to[1]", "invalid type"), "to[1]");
    }

    /// Typed text each form field accepts, for the fields whose example
    /// is no valid value (secrets have none).
    fn good_text(kind: ChannelKind, field: &FormField) -> String {
        match (kind, field.key) {
            (ChannelKind::Telegram, "bot_token") => "123456:ABC-DEF_ghi".to_owned(),
            (ChannelKind::Pushover, _) if field.secret => "a".repeat(30),
            (ChannelKind::Pagerduty, "routing_key") => "b".repeat(32),
            (ChannelKind::Webhook, "headers") => {
                "Authorization: Bearer abc\nX-Team: ops".to_owned()
            }
            (ChannelKind::Email, "include_history") => "on".to_owned(),
            _ if field.input == FormInput::Url && field.secret => {
                "https://hooks.example.com/services/T0/B0/key".to_owned()
            }
            _ if field.secret => "token-123_abc".to_owned(),
            _ => field.example.to_owned(),
        }
    }

    fn filled(kind: ChannelKind) -> std::collections::BTreeMap<String, String> {
        crate::channels::form_fields(kind)
            .iter()
            .map(|f| (f.key.to_owned(), good_text(kind, f)))
            .collect()
    }

    #[test]
    fn every_kinds_form_names_its_real_keys_and_secrets() {
        for kind in ChannelKind::ALL {
            let rules = rules(kind);
            let form = crate::channels::form_fields(kind);
            assert!(!form.is_empty(), "{kind:?}");
            let form_secrets: Vec<&str> = form.iter().filter(|f| f.secret).map(|f| f.key).collect();
            let declared: Vec<&str> = rules
                .secrets
                .iter()
                .map(|(key, _)| *key)
                .filter(|key| !rules.server_made.contains(key))
                .collect();
            assert_eq!(form_secrets, declared, "{kind:?}");
            // Filled with good values, the form is a configuration the
            // kind's rules take, every key known.
            let json = crate::channels::config_from_form(kind, &filled(kind))
                .unwrap_or_else(|e| panic!("{kind:?}: {e:?}"));
            let config = ChannelConfig::parse(kind, json.clone())
                .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            // Every field is kept (nothing the form sends is dropped), and
            // everything users set is on the form.
            let full = config.full_json();
            for field in form {
                assert!(full.contains_key(field.key), "{kind:?} {}", field.key);
            }
            for key in full.keys() {
                assert!(
                    form.iter().any(|f| f.key == key) || rules.server_made.contains(&key.as_str()),
                    "{kind:?}: {key} is not on the form"
                );
            }
        }
    }

    #[test]
    fn empty_fields_are_refused_by_name_or_take_their_default() {
        for kind in ChannelKind::ALL {
            let form = crate::channels::form_fields(kind);
            for field in form {
                let mut values = filled(kind);
                values.insert(field.key.to_owned(), "  ".to_owned());
                let result = crate::channels::config_from_form(kind, &values);
                if field.required {
                    let errors = result.expect_err(field.key);
                    assert_eq!(errors.len(), 1);
                    assert_eq!(errors[0].field, format!("config.{}", field.key));
                    assert_eq!(errors[0].message, "is required");
                    continue;
                }
                let json = result.unwrap_or_else(|e| panic!("{kind:?} {}: {e:?}", field.key));
                let config = ChannelConfig::parse(kind, json)
                    .unwrap_or_else(|e| panic!("{kind:?} {}: {e}", field.key));
                if let Some(default) = field.default {
                    // The form's default is the configuration's own.
                    let mut without = config.full_json();
                    without.remove(field.key);
                    without.remove(SIGNING_SECRET);
                    let implied = ChannelConfig::parse(kind, Value::Object(without))
                        .expect("parses without the field");
                    assert_eq!(
                        implied.full_json().get(field.key),
                        Some(&Value::String(default.to_owned())),
                        "{kind:?} {}",
                        field.key
                    );
                }
            }
        }
    }

    #[test]
    fn a_form_sent_back_as_shown_changes_nothing() {
        for kind in ChannelKind::ALL {
            let json = crate::channels::config_from_form(kind, &filled(kind)).expect("form");
            let stored = ChannelConfig::parse(kind, json).expect("config");
            let shown = crate::channels::form_values(kind, &stored.masked());
            let patch = crate::channels::config_from_form(kind, &shown)
                .unwrap_or_else(|e| panic!("{kind:?}: {e:?}"));
            let patched = stored
                .apply_patch(patch)
                .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert_eq!(patched, stored, "{kind:?}");
        }
    }

    #[test]
    fn form_text_becomes_lists_maps_and_numbers() {
        let mut values = std::collections::BTreeMap::new();
        values.insert(
            "to".to_owned(),
            "a@example.com\r\n b@example.com, c@example.com\n".to_owned(),
        );
        let json = crate::channels::config_from_form(ChannelKind::Email, &values).expect("email");
        assert_eq!(
            json,
            serde_json::json!({"to": ["a@example.com", "b@example.com", "c@example.com"],
                               "include_history": false})
        );
        let mut values = filled(ChannelKind::Webhook);
        values.insert("headers".to_owned(), "X-Team ops".to_owned());
        let errors = crate::channels::config_from_form(ChannelKind::Webhook, &values)
            .expect_err("a header without a colon");
        assert_eq!(errors[0].field, "config.headers");
        assert_eq!(errors[0].message, "line 1 is not Name: value");
        let mut values = filled(ChannelKind::Ntfy);
        values.insert("priority".to_owned(), "9".to_owned());
        values.insert("topic".to_owned(), String::new());
        let errors = crate::channels::config_from_form(ChannelKind::Ntfy, &values)
            .expect_err("two refusals");
        let named: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["config.topic", "config.priority"]);
    }

    #[test]
    fn masked_urls_keep_scheme_and_host_only() {
        assert_eq!(
            mask_url("https://hooks.slack.com/services/T0/B0/secret"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            mask_url("http://127.0.0.1:8065/hooks/abc"),
            "http://127.0.0.1:8065/…"
        );
        assert_eq!(mask_url("nonsense"), MASK);
    }
}
