//! The HTML pages: server-rendered from askama templates, calling the same
//! services as the JSON API. Forms post plainly and the server redirects
//! (POST-redirect-GET), so every flow works with JavaScript off; the one
//! script only adds live updates, relative times and confirmations.

mod account_links;
mod agents;
mod alerts;
mod api_keys;
pub mod assets;
mod audit;
mod auth;
mod channels;
pub mod charts;
mod custom_domain;
mod dashboard;
mod events;
mod format;
mod incidents;
mod invitations;
mod labels;
pub(crate) mod maintenance;
mod members;
mod page_subscribers;
mod sessions;
mod settings;
mod status_pages;
mod targets;
mod two_factor;

use askama::Template;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use pharos_app::AppError;
use tower_http::compression::CompressionLayer;

use crate::auth::{CurrentUser, Enrolling};
use crate::error::{ApiError, ErrorMessage};
use crate::state::AppState;

/// Every page route. The event stream stays outside the compression layer
/// so each event reaches the browser as soon as it is written.
pub fn routes() -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(dashboard::show))
        .route("/register", get(auth::register_form).post(auth::register))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/login/code", get(auth::code_form).post(auth::code))
        .route("/logout", post(auth::logout))
        .route(
            "/forgot-password",
            get(account_links::forgot_form).post(account_links::forgot),
        )
        .route(
            "/reset-password",
            get(account_links::reset_form).post(account_links::reset),
        )
        .route(
            "/verify-email",
            get(account_links::verify_form).post(account_links::verify),
        )
        .route("/settings/verify-email", post(account_links::resend))
        .route("/settings/audit-log", get(audit::show))
        .route("/settings/two-factor", get(two_factor::show))
        .route("/settings/two-factor/setup", post(two_factor::setup))
        .route("/settings/two-factor/enable", post(two_factor::enable))
        .route("/settings/two-factor/disable", post(two_factor::disable))
        .route("/targets/new", get(targets::new_form).post(targets::create))
        .route("/targets/{id}", get(targets::detail))
        .route(
            "/targets/{id}/edit",
            get(targets::edit_form).post(targets::update),
        )
        .route("/targets/{id}/delete", post(targets::delete))
        .route("/targets/{id}/pause", post(targets::pause))
        .route("/targets/{id}/resume", post(targets::resume))
        .route("/targets/{id}/badge/on", post(targets::badge_on))
        .route("/targets/{id}/badge/off", post(targets::badge_off))
        .route("/targets/{id}/badge/rotate", post(targets::badge_rotate))
        .route("/channels", get(channels::show).post(channels::create))
        .route("/channels/new", get(channels::new_form))
        .route(
            "/channels/{id}/edit",
            get(channels::edit_form).post(channels::update),
        )
        .route("/channels/{id}/test", post(channels::test))
        .route("/channels/{id}/delete", post(channels::delete))
        .route(
            "/maintenance",
            get(maintenance::show).post(maintenance::create),
        )
        .route(
            "/maintenance/{id}/edit",
            get(maintenance::edit_form).post(maintenance::update),
        )
        .route("/maintenance/{id}/delete", post(maintenance::delete))
        .route("/incidents", get(incidents::show))
        .route(
            "/status-pages",
            get(status_pages::show).post(status_pages::create),
        )
        .route(
            "/status-pages/{id}",
            get(status_pages::edit_form).post(status_pages::update),
        )
        .route("/status-pages/{id}/delete", post(status_pages::delete))
        .route(
            "/status-pages/{id}/domain",
            get(custom_domain::show).post(custom_domain::set),
        )
        .route(
            "/status-pages/{id}/domain/verify",
            post(custom_domain::verify),
        )
        .route(
            "/status-pages/{id}/domain/delete",
            post(custom_domain::remove),
        )
        .route(
            "/status-pages/{id}/subscribers",
            get(page_subscribers::show).post(page_subscribers::add_webhook),
        )
        .route(
            "/status-pages/{id}/subscribers/{subscriber_id}/delete",
            post(page_subscribers::remove),
        )
        .route(
            "/status-pages/{id}/incidents",
            post(status_pages::post_incident),
        )
        .route(
            "/status-pages/{id}/incidents/{incident_id}",
            post(status_pages::update_incident),
        )
        .route(
            "/status-pages/{id}/incidents/{incident_id}/delete",
            post(status_pages::delete_incident),
        )
        .route("/settings", get(settings::show))
        .route("/settings/password", post(settings::change_password))
        .route("/settings/organization", post(settings::rename_org))
        .route("/settings/organization/delete", post(settings::delete_org))
        .route(
            "/settings/organization/two-factor",
            post(settings::require_two_factor),
        )
        .route("/settings/sessions", get(sessions::show))
        .route(
            "/settings/sessions/revoke-others",
            post(sessions::revoke_others),
        )
        .route("/settings/sessions/{id}/revoke", post(sessions::revoke))
        .route("/settings/alerts", post(alerts::set_defaults))
        .route(
            "/settings/members",
            get(members::show).post(members::invite),
        )
        .route("/settings/members/{id}/role", post(members::change_role))
        .route("/settings/members/{id}/remove", post(members::remove))
        .route("/settings/invitations/{id}/resend", post(members::resend))
        .route("/settings/invitations/{id}/revoke", post(members::revoke))
        .route(
            "/invitations/accept",
            get(invitations::show).post(invitations::join),
        )
        .route("/invitations/accept/register", post(invitations::register))
        .route("/invitations/accept/login", post(invitations::login))
        .route("/organizations/switch", post(members::switch))
        .route(
            "/settings/api-keys",
            get(api_keys::show).post(api_keys::create),
        )
        .route("/settings/api-keys/{id}/revoke", post(api_keys::revoke))
        .route("/settings/tags", get(labels::show).post(labels::create_tag))
        .route("/settings/tags/{id}/color", post(labels::recolor_tag))
        .route("/settings/tags/{id}/delete", post(labels::delete_tag))
        .route("/settings/groups", post(labels::create_group))
        .route("/settings/groups/{id}/delete", post(labels::delete_group))
        .route("/settings/agents", get(agents::show))
        .route("/settings/agents/settings", post(agents::save_settings))
        .route(
            "/settings/agents/pending/{uuid}/approve",
            post(agents::approve_pending),
        )
        .route(
            "/settings/agents/pending/{uuid}/reject",
            post(agents::reject_pending),
        )
        .route("/settings/agents/{id}/revoke", post(agents::revoke))
        .route("/settings/agents/{id}/approve", post(agents::approve))
        .route("/targets/{id}/alerts", post(alerts::set_for_target))
        .route("/targets/{id}/alerts/reset", post(alerts::reset_target))
        .route("/assets/{name}", get(assets::serve));
    with_page_layers(pages).route("/events", get(events::stream))
}

/// What every page route passes through, innermost first: a panic becomes
/// a 500, any error that is not HTML becomes the HTML error page, and the
/// response is compressed.
fn with_page_layers<S: Clone + Send + Sync + 'static>(pages: Router<S>) -> Router<S> {
    pages
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            crate::panic_to_500,
        ))
        .layer(middleware::from_fn(html_errors))
        .layer(CompressionLayer::new())
}

/// Paths that answer machines (JSON or plain text), never HTML pages.
pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/ping/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics" | "/events")
}

/// An unknown path: an HTML page for people (with their navigation when
/// they are signed in), the JSON envelope for the API.
pub async fn not_found(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
) -> Response {
    if is_api_path(request.uri().path()) {
        return ApiError::App(AppError::NotFound).into_response();
    }
    let (parts, _) = request.into_parts();
    let current = CurrentUser::from_session(&parts, &state).await.ok();
    error_page(
        Chrome::new(current.as_ref(), ""),
        StatusCode::NOT_FOUND,
        default_message(StatusCode::NOT_FOUND),
    )
}

/// What a page says for an error status when nothing more specific is
/// known.
fn default_message(status: StatusCode) -> String {
    match status {
        StatusCode::NOT_FOUND => "This page does not exist, or is not yours to see.".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "This page cannot be used that way.".to_owned(),
        s if s.is_server_error() => "Something went wrong on our side.".to_owned(),
        s => s
            .canonical_reason()
            .unwrap_or("The request was refused.")
            .to_owned(),
    }
}

/// Error responses of page routes that are not pages already (the JSON of
/// an extractor's `ApiError`, axum's plain-text rejections of a bad form
/// or path, an empty 405) become the HTML error page, with their status
/// and headers (Retry-After) kept. Done in one place so no page route can
/// answer a person with JSON.
async fn html_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_html {
        return response;
    }
    if status == StatusCode::UNAUTHORIZED {
        return see_other("/login");
    }
    let (mut parts, body) = response.into_parts();
    let message = match parts.extensions.get::<ErrorMessage>() {
        Some(ErrorMessage(Some(message))) if status != StatusCode::NOT_FOUND => message.clone(),
        Some(_) => default_message(status),
        // axum's own rejections are short plain text about the request.
        None if status.is_client_error() => axum::body::to_bytes(body, 4096)
            .await
            .ok()
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .filter(|text| !text.trim().is_empty())
            .unwrap_or_else(|| default_message(status)),
        None => default_message(status),
    };
    let mut page = error_page(unknown_visitor_chrome(), status, message);
    for name in [header::RETRY_AFTER, header::ALLOW] {
        if let Some(value) = parts.headers.remove(&name) {
            page.headers_mut().insert(name, value);
        }
    }
    page
}

/// The HTML error page, its header from `chrome`.
fn error_page(chrome: Chrome, status: StatusCode, message: String) -> Response {
    let page = ErrorPage {
        chrome,
        status: status.as_u16(),
        message,
    };
    render(status, &page)
}

/// The header of an error page whose visitor is not known (not every
/// error path reads the session): it links only home, offering neither
/// the account's links nor "Log in".
fn unknown_visitor_chrome() -> Chrome {
    let mut chrome = Chrome::new(None, "");
    chrome.account_links = false;
    chrome
}

/// One organization in the header's switcher.
pub struct OrganizationChoice {
    pub id: String,
    pub name: String,
    pub current: bool,
}

/// What the layout around every page needs.
pub struct Chrome {
    pub email: Option<String>,
    pub organization: Option<String>,
    /// Every organization of the user, for the switcher (shown when there
    /// are two or more).
    pub organizations: Vec<OrganizationChoice>,
    /// Which navigation link is the current page.
    pub nav: &'static str,
    pub flash: Option<&'static str>,
    pub css: String,
    pub js: String,
    pub icon: String,
    /// "Log in" and "Register" for visitors without a session.
    pub account_links: bool,
}

impl Chrome {
    pub fn new(current: Option<&CurrentUser>, nav: &'static str) -> Self {
        let organization = current.and_then(|c| {
            c.memberships
                .iter()
                .find(|m| m.organization.id == c.organization)
                .map(|m| m.organization.name.clone())
        });
        let organizations = current
            .map(|c| {
                c.memberships
                    .iter()
                    .map(|m| OrganizationChoice {
                        id: m.organization.id.0.to_string(),
                        name: m.organization.name.clone(),
                        current: m.organization.id == c.organization,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            email: current.map(|c| c.user.email.clone()),
            organization,
            organizations,
            nav,
            flash: None,
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            icon: assets::url("icon.svg"),
            account_links: true,
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
        Err(e) => ApiError::App(AppError::Internal(anyhow::Error::new(e))).into_response(),
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

impl From<pharos_app::AppError> for PageError {
    fn from(e: pharos_app::AppError) -> Self {
        PageError(e.into())
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
            ApiError::App(AppError::Unauthenticated) => return see_other("/login"),
            // Their organization requires two-factor sign-in: set it up first.
            ApiError::App(AppError::TwoFactorSetupRequired) => {
                return see_other("/settings/two-factor")
            }
            ApiError::App(AppError::NotFound) => {
                "This page does not exist, or is not yours to see.".to_owned()
            }
            ApiError::App(AppError::Internal(e)) => {
                tracing::error!(error = ?e, "page failed");
                "Something went wrong on our side.".to_owned()
            }
            other => other.to_string(),
        };
        let mut response = error_page(unknown_visitor_chrome(), self.0.status(), message);
        if let ApiError::App(AppError::RateLimited { retry_after_secs }) = self.0 {
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
/// Only the session cookie counts: a request with an API key and no
/// session is a visitor here. Someone held to set up two-factor sign-in
/// (their organization requires it) goes to /settings/two-factor.
pub struct PageUser(pub CurrentUser);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        Ok(PageUser(CurrentUser::from_session(parts, state).await?))
    }
}

/// The signed-in user of the few pages open to someone held to set up
/// two-factor sign-in: setting it up, and switching organization.
pub struct EnrollingPageUser(pub CurrentUser);

impl FromRequestParts<AppState> for EnrollingPageUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let Enrolling(current) = Enrolling::from_session(parts, state).await?;
        Ok(EnrollingPageUser(current))
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

    /// Every (field, message), in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(f, m)| (f.as_str(), m.as_str()))
    }

    /// Shows errors of `prefix.*` fields (`config.url`) by the one form
    /// field that holds them all (`config`); their messages name the path.
    pub fn fold_into(mut self, prefix: &str) -> Self {
        let nested = format!("{prefix}.");
        for (field, _) in &mut self.0 {
            if field.starts_with(&nested) || field.starts_with(&format!("{prefix}[")) {
                *field = prefix.to_owned();
            }
        }
        self
    }

    /// Shows errors of `prefix.*` fields (`schedule.start_time`) by the
    /// form field of the rest of the name (`start_time`).
    pub fn strip_prefix(mut self, prefix: &str) -> Self {
        let nested = format!("{prefix}.");
        for (field, _) in &mut self.0 {
            if let Some(rest) = field.strip_prefix(&nested) {
                *field = rest.to_owned();
            }
        }
        self
    }

    /// Turns a service error into messages by the field, or passes it on
    /// when it is not about the input.
    pub fn from_service(e: impl Into<ApiError>) -> Result<(StatusCode, FieldErrors), PageError> {
        let e = e.into();
        let mut errors = FieldErrors::default();
        let status = e.status();
        match e {
            ApiError::App(AppError::Validation(v)) => errors.add(v.field, v.message),
            ApiError::App(AppError::InvalidField { field, message }) => errors.add(&field, message),
            ApiError::BadRequest {
                field: Some(field),
                message,
                ..
            } => errors.add(&field, message),
            // A form that signs in without a code field (the invitation
            // page): the account must log in on the login page first.
            ApiError::App(AppError::SecondFactorRequired { .. }) => errors.add(
                "",
                "This account uses two-factor sign-in: log in first (with your code), then open the link again.",
            ),
            ApiError::App(AppError::InvalidCredentials)
            | ApiError::App(AppError::RateLimited { .. })
            | ApiError::App(AppError::Conflict(_))
            | ApiError::App(AppError::Forbidden(_)) => errors.add("", e.to_string()),
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
            "badge_on" => "Badges turned on: embed the URLs below.",
            "badge_off" => "Badges turned off: their URLs answer 404 now.",
            "badge_rotated" => "Badge URLs replaced: the old ones answer 404 now.",
            "password" => "Password changed. Your other sessions were ended.",
            "organization" => "Organization renamed.",
            "switched" => "Switched organization.",
            "joined" => "You joined the organization.",
            "role_changed" => "Role changed.",
            "member_removed" => "Member removed.",
            "left" => "You left the organization.",
            "invitation_sent" => "Invitation sent.",
            "invitation_revoked" => "Invitation revoked: its link no longer works.",
            "channel_deleted" => "Channel deleted.",
            "channel_saved" => "Channel saved.",
            "alerts_saved" => "Alert settings saved.",
            "maintenance_saved" => "Maintenance window saved.",
            "organization_deleted" => "The organization and everything in it were deleted.",
            "password_reset" => "Your new password is set and every session ended. Log in with it.",
            "email_verified" => "Your email address is confirmed.",
            "verification_sent" => "A new confirmation link is on its way.",
            "maintenance_deleted" => "Maintenance window deleted.",
            "status_page_saved" => "Status page saved.",
            "status_page_deleted" => "Status page deleted: its address no longer answers.",
            "incident_posted" => "Posted.",
            "incident_updated" => "Update posted.",
            "incident_deleted" => "Deleted.",
            "subscriber_removed" => "Subscriber removed: nothing more reaches it.",
            "domain_saved" => "Domain saved: publish the TXT record below, then check it.",
            "domain_verified" => "Domain verified: the page is served there now.",
            "domain_removed" => "Domain removed: the page is no longer served there.",
            "api_key_revoked" => "API key revoked: it no longer works.",
            "tag_created" => "Tag added.",
            "tag_saved" => "Tag saved.",
            "tag_deleted" => "Tag deleted: its targets no longer carry it.",
            "group_created" => "Group added.",
            "group_deleted" => "Group deleted: its targets are ungrouped.",
            "agents_saved" => "Agent settings saved.",
            "agent_approved" => "Agent approved: it is admitted at its next attempt.",
            "agent_rejected" => "Agent rejected.",
            "agent_revoked" => "Agent revoked: its token no longer works.",
            "session_revoked" => "Session ended: it is signed out.",
            "sessions_revoked" => "Every other session of yours is signed out.",
            "two_factor_required" => {
                "Members must now use two-factor sign-in; those without it are asked to set it up."
            }
            "two_factor_optional" => "Two-factor sign-in is no longer required.",
            "alerts_reset" => "This target follows the organization's alert settings again.",
            "alerts_invalid" => {
                "Alert settings not saved: repeated alerts need a period of 1 to 1440 minutes."
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_page_answers_with_the_html_error_page() {
        let app = with_page_layers(Router::new().route(
            "/boom",
            get(|| async {
                if true {
                    panic!("a bug");
                }
                "unreachable"
            }),
        ));
        let response = app
            .oneshot(
                axum::http::Request::get("/boom")
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(content_type.starts_with("text/html"), "{content_type}");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("Error 500"), "{html}");
        assert!(html.contains("Something went wrong on our side."), "{html}");
        assert!(!html.contains("a bug"), "panic text stays in the log");
    }
}
