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
use crate::client_addr::SignInClient;
use crate::state::{AppState, ClientAddr};
use axum_extra::extract::cookie::{Cookie, SameSite};
use pharos_app::accounts::{self, NewAccountInput};
use pharos_app::AppError;

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
    SignInClient(client): SignInClient,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> PageResult {
    match accounts::login(&state.app, &client, form.email.trim(), &form.password, None).await {
        Ok(signed_in) => Ok((
            jar.add(session::cookie_for(&state, signed_in.session)),
            see_other("/"),
        )
            .into_response()),
        // The password was right: ask for the code on a page of its own.
        Err(AppError::SecondFactorRequired { pending }) => Ok((
            jar.add(pending_cookie(&state, pending)),
            see_other("/login/code"),
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

/// Holds the signed "password was right" note between the two steps of a
/// two-factor sign-in (five minutes; it is no session).
const PENDING_COOKIE: &str = "pharos_second_factor";

fn pending_cookie(state: &AppState, pending: String) -> Cookie<'static> {
    let mut cookie = Cookie::new(PENDING_COOKIE, pending);
    cookie.set_path("/login");
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(state.config.session.secure_cookies);
    cookie.set_max_age(time::Duration::minutes(5));
    cookie
}

fn cleared_pending_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::new(PENDING_COOKIE, "");
    cookie.set_path("/login");
    cookie.set_max_age(time::Duration::ZERO);
    cookie
}

#[derive(Template)]
#[template(path = "login_code.html")]
struct LoginCodePage {
    chrome: Chrome,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
}

pub async fn code_form(jar: CookieJar) -> PageResult {
    if jar.get(PENDING_COOKIE).is_none() {
        return Ok(see_other("/login"));
    }
    let page = LoginCodePage {
        chrome: Chrome::new(None, "login"),
        errors: FieldErrors::default(),
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn code(
    State(state): State<AppState>,
    SignInClient(client): SignInClient,
    jar: CookieJar,
    Form(form): Form<CodeForm>,
) -> PageResult {
    let Some(pending) = jar.get(PENDING_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(see_other("/login"));
    };
    match accounts::login_second_step(&state.app, &client, &pending, &form.code).await {
        Ok(signed_in) => Ok((
            jar.add(cleared_pending_cookie())
                .add(session::cookie_for(&state, signed_in.session)),
            see_other("/"),
        )
            .into_response()),
        // Too late (or not genuine): start again from the password.
        Err(AppError::Unauthenticated) => {
            Ok((jar.add(cleared_pending_cookie()), see_other("/login")).into_response())
        }
        Err(AppError::InvalidSecondFactor) => {
            let mut errors = FieldErrors::default();
            errors.add("code", AppError::InvalidSecondFactor.to_string());
            let page = LoginCodePage {
                chrome: Chrome::new(None, "login"),
                errors,
            };
            Ok(render(StatusCode::UNAUTHORIZED, &page))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> PageResult {
    let cleared = session::end(&state, &jar).await?;
    let jar = flash::set(jar.add(cleared), "logged_out");
    Ok((jar, see_other("/login")).into_response())
}
