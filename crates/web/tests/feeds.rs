//! A status page's RSS 2.0 and Atom feeds, on both backends: published
//! incidents, their updates and announcements of the last 90 days, never
//! drafts nor anything of a target that is not on the page; read back
//! with the `rss` (validated against RSS 2.0's rules) and
//! `atom_syndication` parsers; conditional GETs; unknown pages 404.

mod common;

use std::collections::HashSet;

use common::{create, json_of, TestApp};
use pharos_storage::testing::Backend;
use reqwest::{Client, Method, StatusCode};
use rss::validation::Validate;
use serde_json::{json, Value};

const PUBLIC_URL: &str = "https://status.example";

async fn send(
    app: &TestApp,
    client: &Client,
    method: Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    json_of(
        client
            .request(method, app.url(path))
            .json(&body)
            .send()
            .await
            .expect("send"),
    )
    .await
}

async fn fetch(app: &TestApp, path: &str) -> (StatusCode, String, String, String) {
    let response = reqwest::get(app.url(path)).await.expect("get");
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    (status, kind, etag, response.text().await.expect("body"))
}

async fn feeds_list_published_posts_and_their_updates(backend: Backend) {
    let Some(app) =
        TestApp::spawn_with(backend, |c| c.link_base = Some(PUBLIC_URL.to_owned())).await
    else {
        return;
    };
    let owner = app.user("feeds@example.com").await;
    let (_, shop) = create(
        &app,
        &owner,
        json!({"url": "https://shop.example.com/", "name": "shop"}),
    )
    .await;
    let shop = shop["id"].as_str().expect("id").to_owned();
    let (_, private) = create(
        &app,
        &owner,
        json!({"url": "https://hidden.example.com/", "name": "hidden-db"}),
    )
    .await;
    assert!(private["id"].is_string());
    let (status, page) = send(
        &app,
        &owner,
        Method::POST,
        "/api/v1/status-pages",
        json!({"title": "Shop & Co <status>", "slug": "shop",
               "sections": [{"name": "Shop", "target_ids": [shop], "public_names": {shop.clone(): "Storefront"}}]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    let id = page["id"].as_str().expect("id").to_owned();
    let incidents = format!("/api/v1/status-pages/{id}/incidents");
    let (status, incident) = send(
        &app,
        &owner,
        Method::POST,
        &incidents,
        json!({"title": "Checkout errors", "target_ids": [shop], "message": "We are looking into it"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{incident}");
    let incident_id = incident["id"].as_str().expect("id").to_owned();
    let (status, updated) = send(
        &app,
        &owner,
        Method::PATCH,
        &format!("{incidents}/{incident_id}"),
        json!({"status": "resolved", "message": "Fixed & deployed"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    for body in [
        json!({"kind": "announcement", "title": "New region", "message": "Coming soon"}),
        json!({"title": "Draft only", "draft": true, "message": "not yet"}),
    ] {
        let (status, answer) = send(&app, &owner, Method::POST, &incidents, body).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }

    // RSS 2.0: parsed, validated, every update an item.
    let (status, kind, etag, body) = fetch(&app, "/status/shop/feed.rss").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(kind, "application/rss+xml; charset=utf-8");
    let channel = rss::Channel::read_from(body.as_bytes()).expect("RSS parses");
    channel.validate().expect("valid RSS 2.0");
    assert_eq!(channel.title(), "Shop & Co <status>");
    assert_eq!(channel.link(), format!("{PUBLIC_URL}/status/shop"));
    let titles: Vec<&str> = channel.items().iter().filter_map(|i| i.title()).collect();
    assert!(
        titles.contains(&"Checkout errors: Investigating"),
        "{titles:?}"
    );
    assert!(titles.contains(&"Checkout errors: Resolved"), "{titles:?}");
    assert!(titles.contains(&"New region"), "{titles:?}");
    assert!(
        !titles.iter().any(|t| t.contains("Draft")),
        "drafts stay out"
    );
    let resolved = channel
        .items()
        .iter()
        .find(|i| i.title() == Some("Checkout errors: Resolved"))
        .expect("resolved");
    let text = resolved.description().expect("description");
    assert!(
        text.contains("Fixed & deployed") && text.contains("Storefront"),
        "{text}"
    );
    let guids: HashSet<&str> = channel
        .items()
        .iter()
        .map(|i| i.guid().expect("guid").value())
        .collect();
    assert_eq!(
        guids.len(),
        channel.items().len(),
        "every item its own guid"
    );
    for item in channel.items() {
        chrono::DateTime::parse_from_rfc2822(item.pub_date().expect("date")).expect("RFC 2822");
    }
    assert!(!body.contains("hidden"), "nothing of targets off the page");

    // Atom: parsed, with what RFC 4287 requires of a feed and its entries.
    let (status, kind, _, body) = fetch(&app, "/status/shop/feed.atom").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(kind, "application/atom+xml; charset=utf-8");
    let feed = atom_syndication::Feed::read_from(body.as_bytes()).expect("Atom parses");
    let root = roxmltree::Document::parse(&body).expect("XML");
    assert_eq!(
        root.root_element().tag_name().namespace(),
        Some("http://www.w3.org/2005/Atom")
    );
    assert!(!feed.id().is_empty());
    assert_eq!(feed.title().as_str(), "Shop & Co <status>");
    assert!(!feed.authors().is_empty(), "a feed-level author");
    assert!(feed
        .links()
        .iter()
        .any(|l| l.rel() == "self" && l.href() == format!("{PUBLIC_URL}/status/shop/feed.atom")));
    let ids: HashSet<&str> = feed.entries().iter().map(|e| e.id()).collect();
    assert_eq!(ids.len(), feed.entries().len(), "unique entry ids");
    assert_eq!(feed.entries().len(), channel.items().len());
    for entry in feed.entries() {
        assert!(!entry.title().as_str().is_empty());
        url::Url::parse(entry.id()).expect("an IRI id");
        assert!(entry.updated() <= &feed.updated().to_owned());
    }
    assert!(!body.contains("hidden"));

    // Conditional GET, and 404 for a page that does not exist.
    let again = reqwest::Client::new()
        .get(app.url("/status/shop/feed.rss"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        fetch(&app, "/status/nope/feed.rss").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fetch(&app, "/status/nope/feed.atom").await.0,
        StatusCode::NOT_FOUND
    );
}

pharos_storage::on_both_backends!(feeds_list_published_posts_and_their_updates);
