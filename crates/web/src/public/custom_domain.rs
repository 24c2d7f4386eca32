//! Requests whose `Host` is a status page's verified custom domain. Such a
//! host serves that one page's public routes and nothing else: `/` (the
//! page), `/history`, `/feed.rss`, `/feed.atom`, the page's own
//! `/status/<slug>...` and JSON, badges of targets on the page, and the
//! assets. The dashboard, the API, `/login` and every other page answer
//! the public 404 there, and no answer sets a cookie.
//!
//! Sits outside the router: a matching request is rewritten to the
//! page's path and handed to a router of the public routes alone (with
//! the public rate limit), so nothing else can be reached even by a path
//! that looks like one. Which host is which page is read through a 5 s
//! cache (unknown hosts cached too); changing a domain drops it here.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, Uri};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use pharos_app::AppError;
use tower::ServiceExt;

use crate::error::ApiError;
use crate::state::AppState;

/// How long a host's page is reused before it is read again.
const TTL: Duration = Duration::from_secs(5);
const CAPACITY: u64 = 10_000;

/// A verified custom domain's page: its slug and its targets' badge
/// tokens (the badges that host may serve).
#[derive(Debug)]
pub struct DomainPage {
    slug: String,
    badge_tokens: HashSet<String>,
}

/// This replica's host -> page cache.
#[derive(Clone)]
pub struct CustomDomains(moka::future::Cache<String, Option<Arc<DomainPage>>>);

impl Default for CustomDomains {
    fn default() -> Self {
        Self(
            moka::future::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TTL)
                .build(),
        )
    }
}

impl CustomDomains {
    /// Forgets every host (a domain was set, removed or verified).
    pub fn invalidate_all(&self) {
        self.0.invalidate_all();
    }

    async fn page(
        &self,
        state: &AppState,
        host: &str,
    ) -> Result<Option<Arc<DomainPage>>, ApiError> {
        let app = state.app.clone();
        let owned = host.to_owned();
        self.0
            .try_get_with(host.to_owned(), async move {
                let Some(page) = app.store.status_page_by_domain(&owned).await? else {
                    return Ok::<_, pharos_storage::StoreError>(None);
                };
                if page.custom_domain_verified_at.is_none() {
                    return Ok(None);
                }
                let on_page: HashSet<_> = page.target_ids().collect();
                let badge_tokens = app
                    .store
                    .targets(page.organization_id)
                    .await?
                    .into_iter()
                    .filter(|t| on_page.contains(&t.id))
                    .filter_map(|t| t.badge_token)
                    .collect();
                Ok(Some(Arc::new(DomainPage {
                    slug: page.slug,
                    badge_tokens,
                })))
            })
            .await
            .map_err(|e| match &*e {
                pharos_storage::StoreError::Unavailable(_) => {
                    ApiError::from(AppError::Unavailable(pharos_app::Unavailable::Database))
                }
                other => ApiError::internal(anyhow::anyhow!("reading a custom domain: {other}")),
            })
    }
}

/// The request's host name, lowercase, without port.
fn host_of(request: &Request) -> Option<String> {
    let raw = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))?;
    let host = match raw.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => raw,
    };
    Some(host.trim_end_matches('.').to_ascii_lowercase())
}

/// The path this host may serve for `path`, or `None` (404).
fn allowed(page: &DomainPage, path: &str) -> Option<String> {
    let slug = &page.slug;
    let own = format!("/status/{slug}");
    match path {
        "/" => return Some(own),
        "/history" | "/feed.rss" | "/feed.atom" => return Some(format!("{own}{path}")),
        _ => {}
    }
    if path == own
        || path
            .strip_prefix(&own)
            .is_some_and(|rest| rest.starts_with('/'))
        || path == format!("/api/public/status-pages/{slug}")
        || path.starts_with("/assets/")
    {
        return Some(path.to_owned());
    }
    let token = path.strip_prefix("/badge/")?.split('/').next()?;
    page.badge_tokens.contains(token).then(|| path.to_owned())
}

/// The public routes alone, for custom-domain requests.
fn public_router(state: &AppState) -> Router {
    super::routes()
        .route("/assets/{name}", get(crate::pages::assets::serve))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::rate_limit::limit,
        ))
        .with_state(state.clone())
}

pub async fn route(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(host) = host_of(&request) else {
        return next.run(request).await;
    };
    // The instance's own address, addresses and names that cannot be a
    // custom domain go on at once, without a look-up.
    let own = url::Url::parse(&state.app.settings.public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    if own.as_deref() == Some(host.as_str())
        || pharos_app::custom_domains::parse_host(&host, None).is_err()
    {
        return next.run(request).await;
    }
    let page = match state.custom_domains.page(&state, &host).await {
        Ok(Some(page)) => page,
        Ok(None) => return next.run(request).await,
        Err(e) => return axum::response::IntoResponse::into_response(e),
    };
    let (mut parts, body) = request.into_parts();
    let Some(path) = allowed(&page, parts.uri.path()) else {
        return strip_cookies(super::status_page::html_error(ApiError::App(
            AppError::NotFound,
        )));
    };
    let path_and_query = match parts.uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    parts.uri = match Uri::builder().path_and_query(path_and_query).build() {
        Ok(uri) => uri,
        Err(_) => {
            return strip_cookies(super::status_page::html_error(ApiError::App(
                AppError::NotFound,
            )))
        }
    };
    // Cookies the browser holds for this host are of no use here.
    parts.headers.remove(header::COOKIE);
    // A fresh request: the outer router's matched route and path
    // parameters must not reach the inner one; only the peer address does.
    let connect_info = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .copied();
    parts.extensions = axum::http::Extensions::new();
    if let Some(info) = connect_info {
        parts.extensions.insert(info);
    }
    let response = match public_router(&state)
        .oneshot(Request::from_parts(parts, body))
        .await
    {
        Ok(response) => response,
        Err(never) => match never {},
    };
    strip_cookies(response)
}

fn strip_cookies(mut response: Response) -> Response {
    response.headers_mut().remove(header::SET_COOKIE);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_pages_own_routes_pass() {
        let page = DomainPage {
            slug: "shop".to_owned(),
            badge_tokens: HashSet::from(["tok".to_owned()]),
        };
        assert_eq!(allowed(&page, "/").as_deref(), Some("/status/shop"));
        assert_eq!(
            allowed(&page, "/feed.rss").as_deref(),
            Some("/status/shop/feed.rss")
        );
        assert!(allowed(&page, "/status/shop/history").is_some());
        assert!(allowed(&page, "/badge/tok/status.svg").is_some());
        for refused in [
            "/login",
            "/api/v1/targets",
            "/status/other",
            "/status/shopping",
            "/badge/other/status.svg",
            "/targets/1",
            "/api/public/status",
            "/settings",
        ] {
            assert!(allowed(&page, refused).is_none(), "{refused}");
        }
    }
}
