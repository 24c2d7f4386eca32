//! `/settings`: the organization (its name, and whether its members must
//! use two-factor sign-in), its alert defaults, and the user's password
//! (its members are `/settings/members`, the user's sessions
//! `/settings/sessions`).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Form;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::{flash, render, see_other, Chrome, FieldErrors, PageError, PageResult, PageUser};
use crate::auth::CurrentUser;

use crate::state::AppState;
use pharos_app::organization::OrganizationUpdate;
use pharos_app::{accounts, organization, two_factor};

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    organization: String,
    /// What the rename field shows: the name, or what was just refused.
    name_value: String,
    /// Owners and admins set the alert defaults.
    can_manage: bool,
    /// Owners get the rename form; others see the name only.
    is_owner: bool,
    role: &'static str,
    email: String,
    email_verified: bool,
    verification_required: bool,
    member_count: usize,
    /// Members must use two-factor sign-in.
    require_two_factor: bool,
    /// The owner's hint on that control.
    owner_hint: &'static str,
    /// Two-factor sign-in is on for this user.
    own_two_factor: bool,
    /// The organization's default alert settings.
    alerts: super::alerts::AlertFormView,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OrganizationForm {
    name: String,
}

/// A checkbox: present (`on`) when ticked, absent when not.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequireTwoFactorForm {
    require_two_factor: Option<String>,
}

async fn page(
    state: &AppState,
    current: &CurrentUser,
    errors: FieldErrors,
    flash: Option<&'static str>,
    name_value: Option<String>,
) -> Result<SettingsPage, PageError> {
    let overview = organization::overview(&state.app, current).await?;
    let defaults = pharos_app::alerts::defaults(&state.app, current).await?;
    let own_two_factor = two_factor::status(&state.app, current).await?.enabled;
    let chrome = Chrome::new(Some(current), "settings").with_flash(flash);
    Ok(SettingsPage {
        name_value: name_value.unwrap_or_else(|| overview.organization.name.clone()),
        organization: overview.organization.name,
        can_manage: overview.role.can_manage_organization(),
        is_owner: overview.role.is_owner(),
        role: overview.role.as_str(),
        email: current.user.email.clone(),
        email_verified: current.user.email_verified_at.is_some(),
        verification_required: state.app.settings.require_email_verification,
        chrome,
        member_count: overview.members.len(),
        require_two_factor: overview.organization.require_two_factor,
        owner_hint: if own_two_factor {
            "Members without it can log in, but only to set it up."
        } else {
            "Turn on two-factor sign-in for your own account first."
        },
        own_two_factor,
        alerts: super::alerts::AlertFormView::of(&defaults),
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
) -> PageResult {
    let (jar, message) = flash::take(jar);
    let page = page(&state, &current, FieldErrors::default(), message, None).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// The rename form: owners only.
pub async fn rename_org(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    Form(form): Form<OrganizationForm>,
) -> PageResult {
    match organization::rename(&state.app, &current, &form.name).await {
        Ok(_) => Ok((flash::set(jar, "organization"), see_other("/settings")).into_response()),
        // The form is not offered to them: the error page says why.
        Err(e @ pharos_app::AppError::Forbidden(_)) => Err(PageError(e.into())),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let page = page(&state, &current, errors, None, Some(form.name)).await?;
            Ok(render(status, &page))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteOrganizationForm {
    confirm: String,
}

pub async fn delete_org(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    Form(form): Form<DeleteOrganizationForm>,
) -> PageResult {
    match organization::delete(&state.app, &current, &form.confirm).await {
        Ok(()) => Ok((flash::set(jar, "organization_deleted"), see_other("/")).into_response()),
        Err(e @ pharos_app::AppError::Forbidden(_)) => Err(PageError(e.into())),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let page = page(&state, &current, errors, None, None).await?;
            Ok(render(status, &page))
        }
    }
}

/// Requiring two-factor sign-in of members: owners only, once they use it
/// themselves (refused by the field otherwise).
pub async fn require_two_factor(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    Form(form): Form<RequireTwoFactorForm>,
) -> PageResult {
    let required = form.require_two_factor.is_some();
    let change = OrganizationUpdate {
        name: None,
        require_two_factor: Some(required),
    };
    match organization::update(&state.app, &current, change).await {
        Ok(_) => {
            let message = if required {
                "two_factor_required"
            } else {
                "two_factor_optional"
            };
            Ok((flash::set(jar, message), see_other("/settings")).into_response())
        }
        // The form is not offered to them: the error page says why.
        Err(e @ pharos_app::AppError::Forbidden(_)) => Err(PageError(e.into())),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let page = page(&state, &current, errors, None, None).await?;
            Ok(render(status, &page))
        }
    }
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
            &state.app,
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
            let page = page(&state, &current, errors, None, None).await?;
            Ok(render(status, &page))
        }
    }
}
