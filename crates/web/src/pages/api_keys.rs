//! `/settings/api-keys`: the organization's API keys for owners and
//! admins: the list (never a key), a form that makes one and shows it on
//! the answer, once, and revoke. Plain forms: no script needed.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Form;
use axum_extra::extract::CookieJar;
use chrono::{DateTime, NaiveDate, Utc};
use pharos_app::api_keys::{self, NewApiKeyInput};
use pharos_domain::ids::ApiKeyId;
use pharos_domain::organization::Role;
use serde::Deserialize;

use super::{flash, render, see_other, Chrome, FieldErrors, PageError, PageResult, PageUser};
use crate::auth::CurrentUser;
use crate::extract::PathId;
use crate::state::AppState;

pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub role: &'static str,
    pub creator: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    pub expired: bool,
}

pub struct RoleChoice {
    pub value: &'static str,
    pub selected: bool,
}

/// The key just made, shown on the answer to the form and never again.
pub struct NewKey {
    pub name: String,
    pub key: String,
}

#[derive(Template)]
#[template(path = "api_keys.html")]
struct ApiKeysPage {
    chrome: Chrome,
    keys: Vec<KeyRow>,
    created: Option<NewKey>,
    name_value: String,
    expires_value: String,
    roles: Vec<RoleChoice>,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewKeyForm {
    name: String,
    role: String,
    /// A date (`2027-01-31`): the key works through that day (UTC).
    expires_at: String,
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

async fn page(
    state: &AppState,
    current: &CurrentUser,
    form: NewKeyForm,
    created: Option<NewKey>,
    errors: FieldErrors,
    message: Option<&'static str>,
) -> Result<ApiKeysPage, PageError> {
    let now = Utc::now();
    let keys = api_keys::list(&state.app, current)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            id: k.id.0.to_string(),
            name: k.name,
            prefix: k.prefix,
            role: k.role.as_str(),
            creator: k.created_by_email,
            created: day(k.created_at),
            last_used: k.last_used_at.map_or_else(|| "never".to_owned(), day),
            expires: k.expires_at.map_or_else(|| "never".to_owned(), day),
            expired: k.expires_at.is_some_and(|at| at <= now),
        })
        .collect();
    // Only the roles this person may give; a viewer (read-only) key first.
    let wanted = Role::parse(&form.role).unwrap_or(Role::Viewer);
    let roles = Role::ALL
        .into_iter()
        .rev()
        .filter(|r| r.is_at_most(current.role))
        .map(|r| RoleChoice {
            value: r.as_str(),
            selected: r == wanted,
        })
        .collect();
    Ok(ApiKeysPage {
        chrome: Chrome::new(Some(current), "settings").with_flash(message),
        keys,
        created,
        name_value: form.name,
        expires_value: form.expires_at,
        roles,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
) -> PageResult {
    let (jar, message) = flash::take(jar);
    let page = page(
        &state,
        &current,
        NewKeyForm::default(),
        None,
        FieldErrors::default(),
        message,
    )
    .await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// The form's date as the end of that day in UTC; the use case judges
/// whether that is still to come.
fn parse_expiry(raw: &str) -> Result<Option<DateTime<Utc>>, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| "must be a date, such as 2027-01-31")?;
    let next = date
        .succ_opt()
        .ok_or("must be a date, such as 2027-01-31")?;
    Ok(Some(next.and_time(chrono::NaiveTime::MIN).and_utc()))
}

/// Makes a key and answers with the page showing it, once (no redirect:
/// the key is never stored where a later request could read it).
pub async fn create(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    Form(form): Form<NewKeyForm>,
) -> PageResult {
    let mut errors = FieldErrors::default();
    let role = Role::parse(&form.role);
    if role.is_none() {
        errors.add("role", "choose one of the roles listed");
    }
    let expires_at = parse_expiry(&form.expires_at).unwrap_or_else(|message| {
        errors.add("expires_at", message);
        None
    });
    let result = match role {
        Some(role) if errors.is_empty() => {
            let input = NewApiKeyInput {
                name: &form.name,
                role,
                expires_at,
            };
            api_keys::create(&state.app, &current, input).await
        }
        _ => {
            let page = page(&state, &current, form, None, errors, None).await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    match result {
        Ok(created) => {
            let shown = NewKey {
                name: created.record.name.clone(),
                key: created.key.expose().to_owned(),
            };
            let page = page(
                &state,
                &current,
                NewKeyForm::default(),
                Some(shown),
                FieldErrors::default(),
                None,
            )
            .await?;
            Ok(render(StatusCode::CREATED, &page))
        }
        // The form is not offered to them: the error page says why.
        Err(e @ pharos_app::AppError::Forbidden(_)) => Err(PageError(e.into())),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let page = page(&state, &current, form, None, errors, None).await?;
            Ok(render(status, &page))
        }
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    api_keys::revoke(&state.app, &current, ApiKeyId(id)).await?;
    Ok((
        flash::set(jar, "api_key_revoked"),
        see_other("/settings/api-keys"),
    )
        .into_response())
}
