//! The targets API: lifecycle, checks written by a real worker, tenant
//! isolation and hostile input, on both backends.

mod common;

use std::time::Duration;

use common::{create, json_of, TestApp};
use pharos_domain::AddressPolicy;
use pharos_probes::{ProbeSettings, Prober};
use pharos_scheduler::WorkerConfig;
use pharos_storage::testing::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

async fn target_lifecycle(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("owner@example.com").await;

    let (status, created) = create(
        &app,
        &client,
        json!({"url": "https://example.com/health", "name": "Site"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["interval_seconds"], 300);
    assert_eq!(created["timeout_seconds"], 10);
    let id = created["id"].as_str().expect("id").to_owned();

    let (status, listed) = json_of(app.get(&client, "/api/v1/targets").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"][0]["id"], id.as_str());

    let (status, fetched) = json_of(app.get(&client, &format!("/api/v1/targets/{id}")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["name"], "Site");

    let (status, updated) = json_of(
        client
            .patch(app.url(&format!("/api/v1/targets/{id}")))
            .json(&json!({"name": null, "interval_seconds": 60, "timeout_seconds": 5}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["name"], Value::Null);
    assert_eq!(updated["interval_seconds"], 60);
    assert_eq!(updated["url"], "https://example.com/health");

    let (status, statuses) = json_of(app.get(&client, "/api/v1/targets/status").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(statuses["items"][0]["latest_check"], Value::Null);

    let (status, checks) = json_of(
        app.get(&client, &format!("/api/v1/targets/{id}/checks"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(checks["items"], json!([]));

    let deleted = client
        .delete(app.url(&format!("/api/v1/targets/{id}")))
        .send()
        .await
        .expect("send");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = app.get(&client, &format!("/api/v1/targets/{id}")).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let again = client
        .delete(app.url(&format!("/api/v1/targets/{id}")))
        .send()
        .await
        .expect("send");
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

/// A tiny HTTP server on 127.0.0.1 that answers 200 "ok".
async fn local_site() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/")
}

async fn worker_checks_fill_status_and_history(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| c.allow_private_targets = true).await else {
        return;
    };
    let client = app.user("ops@example.com").await;
    let site = local_site().await;
    let (status, created) = create(
        &app,
        &client,
        json!({"url": site, "interval_seconds": 30, "timeout_seconds": 5}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    // A target that refuses connections, to see a down check too.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let closed_url = format!("http://{}/", closed.local_addr().expect("addr"));
    drop(closed);
    create(
        &app,
        &client,
        json!({"url": closed_url, "interval_seconds": 30, "timeout_seconds": 5}),
    )
    .await;

    let policy = AddressPolicy {
        allow_private: false,
        also_allow: vec!["127.0.0.1".parse().expect("ip")],
    };
    let prober = Prober::new(ProbeSettings::with_policy(policy)).expect("prober");
    let shutdown = CancellationToken::new();
    let config = WorkerConfig {
        idle_poll: Duration::from_millis(100),
        ..WorkerConfig::default()
    };
    let worker = tokio::spawn(pharos_scheduler::run_worker(
        app.store.clone(),
        prober,
        config,
        shutdown.clone(),
    ));

    // The first check runs within seconds of creation.
    let mut statuses = Value::Null;
    for _ in 0..100 {
        statuses = json_of(app.get(&client, "/api/v1/targets/status").await)
            .await
            .1;
        let items = statuses["items"].as_array().expect("items");
        if items.iter().all(|t| !t["latest_check"].is_null()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shutdown.cancel();
    worker.await.expect("worker");

    let items = statuses["items"].as_array().expect("items");
    let up = &items[0]["latest_check"];
    assert_eq!(up["is_up"], true, "{statuses}");
    assert_eq!(up["status_code"], 200);
    assert!(up["latency_ms"].is_number());
    let down = &items[1]["latest_check"];
    assert_eq!(down["is_up"], false, "{statuses}");
    assert_eq!(down["error_class"], "refused");

    let (status, checks) = json_of(
        app.get(&client, &format!("/api/v1/targets/{id}/checks?limit=1"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(checks["items"].as_array().expect("items").len(), 1);
    assert_eq!(checks["items"][0]["is_up"], true);
}

async fn checks_paginate_with_a_cursor(backend: Backend) {
    use chrono::{Duration as Span, Utc};
    use pharos_domain::check::PhaseTimings;
    use pharos_domain::check::Verdict;
    use pharos_domain::ids::{CheckId, TargetId};
    use pharos_domain::status::{apply, Confirmation};
    use pharos_storage::models::{Check, CheckRecord, StatusUpdate};

    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("pager@example.com").await;
    let (_, created) = create(
        &app,
        &client,
        json!({"url": "https://example.com/", "interval_seconds": 30, "timeout_seconds": 5}),
    )
    .await;
    let id: uuid::Uuid = created["id"].as_str().expect("id").parse().expect("uuid");
    // Five checks written the way workers write them.
    let mut now = Utc::now() + Span::seconds(1);
    for i in 0..5 {
        let claim = app
            .store
            .claim_due_targets("w", now, Span::seconds(30), 10)
            .await
            .expect("claim")
            .remove(0);
        let check = Check {
            id: CheckId::new(),
            target_id: TargetId(id),
            checked_at: now,
            status_code: Some(200 + i),
            latency_ms: Some(10),
            is_up: true,
            degraded: false,
            error_class: None,
            error: None,
            timings: PhaseTimings::default(),
            in_maintenance: false,
            location: pharos_domain::agent::Location::Local,
        };
        let status = StatusUpdate {
            previous: claim.target.state,
            transition: apply(claim.target.state, 0, Verdict::Up, Confirmation::default()),
            locations: Vec::new(),
        };
        let record = CheckRecord {
            organization_id: claim.target.organization_id,
            check,
            lease_epoch: claim.lease_epoch,
            certificate: Default::default(),
            next_due_at: now + Span::seconds(30),
            status,
        };
        app.store.record_checks(&[record]).await.expect("record");
        now += Span::seconds(31);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/targets/{id}/checks?limit=2&cursor={c}"),
            None => format!("/api/v1/targets/{id}/checks?limit=2"),
        };
        let (status, page) = json_of(app.get(&client, &path).await).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for item in page["items"].as_array().expect("items") {
            seen.push(item["status_code"].as_u64().expect("code"));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [204, 203, 202, 201, 200],
        "newest first, each exactly once"
    );
}

async fn other_tenants_get_404_everywhere(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let alice = app.user("alice@example.com").await;
    let mallory = app.user("mallory@example.com").await;
    let (_, created) = create(
        &app,
        &alice,
        json!({"url": "https://example.com/", "name": "Alice's"}),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_owned();

    let routes: [(Method, String, Option<Value>); 5] = [
        (Method::GET, format!("/api/v1/targets/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/targets/{id}"),
            Some(json!({"name": "pwned"})),
        ),
        (Method::DELETE, format!("/api/v1/targets/{id}"), None),
        (Method::GET, format!("/api/v1/targets/{id}/checks"), None),
        (
            Method::GET,
            format!("/api/v1/targets/{id}/checks?limit=5"),
            None,
        ),
    ];
    let never_existed = uuid::Uuid::now_v7();
    for (method, path, body) in routes {
        let ghost_path = path.replace(&id, &never_existed.to_string());
        let mut answers = Vec::new();
        for path in [&path, &ghost_path] {
            let mut request = mallory.request(method.clone(), app.url(path));
            if let Some(body) = &body {
                request = request.json(body);
            }
            answers.push(json_of(request.send().await.expect("send")).await);
        }
        assert_eq!(answers[0].0, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(
            answers[0], answers[1],
            "{method} {path}: same answer as a target that never existed"
        );
    }
    for path in ["/api/v1/targets", "/api/v1/targets/status"] {
        let (_, listed) = json_of(app.get(&mallory, path).await).await;
        assert_eq!(listed["items"], json!([]), "{path}");
    }
    // Alice's target is untouched.
    let (status, fetched) = json_of(app.get(&alice, &format!("/api/v1/targets/{id}")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["name"], "Alice's");
}

/// Each case: a request, the status it must get, and a word its message
/// must contain.
async fn hostile_input_gets_clear_4xx_and_stores_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("victim@example.com").await;
    let long = "a".repeat(3000);
    let json_cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({"url": "ftp://example.com/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "http",
        ),
        (
            json!({"url": "javascript:alert(1)"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "http",
        ),
        (
            json!({"url": "file:///etc/passwd"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "http",
        ),
        (
            json!({"url": "http://127.0.0.1/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "loopback",
        ),
        (
            json!({"url": "http://2130706433/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "loopback",
        ),
        (
            json!({"url": "http://0177.0.0.1/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "loopback",
        ),
        (
            json!({"url": "http://0x7f.1/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "loopback",
        ),
        (
            json!({"url": "http://127.1/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "loopback",
        ),
        (
            json!({"url": "http://%31%32%37.0.0.1/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "loopback",
        ),
        (
            json!({"url": "http://\u{ff11}\u{ff12}\u{ff17}.\u{ff10}.\u{ff10}.\u{ff11}/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "loopback",
        ),
        (
            json!({"url": "http://[::ffff:127.0.0.1]/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "loopback",
        ),
        (
            json!({"url": "http://[::1]/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "loopback",
        ),
        (
            json!({"url": "http://169.254.169.254/latest/meta-data/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "link-local",
        ),
        (
            json!({"url": "http://10.0.0.1/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "private",
        ),
        (
            json!({"url": "http://100.64.1.1/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "carrier-grade",
        ),
        (
            json!({"url": "http://[fd00::1]/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unique-local",
        ),
        (
            json!({"url": "http://localhost:8080/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "internal",
        ),
        (
            json!({"url": "http://metadata.google.internal/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "internal",
        ),
        (
            json!({"url": "http://intranet/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "single-label",
        ),
        (
            json!({"url": "http://user:pass@example.com/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
        ),
        (
            json!({"url": "http://example.com/\r\nX-Injected: 1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "control",
        ),
        (
            json!({"url": format!("https://example.com/{long}")}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "2048",
        ),
        (
            json!({"url": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "required",
        ),
        (
            json!({"url": "https://example.com/", "interval_seconds": 5}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "interval_seconds",
        ),
        (
            json!({"url": "https://example.com/", "interval_seconds": 1_000_000}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "interval_seconds",
        ),
        (
            json!({"url": "https://example.com/", "timeout_seconds": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "timeout_seconds",
        ),
        (
            json!({"url": "https://example.com/", "timeout_seconds": 61}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "timeout_seconds",
        ),
        (
            json!({"url": "https://example.com/", "interval_seconds": "60"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "interval_seconds",
        ),
        (
            json!({"url": "https://example.com/", "interval_seconds": 60.5}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "interval_seconds",
        ),
        (json!({"url": 42}), StatusCode::UNPROCESSABLE_ENTITY, "url"),
        (
            json!({"name": "no url"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "url",
        ),
        (
            json!({"url": "https://example.com/", "admin": true}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "admin",
        ),
        (
            json!({"url": "https://example.com/", "name": long}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "200",
        ),
        (
            json!({"url": "https://example.com/", "name": "bad\u{0}name"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "control",
        ),
        (
            json!({"url": "https://example.com/'; DROP TABLE targets; --", "name": "x' OR '1'='1"}),
            StatusCode::CREATED,
            "",
        ),
        (json!([1, 2, 3]), StatusCode::UNPROCESSABLE_ENTITY, "object"),
        (
            json!("https://example.com/"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "object",
        ),
    ];
    let mut created = 0;
    for (body, expected, word) in &json_cases {
        let (status, answer) = create(&app, &client, body.clone()).await;
        assert_eq!(status, *expected, "{body} answered {answer}");
        if status == StatusCode::CREATED {
            created += 1;
            continue;
        }
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(word),
            "{body}: message {message:?} should mention {word:?}"
        );
    }

    // Bodies that are not JSON at all.
    let raw_cases: Vec<(Vec<u8>, Option<&str>, StatusCode, &str)> = vec![
        (
            b"{\"url\": ".to_vec(),
            Some("application/json"),
            StatusCode::BAD_REQUEST,
            "JSON",
        ),
        (
            b"not json".to_vec(),
            Some("application/json"),
            StatusCode::BAD_REQUEST,
            "JSON",
        ),
        (
            b"{\"url\": \"\xff\xfe\"}".to_vec(),
            Some("application/json"),
            StatusCode::BAD_REQUEST,
            "JSON",
        ),
        (
            b"{\"url\": \"https://example.com/\"}".to_vec(),
            Some("text/plain"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "JSON",
        ),
        (
            b"{\"url\": \"https://example.com/\"}".to_vec(),
            None,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "JSON",
        ),
        (
            format!(
                "{{\"url\": \"https://example.com/\", \"name\": \"{}\"}}",
                "x".repeat(100_000)
            )
            .into_bytes(),
            Some("application/json"),
            StatusCode::PAYLOAD_TOO_LARGE,
            "large",
        ),
        (
            b"{\"url\": \"https://example.com/\"} trailing".to_vec(),
            Some("application/json"),
            StatusCode::BAD_REQUEST,
            "JSON",
        ),
    ];
    for (body, content_type, expected, word) in raw_cases {
        let mut request = client.post(app.url("/api/v1/targets")).body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let (status, answer) = json_of(request.send().await.expect("send")).await;
        assert_eq!(
            status,
            expected,
            "{:?} answered {answer}",
            String::from_utf8_lossy(&body[..body.len().min(60)])
        );
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(word),
            "message {message:?} should mention {word:?}"
        );
    }

    // Bad query strings and ids.
    let (_, target) = create(&app, &client, json!({"url": "https://example.com/ok"})).await;
    created += 1;
    let id = target["id"].as_str().expect("id");
    for (query, expected, word) in [
        ("limit=0", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        ("limit=1001", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        ("limit=ten", StatusCode::BAD_REQUEST, "limit"),
        ("cursor=%00%01", StatusCode::UNPROCESSABLE_ENTITY, "cursor"),
        (
            "cursor=bm90LWEtY3Vyc29y",
            StatusCode::UNPROCESSABLE_ENTITY,
            "cursor",
        ),
    ] {
        let (status, answer) = json_of(
            app.get(&client, &format!("/api/v1/targets/{id}/checks?{query}"))
                .await,
        )
        .await;
        assert_eq!(status, expected, "{query}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(word), "{query}: {message:?}");
    }
    for path in [
        "/api/v1/targets/not-a-uuid",
        "/api/v1/targets/1%20OR%201=1",
        "/api/v1/targets/..%2f..%2fetc",
    ] {
        let status = app.get(&client, path).await.status();
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    // An update with bad input changes nothing.
    let bad_patch = client
        .patch(app.url(&format!("/api/v1/targets/{id}")))
        .json(&json!({"url": "http://10.1.1.1/", "name": "changed"}))
        .send()
        .await
        .expect("send");
    assert_eq!(bad_patch.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let (_, listed) = json_of(app.get(&client, "/api/v1/targets").await).await;
    let items = listed["items"].as_array().expect("items");
    assert_eq!(
        items.len(),
        created,
        "only the valid requests stored a target"
    );
    assert!(items.iter().all(|t| t["name"] != "changed"));
    // The injection string was stored as plain text.
    assert!(items.iter().any(|t| t["name"] == "x' OR '1'='1"));
}

/// `PHAROS_MIN_INTERVAL_SECONDS`: 30 s by default; an instance that
/// lowers it to 10 takes 10 and refuses 9, naming the field and the floor;
/// a target saved under a lower floor keeps its interval when the floor
/// rises and another field is edited.
async fn the_shortest_interval_is_the_instances_setting(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("a@example.com").await;
    let (status, refused) = create(
        &app,
        &client,
        json!({"url": "https://example.com/", "interval_seconds": 10}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(
        refused["error"]["field"],
        json!("interval_seconds"),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("between 30 and 86400"),
        "{refused}"
    );
    let form = app
        .get(&client, "/targets/new")
        .await
        .text()
        .await
        .expect("form");
    assert!(form.contains("30 to 86400."), "the form says the floor");

    // A target saved at 10 s under a lower floor (written as the store
    // takes it) keeps its interval through an edit of its name, but
    // cannot be set to 10 s anew.
    let (_, me) = json_of(app.get(&client, "/api/v1/organizations").await).await;
    let org = pharos_domain::ids::OrganizationId(
        uuid::Uuid::parse_str(me[0]["id"].as_str().expect("org id")).expect("uuid"),
    );
    let (_, who) = json_of(app.get(&client, "/api/v1/auth/me").await).await;
    let user = pharos_domain::ids::UserId(
        uuid::Uuid::parse_str(who["user"]["id"].as_str().expect("user id")).expect("uuid"),
    );
    let fast = app
        .store
        .create_target(
            org,
            pharos_storage::models::NewTarget::due_now(
                user,
                pharos_domain::TargetCheck::http_get("https://example.com/fast".to_owned()),
                10,
                5,
                chrono::Utc::now(),
            ),
        )
        .await
        .expect("target");
    let path = format!("/api/v1/targets/{}", fast.id);
    let (status, renamed) = json_of(
        app.client_patch(&client, &path, json!({"name": "Fast"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["interval_seconds"], json!(10));
    let (status, refused) = json_of(
        app.client_patch(&client, &path, json!({"interval_seconds": 10}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    drop(app);

    let Some(fast) =
        TestApp::spawn_adjusted(backend, |_| {}, None, |state| state.with_min_interval(10)).await
    else {
        return;
    };
    let client = fast.user("b@example.com").await;
    let (status, made) = create(
        &fast,
        &client,
        json!({"url": "https://example.com/", "interval_seconds": 10, "timeout_seconds": 5}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["interval_seconds"], json!(10));
    let (status, refused) = create(
        &fast,
        &client,
        json!({"url": "https://example.com/", "interval_seconds": 9, "timeout_seconds": 5}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused.to_string().contains("between 10 and 86400"),
        "{refused}"
    );
    let form = fast
        .get(&client, "/targets/new")
        .await
        .text()
        .await
        .expect("form");
    assert!(form.contains("10 to 86400."), "the form says the floor");
}

pharos_storage::on_both_backends!(
    the_shortest_interval_is_the_instances_setting,
    target_lifecycle,
    worker_checks_fill_status_and_history,
    checks_paginate_with_a_cursor,
    other_tenants_get_404_everywhere,
    hostile_input_gets_clear_4xx_and_stores_nothing,
);
