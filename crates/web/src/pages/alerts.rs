//! The alert settings form, on the settings page (the organization's
//! defaults) and on a target's page (its own, or back to the defaults).
//! Both post to the same use cases as the API (`pharos_app::alerts`).

use axum::extract::State;
use axum::response::IntoResponse;
use axum::Form;
use axum_extra::extract::CookieJar;
use pharos_app::alerts;
use pharos_domain::alert::{AlertSettings, AlertTypeName};
use pharos_domain::ids::TargetId;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{flash, see_other, PageResult, PageUser};
use crate::extract::PathId;
use crate::state::AppState;

pub struct TypeChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// What the form shows.
pub struct AlertFormView {
    pub types: Vec<TypeChoice>,
    pub repeat_minutes: String,
    pub on_restored: bool,
    pub on_degraded: bool,
    pub include_history: bool,
    /// Refusals by the field (the target form shows them).
    pub type_error: Option<String>,
    pub repeat_error: Option<String>,
}

impl AlertFormView {
    pub fn of(settings: &AlertSettings) -> Self {
        Self::typed(&AlertForm::of(settings))
    }

    /// The form as typed (after a refusal, what was sent).
    pub fn typed(form: &AlertForm) -> Self {
        Self {
            types: AlertTypeName::ALL
                .into_iter()
                .map(|t| TypeChoice {
                    value: t.as_str(),
                    label: match t {
                        AlertTypeName::Once => "Once per change of state",
                        AlertTypeName::Repeated => "Repeated while down",
                        AlertTypeName::None => "Never",
                    },
                    selected: t.as_str() == form.alert_type,
                })
                .collect(),
            repeat_minutes: form.repeat_minutes.clone(),
            on_restored: form.on_restored.is_some(),
            on_degraded: form.on_degraded.is_some(),
            include_history: form.include_history.is_some(),
            type_error: None,
            repeat_error: None,
        }
    }

    /// One line saying what the settings do ("once per change of state;
    /// when restored").
    pub fn summary(settings: &AlertSettings) -> String {
        let mut parts = vec![match settings.alert_type.repeat_minutes() {
            Some(m) => format!("repeated every {} min while down", m.get()),
            None => match settings.alert_type.name() {
                AlertTypeName::None => "never".to_owned(),
                _ => "once per change of state".to_owned(),
            },
        }];
        if settings.on_restored {
            parts.push("when restored".to_owned());
        }
        if settings.on_degraded {
            parts.push("when degraded".to_owned());
        }
        if settings.include_history {
            parts.push("with 24 hours of checks".to_owned());
        }
        parts.join("; ")
    }
}

/// The alert settings as a form posts them; checkboxes are present when
/// ticked.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct AlertForm {
    pub alert_type: String,
    pub repeat_minutes: String,
    pub on_restored: Option<String>,
    pub on_degraded: Option<String>,
    pub include_history: Option<String>,
}

impl AlertForm {
    /// The form showing `settings` (a period of 60 minutes offered when
    /// alerts do not repeat).
    pub fn of(settings: &AlertSettings) -> Self {
        let on = |b: bool| b.then(|| "on".to_owned());
        Self {
            alert_type: settings.alert_type.name().as_str().to_owned(),
            repeat_minutes: settings
                .alert_type
                .repeat_minutes()
                .map(|m| m.get().to_string())
                .unwrap_or_else(|| "60".to_owned()),
            on_restored: on(settings.on_restored),
            on_degraded: on(settings.on_degraded),
            include_history: on(settings.include_history),
        }
    }
}

/// The form as the use cases take it: the period only with `repeated`.
pub fn settings_of(form: AlertForm) -> Result<AlertSettings, pharos_app::AppError> {
    let mut fields = Map::new();
    let repeated = form.alert_type == AlertTypeName::Repeated.as_str();
    fields.insert("alert_type".to_owned(), Value::String(form.alert_type));
    if repeated {
        let minutes = form
            .repeat_minutes
            .trim()
            .parse::<i64>()
            .map_or(Value::String(form.repeat_minutes.clone()), |m| {
                Value::Number(m.into())
            });
        fields.insert("repeat_minutes".to_owned(), minutes);
    }
    fields.insert(
        "on_restored".to_owned(),
        Value::Bool(form.on_restored.is_some()),
    );
    fields.insert(
        "on_degraded".to_owned(),
        Value::Bool(form.on_degraded.is_some()),
    );
    fields.insert(
        "include_history".to_owned(),
        Value::Bool(form.include_history.is_some()),
    );
    alerts::parse_settings(fields)
}

/// A refusal the form can make (the period) comes back as a message on
/// the page it was sent from; a role refusal is the error page.
fn refused(e: pharos_app::AppError) -> Result<&'static str, super::PageError> {
    match e {
        pharos_app::AppError::Validation(_) | pharos_app::AppError::InvalidField { .. } => {
            Ok("alerts_invalid")
        }
        other => Err(super::PageError(other.into())),
    }
}

pub async fn set_defaults(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    Form(form): Form<AlertForm>,
) -> PageResult {
    let code = match settings_of(form) {
        Ok(settings) => match alerts::set_defaults(&state.app, &current, settings).await {
            Ok(_) => "alerts_saved",
            Err(e) => refused(e)?,
        },
        Err(e) => refused(e)?,
    };
    Ok((flash::set(jar, code), see_other("/settings")).into_response())
}

pub async fn set_for_target(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    PathId(id): PathId,
    Form(form): Form<AlertForm>,
) -> PageResult {
    let code = match settings_of(form) {
        Ok(settings) => {
            match alerts::set_for_target(&state.app, &current, TargetId(id), Some(settings)).await {
                Ok(_) => "alerts_saved",
                Err(e) => refused(e)?,
            }
        }
        Err(e) => refused(e)?,
    };
    Ok((flash::set(jar, code), see_other(&format!("/targets/{id}"))).into_response())
}

pub async fn reset_target(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    PathId(id): PathId,
) -> PageResult {
    alerts::set_for_target(&state.app, &current, TargetId(id), None).await?;
    Ok((
        flash::set(jar, "alerts_reset"),
        see_other(&format!("/targets/{id}")),
    )
        .into_response())
}
