//! The public snapshot of a status page: its HTML, history HTML and JSON,
//! built once from `pharos_app::status_pages::public_page` and shared by
//! every visitor for a few seconds. `moka`'s `try_get_with` makes the load
//! single-flight: a thousand visitors arriving together wait for one build
//! (five reads), not a thousand. Each body is kept plain and gzipped, with
//! a strong ETag of its bytes, so a repeat visitor gets a 304 and a new one
//! costs no compression.
//!
//! A change made through this replica (a page edited, an incident posted)
//! drops the cached snapshots at once; other replicas see it when theirs
//! expire ([`SNAPSHOT_TTL`]). Target states reach every page within that
//! interval as well.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::Utc;
use pharos_app::App;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// How long a snapshot serves before the next visitor rebuilds it.
pub const SNAPSHOT_TTL: Duration = Duration::from_secs(5);
/// What visitors' browsers and proxies may keep without asking again.
const CACHE_CONTROL: &str = "public, max-age=5";
/// Snapshots kept (unknown slugs are cached too, as "no page", so probing
/// slugs costs one read per slug per interval).
const MAX_PAGES: u64 = 10_000;

/// Bodies up to this size are gzipped at the default level, larger ones at
/// the fastest.
const GZIP_BEST_UP_TO: usize = 1 << 20;

/// One body of a snapshot, ready to send.
#[derive(Debug)]
pub struct Rendered {
    content_type: &'static str,
    body: Bytes,
    /// Compressed at the first request that takes gzip, then kept: a
    /// snapshot nobody asks compressed costs no compression.
    gzip: std::sync::OnceLock<Bytes>,
    etag: HeaderValue,
    /// Extra headers (the HTML's content security policy).
    csp: Option<HeaderValue>,
}

impl Rendered {
    pub fn new(content_type: &'static str, body: Vec<u8>, csp: Option<HeaderValue>) -> Self {
        let digest = Sha256::digest(&body);
        let tag: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        let etag = HeaderValue::from_str(&format!("\"{tag}\""))
            .unwrap_or(HeaderValue::from_static("\"0\""));
        Self {
            content_type,
            body: Bytes::from(body),
            gzip: std::sync::OnceLock::new(),
            etag,
            csp,
        }
    }

    /// The body gzipped (empty if compression failed: then it goes plain).
    fn gzipped(&self) -> &Bytes {
        self.gzip.get_or_init(|| {
            // Made once a snapshot and sent to every visitor: the default
            // level for a page of ordinary size (a fifth smaller than the
            // fast level, so more answers a second fit through), the fast
            // level for a huge one (a third of the time, shrinking about
            // as well).
            let level = if self.body.len() <= GZIP_BEST_UP_TO {
                flate2::Compression::default()
            } else {
                flate2::Compression::fast()
            };
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), level);
            gz.write_all(&self.body)
                .and_then(|()| gz.finish())
                .map(Bytes::from)
                .unwrap_or_default()
        })
    }

    pub fn body(&self) -> &Bytes {
        &self.body
    }

    pub fn etag(&self) -> &HeaderValue {
        &self.etag
    }

    /// The answer to a request with these headers: 304 when it already
    /// has this version, else the body, gzipped when the client takes it.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let cache = HeaderValue::from_static(CACHE_CONTROL);
        let vary = HeaderValue::from_static("accept-encoding");
        let fresh = request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|t| t.trim() == "*" || t.trim().as_bytes() == self.etag.as_bytes())
            });
        if fresh {
            return (
                StatusCode::NOT_MODIFIED,
                [
                    (header::ETAG, self.etag.clone()),
                    (header::CACHE_CONTROL, cache),
                    (header::VARY, vary),
                ],
            )
                .into_response();
        }
        let wants_gzip = request
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(accepts_gzip);
        let gzip = wants_gzip.then(|| self.gzipped()).filter(|g| !g.is_empty());
        let mut response = if let Some(gzip) = gzip {
            let mut r = gzip.clone().into_response();
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        } else {
            self.body.clone().into_response()
        };
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::CACHE_CONTROL, cache);
        headers.insert(header::VARY, vary);
        if let Some(csp) = &self.csp {
            headers.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
        }
        response
    }
}

/// `Accept-Encoding` names gzip with a weight above zero.
fn accepts_gzip(value: &str) -> bool {
    value.split(',').any(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        coding.eq_ignore_ascii_case("gzip") && !refused
    })
}

/// Everything a visitor can ask of one page.
#[derive(Debug)]
pub struct Snapshot {
    pub html: Rendered,
    pub history: Rendered,
    pub json: Rendered,
    /// RSS 2.0 and Atom feeds of its posts (`feeds`).
    pub rss: Rendered,
    pub atom: Rendered,
}

/// The shared snapshots of this replica.
#[derive(Clone)]
pub struct Snapshots {
    cache: moka::future::Cache<String, Option<Arc<Snapshot>>>,
}

impl Default for Snapshots {
    fn default() -> Self {
        Self::new(SNAPSHOT_TTL)
    }
}

impl Snapshots {
    pub fn new(ttl: Duration) -> Self {
        Self {
            cache: moka::future::Cache::builder()
                .max_capacity(MAX_PAGES)
                .time_to_live(ttl)
                .build(),
        }
    }

    /// The page's snapshot (`None`: no page has this slug), built by the
    /// first caller while the others wait for it.
    pub async fn get(&self, app: &App, slug: &str) -> Result<Option<Arc<Snapshot>>, ApiError> {
        // A hit needs no copy of the app for a build that will not run.
        if let Some(hit) = self.cache.get(slug).await {
            return Ok(hit);
        }
        let app = app.clone();
        let owned = slug.to_owned();
        self.cache
            .try_get_with(slug.to_owned(), async move {
                build(&app, &owned).await.map(|s| s.map(Arc::new))
            })
            .await
            .map_err(|e: Arc<ApiError>| match &*e {
                ApiError::App(pharos_app::AppError::Unavailable(u)) => {
                    ApiError::App(pharos_app::AppError::Unavailable(*u))
                }
                other => {
                    ApiError::internal(anyhow::anyhow!("building a status page snapshot: {other}"))
                }
            })
    }

    /// Drops every snapshot: a page or its incidents changed (slugs can
    /// change too, so all of them; edits are rare).
    pub async fn invalidate(&self) {
        self.cache.invalidate_all();
    }
}

/// Builds a snapshot now, uncached (also what the benchmark measures).
pub async fn build(app: &App, slug: &str) -> Result<Option<Snapshot>, ApiError> {
    let Some(page) = pharos_app::status_pages::public_page(app, slug, Utc::now()).await? else {
        return Ok(None);
    };
    Ok(Some(super::status_page::render(
        &page,
        &app.settings.public_url,
    )?))
}
