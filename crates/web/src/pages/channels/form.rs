//! A channel's form, drawn for its kind from notify's table of fields
//! (`pharos_notify::channels::form_fields`): adding one (the service is
//! chosen first, `/channels/new?kind=slack`, then its fields) and editing
//! one (secrets shown masked and kept when left so, as the API's PATCH
//! does). Refusals come back by the field with what was typed.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use axum_extra::extract::CookieJar;
use pharos_app::channels;
use pharos_domain::channel::ChannelName;
use pharos_domain::ids::ChannelId;
use pharos_domain::ChannelKind;
use pharos_notify::channels::{config_from_form, form_fields, form_values, FormField, FormInput};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::KindChoice;
use crate::auth::CurrentUser;
use crate::extract::{ApiQuery, PathId};
use crate::pages::{
    flash, render, see_other, Chrome, FieldErrors, PageError, PageResult, PageUser,
};
use crate::state::AppState;

/// The prefix of a configuration field's form name: `config.url`, as the
/// API names it in errors.
const CONFIG: &str = "config.";

/// One configuration field as the page draws it.
pub struct ConfigFieldView {
    /// `config.<key>`.
    pub name: String,
    pub label: &'static str,
    /// `text`, `url`, `password`, `number`, `checkbox` or `textarea`.
    pub control: &'static str,
    pub value: String,
    pub checked: bool,
    pub required: bool,
    pub hint: String,
    pub placeholder: &'static str,
    pub min: String,
    pub max: String,
    pub error: Option<String>,
}

fn control_of(field: &FormField) -> &'static str {
    match field.input {
        FormInput::Checkbox => "checkbox",
        FormInput::List | FormInput::Headers => "textarea",
        FormInput::Number { .. } => "number",
        FormInput::Url => "url",
        FormInput::Text if field.secret => "password",
        FormInput::Text => "text",
    }
}

fn field_views(
    kind: ChannelKind,
    values: &BTreeMap<String, String>,
    errors: &FieldErrors,
    editing: bool,
) -> Vec<ConfigFieldView> {
    form_fields(kind)
        .iter()
        .map(|field| {
            let name = format!("{CONFIG}{}", field.key);
            let value = values.get(field.key).cloned().unwrap_or_default();
            let mut hint = field.help.to_owned();
            if editing && field.secret {
                hint.push_str(" Leave it as shown (masked) to keep it.");
            }
            let (min, max) = match field.input {
                FormInput::Number { min, max } => (min.to_string(), max.to_string()),
                _ => (String::new(), String::new()),
            };
            ConfigFieldView {
                error: errors.get(&name).map(str::to_owned),
                label: field.label,
                control: control_of(field),
                checked: field.input == FormInput::Checkbox && !value.is_empty(),
                value,
                required: field.required,
                hint,
                placeholder: field.example,
                min,
                max,
                name,
            }
        })
        .collect()
}

/// Where a refusal shows: a configuration field's error on its field (an
/// item of a list or a header named in the message), the channel's own
/// fields on theirs, anything else above the form.
fn place_error(kind: ChannelKind, errors: &mut FieldErrors, field: &str, message: &str) {
    let message = message
        .strip_prefix(&format!("{field}: "))
        .unwrap_or(message);
    let Some(path) = field.strip_prefix(CONFIG) else {
        match field {
            "name" | "kind" | "is_default" => errors.add(field, message),
            _ if field.is_empty() => errors.add("", message),
            _ => errors.add("", format!("{field}: {message}")),
        }
        return;
    };
    let end = path.find(['[', '.']).unwrap_or(path.len());
    let (key, rest) = path.split_at(end);
    if !form_fields(kind).iter().any(|f| f.key == key) {
        errors.add("", format!("{field}: {message}"));
        return;
    }
    let message = if let Some(index) = rest
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|i| i.parse::<usize>().ok())
    {
        format!("item {}: {message}", index + 1)
    } else if let Some(sub) = rest.strip_prefix('.') {
        format!("{sub}: {message}")
    } else {
        message.to_owned()
    };
    errors.add(&format!("{CONFIG}{key}"), message);
}

/// The form as posted: the channel's own fields and, by key, the
/// configuration's.
#[derive(Debug, Default)]
pub struct Submitted {
    kind: String,
    name: String,
    is_default: bool,
    config: BTreeMap<String, String>,
}

impl Submitted {
    fn of(pairs: Vec<(String, String)>) -> Self {
        let mut form = Submitted::default();
        for (name, value) in pairs {
            match name.as_str() {
                "kind" => form.kind = value,
                "name" => form.name = value,
                "is_default" => form.is_default = !value.is_empty(),
                _ => {
                    if let Some(key) = name.strip_prefix(CONFIG) {
                        form.config.insert(key.to_owned(), value);
                    }
                }
            }
        }
        form
    }

    /// The use cases' fields, or the refusals the form itself finds (all
    /// at once: the name and every configuration field).
    fn fields(&self, kind: ChannelKind, errors: &mut FieldErrors) -> Option<Map<String, Value>> {
        if let Err(e) = ChannelName::parse(&self.name) {
            errors.add(e.field, e.message);
        }
        let config = match config_from_form(kind, &self.config) {
            Ok(config) => Some(config),
            Err(refusals) => {
                for e in refusals {
                    place_error(kind, errors, &e.field, &e.message);
                }
                None
            }
        };
        let config = config.filter(|_| errors.is_empty())?;
        let mut fields = Map::new();
        fields.insert("name".to_owned(), Value::String(self.name.clone()));
        fields.insert("config".to_owned(), config);
        fields.insert("is_default".to_owned(), Value::Bool(self.is_default));
        Some(fields)
    }
}

#[derive(Template)]
#[template(path = "channel_form.html")]
struct ChannelFormPage {
    chrome: Chrome,
    /// `None` while adding.
    id: Option<String>,
    title: String,
    /// The services to choose from (adding only).
    kinds: Vec<KindChoice>,
    /// The chosen service: its form is drawn.
    kind: Option<ChannelKind>,
    kind_label: &'static str,
    action: String,
    name_value: String,
    default_checked: bool,
    fields: Vec<ConfigFieldView>,
    errors: FieldErrors,
    /// Errors no field shows.
    general: Vec<String>,
}

struct FormState {
    id: Option<ChannelId>,
    kind: Option<ChannelKind>,
    name: String,
    is_default: bool,
    config: BTreeMap<String, String>,
    errors: FieldErrors,
}

fn form_page(
    current: &CurrentUser,
    title: String,
    state: FormState,
    status: StatusCode,
) -> Response {
    let editing = state.id.is_some();
    let fields = state
        .kind
        .map(|kind| field_views(kind, &state.config, &state.errors, editing))
        .unwrap_or_default();
    let general = state
        .errors
        .0
        .iter()
        .filter(|(field, _)| field.is_empty())
        .map(|(_, message)| message.clone())
        .collect();
    let page = ChannelFormPage {
        chrome: Chrome::new(Some(current), "channels"),
        id: state.id.map(|id| id.0.to_string()),
        title,
        kinds: super::kind_choices(state.kind),
        kind: state.kind,
        kind_label: state.kind.map_or("", ChannelKind::label),
        action: match state.id {
            Some(id) => format!("/channels/{}/edit", id.0),
            None => "/channels".to_owned(),
        },
        name_value: state.name,
        default_checked: state.is_default,
        fields,
        errors: state.errors,
        general,
    };
    render(status, &page)
}

fn new_title(kind: Option<ChannelKind>) -> String {
    match kind {
        Some(kind) => format!("Add a {} channel", kind.label()),
        None => "Add a channel".to_owned(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewQuery {
    kind: String,
}

/// `/channels/new?kind=`: the service to choose, then its form.
pub async fn new_form(
    PageUser(current): PageUser,
    ApiQuery(query): ApiQuery<NewQuery>,
) -> PageResult {
    current
        .require_manager("only owners and admins manage notification channels")
        .map_err(|e| PageError(e.into()))?;
    let mut errors = FieldErrors::default();
    let kind = match query.kind.as_str() {
        "" => None,
        raw => match raw.parse::<ChannelKind>() {
            Ok(kind) => Some(kind),
            Err(_) => {
                errors.add(
                    "kind",
                    "is not a service Pharos sends to: choose one of the list",
                );
                None
            }
        },
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let state = FormState {
        id: None,
        kind,
        name: String::new(),
        is_default: false,
        config: kind
            .map(|kind| {
                form_fields(kind)
                    .iter()
                    .filter_map(|f| f.default.map(|d| (f.key.to_owned(), d.to_owned())))
                    .collect()
            })
            .unwrap_or_default(),
        errors,
    };
    Ok(form_page(&current, new_title(kind), state, status))
}

/// `POST /channels`: adds the channel; a webhook's signing secret is shown
/// on this one answer (the list, with the secret above it).
pub async fn create(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let form = Submitted::of(pairs);
    let Ok(kind) = form.kind.parse::<ChannelKind>() else {
        let mut errors = FieldErrors::default();
        errors.add("kind", "choose the service to send to");
        let state = FormState {
            id: None,
            kind: None,
            name: form.name,
            is_default: form.is_default,
            config: BTreeMap::new(),
            errors,
        };
        return Ok(form_page(
            &current,
            new_title(None),
            state,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let refuse = |form: Submitted, errors: FieldErrors, status: StatusCode| {
        let state = FormState {
            id: None,
            kind: Some(kind),
            name: form.name,
            is_default: form.is_default,
            config: form.config,
            errors,
        };
        form_page(&current, new_title(Some(kind)), state, status)
    };
    let mut errors = FieldErrors::default();
    let Some(mut fields) = form.fields(kind, &mut errors) else {
        return Ok(refuse(form, errors, StatusCode::UNPROCESSABLE_ENTITY));
    };
    fields.insert("kind".to_owned(), Value::String(kind.as_str().to_owned()));
    match channels::create(&state.app, &current, fields).await {
        Ok(created) => {
            let page = super::page(
                &state,
                &current,
                created.signing_secret,
                None,
                Some("Channel added."),
            )
            .await?;
            Ok(render(StatusCode::CREATED, &page))
        }
        Err(e @ pharos_app::AppError::Forbidden(_)) => Err(PageError(e.into())),
        Err(e) => {
            let (status, refusals) = FieldErrors::from_service(e)?;
            let mut errors = FieldErrors::default();
            for (field, message) in refusals.0 {
                place_error(kind, &mut errors, &field, &message);
            }
            Ok(refuse(form, errors, status))
        }
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
) -> PageResult {
    let d = channels::get(&state.app, &current, ChannelId(id)).await?;
    // Only managers may change it: the form is not offered to others.
    current
        .require_manager("only owners and admins manage notification channels")
        .map_err(|e| PageError(e.into()))?;
    let kind = d.channel.kind;
    let state = FormState {
        id: Some(d.channel.id),
        kind: Some(kind),
        config: form_values(kind, &d.config),
        name: d.channel.name.clone(),
        is_default: d.channel.is_default,
        errors: FieldErrors::default(),
    };
    Ok(form_page(
        &current,
        format!("Edit {}", d.channel.name),
        state,
        StatusCode::OK,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    PathId(id): PathId,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let existing = channels::get(&state.app, &current, ChannelId(id)).await?;
    let kind = existing.channel.kind;
    let form = Submitted::of(pairs);
    let refuse = |form: Submitted, errors: FieldErrors, status: StatusCode| {
        let state = FormState {
            id: Some(existing.channel.id),
            kind: Some(kind),
            name: form.name,
            is_default: form.is_default,
            config: form.config,
            errors,
        };
        form_page(
            &current,
            format!("Edit {}", existing.channel.name),
            state,
            status,
        )
    };
    let mut errors = FieldErrors::default();
    let Some(fields) = form.fields(kind, &mut errors) else {
        return Ok(refuse(form, errors, StatusCode::UNPROCESSABLE_ENTITY));
    };
    match channels::update(&state.app, &current, ChannelId(id), fields).await {
        Ok(_) => Ok((flash::set(jar, "channel_saved"), see_other("/channels")).into_response()),
        Err(e @ pharos_app::AppError::Forbidden(_)) => Err(PageError(e.into())),
        Err(e) => {
            let (status, refusals) = FieldErrors::from_service(e)?;
            let mut errors = FieldErrors::default();
            for (field, message) in refusals.0 {
                place_error(kind, &mut errors, &field, &message);
            }
            Ok(refuse(form, errors, status))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_land_on_their_field_with_the_item_named() {
        let mut errors = FieldErrors::default();
        place_error(
            ChannelKind::Email,
            &mut errors,
            "config.to[1]",
            "config.to[1]: is not an email address (name@example.com)",
        );
        place_error(
            ChannelKind::Webhook,
            &mut errors,
            "config.headers.Host",
            "config.headers.Host: is set by Pharos and cannot be overridden",
        );
        place_error(
            ChannelKind::Slack,
            &mut errors,
            "config.bogus",
            "unknown field",
        );
        place_error(ChannelKind::Slack, &mut errors, "name", "must not be empty");
        assert_eq!(
            errors.get("config.to"),
            Some("item 2: is not an email address (name@example.com)")
        );
        assert_eq!(
            errors.get("config.headers"),
            Some("Host: is set by Pharos and cannot be overridden")
        );
        assert_eq!(errors.get(""), Some("config.bogus: unknown field"));
        assert_eq!(errors.get("name"), Some("must not be empty"));
    }

    #[test]
    fn every_kind_draws_a_labelled_control_per_field() {
        for kind in ChannelKind::ALL {
            let views = field_views(kind, &BTreeMap::new(), &FieldErrors::default(), true);
            assert_eq!(views.len(), form_fields(kind).len());
            for view in views {
                assert!(view.name.starts_with(CONFIG));
                assert!(!view.label.is_empty() && !view.hint.is_empty());
            }
        }
    }
}
