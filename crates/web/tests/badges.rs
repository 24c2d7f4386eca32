//! Public badges, the instance's public status and the public rate limit,
//! on both backends: badges are valid SVG (parsed) in the right colours
//! with widths that grow with their text; a target without a badge
//! answers exactly like a token that never existed; rotating kills the
//! old URL; `If-None-Match` gets 304; the public routes' own limit answers
//! 429 with `Retry-After` while the dashboard's routes go on.

mod common;

use std::time::Duration;

use chrono::{Duration as Span, Utc};
use common::{create, json_of, TestApp};
use pharos_domain::check::{PhaseTimings, Verdict};
use pharos_domain::ids::{CheckId, TargetId};
use pharos_domain::status::{apply, Confirmation};
use pharos_storage::models::{Check, CheckRecord, StatusUpdate};
use pharos_storage::testing::Backend;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const PUBLIC_URL: &str = "https://status.example";

async fn spawn(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |c| c.link_base = Some(PUBLIC_URL.to_owned())).await
}

/// Writes `n` checks of the target as workers do, `latency_ms` each.
async fn write_checks(app: &TestApp, id: &str, n: u32, up: bool, latency_ms: u32) {
    let id: uuid::Uuid = id.parse().expect("uuid");
    let mut now = Utc::now();
    for _ in 0..n {
        let (mine, others): (Vec<_>, Vec<_>) = app
            .store
            .claim_due_targets("test-worker", now + Span::days(1), Span::seconds(30), 100)
            .await
            .expect("claim")
            .into_iter()
            .partition(|c| c.target.id == TargetId(id));
        // The other targets are given back as they were.
        let others: Vec<_> = others
            .iter()
            .map(|c| (c.target.id, c.lease_epoch, c.due_at))
            .collect();
        app.store.release_claims(&others).await.expect("release");
        let claim = mine.into_iter().next().expect("the target is due");
        let verdict = if up { Verdict::Up } else { Verdict::Down };
        let check = Check {
            id: CheckId::new(),
            target_id: TargetId(id),
            checked_at: now,
            status_code: Some(if up { 200 } else { 500 }),
            latency_ms: Some(latency_ms),
            is_up: up,
            degraded: false,
            error_class: None,
            error: (!up).then(|| "HTTP 500".to_owned()),
            timings: PhaseTimings::default(),
            in_maintenance: false,
            location: pharos_domain::agent::Location::Local,
        };
        let status = StatusUpdate {
            previous: claim.target.state,
            transition: apply(
                claim.target.state,
                claim.target.consecutive_failures,
                verdict,
                Confirmation {
                    failures_to_confirm: 1,
                },
            ),
            locations: Vec::new(),
        };
        let record = CheckRecord {
            organization_id: claim.target.organization_id,
            check,
            lease_epoch: claim.lease_epoch,
            certificate: Default::default(),
            next_due_at: now,
            status,
        };
        app.store.record_checks(&[record]).await.expect("record");
        now += Span::seconds(1);
    }
}

async fn target(app: &TestApp, client: &Client, name: &str) -> String {
    let (status, made) = create(
        app,
        client,
        json!({"url": "https://example.com/private-path", "name": name}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    made["id"].as_str().expect("id").to_owned()
}

async fn patch(app: &TestApp, client: &Client, id: &str, body: Value) -> (StatusCode, Value) {
    json_of(
        app.client_patch(client, &format!("/api/v1/targets/{id}"), body)
            .await,
    )
    .await
}

/// The badge URL as served by this test's server.
fn local(app: &TestApp, url: &str) -> String {
    let path = url
        .strip_prefix(PUBLIC_URL)
        .expect("built from the public URL");
    app.url(path)
}

struct Svg {
    width: f64,
    title: String,
    value_fill: String,
    texts: Vec<String>,
}

/// Parses a badge as XML and reads what a viewer sees.
fn parse(svg: &str) -> Svg {
    let doc = roxmltree::Document::parse(svg).expect("the badge is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    assert_eq!(root.attribute("role"), Some("img"));
    let width: f64 = root
        .attribute("width")
        .expect("width")
        .parse()
        .expect("number");
    let title = root
        .children()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text())
        .expect("a <title>")
        .to_owned();
    assert_eq!(root.attribute("aria-label"), Some(title.as_str()));
    let rects: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.parent().is_some_and(|p| p.has_tag_name("g")))
        .collect();
    // Label box, value box, gradient overlay: the two boxes fill the width.
    let box_width = |i: usize| -> f64 {
        rects[i]
            .attribute("width")
            .expect("width")
            .parse()
            .expect("number")
    };
    assert_eq!(box_width(0) + box_width(1), width, "{svg}");
    let value_fill = rects[1].attribute("fill").expect("fill").to_owned();
    let texts = doc
        .descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("aria-hidden").is_none())
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect();
    Svg {
        width,
        title,
        value_fill,
        texts,
    }
}

async fn get_svg(url: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = reqwest::get(url).await.expect("get");
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("body"))
}

/// Everything a 404 says, but the headers every answer varies in.
async fn not_found_answer(url: &str) -> (StatusCode, Vec<(String, String)>, String) {
    let (status, headers, body) = get_svg(url).await;
    let mut kept: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id"))
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    kept.sort();
    (status, kept, body)
}

async fn badges_are_turned_on_shown_rotated_and_turned_off(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("badges@example.com").await;
    let id = target(&app, &client, "api").await;

    let (status, view) = patch(&app, &client, &id, json!({"badge": "yes"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{view}");
    assert_eq!(view["error"]["field"], "badge");

    let (status, view) = patch(&app, &client, &id, json!({"badge": true})).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let urls = view["badge_urls"].clone();
    for key in ["status", "uptime", "latency"] {
        assert!(
            urls[key].as_str().expect("url").starts_with(PUBLIC_URL),
            "{urls}"
        );
    }
    // Turning it on again keeps the token.
    let (_, again) = patch(&app, &client, &id, json!({"badge": true})).await;
    assert_eq!(again["badge_urls"], urls);
    let (_, read) = json_of(app.get(&client, format!("/api/v1/targets/{id}")).await).await;
    assert_eq!(read["badge_urls"], urls);

    write_checks(&app, &id, 4, true, 42).await;
    let status_url = local(&app, urls["status"].as_str().expect("url"));
    let (code, headers, svg) = get_svg(&status_url).await;
    assert_eq!(code, StatusCode::OK, "{svg}");
    assert_eq!(headers["content-type"], "image/svg+xml; charset=utf-8");
    assert!(headers["cache-control"]
        .to_str()
        .expect("ascii")
        .contains("max-age"));
    let badge = parse(&svg);
    assert_eq!(badge.title, "api: up");
    assert_eq!(badge.texts, ["api", "up"]);
    assert_eq!(badge.value_fill, "#4c1");
    assert!(!svg.contains("private-path"), "never the target's URL");
    assert!(!svg.contains(&id), "never the target's id");

    let uptime_url = local(&app, urls["uptime"].as_str().expect("url"));
    let uptime = parse(&get_svg(&uptime_url).await.2);
    assert_eq!(uptime.title, "uptime 30d: 100%");
    assert_eq!(uptime.value_fill, "#4c1");
    let latency = parse(
        &get_svg(&local(&app, urls["latency"].as_str().expect("url")))
            .await
            .2,
    );
    assert_eq!(latency.title, "latency: 42 ms");
    assert_eq!(latency.value_fill, "#4c1");
    let (code, _, body) = get_svg(&uptime_url.replace("30d", "365d")).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("\"field\":\"window\""), "{body}");

    // A conditional GET with the ETag gets 304 and no body.
    let etag = headers["etag"].to_str().expect("etag").to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "a strong ETag: {etag}"
    );
    let again = reqwest::Client::new()
        .get(&status_url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.text().await.expect("body").is_empty());
    let other = reqwest::Client::new()
        .get(&status_url)
        .header("If-None-Match", "\"something-else\"")
        .send()
        .await
        .expect("get");
    assert_eq!(other.status(), StatusCode::OK);

    // Rotating: a new token, the old URL dead at once.
    let (status, rotated) = json_of(
        app.post_json(
            &client,
            format!("/api/v1/targets/{id}/badge/rotate"),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_ne!(rotated["badge_urls"]["status"], urls["status"]);
    assert_eq!(get_svg(&status_url).await.0, StatusCode::NOT_FOUND);
    let new_url = local(&app, rotated["badge_urls"]["status"].as_str().expect("url"));
    assert_eq!(get_svg(&new_url).await.0, StatusCode::OK);

    // Off: the URL answers exactly as a token that never existed.
    let (status, off) = patch(&app, &client, &id, json!({"badge": false})).await;
    assert_eq!(status, StatusCode::OK, "{off}");
    assert!(off["badge_urls"].is_null(), "{off}");
    let never = app.url(&format!("/badge/{}/status.svg", "Q".repeat(32)));
    let switched_off = not_found_answer(&new_url).await;
    assert_eq!(switched_off.0, StatusCode::NOT_FOUND);
    assert_eq!(switched_off, not_found_answer(&never).await);
    let short = app.url("/badge/nope/status.svg");
    assert_eq!(
        not_found_answer(&short).await,
        not_found_answer(&never).await
    );

    let (status, refused) = json_of(
        app.post_json(
            &client,
            format!("/api/v1/targets/{id}/badge/rotate"),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");

    // Another organization's member can neither turn it on nor rotate it.
    let mallory = app.user("mallory@example.com").await;
    let (status, _) = patch(&app, &mallory, &id, json!({"badge": true})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn badge_colours_follow_the_state_and_widths_the_text(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("colours@example.com").await;
    let short = target(&app, &client, "db").await;
    let long = target(&app, &client, "the customer-facing checkout API").await;
    let mut urls = Vec::new();
    for id in [&short, &long] {
        let (_, view) = patch(&app, &client, id, json!({"badge": true})).await;
        urls.push(local(
            &app,
            view["badge_urls"]["status"].as_str().expect("url"),
        ));
    }
    // No checks yet: pending, grey.
    let pending = parse(&get_svg(&urls[0]).await.2);
    assert_eq!(pending.title, "db: pending");
    assert_eq!(pending.value_fill, "#9f9f9f");

    write_checks(&app, &long, 2, false, 1500).await;
    // The cache of the pending badge above lives 10 s; the long one's
    // badge is read for the first time now.
    let down = parse(&get_svg(&urls[1]).await.2);
    assert_eq!(down.title, "the customer-facing checkout API: down");
    assert_eq!(down.value_fill, "#e05d44");
    assert!(
        down.width > pending.width + 100.0,
        "a longer label makes a wider badge: {} vs {}",
        down.width,
        pending.width
    );

    let (_, view) = json_of(app.get(&client, format!("/api/v1/targets/{long}")).await).await;
    let uptime = local(&app, view["badge_urls"]["uptime"].as_str().expect("url"));
    let zero = parse(&get_svg(&uptime.replace("30d", "24h")).await.2);
    assert_eq!(zero.title, "uptime 24h: 0%");
    assert_eq!(zero.value_fill, "#e05d44");
    // Latency counts answers, not failures: none yet.
    let latency = local(&app, view["badge_urls"]["latency"].as_str().expect("url"));
    let none = parse(&get_svg(&latency).await.2);
    assert_eq!(none.title, "latency: no data");
    assert_eq!(none.value_fill, "#9f9f9f");

    // Slow answers: up, yet red on the latency badge.
    write_checks(&app, &short, 3, true, 1500).await;
    let (_, view) = json_of(app.get(&client, format!("/api/v1/targets/{short}")).await).await;
    let latency = local(&app, view["badge_urls"]["latency"].as_str().expect("url"));
    let slow = parse(&get_svg(&latency).await.2);
    assert_eq!(slow.title, "latency: 1500 ms");
    assert_eq!(slow.value_fill, "#e05d44");
}

async fn the_instance_status_names_web_database_and_workers(backend: Backend) {
    use pharos_probes::{ProbeSettings, Prober};
    use pharos_scheduler::WorkerConfig;
    use tokio_util::sync::CancellationToken;

    let Some(app) = spawn(backend).await else {
        return;
    };
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(pharos_scheduler::run_worker(
        app.store.clone(),
        Prober::new(ProbeSettings::default()).expect("prober"),
        WorkerConfig {
            worker_id: "secret-host-name-1234".to_owned(),
            presence_interval: Duration::from_millis(50),
            ..WorkerConfig::default()
        },
        shutdown.clone(),
    ));
    // Wait for the worker's first presence row.
    loop {
        let seen = app
            .store
            .worker_presence(Utc::now() - Span::minutes(1))
            .await
            .expect("presence");
        if !seen.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let response = app
        .client()
        .get(app.url("/api/public/status"))
        .send()
        .await
        .expect("get");
    let etag = response.headers()["etag"].clone();
    let (status, body) = json_of(response).await;
    shutdown.cancel();
    worker.await.expect("worker");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["web"]["status"], "up");
    assert_eq!(body["web"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["database"]["reachable"], true);
    assert!(body["database"]["latency_ms"].as_f64().expect("latency") >= 0.0);
    let workers = body["workers"].as_array().expect("workers");
    assert_eq!(workers.len(), 1, "{body}");
    assert_eq!(workers[0]["up"], true);
    assert!(workers[0]["last_seen_at"].is_string());
    let name = workers[0]["name"].as_str().expect("name");
    assert!(name.starts_with("worker-"), "{name}");
    assert!(
        !body.to_string().contains("secret-host"),
        "no host names: {body}"
    );

    let again = app
        .client()
        .get(app.url("/api/public/status"))
        .header("If-None-Match", etag)
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

async fn public_routes_have_their_own_rate_limit(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| {
        c.limits.public_requests_per_minute_per_client = 3;
    })
    .await
    else {
        return;
    };
    let client = app.client();
    for _ in 0..2 {
        let r = client
            .get(app.url("/api/public/status"))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = client
        .get(app.url(&format!("/badge/{}/status.svg", "Q".repeat(32))))
        .send()
        .await
        .expect("get");
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "the third request passes"
    );
    let r = client
        .get(app.url("/api/public/status"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(wait >= 1);
    let (_, body) = json_of(r).await;
    assert_eq!(body["error"]["code"], "rate_limited");
    let r = client
        .get(app.url("/badge/whatever/latency.svg"))
        .send()
        .await
        .expect("get");
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "one budget for every public route"
    );
    // The dashboard is not under it.
    let signed_in = app.user("dash@example.com").await;
    for _ in 0..5 {
        let r = signed_in
            .get(app.url("/api/v1/targets"))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), StatusCode::OK);
    }
}

async fn the_target_page_turns_badges_on_rotates_and_off(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("page@example.com").await;
    let id = target(&app, &client, "web").await;
    let page = |client: Client, path: String| {
        let url = app.url(&path);
        async move {
            client
                .get(url)
                .send()
                .await
                .expect("get")
                .text()
                .await
                .expect("body")
        }
    };
    let post = |path: String| {
        let url = app.url(&path);
        let client = client.clone();
        async move {
            let r = client
                .post(url)
                .form(&[("x", "")])
                .send()
                .await
                .expect("post");
            assert!(
                r.status().is_success() || r.status().is_redirection(),
                "{}",
                r.status()
            );
        }
    };
    let html = page(client.clone(), format!("/targets/{id}")).await;
    assert!(html.contains("Turn badges on"), "{html}");

    post(format!("/targets/{id}/badge/on")).await;
    let (_, view) = json_of(app.get(&client, format!("/api/v1/targets/{id}")).await).await;
    let first = view["badge_urls"]["status"]
        .as_str()
        .expect("on")
        .to_owned();
    let html = page(client.clone(), format!("/targets/{id}")).await;
    assert!(html.contains(&first), "the absolute URL is shown");
    assert!(
        html.contains("![web status]("),
        "the Markdown snippet: {html}"
    );
    assert!(!html.contains("private-path)"), "no address in the snippet");

    post(format!("/targets/{id}/badge/rotate")).await;
    let html = page(client.clone(), format!("/targets/{id}")).await;
    assert!(!html.contains(&first), "replaced");
    assert!(html.contains("Replace badge URLs"));

    post(format!("/targets/{id}/badge/off")).await;
    let (_, view) = json_of(app.get(&client, format!("/api/v1/targets/{id}")).await).await;
    assert!(view["badge_urls"].is_null());
}

pharos_storage::on_both_backends!(
    the_target_page_turns_badges_on_rotates_and_off,
    badges_are_turned_on_shown_rotated_and_turned_off,
    badge_colours_follow_the_state_and_widths_the_text,
    the_instance_status_names_web_database_and_workers,
    public_routes_have_their_own_rate_limit,
);
