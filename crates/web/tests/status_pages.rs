//! Status pages (issue #12) on both backends: the API's lifecycle, roles
//! and tenant isolation with refusals by field; the public page, its
//! history and JSON showing only what the page names (a private target's
//! name, address and id appear in no public answer); the overall state;
//! conditional requests; and a confirmed outage opening a draft incident.

mod common;

use std::time::Duration;

use common::{create, json_of, TestApp};
use pharos_domain::alert::FoldRule;
use pharos_domain::AddressPolicy;
use pharos_probes::{ProbeSettings, Prober};
use pharos_scheduler::WorkerConfig;
use pharos_storage::testing::Backend;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

async fn send(
    app: &TestApp,
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client.request(method, app.url(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    json_of(request.send().await.expect("send")).await
}

async fn target(app: &TestApp, client: &Client, name: &str, url: &str) -> String {
    let (status, body) = create(app, client, json!({"url": url, "name": name})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

/// Someone who signs up and joins `owner`'s organization as `role`
/// through an invitation (no SMTP here, so its link comes back).
async fn join(app: &TestApp, owner: &Client, email: &str, role: &str) -> Client {
    let client = app.user(email).await;
    let (status, sent) = send(
        app,
        owner,
        Method::POST,
        "/api/v1/organization/invitations",
        Some(json!({"email": email, "role": role})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let link = sent["accept_url"].as_str().expect("accept_url");
    let token = link.split("token=").nth(1).expect("token");
    let (status, joined) = send(
        app,
        &client,
        Method::POST,
        "/api/v1/invitations/accept",
        Some(json!({"token": token})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    client
}

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or_default()
}

async fn pages_follow_roles_organizations_and_field_rules(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let api = target(&app, &owner, "api-prod", "https://api.example.com/health").await;
    let web = target(&app, &owner, "web-prod", "https://www.example.com/").await;
    let page = json!({
        "title": "Acme status",
        "slug": "acme",
        "description": "How Acme is doing",
        "theme": "dark",
        "sections": [
            {"name": "Core", "target_ids": [api, web], "public_names": {api.clone(): "API"}}
        ]
    });
    let (status, created) = send(
        &app,
        &owner,
        Method::POST,
        "/api/v1/status-pages",
        Some(page.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["slug"], "acme");
    assert_eq!(created["theme"], "dark");
    assert_eq!(created["show_target_urls"], false);
    assert_eq!(created["auto_draft_incidents"], false);
    assert_eq!(created["sections"][0]["target_ids"], json!([api, web]));
    assert_eq!(created["sections"][0]["public_names"][&api], "API");
    assert!(created["public_url"]
        .as_str()
        .expect("url")
        .ends_with("/status/acme"));

    let (status, listed) = send(&app, &owner, Method::GET, "/api/v1/status-pages", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"].as_array().expect("items").len(), 1);

    // Refusals name their field.
    let cases = [
        (json!({"title": "x", "slug": "Bad Slug"}), "slug"),
        (json!({"title": "x", "slug": "acme"}), "slug"),
        (json!({"title": " ", "slug": "other"}), "title"),
        (
            json!({"title": "x", "slug": "other", "theme": "blue"}),
            "theme",
        ),
        (
            json!({"title": "x", "slug": "other", "logo_url": "javascript:alert(1)"}),
            "logo_url",
        ),
        (
            json!({"title": "x", "slug": "other", "sections": [{"name": "A", "target_ids": [api]}, {"name": "B", "target_ids": [api]}]}),
            "sections[1].target_ids[0]",
        ),
        (
            json!({"title": "x", "slug": "other", "sections": [{"name": "", "target_ids": []}]}),
            "sections[0].name",
        ),
        (
            json!({"title": "x", "slug": "other", "sections": [{"name": "A", "target_ids": [api], "public_names": {web.clone(): "W"}}]}),
            "sections[0].public_names",
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = send(
            &app,
            &owner,
            Method::POST,
            "/api/v1/status-pages",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(field(&answer), expected, "{body}: {answer}");
    }

    // Another organization: its target is refused by field, our page is
    // not found to it, whatever it tries.
    let stranger = app.user("stranger@example.com").await;
    let theirs = target(&app, &stranger, "theirs", "https://theirs.example.com/").await;
    let (status, answer) = send(
        &app,
        &owner,
        Method::PATCH,
        &format!("/api/v1/status-pages/{id}"),
        Some(json!({"sections": [{"name": "Core", "target_ids": [api, theirs]}]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(field(&answer), "sections[0].target_ids[1]");
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"title": "mine"}))),
        (Method::DELETE, None),
    ] {
        let (status, _) = send(
            &app,
            &stranger,
            method.clone(),
            &format!("/api/v1/status-pages/{id}"),
            body,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
    }
    let (status, _) = send(
        &app,
        &stranger,
        Method::POST,
        &format!("/api/v1/status-pages/{id}/incidents"),
        Some(json!({"title": "hijack"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, theirs_listed) = send(&app, &stranger, Method::GET, "/api/v1/status-pages", None).await;
    assert_eq!(theirs_listed["items"], json!([]));

    // Members and viewers read; only owners and admins write.
    let admin = join(&app, &owner, "admin@example.com", "admin").await;
    for (email, role) in [
        ("member@example.com", "member"),
        ("viewer@example.com", "viewer"),
    ] {
        let reader = join(&app, &owner, email, role).await;
        let (status, _) = send(
            &app,
            &reader,
            Method::GET,
            &format!("/api/v1/status-pages/{id}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{role} reads");
        let writes = [
            (
                Method::POST,
                "/api/v1/status-pages".to_owned(),
                Some(json!({"title": "x", "slug": "mine"})),
            ),
            (
                Method::PATCH,
                format!("/api/v1/status-pages/{id}"),
                Some(json!({"title": "x"})),
            ),
            (Method::DELETE, format!("/api/v1/status-pages/{id}"), None),
            (
                Method::POST,
                format!("/api/v1/status-pages/{id}/incidents"),
                Some(json!({"title": "x"})),
            ),
        ];
        for (method, path, body) in writes {
            let (status, answer) = send(&app, &reader, method.clone(), &path, body).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{role}: {method} {path}: {answer}"
            );
        }
    }
    let (status, changed) = send(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/status-pages/{id}"),
        Some(json!({"title": "Acme", "show_target_urls": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["title"], "Acme");
    // What the change left out stayed.
    assert_eq!(changed["sections"], created["sections"]);
    assert_eq!(changed["description"], "How Acme is doing");

    // Incidents: posted, updated, resolved; a target off the page refused.
    let other = target(&app, &owner, "batch", "https://batch.example.com/").await;
    let (status, answer) = send(
        &app,
        &owner,
        Method::POST,
        &format!("/api/v1/status-pages/{id}/incidents"),
        Some(json!({"title": "Errors", "target_ids": [api, other]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(field(&answer), "target_ids[1]");
    let (status, incident) = send(
        &app,
        &admin,
        Method::POST,
        &format!("/api/v1/status-pages/{id}/incidents"),
        Some(json!({"title": "Errors", "target_ids": [api], "message": "Looking into it"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{incident}");
    assert_eq!(incident["status"], "investigating");
    assert_eq!(incident["kind"], "incident");
    let incident_id = incident["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/status-pages/{id}/incidents/{incident_id}");
    let (status, answer) = send(
        &app,
        &owner,
        Method::PATCH,
        &path,
        Some(json!({"status": "fixed"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(field(&answer), "status");
    let (status, resolved) = send(
        &app,
        &owner,
        Method::PATCH,
        &path,
        Some(json!({"status": "resolved", "message": "All good"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
    assert!(resolved["resolved_at"].is_string());
    let updates = resolved["updates"].as_array().expect("updates");
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[1]["message"], "All good");
    let (status, _) = send(
        &app,
        &stranger,
        Method::PATCH,
        &path,
        Some(json!({"status": "monitoring"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, listed) = send(
        &app,
        &owner,
        Method::GET,
        &format!("/api/v1/status-pages/{id}/incidents"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"].as_array().expect("items").len(), 1);

    let (status, _) = send(
        &app,
        &owner,
        Method::DELETE,
        &format!("/api/v1/status-pages/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let response = app
        .client()
        .get(app.url("/status/acme"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// Every public answer about the page, plain and gzipped.
async fn public_answers(app: &TestApp, slug: &str) -> Vec<(String, String)> {
    let visitor = Client::builder().no_proxy().build().expect("client");
    let mut bodies = Vec::new();
    for path in [
        format!("/status/{slug}"),
        format!("/status/{slug}/history"),
        format!("/api/public/status-pages/{slug}"),
    ] {
        let response = visitor.get(app.url(&path)).send().await.expect("send");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            response.headers().get("set-cookie").is_none(),
            "{path} sets no cookie"
        );
        bodies.push((path, response.text().await.expect("body")));
    }
    bodies
}

async fn a_private_target_never_appears_on_a_page(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let shop = target(
        &app,
        &owner,
        "shop-internal-name",
        "https://shop-origin.example.com/health",
    )
    .await;
    let private_url = "https://secret-db.internal-example.com/probe";
    let private = target(&app, &owner, "secret-database", private_url).await;
    let (status, page) = send(
        &app,
        &owner,
        Method::POST,
        "/api/v1/status-pages",
        Some(json!({
            "title": "Shop status", "slug": "shop",
            "sections": [{"name": "Shop", "target_ids": [shop], "public_names": {shop.clone(): "Storefront"}}]
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    let id = page["id"].as_str().expect("id").to_owned();
    // The private target cannot be named by an incident of the page.
    let (status, answer) = send(
        &app,
        &owner,
        Method::POST,
        &format!("/api/v1/status-pages/{id}/incidents"),
        Some(json!({"title": "Slow", "target_ids": [private]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    // Published: an incident and an announcement naming the shop; a draft.
    for body in [
        json!({"title": "Checkout errors", "target_ids": [shop], "message": "Investigating"}),
        json!({"kind": "announcement", "title": "New region", "message": "Coming soon"}),
        json!({"title": "Draft only", "draft": true, "target_ids": [shop]}),
    ] {
        let (status, answer) = send(
            &app,
            &owner,
            Method::POST,
            &format!("/api/v1/status-pages/{id}/incidents"),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    // A maintenance window over the whole organization.
    let start = chrono::Utc::now() - chrono::Duration::minutes(5);
    let (status, answer) = send(
        &app,
        &owner,
        Method::POST,
        "/api/v1/maintenance",
        Some(json!({"name": "Upgrade", "all_targets": true,
            "schedule": {"kind": "one_off", "starts_at": start, "ends_at": start + chrono::Duration::hours(1)}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    let secrets = [
        "secret-database",
        private_url,
        "secret-db",
        private.as_str(),
    ];
    let hidden_unless_opted_in = [
        "shop-internal-name",
        "shop-origin.example.com",
        shop.as_str(),
    ];
    for (path, body) in public_answers(&app, "shop").await {
        for secret in secrets.iter().chain(&hidden_unless_opted_in) {
            assert!(!body.contains(secret), "{path} shows {secret}");
        }
        assert!(!body.contains("Draft only"), "{path} shows a draft");
        if !path.ends_with("/history") {
            assert!(body.contains("Storefront"), "{path}: {body}");
        }
    }
    let (_, json) = json_of(
        app.client()
            .get(app.url("/api/public/status-pages/shop"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(json["overall"]["state"], "under_maintenance", "{json}");
    assert_eq!(json["sections"][0]["components"][0]["name"], "Storefront");
    assert_eq!(
        json["sections"][0]["components"][0]["days"]
            .as_array()
            .expect("days")
            .len(),
        90
    );
    assert_eq!(json["active_incidents"][0]["title"], "Checkout errors");
    assert_eq!(
        json["active_incidents"][0]["components"],
        json!(["Storefront"])
    );
    assert_eq!(json["announcements"][0]["title"], "New region");
    assert_eq!(json["scheduled_maintenance"][0]["name"], "Upgrade");
    assert_eq!(
        json["scheduled_maintenance"][0]["components"],
        json!(["Storefront"])
    );
    let html = &public_answers(&app, "shop").await[0].1;
    assert!(
        html.contains("Under maintenance") && html.contains("Checkout errors"),
        "{html}"
    );

    // Opting in shows the shop's address, and still nothing of the private target.
    let (status, _) = send(
        &app,
        &owner,
        Method::PATCH,
        &format!("/api/v1/status-pages/{id}"),
        Some(json!({"show_target_urls": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let answers = public_answers(&app, "shop").await;
    assert!(answers[0].1.contains("shop-origin.example.com"));
    for (path, body) in answers {
        for secret in secrets {
            assert!(!body.contains(secret), "{path} shows {secret}");
        }
        assert!(!body.contains(shop.as_str()), "{path} shows a target id");
    }
}

async fn the_overall_state_follows_the_targets(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let one = target(&app, &owner, "one", "https://one.example.com/").await;
    let two = target(&app, &owner, "two", "https://two.example.com/").await;
    let (status, _) = send(
        &app,
        &owner,
        Method::POST,
        "/api/v1/status-pages",
        Some(json!({"title": "S", "slug": "states", "sections": [{"name": "All", "target_ids": [one, two]}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let set = |name: &'static str, state: &'static str| {
        let db = app.database();
        async move {
            db.execute_sql(&format!(
                "UPDATE targets SET state = '{state}' WHERE name = '{name}'"
            ))
            .await;
        }
    };
    let mut cases = vec![
        ("up", "up", "operational", "All systems operational"),
        ("up", "down", "partial_outage", "Partial outage"),
        ("degraded", "up", "partial_outage", "Partial outage"),
        ("down", "down", "major_outage", "Major outage"),
        ("pending", "up", "operational", "All systems operational"),
    ];
    for (a, b, state, label) in cases.drain(..) {
        set("one", a).await;
        set("two", b).await;
        // A new snapshot: the previous one lives a few seconds.
        tokio::time::sleep(pharos_web::public::snapshot::SNAPSHOT_TTL + Duration::from_millis(200))
            .await;
        let (_, json) = json_of(
            app.client()
                .get(app.url("/api/public/status-pages/states"))
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!(json["overall"]["state"], state, "{a}/{b}: {json}");
        assert_eq!(json["overall"]["label"], label);
        let html = app
            .client()
            .get(app.url("/status/states"))
            .send()
            .await
            .expect("send")
            .text()
            .await
            .expect("html");
        assert!(html.contains(label), "{a}/{b}");
    }
}

async fn public_answers_are_cached_and_conditional(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let t = target(&app, &owner, "svc", "https://svc.example.com/").await;
    let (status, page) = send(
        &app,
        &owner,
        Method::POST,
        "/api/v1/status-pages",
        Some(json!({"title": "Cached", "slug": "cached", "sections": [{"name": "All", "target_ids": [t]}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = page["id"].as_str().expect("id").to_owned();
    let visitor = Client::builder().no_proxy().build().expect("client");
    for path in [
        "/status/cached",
        "/status/cached/history",
        "/api/public/status-pages/cached",
    ] {
        let first = visitor.get(app.url(path)).send().await.expect("send");
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
        assert!(
            etag.starts_with('"') && !etag.starts_with("W/"),
            "a strong ETag: {etag}"
        );
        let cache = first.headers()["cache-control"].to_str().expect("cc");
        assert!(cache.starts_with("public, max-age="), "{cache}");
        let again = visitor
            .get(app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("send");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again.headers()["etag"].to_str().expect("etag"), etag);
        assert!(again.text().await.expect("body").is_empty());
        let other = visitor
            .get(app.url(path))
            .header("if-none-match", "\"something-else\"")
            .send()
            .await
            .expect("send");
        assert_eq!(other.status(), StatusCode::OK);
        // Gzipped for clients that take it, with the same version.
        let zipped = visitor
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .expect("send");
        assert_eq!(zipped.headers()["content-encoding"], "gzip", "{path}");
        assert_eq!(zipped.headers()["etag"].to_str().expect("etag"), etag);
    }
    // An edit shows at once (this replica's snapshots are dropped), with a new version.
    let before = visitor
        .get(app.url("/status/cached"))
        .send()
        .await
        .expect("send");
    let etag = before.headers()["etag"].to_str().expect("etag").to_owned();
    let (status, _) = send(
        &app,
        &owner,
        Method::PATCH,
        &format!("/api/v1/status-pages/{id}"),
        Some(json!({"title": "Renamed"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let after = visitor
        .get(app.url("/status/cached"))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("send");
    assert_eq!(after.status(), StatusCode::OK);
    assert!(after.text().await.expect("html").contains("Renamed"));

    // Unknown and malformed slugs: 404, HTML for pages, JSON for the API.
    for path in ["/status/nope", "/status/Not_A_Slug", "/status/nope/history"] {
        let response = visitor.get(app.url(path)).send().await.expect("send");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(response.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/html"));
    }
    let (status, body) = json_of(
        visitor
            .get(app.url("/api/public/status-pages/nope"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

async fn a_confirmed_outage_opens_a_draft_incident(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| c.allow_private_targets = true).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let closed_url = format!("http://{}/", closed.local_addr().expect("addr"));
    drop(closed);
    let (status, created) = create(
        &app,
        &owner,
        json!({"url": closed_url, "name": "backend-7", "interval_seconds": 30, "timeout_seconds": 5}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let t = created["id"].as_str().expect("id").to_owned();
    let mut ids = Vec::new();
    for (slug, auto) in [("drafts", true), ("no-drafts", false)] {
        let (status, page) = send(
            &app,
            &owner,
            Method::POST,
            "/api/v1/status-pages",
            Some(json!({"title": "P", "slug": slug, "auto_draft_incidents": auto,
                "sections": [{"name": "All", "target_ids": [t], "public_names": {t.clone(): "Backend"}}]})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{page}");
        ids.push(page["id"].as_str().expect("id").to_owned());
    }

    let policy = AddressPolicy {
        allow_private: false,
        also_allow: vec!["127.0.0.1".parse().expect("ip")],
    };
    let prober = Prober::new(ProbeSettings::with_policy(policy)).expect("prober");
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(pharos_scheduler::run_worker(
        app.store.clone(),
        prober,
        WorkerConfig {
            idle_poll: Duration::from_millis(100),
            retry_after: Duration::from_millis(200),
            ..WorkerConfig::default()
        },
        shutdown.clone(),
    ));
    // The alert sender's fan-out turns the incident's event into the draft.
    let mut drafts = Value::Null;
    for _ in 0..300 {
        pharos_notify::sender::fan_out(&*app.store, chrono::Utc::now(), FoldRule::default())
            .await
            .expect("fan out");
        drafts = send(
            &app,
            &owner,
            Method::GET,
            &format!("/api/v1/status-pages/{}/incidents", ids[0]),
            None,
        )
        .await
        .1;
        if !drafts["items"].as_array().expect("items").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shutdown.cancel();
    worker.await.expect("worker");
    let items = drafts["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{drafts}");
    assert_eq!(items[0]["draft"], true);
    assert_eq!(items[0]["automatic"], true);
    assert_eq!(items[0]["status"], "investigating");
    assert_eq!(items[0]["target_ids"], json!([t]));
    // Titled with the page's public name, never the target's own.
    assert_eq!(items[0]["title"], "Backend: outage");
    // Once per incident, however often the events are read.
    pharos_notify::sender::fan_out(&*app.store, chrono::Utc::now(), FoldRule::default())
        .await
        .expect("fan out");
    let (_, again) = send(
        &app,
        &owner,
        Method::GET,
        &format!("/api/v1/status-pages/{}/incidents", ids[0]),
        None,
    )
    .await;
    assert_eq!(again["items"].as_array().expect("items").len(), 1);
    let (_, none) = send(
        &app,
        &owner,
        Method::GET,
        &format!("/api/v1/status-pages/{}/incidents", ids[1]),
        None,
    )
    .await;
    assert_eq!(none["items"], json!([]), "the page without drafts got none");
    // A draft is not public until published.
    let (_, public) = json_of(
        app.client()
            .get(app.url("/api/public/status-pages/drafts"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(public["active_incidents"], json!([]));
    let draft_id = items[0]["id"].as_str().expect("id");
    let (status, _) = send(
        &app,
        &owner,
        Method::PATCH,
        &format!("/api/v1/status-pages/{}/incidents/{draft_id}", ids[0]),
        Some(json!({"draft": false, "message": "We are on it"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, public) = json_of(
        app.client()
            .get(app.url("/api/public/status-pages/drafts"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(
        public["active_incidents"][0]["title"], "Backend: outage",
        "{public}"
    );
    assert_eq!(public["overall"]["state"], "major_outage", "{public}");
}

pharos_storage::on_both_backends!(
    pages_follow_roles_organizations_and_field_rules,
    a_private_target_never_appears_on_a_page,
    the_overall_state_follows_the_targets,
    public_answers_are_cached_and_conditional,
    a_confirmed_outage_opens_a_draft_incident,
);
