//! The HTML pages: server-rendered from askama templates, calling the same
//! services as the JSON API. Forms post plainly and the server redirects
//! (POST-redirect-GET), so every flow works with JavaScript off; the one
//! script only adds live updates, relative times and confirmations.

pub mod assets;
mod auth;
pub mod charts;
mod dashboard;
mod events;
mod format;
mod settings;
mod targets;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::compression::CompressionLayer;

use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Every page route. The event stream stays outside the compression layer
/// so each event reaches the browser as soon as it is written.
pub fn routes() -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(dashboard::show))
        .route("/register", get(auth::register_form).post(auth::register))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/targets/new", get(targets::new_form).post(targets::create))
        .route("/targets/{id}", get(targets::detail))
        .route(
            "/targets/{id}/edit",
            get(targets::edit_form).post(targets::update),
        )
        .route("/targets/{id}/delete", post(targets::delete))
        .route("/targets/{id}/pause", post(targets::pause))
        .route("/targets/{id}/resume", post(targets::resume))
        .route("/settings", get(settings::show))
        .route("/settings/password", post(settings::change_password))
        .route("/assets/{name}", get(assets::serve))
        .layer(CompressionLayer::new());
    pages.route("/events", get(events::stream))
}

/// What the layout around every page needs.
pub struct Chrome {
    pub email: Option<String>,
    pub organization: Option<String>,
    /// Which navigation link is the current page.
    pub nav: &'static str,
    pub flash: Option<&'static str>,
    pub css: String,
    pub js: String,
    pub icon: String,
}

impl Chrome {
    pub fn new(current: Option<&CurrentUser>, nav: &'static str) -> Self {
        let organization = current.and_then(|c| {
            c.memberships
                .iter()
                .find(|m| m.organization.id == c.organization)
                .map(|m| m.organization.name.clone())
        });
        Self {
            email: current.map(|c| c.user.email.clone()),
            organization,
            nav,
            flash: None,
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            icon: assets::url("icon.svg"),
        }
    }

    pub fn with_flash(mut self, flash: Option<&'static str>) -> Self {
        self.flash = flash;
        self
    }
}

/// Renders a template into a response that is never cached: pages show
/// one user's data.
pub fn render<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => (
            status,
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            Html(html),
        )
            .into_response(),
        Err(e) => ApiError::Internal(anyhow::Error::new(e)).into_response(),
    }
}

/// A redirect after a form post: the browser follows it with a GET.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// An error on a page: a visitor without a session goes to the login page,
/// anything else becomes an HTML error page.
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let message = match &self.0 {
            ApiError::Unauthenticated => return see_other("/login"),
            ApiError::NotFound => "This page does not exist, or is not yours to see.".to_owned(),
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "page failed");
                "Something went wrong on our side.".to_owned()
            }
            other => other.to_string(),
        };
        let status = self.0.status();
        let page = ErrorPage {
            chrome: Chrome::new(None, ""),
            status: status.as_u16(),
            message,
        };
        let mut response = render(status, &page);
        if let ApiError::RateLimited { retry_after_secs } = self.0 {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        response
    }
}

pub type PageResult = Result<Response, PageError>;

/// The signed-in user of a page; without a session, a redirect to /login.
pub struct PageUser(pub CurrentUser);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        Ok(PageUser(
            CurrentUser::from_request_parts(parts, state).await?,
        ))
    }
}

/// Errors of a submitted form, by field name ("" for the form as a whole).
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field.to_owned(), message.into()));
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Turns a service error into messages by the field, or passes it on
    /// when it is not about the input.
    pub fn from_service(e: ApiError) -> Result<(StatusCode, FieldErrors), PageError> {
        let mut errors = FieldErrors::default();
        let status = e.status();
        match e {
            ApiError::Validation(v) => errors.add(v.field, v.message),
            ApiError::BadRequest {
                field: Some(field),
                message,
                ..
            } => errors.add(&field, message),
            ApiError::InvalidCredentials
            | ApiError::RateLimited { .. }
            | ApiError::Conflict(_)
            | ApiError::Forbidden(_) => errors.add("", e.to_string()),
            other => return Err(PageError(other)),
        }
        Ok((status, errors))
    }
}

/// One-shot messages carried across a redirect in a short-lived cookie.
/// The cookie holds a code, never text, so it cannot inject content.
pub mod flash {
    use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

    const NAME: &str = "pharos_flash";

    pub fn set(jar: CookieJar, code: &'static str) -> CookieJar {
        let mut cookie = Cookie::new(NAME, code);
        cookie.set_path("/");
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_max_age(time::Duration::seconds(120));
        jar.add(cookie)
    }

    /// The pending message, if any, and the jar that clears it.
    pub fn take(jar: CookieJar) -> (CookieJar, Option<&'static str>) {
        let message = jar.get(NAME).and_then(|c| message(c.value()));
        if jar.get(NAME).is_none() {
            return (jar, None);
        }
        let mut gone = Cookie::new(NAME, "");
        gone.set_path("/");
        gone.set_max_age(time::Duration::ZERO);
        (jar.add(gone), message)
    }

    fn message(code: &str) -> Option<&'static str> {
        Some(match code {
            "registered" => "Your account was created. Log in to continue.",
            "logged_out" => "You are logged out.",
            "created" => "Target added. Its first check runs within seconds.",
            "updated" => "Target saved.",
            "deleted" => "Target deleted.",
            "paused" => "Target paused: no checks run until you resume it.",
            "resumed" => "Target resumed: a check runs at once.",
            "password" => "Password changed. Your other sessions were ended.",
            _ => return None,
        })
    }
}
