//! `/settings/two-factor`: turn two-factor sign-in on (scan a QR code
//! drawn on the server, confirm with a code, keep the recovery codes shown
//! once) or off (with the password). The same use cases as the API
//! (`pharos_app::two_factor`). Someone whose organization requires
//! two-factor sign-in and who has not set it up is sent here from every
//! other page, and told why.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Form;
use pharos_app::two_factor::{self, Enrolment};
use pharos_app::AppError;
use serde::Deserialize;

use super::{render, Chrome, EnrollingPageUser, FieldErrors, PageResult, PageUser};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "two_factor.html")]
struct TwoFactorPage {
    chrome: Chrome,
    enabled: bool,
    recovery_codes_left: u32,
    /// Being set up: what to scan.
    enrolment: Option<Enrolment>,
    /// Just turned on: shown this once.
    recovery_codes: Vec<String>,
    /// The organization that holds them here until it is on.
    held_by: Option<String>,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
}

async fn page(
    state: &AppState,
    current: &crate::auth::CurrentUser,
    recovery_codes: Vec<String>,
    errors: FieldErrors,
) -> Result<TwoFactorPage, super::PageError> {
    let status = two_factor::status(&state.app, current).await?;
    let enrolment = if status.enabled {
        None
    } else {
        two_factor::pending_enrolment(&state.app, current).await?
    };
    let held_by = if current.two_factor_hold && !status.enabled {
        current
            .memberships
            .iter()
            .find(|m| m.organization.id == current.organization)
            .map(|m| m.organization.name.clone())
    } else {
        None
    };
    Ok(TwoFactorPage {
        held_by,
        chrome: Chrome::new(Some(current), "settings"),
        enabled: status.enabled,
        recovery_codes_left: status.recovery_codes_left,
        enrolment,
        recovery_codes,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    EnrollingPageUser(current): EnrollingPageUser,
) -> PageResult {
    let page = page(&state, &current, Vec::new(), FieldErrors::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

pub async fn setup(
    State(state): State<AppState>,
    EnrollingPageUser(current): EnrollingPageUser,
) -> PageResult {
    two_factor::begin(&state.app, &current).await?;
    let page = page(&state, &current, Vec::new(), FieldErrors::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

pub async fn enable(
    State(state): State<AppState>,
    EnrollingPageUser(current): EnrollingPageUser,
    Form(form): Form<CodeForm>,
) -> PageResult {
    match two_factor::enable(&state.app, &current, &form.code).await {
        Ok(codes) => {
            let page = page(&state, &current, codes, FieldErrors::default()).await?;
            Ok(render(StatusCode::OK, &page))
        }
        Err(e @ (AppError::InvalidField { .. } | AppError::Conflict(_))) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let page = page(&state, &current, Vec::new(), errors).await?;
            Ok(render(status, &page))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn disable(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    match two_factor::disable(&state.app, &current, &form.current_password).await {
        Ok(()) => {
            let page = page(&state, &current, Vec::new(), FieldErrors::default()).await?;
            Ok(render(StatusCode::OK, &page))
        }
        Err(e @ AppError::Validation(_)) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let page = page(&state, &current, Vec::new(), errors).await?;
            Ok(render(status, &page))
        }
        Err(e) => Err(e.into()),
    }
}
