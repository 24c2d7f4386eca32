//! `/invitations/accept?token=`: the page an invitation link opens. A
//! signed-in person with the invited address joins with one button;
//! anyone else signs up (with the invited address) or logs in, and joins
//! in the same step. Links are checked by `app::invitations::open`.

use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use axum_extra::extract::CookieJar;
use pharos_app::invitations::{self, OpenInvitation};
use pharos_app::{accounts, AppError};
use serde::Deserialize;

use super::{flash, render, see_other, Chrome, FieldErrors, PageError, PageResult, PageUser};
use crate::auth::{session, CurrentUser};
use crate::client_addr::SignInClient;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    chrome: Chrome,
    token: String,
    organization: String,
    role: &'static str,
    /// The invited address.
    email: String,
    /// Who is signed in, if anyone.
    signed_in_as: Option<String>,
    /// The one signed in is the one invited.
    same_person: bool,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenQuery {
    token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct JoinForm {
    token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    token: String,
    password: String,
    confirm: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    token: String,
    login_password: String,
}

/// The signed-in user, when there is one (the accept page serves both).
pub struct MaybeUser(Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        Ok(MaybeUser(
            CurrentUser::from_request_parts(parts, state).await.ok(),
        ))
    }
}

/// A link that no longer works says why, on the HTML error page; other
/// errors as every page shows them.
fn link_error(e: AppError) -> Response {
    let message = match &e {
        AppError::NotFound => {
            "This invitation link does not work: it was used, revoked, or replaced by a newer \
             one. Ask for a new invitation."
                .to_owned()
        }
        AppError::Gone(message) => format!("{}.", capitalized(message)),
        _ => return PageError::from(e).into_response(),
    };
    let status = match e {
        AppError::Gone(_) => StatusCode::GONE,
        _ => StatusCode::NOT_FOUND,
    };
    super::error_page(super::unknown_visitor_chrome(), status, message)
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn view(
    open: &OpenInvitation,
    current: Option<&CurrentUser>,
    token: &str,
    errors: FieldErrors,
) -> InvitationPage {
    InvitationPage {
        chrome: Chrome::new(current, ""),
        token: token.to_owned(),
        organization: open.organization.name.clone(),
        role: open.invitation.role.as_str(),
        email: open.invitation.email.clone(),
        signed_in_as: current.map(|c| c.user.email.clone()),
        same_person: current.is_some_and(|c| c.user.email == open.invitation.email),
        errors,
    }
}

pub async fn show(
    State(state): State<AppState>,
    MaybeUser(current): MaybeUser,
    Query(query): Query<TokenQuery>,
) -> PageResult {
    let open = match invitations::open(&state.app, &query.token).await {
        Ok(open) => open,
        Err(e) => return Ok(link_error(e)),
    };
    let page = view(
        &open,
        current.as_ref(),
        &query.token,
        FieldErrors::default(),
    );
    Ok(render(StatusCode::OK, &page))
}

/// A signed-in person joins.
pub async fn join(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    Form(form): Form<JoinForm>,
) -> PageResult {
    match invitations::accept(
        &state.app,
        &current.user,
        current.session_hash(),
        &form.token,
    )
    .await
    {
        Ok(_) => Ok((flash::set(jar, "joined"), see_other("/")).into_response()),
        Err(e) => Ok(link_error(e)),
    }
}

/// Someone new signs up with the invited address and joins.
pub async fn register(
    State(state): State<AppState>,
    SignInClient(client): SignInClient,
    jar: CookieJar,
    Form(form): Form<RegisterForm>,
) -> PageResult {
    let open = match invitations::open(&state.app, &form.token).await {
        Ok(open) => open,
        Err(e) => return Ok(link_error(e)),
    };
    let refused = |errors: FieldErrors, status: StatusCode| {
        render(status, &view(&open, None, &form.token, errors))
    };
    if form.password != form.confirm {
        let mut errors = FieldErrors::default();
        errors.add("confirm", "does not match the password");
        return Ok(refused(errors, StatusCode::UNPROCESSABLE_ENTITY));
    }
    match invitations::sign_up(&state.app, &client, &form.token, &form.password).await {
        Ok((_, _, started)) => Ok((
            flash::set(jar.add(session::cookie_for(&state, started)), "joined"),
            see_other("/"),
        )
            .into_response()),
        Err(e @ (AppError::NotFound | AppError::Gone(_))) => Ok(link_error(e)),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            Ok(refused(errors, status))
        }
    }
}

/// Someone with an account logs in with the invited address and joins.
pub async fn login(
    State(state): State<AppState>,
    SignInClient(client): SignInClient,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> PageResult {
    let open = match invitations::open(&state.app, &form.token).await {
        Ok(open) => open,
        Err(e) => return Ok(link_error(e)),
    };
    let signed_in = match accounts::login(
        &state.app,
        &client,
        &open.invitation.email,
        &form.login_password,
        None,
    )
    .await
    {
        Ok(signed_in) => signed_in,
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let page = view(&open, None, &form.token, errors);
            return Ok(render(status, &page));
        }
    };
    let session_hash = state.app.tokens.hash(&signed_in.session.token);
    let user = signed_in.user.clone();
    let jar = jar.add(session::cookie_for(&state, signed_in.session));
    match invitations::accept(&state.app, &user, Some(&session_hash), &form.token).await {
        Ok(_) => Ok((flash::set(jar, "joined"), see_other("/")).into_response()),
        // Signed in all the same; the page says why they did not join.
        Err(e) => Ok((jar, link_error(e)).into_response()),
    }
}
