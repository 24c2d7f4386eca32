//! `/status-pages/{id}/subscribers`: a page's subscribers in the
//! dashboard, for owners and admins (`pharos_app::subscribers`): who
//! subscribed (addresses masked as the API masks them) and whether they
//! confirmed, a remove button each, and a form to add a webhook
//! subscriber, whose signing secret is shown once on the answer.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use pharos_app::{status_pages, subscribers};
use pharos_domain::ids::StatusPageId;

use super::{flash, format, render, see_other, Chrome, FieldErrors, PageResult, PageUser};
use crate::api::page_subscribers::PageSubscriberView;
use crate::api::status_pages::PathIds;
use crate::auth::CurrentUser;
use crate::extract::PathId;
use crate::state::AppState;

pub struct SubscriberRow {
    pub id: String,
    pub kind: &'static str,
    pub address: String,
    pub confirmed: bool,
    pub since: String,
}

#[derive(Template)]
#[template(path = "page_subscribers.html")]
struct SubscribersPage {
    chrome: Chrome,
    id: String,
    title: String,
    rows: Vec<SubscriberRow>,
    url: String,
    errors: FieldErrors,
    signing_secret: Option<String>,
}

async fn view(
    state: &AppState,
    current: &CurrentUser,
    id: StatusPageId,
    url: String,
    errors: FieldErrors,
    signing_secret: Option<String>,
    message: Option<&'static str>,
) -> Result<SubscribersPage, super::PageError> {
    let page = status_pages::get(&state.app, current, id).await?;
    let rows = subscribers::list(&state.app, current, id)
        .await?
        .iter()
        .map(|s| {
            let v = PageSubscriberView::from(s);
            SubscriberRow {
                id: v.id.to_string(),
                kind: match s.kind {
                    pharos_storage::models::SubscriberKind::Email => "Email",
                    pharos_storage::models::SubscriberKind::Webhook => "Webhook",
                },
                address: v.address,
                confirmed: v.confirmed,
                since: format::full(v.created_at),
            }
        })
        .collect();
    Ok(SubscribersPage {
        chrome: Chrome::new(Some(current), "status_pages").with_flash(message),
        id: page.id.0.to_string(),
        title: page.title,
        rows,
        url,
        errors,
        signing_secret,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    let (jar, message) = flash::take(jar);
    let page = view(
        &state,
        &current,
        StatusPageId(id),
        String::new(),
        FieldErrors::default(),
        None,
        message,
    )
    .await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// Adds a webhook subscriber; the answer shows its secret once.
pub async fn add_webhook(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    body: Bytes,
) -> PageResult {
    let url = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "url")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let page = StatusPageId(id);
    match subscribers::add_webhook(&state.app, &current, page, &url).await {
        Ok(added) => {
            let view = view(
                &state,
                &current,
                page,
                String::new(),
                FieldErrors::default(),
                Some(added.signing_secret),
                Some("Webhook subscriber added."),
            )
            .await?;
            Ok(render(StatusCode::CREATED, &view))
        }
        Err(e @ pharos_app::AppError::Forbidden(_)) => Err(super::PageError(e.into())),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let view = view(&state, &current, page, url, errors, None, None).await?;
            Ok(render(status, &view))
        }
    }
}

pub async fn remove(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathIds(page, id): PathIds,
    jar: CookieJar,
) -> PageResult {
    subscribers::remove(&state.app, &current, StatusPageId(page), id).await?;
    Ok((
        flash::set(jar, "subscriber_removed"),
        see_other(&format!("/status-pages/{page}/subscribers")),
    )
        .into_response())
}
