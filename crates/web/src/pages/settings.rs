//! `/settings`: the organization, its members, and the user's password.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Form;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::{flash, render, see_other, Chrome, FieldErrors, PageResult, PageUser};
use crate::auth::CurrentUser;
use crate::services::accounts;
use crate::state::AppState;

pub struct MemberRow {
    pub email: String,
    pub role: &'static str,
    pub since: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    organization: String,
    role: &'static str,
    email: String,
    members: Vec<MemberRow>,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm: String,
}

async fn page(
    state: &AppState,
    current: &CurrentUser,
    errors: FieldErrors,
    flash: Option<&'static str>,
) -> Result<SettingsPage, super::PageError> {
    let members = state
        .store
        .members(current.organization)
        .await
        .map_err(crate::error::ApiError::from)?
        .into_iter()
        .map(|m| MemberRow {
            email: m.user.email,
            role: m.role.as_str(),
            since: m.user.created_at.format("%Y-%m-%d").to_string(),
        })
        .collect();
    let chrome = Chrome::new(Some(current), "settings").with_flash(flash);
    Ok(SettingsPage {
        organization: chrome.organization.clone().unwrap_or_default(),
        role: current.role.as_str(),
        email: current.user.email.clone(),
        chrome,
        members,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
) -> PageResult {
    let (jar, message) = flash::take(jar);
    let page = page(&state, &current, FieldErrors::default(), message).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

pub async fn change_password(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let result = if form.new_password != form.confirm {
        let mut errors = FieldErrors::default();
        errors.add("confirm", "does not match the new password");
        Err((StatusCode::UNPROCESSABLE_ENTITY, errors))
    } else {
        match accounts::change_password(
            &state,
            &current,
            &form.current_password,
            &form.new_password,
        )
        .await
        {
            Ok(()) => Ok(()),
            Err(e) => Err(FieldErrors::from_service(e)?),
        }
    };
    match result {
        Ok(()) => Ok((flash::set(jar, "password"), see_other("/settings")).into_response()),
        Err((status, errors)) => {
            let page = page(&state, &current, errors, None).await?;
            Ok(render(status, &page))
        }
    }
}
