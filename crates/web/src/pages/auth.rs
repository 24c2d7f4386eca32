//! Register, log in, log out.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Form;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::{flash, render, see_other, Chrome, FieldErrors, PageResult};
use crate::auth::session;
use crate::state::{AppState, ClientAddr};
use pharos_app::accounts::{self, NewAccountInput};

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    organization: String,
    email: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    email: String,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    organization: String,
    email: String,
    password: String,
    confirm: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn register_form() -> PageResult {
    Ok(render(
        StatusCode::OK,
        &RegisterPage {
            chrome: Chrome::new(None, "register"),
            organization: String::new(),
            email: String::new(),
            errors: FieldErrors::default(),
        },
    ))
}

pub async fn register(
    State(state): State<AppState>,
    client: ClientAddr,
    jar: CookieJar,
    Form(form): Form<RegisterForm>,
) -> PageResult {
    let page = |status, errors| {
        render(
            status,
            &RegisterPage {
                chrome: Chrome::new(None, "register"),
                organization: form.organization.clone(),
                email: form.email.clone(),
                errors,
            },
        )
    };
    // The confirmation is a page concern: the API takes one password.
    if form.password != form.confirm {
        let mut errors = FieldErrors::default();
        errors.add("confirm", "does not match the password");
        return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, errors));
    }
    let organization = form.organization.trim();
    let input = NewAccountInput {
        email: form.email.trim(),
        password: &form.password,
        organization: (!organization.is_empty()).then_some(organization),
    };
    match accounts::register(&state.app, client.0, input).await {
        Ok(_) => Ok((flash::set(jar, "registered"), see_other("/login")).into_response()),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            Ok(page(status, errors))
        }
    }
}

pub async fn login_form(jar: CookieJar) -> PageResult {
    let (jar, message) = flash::take(jar);
    let page = LoginPage {
        chrome: Chrome::new(None, "login").with_flash(message),
        email: String::new(),
        errors: FieldErrors::default(),
    };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

pub async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> PageResult {
    match accounts::login(&state.app, client.0, form.email.trim(), &form.password).await {
        Ok(signed_in) => Ok((
            jar.add(session::cookie_for(&state, signed_in.session)),
            see_other("/"),
        )
            .into_response()),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let page = LoginPage {
                chrome: Chrome::new(None, "login"),
                email: form.email,
                errors,
            };
            Ok(render(status, &page))
        }
    }
}

pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> PageResult {
    let cleared = session::end(&state, &jar).await?;
    let jar = flash::set(jar.add(cleared), "logged_out");
    Ok((jar, see_other("/login")).into_response())
}
