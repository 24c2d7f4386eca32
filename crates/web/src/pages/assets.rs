//! CSS, JavaScript and icons, embedded in the binary. Pages link them with
//! a content hash in the query (`/assets/app.css?v=1a2b3c4d`), so a new
//! build busts caches and a request carrying the current hash may be
//! cached for a year.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// Short content hashes of every asset, computed once.
fn hashes() -> &'static HashMap<String, String> {
    static HASHES: OnceLock<HashMap<String, String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        Assets::iter()
            .filter_map(|name| {
                let file = Assets::get(&name)?;
                let hash = file.metadata.sha256_hash();
                let short: String = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
                Some((name.into_owned(), short))
            })
            .collect()
    })
}

/// The URL a page uses for an asset, fingerprinted with its content hash.
pub fn url(name: &str) -> String {
    match hashes().get(name) {
        Some(hash) => format!("/assets/{name}?v={hash}"),
        None => format!("/assets/{name}"),
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let (Some(file), Some(hash)) = (Assets::get(&name), hashes().get(&name)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{hash}\"");
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    if not_modified {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&name)),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        file.data,
    )
        .into_response()
}
