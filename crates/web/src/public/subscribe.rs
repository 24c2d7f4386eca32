//! A status page's email subscription, for visitors and without
//! JavaScript: the form on the page posts to `/status/{slug}/subscribe`,
//! the mailed confirm link is `/status/{slug}/confirm/{token}`, and the
//! signed unsubscribe link `/status/{slug}/unsubscribe/{id}/{signature}`
//! shows a button on GET and unsubscribes on POST (the one-click POST of
//! RFC 8058 too), so a mail scanner that opens links unsubscribes nobody.
//! The use cases are in `pharos_app::subscribers`; these routes sit under
//! the public rate limit like every `/status/` path.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use pharos_app::{subscribers, AppError};
use serde::Deserialize;

use super::status_page::{CSP, CSS};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "public/subscription.html")]
struct SubscriptionHtml<'a> {
    css: &'static str,
    slug: &'a str,
    page_title: &'a str,
    heading: &'a str,
    message: &'a str,
    unsubscribe_action: Option<String>,
}

fn answer(status: StatusCode, view: SubscriptionHtml<'_>) -> Response {
    match view.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_SECURITY_POLICY, CSP.clone());
            headers.insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            response
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn page(slug: &str, title: &str, heading: &str, message: &str) -> Response {
    answer(
        StatusCode::OK,
        SubscriptionHtml {
            css: CSS,
            slug,
            page_title: title,
            heading,
            message,
            unsubscribe_action: None,
        },
    )
}

/// A refusal as a small page of the visitor's own (404 as the page's).
fn refusal(slug: &str, e: AppError) -> Response {
    let e = ApiError::from(e);
    let status = e.status();
    if status == StatusCode::NOT_FOUND {
        return super::status_page::html_error(e);
    }
    let message = match &e {
        // Visitors read the sentence, not the field's name before it.
        ApiError::App(AppError::InvalidField { field, message }) => message
            .strip_prefix(&format!("{field}: "))
            .unwrap_or(message)
            .to_owned(),
        ApiError::App(AppError::Validation(v)) => v.to_string(),
        ApiError::App(AppError::Forbidden(why)) => format!("{why}."),
        _ => return e.into_response(),
    };
    answer(
        status,
        SubscriptionHtml {
            css: CSS,
            slug,
            page_title: "the status page",
            heading: "That did not work",
            message: &message,
            unsubscribe_action: None,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct SubscribeForm {
    #[serde(default)]
    email: String,
}

/// `POST /status/{slug}/subscribe`: mails a confirm link. The answer is
/// the same for a new and a known address.
pub async fn subscribe(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Form(form): Form<SubscribeForm>,
) -> Response {
    match subscribers::subscribe(&state.app, &slug, &form.email).await {
        Ok(title) => page(
            &slug,
            &title,
            "Check your inbox",
            "If the address can take mail, a link to confirm your subscription is on its way. \
             It works for 48 hours.",
        ),
        Err(e) => refusal(&slug, e),
    }
}

/// `GET /status/{slug}/confirm/{token}`: the link of the confirm mail.
pub async fn confirm(
    State(state): State<AppState>,
    Path((slug, token)): Path<(String, String)>,
) -> Response {
    match subscribers::confirm(&state.app, &slug, &token).await {
        Ok((status_page, _)) => page(
            &slug,
            &status_page.title,
            "You are subscribed",
            "You will get a mail when an incident is posted or updated on this page.",
        ),
        Err(e) => refusal(&slug, e),
    }
}

/// `GET /status/{slug}/unsubscribe/{id}/{signature}`: asks before acting.
pub async fn unsubscribe_form(
    State(state): State<AppState>,
    Path((slug, id, signature)): Path<(String, String, String)>,
) -> Response {
    match subscribers::unsubscribe_target(&state.app, &slug, &id, &signature).await {
        Ok((status_page, Some(subscriber))) => answer(
            StatusCode::OK,
            SubscriptionHtml {
                css: CSS,
                slug: &slug,
                page_title: &status_page.title,
                heading: "Unsubscribe?",
                message: &format!(
                    "{} will get no more mail from this status page.",
                    subscriber.address
                ),
                unsubscribe_action: Some(format!("/status/{slug}/unsubscribe/{id}/{signature}")),
            },
        ),
        Ok((status_page, None)) => page(
            &slug,
            &status_page.title,
            "You are unsubscribed",
            "This address gets no mail from this status page.",
        ),
        Err(e) => refusal(&slug, e),
    }
}

/// `POST /status/{slug}/unsubscribe/{id}/{signature}`: the button, and
/// mail programs' one-click unsubscribe.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path((slug, id, signature)): Path<(String, String, String)>,
) -> Response {
    match subscribers::unsubscribe(&state.app, &slug, &id, &signature).await {
        Ok(status_page) => page(
            &slug,
            &status_page.title,
            "You are unsubscribed",
            "This address gets no more mail from this status page.",
        ),
        Err(e) => refusal(&slug, e),
    }
}
