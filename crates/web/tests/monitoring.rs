//! Target kinds, pausing, heartbeats, incidents, uptime and history
//! through the API, on both backends.

mod common;

use common::{create, json_of, TestApp};
use pharos_storage::testing::Backend;
use reqwest::{Client, StatusCode};
use serde_json::json;

async fn targets_of_every_kind(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("kinds@example.com").await;
    let accepted = [
        json!({"url": "https://example.com/"}),
        json!({"kind": "http", "url": "https://example.com/api", "method": "HEAD", "expected_status": ["200-299"], "degraded_latency_ms": 800}),
        json!({"kind": "http", "url": "https://example.com/", "keyword": "ok", "json_path": "status", "json_expected": "green"}),
        json!({"kind": "tcp", "host": "example.com", "port": 22}),
        json!({"kind": "ping", "host": "example.com", "count": 3}),
        json!({"kind": "dns", "host": "example.com", "record_type": "MX", "expected": "mx.example.com", "name": "mail records"}),
        json!({"kind": "tls", "host": "example.com", "warn_days": 21}),
        json!({"kind": "heartbeat", "interval_seconds": 3600, "grace_seconds": 300}),
    ];
    for body in accepted {
        let (status, target) = create(&app, &client, body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{body} answered {target}");
        let kind = body["kind"].as_str().unwrap_or("http");
        assert_eq!(target["kind"], kind);
        assert_eq!(target["state"], "pending");
        if kind == "heartbeat" {
            assert!(target["ping_url"]
                .as_str()
                .expect("ping url")
                .starts_with("/ping/"));
            assert_eq!(target["grace_seconds"], 300);
        } else {
            assert_eq!(target["check"]["kind"], kind, "{target}");
        }
        if kind == "dns" {
            assert_eq!(target["check"]["host"], "example.com");
            assert_eq!(target["name"], "mail records");
        }
    }
    let refused = [
        (
            json!({"kind": "tcp", "host": "127.0.0.1", "port": 22}),
            "host",
            "loopback",
        ),
        (
            json!({"kind": "tcp", "host": "0x7f.1", "port": 22}),
            "host",
            "loopback",
        ),
        (
            json!({"kind": "ping", "host": "metadata.google.internal"}),
            "host",
            "internal",
        ),
        (
            json!({"kind": "tls", "host": "[::ffff:10.0.0.1]"}),
            "host",
            "private",
        ),
        (
            json!({"kind": "dns", "host": "example.com", "server": "169.254.169.254"}),
            "server",
            "link-local",
        ),
        (json!({"kind": "dns", "record_type": "A"}), "host", "host"),
        (
            json!({"kind": "tcp", "host": "example.com"}),
            "port",
            "port",
        ),
        (
            json!({"kind": "tcp", "host": "example.com", "port": 70000}),
            "port",
            "port",
        ),
        (
            json!({"kind": "tcp", "host": "example.com", "port": 22, "url": "x"}),
            "url",
            "unknown",
        ),
        (
            json!({"kind": "http", "url": "https://example.com/", "method": "DELETE"}),
            "method",
            "DELETE",
        ),
        (
            json!({"kind": "http", "url": "https://example.com/", "body": "x"}),
            "body",
            "POST",
        ),
        (
            json!({"kind": "tls", "host": "example.com", "port": 0}),
            "port",
            "port 0",
        ),
        (
            json!({"kind": "ping", "host": "example.com", "count": 99}),
            "count",
            "between",
        ),
        (
            json!({"kind": "dns", "host": "example.com", "record_type": "SRV"}),
            "record_type",
            "SRV",
        ),
        (
            json!({"kind": "smtp", "host": "example.com"}),
            "kind",
            "one of",
        ),
        (json!({"kind": 7}), "kind", "string"),
        (
            json!({"kind": "heartbeat", "url": "https://example.com/"}),
            "url",
            "heartbeat",
        ),
        (
            json!({"kind": "heartbeat", "grace_seconds": -1}),
            "grace_seconds",
            "between",
        ),
    ];
    for (body, field, word) in refused {
        let (status, answer) = create(&app, &client, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} answered {answer}"
        );
        assert_eq!(answer["error"]["field"], field, "{body} answered {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(word),
            "{body}: {message:?} should mention {word:?}"
        );
    }
    let (_, listed) = json_of(app.get(&client, "/api/v1/targets").await).await;
    assert_eq!(
        listed["items"].as_array().expect("items").len(),
        8,
        "refused bodies stored nothing"
    );

    // Changing check settings keeps the rest and starts the state over.
    let (_, tcp) = create(
        &app,
        &client,
        json!({"kind": "tcp", "host": "example.com", "port": 25, "name": "mail"}),
    )
    .await;
    let id = tcp["id"].as_str().expect("id");
    let (status, patched) = json_of(
        client
            .patch(app.url(&format!("/api/v1/targets/{id}")))
            .json(&json!({"port": 587}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["check"]["port"], 587);
    assert_eq!(patched["check"]["host"], "example.com");
    assert_eq!(patched["name"], "mail");
    let (status, answer) = json_of(
        client
            .patch(app.url(&format!("/api/v1/targets/{id}")))
            .json(&json!({"kind": "heartbeat"}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
}

async fn pause_and_resume(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("pause@example.com").await;
    let (_, target) = create(&app, &client, json!({"url": "https://example.com/"})).await;
    let id = target["id"].as_str().expect("id");
    let (status, paused) = json_of(
        client
            .post(app.url(&format!("/api/v1/targets/{id}/pause")))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(paused["state"], "paused");
    assert_eq!(paused["paused"], true);
    let (_, statuses) = json_of(app.get(&client, "/api/v1/targets/status").await).await;
    assert_eq!(statuses["items"][0]["state"], "paused");
    let (status, resumed) = json_of(
        client
            .post(app.url(&format!("/api/v1/targets/{id}/resume")))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resumed["state"], "pending");
    assert_eq!(resumed["paused"], false);
    // Another tenant cannot pause it.
    let other = app.user("other@example.com").await;
    let refused = other
        .post(app.url(&format!("/api/v1/targets/{id}/pause")))
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
}

async fn heartbeats_incidents_uptime_and_history(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("cron@example.com").await;
    let (_, target) = create(
        &app,
        &client,
        json!({"kind": "heartbeat", "name": "nightly backup", "interval_seconds": 86400}),
    )
    .await;
    let id = target["id"].as_str().expect("id").to_owned();
    let ping = target["ping_url"].as_str().expect("ping url").to_owned();
    // The ping URL needs no session: a plain client, as cron's curl would be.
    let cron = Client::builder().no_proxy().build().expect("client");

    let start = cron
        .post(app.url(&format!("{ping}/start")))
        .send()
        .await
        .expect("send");
    assert_eq!(start.status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    let ok = app.get(&cron, &ping).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let (_, up) = json_of(app.get(&client, &format!("/api/v1/targets/{id}")).await).await;
    assert_eq!(up["state"], "up");
    let (_, checks) = json_of(
        app.get(&client, &format!("/api/v1/targets/{id}/checks"))
            .await,
    )
    .await;
    let duration = checks["items"][0]["latency_ms"]
        .as_u64()
        .expect("run duration");
    assert!(
        duration >= 100,
        "the run took {duration} ms from start to success"
    );

    // A reported failure is down at once and opens an incident.
    let failed = cron
        .post(app.url(&format!("{ping}/fail")))
        .send()
        .await
        .expect("send");
    assert_eq!(failed.status(), StatusCode::OK);
    let (_, down) = json_of(app.get(&client, &format!("/api/v1/targets/{id}")).await).await;
    assert_eq!(down["state"], "down");
    let (status, incidents) = json_of(
        app.get(&client, &format!("/api/v1/targets/{id}/incidents"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let incident = &incidents["items"][0];
    assert_eq!(incident["error_class"], "heartbeat");
    assert!(incident["closed_at"].is_null());

    // Success again closes it.
    cron.post(app.url(&ping)).send().await.expect("send");
    let (_, incidents) = json_of(
        app.get(&client, &format!("/api/v1/targets/{id}/incidents"))
            .await,
    )
    .await;
    assert!(!incidents["items"][0]["closed_at"].is_null(), "{incidents}");

    let (status, uptime) = json_of(
        app.get(&client, &format!("/api/v1/targets/{id}/uptime"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let day = uptime["24h"].as_f64().expect("24h uptime");
    assert!((day - 200.0 / 3.0).abs() < 0.01, "2 of 3 up: {day}");
    assert_eq!(uptime["365d"], uptime["24h"]);

    for (window, buckets, width) in [
        ("24h", 96, 900),
        ("72h", 288, 900),
        ("7d", 168, 3600),
        ("365d", 365, 86400),
    ] {
        let (status, history) = json_of(
            app.get(
                &client,
                &format!("/api/v1/targets/{id}/history?window={window}"),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(history["bucket_seconds"], width);
        let items = history["buckets"].as_array().expect("buckets");
        assert!(
            (buckets..=buckets + 1).contains(&items.len()),
            "{window}: {} buckets",
            items.len()
        );
        let total: u64 = items
            .iter()
            .map(|b| b["checks"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(total, 3, "{window}");
    }
    let (status, bad) = json_of(
        app.get(&client, &format!("/api/v1/targets/{id}/history?window=1y"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["error"]["field"], "window");

    // Unknown tokens, and other tenants, find nothing.
    let unknown = app
        .get(&cron, "/ping/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let junk = app.get(&cron, "/ping/..%2F..%2Fetc").await;
    assert_eq!(junk.status(), StatusCode::NOT_FOUND);
    let other = app.user("nosy@example.com").await;
    for path in ["incidents", "uptime", "history"] {
        let status = app
            .get(&other, &format!("/api/v1/targets/{id}/{path}"))
            .await
            .status();
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}

pharos_storage::on_both_backends!(
    targets_of_every_kind,
    pause_and_resume,
    heartbeats_incidents_uptime_and_history
);
