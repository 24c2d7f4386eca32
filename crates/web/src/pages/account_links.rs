//! The pages behind the links Pharos mails to an account: "forgot
//! password" (`/forgot-password`), choosing a new one
//! (`/reset-password?token=...`) and confirming an address
//! (`/verify-email?token=...`), plus "send the link again" from Settings.
//! A link opened in a browser only shows a form: the change happens on its
//! POST, so a mail scanner that fetches links uses nothing up.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Form;
use axum_extra::extract::CookieJar;
use pharos_app::account_links;
use serde::Deserialize;

use super::{flash, render, see_other, Chrome, FieldErrors, PageResult, PageUser};
use crate::extract::ApiQuery;
use crate::state::{AppState, ClientAddr};

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPasswordPage {
    chrome: Chrome,
    email: String,
    /// The request was taken: say so, whatever the address.
    asked: bool,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPasswordPage {
    chrome: Chrome,
    token: String,
    /// The link is unknown, used or expired.
    dead: bool,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "verify_email.html")]
struct VerifyEmailPage {
    chrome: Chrome,
    token: String,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenQuery {
    token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ForgotForm {
    email: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetForm {
    token: String,
    password: String,
    confirm: String,
}

/// These pages serve visitors with or without a session alike.
fn chrome() -> Chrome {
    Chrome::new(None, "")
}

pub async fn forgot_form() -> PageResult {
    let page = ForgotPasswordPage {
        chrome: chrome(),
        email: String::new(),
        asked: false,
        errors: FieldErrors::default(),
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn forgot(
    State(state): State<AppState>,
    client: ClientAddr,
    Form(form): Form<ForgotForm>,
) -> PageResult {
    let (status, asked, errors) =
        match account_links::forgot_password(&state.app, client.0, form.email.trim()).await {
            Ok(()) => (StatusCode::OK, true, FieldErrors::default()),
            Err(e) => {
                let (status, errors) = FieldErrors::from_service(e)?;
                (status, false, errors)
            }
        };
    let page = ForgotPasswordPage {
        chrome: chrome(),
        email: form.email,
        asked,
        errors,
    };
    Ok(render(status, &page))
}

pub async fn reset_form(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<TokenQuery>,
) -> PageResult {
    let valid = account_links::reset_link_is_valid(&state.app, &query.token).await?;
    let page = ResetPasswordPage {
        chrome: chrome(),
        token: query.token,
        dead: !valid,
        errors: FieldErrors::default(),
    };
    let status = if valid {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Ok(render(status, &page))
}

pub async fn reset(
    State(state): State<AppState>,
    client: ClientAddr,
    jar: CookieJar,
    Form(form): Form<ResetForm>,
) -> PageResult {
    let refused = |status, errors: FieldErrors| {
        let dead = errors.get("token").is_some();
        render(
            status,
            &ResetPasswordPage {
                chrome: chrome(),
                token: form.token.clone(),
                dead,
                errors,
            },
        )
    };
    if form.password != form.confirm {
        let mut errors = FieldErrors::default();
        errors.add("confirm", "does not match the password");
        return Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, errors));
    }
    match account_links::reset_password(&state.app, client.0, &form.token, &form.password).await {
        // Every session ended, this browser's too: sign in again.
        Ok(()) => Ok((flash::set(jar, "password_reset"), see_other("/login")).into_response()),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            Ok(refused(status, errors))
        }
    }
}

pub async fn verify_form(ApiQuery(query): ApiQuery<TokenQuery>) -> PageResult {
    let page = VerifyEmailPage {
        chrome: chrome(),
        token: query.token,
        errors: FieldErrors::default(),
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn verify(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<TokenQuery>,
) -> PageResult {
    match account_links::verify_email(&state.app, &form.token).await {
        // Settings says it is confirmed (and sends a visitor without a
        // session to log in first).
        Ok(()) => Ok((flash::set(jar, "email_verified"), see_other("/settings")).into_response()),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let page = VerifyEmailPage {
                chrome: chrome(),
                token: form.token,
                errors,
            };
            Ok(render(status, &page))
        }
    }
}

pub async fn resend(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
) -> PageResult {
    let sent = account_links::resend_verification(&state.app, &current).await?;
    let code = if sent {
        "verification_sent"
    } else {
        "email_verified"
    };
    Ok((flash::set(jar, code), see_other("/settings")).into_response())
}
