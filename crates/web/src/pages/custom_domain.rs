//! `/status-pages/{id}/domain`: a page's custom domain in the dashboard,
//! for owners and admins (`pharos_app::custom_domains`, as the API): set a
//! host name, see the TXT record that proves it, check the record, or
//! remove the domain. TLS stays the reverse proxy's job; the page says so.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use pharos_app::{custom_domains, status_pages};
use pharos_domain::ids::StatusPageId;
use pharos_storage::models::StatusPage;

use super::{flash, format, render, see_other, Chrome, FieldErrors, PageResult, PageUser};
use crate::auth::CurrentUser;
use crate::extract::PathId;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "custom_domain.html")]
struct DomainPage {
    chrome: Chrome,
    id: String,
    title: String,
    /// The domain set now, if any.
    host: Option<String>,
    /// When it was proved, in words.
    verified: Option<String>,
    /// The TXT record to publish: name and value.
    record: Option<(String, String)>,
    /// What the host field holds (a refused value is shown again).
    typed: String,
    errors: FieldErrors,
}

fn view(
    current: &CurrentUser,
    page: &StatusPage,
    typed: String,
    errors: FieldErrors,
    message: Option<&'static str>,
) -> DomainPage {
    DomainPage {
        chrome: Chrome::new(Some(current), "status_pages").with_flash(message),
        id: page.id.0.to_string(),
        title: page.title.clone(),
        host: page.custom_domain.clone(),
        verified: page.custom_domain_verified_at.map(format::full),
        record: page
            .custom_domain
            .as_deref()
            .zip(page.custom_domain_token.as_deref())
            .map(|(host, token)| (custom_domains::challenge_name(host), token.to_owned())),
        typed,
        errors,
    }
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    current.require_manager("only owners and admins manage a page's domain")?;
    let page = status_pages::get(&state.app, &current, StatusPageId(id)).await?;
    let (jar, message) = flash::take(jar);
    let typed = page.custom_domain.clone().unwrap_or_default();
    let body = view(&current, &page, typed, FieldErrors::default(), message);
    Ok((jar, render(StatusCode::OK, &body)).into_response())
}

/// Sets the host name (a new token, unverified until checked).
pub async fn set(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
    body: Bytes,
) -> PageResult {
    let typed = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "host")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let id = StatusPageId(id);
    let result = custom_domains::set(&state.app, &current, id, Some(&typed)).await;
    // The service names the page's `custom_domain`; here that is the host
    // field.
    answer(
        &state,
        &current,
        id,
        jar,
        result,
        "domain_saved",
        "host",
        Some(typed),
    )
    .await
}

/// Looks the TXT record up; a miss says what was found, on the field.
pub async fn verify(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    let id = StatusPageId(id);
    let result = custom_domains::verify(&state.app, &current, id).await;
    answer(
        &state,
        &current,
        id,
        jar,
        result,
        "domain_verified",
        "custom_domain",
        None,
    )
    .await
}

/// After a change: back to the page with `flash`, or the page again with
/// the refusal on `field` (`typed`, or the saved host, in the host field).
#[allow(clippy::too_many_arguments)] // one call per action, each naming all
async fn answer(
    state: &AppState,
    current: &CurrentUser,
    id: StatusPageId,
    jar: CookieJar,
    result: pharos_app::AppResult<StatusPage>,
    flash_key: &'static str,
    field: &str,
    typed: Option<String>,
) -> PageResult {
    match result {
        Ok(_) => {
            state.custom_domain_changed().await;
            Ok((
                flash::set(jar, flash_key),
                see_other(&format!("/status-pages/{}/domain", id.0)),
            )
                .into_response())
        }
        Err(e @ (pharos_app::AppError::Forbidden(_) | pharos_app::AppError::NotFound)) => {
            Err(super::PageError(e.into()))
        }
        Err(e) => {
            let (status, refused) = FieldErrors::from_service(e)?;
            let mut errors = FieldErrors::default();
            for (name, message) in refused.0 {
                let name = if name == "custom_domain" {
                    field
                } else {
                    name.as_str()
                };
                errors.add(name, message);
            }
            let page = status_pages::get(&state.app, current, id).await?;
            let typed = typed.unwrap_or_else(|| page.custom_domain.clone().unwrap_or_default());
            Ok(render(status, &view(current, &page, typed, errors, None)))
        }
    }
}

pub async fn remove(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    custom_domains::set(&state.app, &current, StatusPageId(id), None).await?;
    state.custom_domain_changed().await;
    Ok((
        flash::set(jar, "domain_removed"),
        see_other(&format!("/status-pages/{id}/domain")),
    )
        .into_response())
}
