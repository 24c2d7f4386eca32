//! How a person fills in a channel's configuration: one table of fields
//! per kind ([`KindConfig::FORM`](super::config::KindConfig), declared
//! beside each configuration struct), and the two conversions a form
//! needs, written once for all kinds: typed text to the configuration's
//! JSON ([`config_from_form`]), and a masked configuration back to text
//! ([`form_values`]). The rules stay the configuration's own: the form
//! only turns text into JSON, and [`super::ChannelConfig::parse`] and
//! `apply_patch` judge it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use pharos_domain::ChannelKind;

use super::config::form_of;
use super::fields::ConfigError;

/// How a field is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormInput {
    /// One line of text (a secret one is typed hidden).
    Text,
    /// An http(s) address.
    Url,
    /// A whole number within `min..=max`.
    Number { min: i64, max: i64 },
    /// On or off.
    Checkbox,
    /// A list of values: one a line (commas also separate).
    List,
    /// A map of header names to values: one `Name: value` a line.
    Headers,
}

impl FormInput {
    /// Whether the value is a list or a map, typed over several lines.
    pub fn is_multiline(self) -> bool {
        matches!(self, FormInput::List | FormInput::Headers)
    }
}

/// One field of a kind's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormField {
    /// The configuration's key (`url`, `bot_token`).
    pub key: &'static str,
    pub label: &'static str,
    pub input: FormInput,
    /// Left empty, the form is refused naming the field.
    pub required: bool,
    /// Shown masked once saved, and kept when sent back masked (the kind's
    /// `SECRETS` list the same keys).
    pub secret: bool,
    pub help: &'static str,
    /// What an empty field means, for settings with a default (a service's
    /// public API address).
    pub default: Option<&'static str>,
    /// A value of the right shape, shown as the input's placeholder.
    pub example: &'static str,
}

impl FormField {
    /// A required one-line text field.
    pub(crate) const fn text(key: &'static str, label: &'static str, help: &'static str) -> Self {
        Self {
            key,
            label,
            input: FormInput::Text,
            required: true,
            secret: false,
            help,
            default: None,
            example: "",
        }
    }

    pub(crate) const fn input(mut self, input: FormInput) -> Self {
        self.input = input;
        self
    }

    pub(crate) const fn secret(mut self) -> Self {
        self.secret = true;
        self
    }

    pub(crate) const fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// Optional, and empty means `default`.
    pub(crate) const fn default(mut self, default: &'static str) -> Self {
        self.required = false;
        self.default = Some(default);
        self
    }

    pub(crate) const fn example(mut self, example: &'static str) -> Self {
        self.example = example;
        self
    }
}

/// The fields of `kind`'s form, in the order shown.
pub fn form_fields(kind: ChannelKind) -> &'static [FormField] {
    form_of(kind)
}

/// The configuration a filled form describes, as the JSON the API takes
/// (for a new channel, or as the patch of an existing one: secrets sent
/// back masked are kept by `apply_patch`). `values` holds the typed text
/// by key; a checkbox is present when ticked. Every field of the form is
/// given: an empty optional one is its default, or `null` (none), or an
/// empty list. Refusals name each field (`config.to`) and are all
/// reported at once; what the configuration's own rules refuse comes
/// after, from parsing.
pub fn config_from_form(
    kind: ChannelKind,
    values: &BTreeMap<String, String>,
) -> Result<Value, Vec<ConfigError>> {
    let mut config = Map::new();
    let mut errors = Vec::new();
    for field in form_fields(kind) {
        let raw = values.get(field.key).map(String::as_str).unwrap_or("");
        match value_of(field, raw) {
            Ok(value) => {
                config.insert(field.key.to_owned(), value);
            }
            Err(message) => errors.push(ConfigError::new(field.key, message)),
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(config))
    } else {
        Err(errors)
    }
}

fn value_of(field: &FormField, raw: &str) -> Result<Value, String> {
    let text = raw.trim();
    match field.input {
        FormInput::Checkbox => Ok(Value::Bool(matches!(text, "on" | "true" | "1"))),
        FormInput::List => {
            let items: Vec<Value> = text
                .split(['\n', ','])
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_owned()))
                .collect();
            if items.is_empty() && field.required {
                return Err("is required".to_owned());
            }
            Ok(Value::Array(items))
        }
        FormInput::Headers => {
            let mut headers = Map::new();
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let Some((name, value)) = line.split_once(':') else {
                    return Err(format!("line {} is not Name: value", n + 1));
                };
                headers.insert(
                    name.trim().to_owned(),
                    Value::String(value.trim().to_owned()),
                );
            }
            Ok(Value::Object(headers))
        }
        _ if text.is_empty() => match (field.required, field.default) {
            (true, _) => Err("is required".to_owned()),
            (false, Some(default)) => Ok(Value::String(default.to_owned())),
            (false, None) => Ok(Value::Null),
        },
        FormInput::Number { min, max } => match text.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Value::Number(n.into())),
            _ => Err(format!("must be a whole number from {min} to {max}")),
        },
        FormInput::Text | FormInput::Url => Ok(Value::String(text.to_owned())),
    }
}

/// The text a form shows for a configuration as the API shows it
/// (secrets masked), by key: sent back unchanged, it changes nothing.
pub fn form_values(kind: ChannelKind, masked: &Value) -> BTreeMap<String, String> {
    form_fields(kind)
        .iter()
        .map(|field| {
            let text = match masked.get(field.key) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(Value::Bool(true)) => "on".to_owned(),
                Some(Value::Bool(false)) => String::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| match item {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                Some(Value::Object(map)) => map
                    .iter()
                    .map(|(name, value)| match value {
                        Value::String(s) => format!("{name}: {s}"),
                        other => format!("{name}: {other}"),
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                Some(other) => other.to_string(),
            };
            (field.key.to_owned(), text)
        })
        .collect()
}
