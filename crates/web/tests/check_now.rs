//! "Check now": `POST /api/v1/targets/check` and the form's button run the
//! described check once and store nothing, under the same validation (and
//! SSRF rules) as adding a target, on both backends.

mod common;

use common::{json_of, TestApp};
use pharos_storage::testing::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};

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

/// A port on 127.0.0.1 that nothing listens on.
async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{address}/")
}

async fn check(app: &TestApp, client: &reqwest::Client, body: Value) -> (StatusCode, Value) {
    json_of(app.post_json(client, "/api/v1/targets/check", body).await).await
}

async fn target_count(app: &TestApp, client: &reqwest::Client) -> usize {
    let (status, listed) = json_of(app.get(client, "/api/v1/targets").await).await;
    assert_eq!(status, StatusCode::OK);
    listed["items"].as_array().expect("items").len()
}

async fn check_now_runs_once_and_stores_nothing(backend: Backend) {
    // The web layer lets 127.0.0.1 through here; the test prober allows
    // 127.0.0.1 and nothing else the address table blocks.
    let Some(app) = TestApp::spawn_with(backend, |c| c.allow_private_targets = true).await else {
        return;
    };
    let client = app.user("ops@example.com").await;
    let other = app.user("other@example.com").await;
    let site = local_site().await;

    let (status, up) = check(
        &app,
        &client,
        json!({"name": "Site", "url": site, "timeout_seconds": 5}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{up}");
    assert_eq!(up["verdict"], "up", "{up}");
    assert_eq!(up["is_up"], true);
    assert_eq!(up["status_code"], 200);
    assert!(up["latency_ms"].is_number());
    assert!(up["timings"]["connect_ms"].is_number(), "{up}");
    assert!(up["error_class"].is_null());

    let (status, down) = check(&app, &client, json!({"url": closed_port().await})).await;
    assert_eq!(status, StatusCode::OK, "{down}");
    assert_eq!(down["verdict"], "down", "{down}");
    assert_eq!(down["is_up"], false);
    assert_eq!(down["error_class"], "refused");
    assert!(down["error"].is_string());

    // A TCP check too, through the same path.
    let port = site
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches('/')
        .parse::<u16>()
        .expect("port");
    let (status, tcp) = check(
        &app,
        &client,
        json!({"kind": "tcp", "host": "127.0.0.1", "port": port}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tcp}");
    assert_eq!(tcp["verdict"], "up", "{tcp}");

    // The create rules apply: bad fields and heartbeats are refused.
    let (status, bad) = check(&app, &client, json!({"url": site, "surprise": 1})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["error"]["field"], "surprise");
    let (status, bad) = check(
        &app,
        &client,
        json!({"url": site, "interval_seconds": 30, "timeout_seconds": 30}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["error"]["field"], "timeout_seconds");
    let (status, bad) = check(&app, &client, json!({"kind": "heartbeat"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["error"]["field"], "kind");

    // A session is required.
    let anonymous = app
        .post_json(&app.client(), "/api/v1/targets/check", json!({"url": site}))
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // The page form: the second button shows the result, saves nothing,
    // and works without JavaScript.
    let page = client
        .post(app.url("/targets/new"))
        .form(&[
            ("kind", "http"),
            ("url", site.as_str()),
            ("interval_seconds", "300"),
            ("timeout_seconds", "5"),
            ("action", "check"),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("text");
    assert!(html.contains("Check result"), "{html}");
    assert!(html.contains("HTTP 200"), "{html}");
    assert!(html.contains(&site), "the form keeps what was typed");
    let page = client
        .post(app.url("/targets/new"))
        .form(&[
            ("kind", "http"),
            ("url", closed_port().await.as_str()),
            ("action", "check"),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("text");
    assert!(html.contains("refused"), "{html}");

    // Nothing was stored, for anyone; the other tenant is unaffected.
    assert_eq!(target_count(&app, &client).await, 0);
    assert_eq!(target_count(&app, &other).await, 0);
    let (status, up) = check(&app, &other, json!({"url": site})).await;
    assert_eq!(status, StatusCode::OK, "{up}");
    assert_eq!(up["verdict"], "up");
    assert_eq!(target_count(&app, &other).await, 0);
}

async fn check_now_keeps_the_ssrf_rules(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("ops@example.com").await;
    for url in [
        "http://10.0.0.1/",
        "http://127.0.0.1:1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/",
    ] {
        let (status, refused) = check(&app, &client, json!({"url": url})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {refused}");
        assert_eq!(refused["error"]["field"], "url", "{url}: {refused}");
    }
    let (status, refused) = check(
        &app,
        &client,
        json!({"kind": "tcp", "host": "10.0.0.1", "port": 22}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "host");
    // The form names the field too.
    let page = client
        .post(app.url("/targets/new"))
        .form(&[
            ("kind", "http"),
            ("url", "http://10.0.0.1/"),
            ("action", "check"),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.text().await.expect("text");
    assert!(html.contains("id=\"e-url\""), "{html}");
    assert!(!html.contains("Check result"));
    assert_eq!(target_count(&app, &client).await, 0);
}

async fn check_now_is_rate_limited_per_organization(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| {
        c.allow_private_targets = true;
        c.limits.checks_now_per_minute_per_organization = 2;
    })
    .await
    else {
        return;
    };
    let client = app.user("ops@example.com").await;
    let other = app.user("other@example.com").await;
    let site = local_site().await;
    for _ in 0..2 {
        let (status, body) = check(&app, &client, json!({"url": site})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let limited = app
        .post_json(&client, "/api/v1/targets/check", json!({"url": site}))
        .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    // Another organization has its own allowance.
    let (status, body) = check(&app, &other, json!({"url": site})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

pharos_storage::on_both_backends!(
    check_now_runs_once_and_stores_nothing,
    check_now_keeps_the_ssrf_rules,
    check_now_is_rate_limited_per_organization,
);

/// Without a prober (a web replica built without one) the answer is 503.
#[tokio::test]
async fn check_now_without_a_prober_is_503() {
    let Some(db) = pharos_storage::testing::TestDatabase::create(Backend::Sqlite).await else {
        return;
    };
    let store = pharos_storage::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let mut config = common::test_config();
    config.allow_private_targets = true;
    let state = pharos_web::AppState::new(store, config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(pharos_web::serve(listener, state, std::future::pending()));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .no_proxy()
        .build()
        .expect("client");
    let credentials = json!({"email": "ops@example.com", "password": "correct horse battery"});
    for path in ["/api/v1/auth/register", "/api/v1/auth/login"] {
        let response = client
            .post(format!("{base}{path}"))
            .json(&credentials)
            .send()
            .await
            .expect("send");
        assert!(response.status().is_success(), "{path}");
    }
    let (status, body) = json_of(
        client
            .post(format!("{base}/api/v1/targets/check"))
            .json(&json!({"url": "http://127.0.0.1:1/"}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "checks_unavailable");
}
