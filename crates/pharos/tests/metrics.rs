//! /metrics from a real `pharos serve`: behind its bearer token when one
//! is set (the same 404 for no token and a wrong one), with build info,
//! check and HTTP metrics, and no label that names a target, a user or a
//! URL. A worker with its own metrics address keeps them off the web port.

mod common;

use std::time::Duration;

use common::{free_port, signal, slow_farm, spawn_pharos, wait_exit, wait_ready};
use serde_json::json;

const TOKEN: &str = "metrics-token-for-the-test-0123";

async fn metrics(client: &reqwest::Client, base: &str, token: Option<&str>) -> (u16, String) {
    let mut request = client.get(format!("{base}/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = request.send().await.expect("metrics");
    let status = answer.status().as_u16();
    (status, answer.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_behind_their_token_and_name_no_target() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/pharos.db", dir.path().display());
    let listen = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{listen}");
    let mut server = spawn_pharos(
        &["serve"],
        &url,
        dir.path(),
        &[("PHAROS_LISTEN", &listen), ("PHAROS_METRICS_TOKEN", TOKEN)],
    );
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .no_proxy()
        .build()
        .expect("client");
    assert!(wait_ready(&client, &base, Duration::from_secs(20)).await);

    let farm = slow_farm(Duration::from_millis(5)).await;
    let account = json!({"email": "metrics-user@example.com", "password": "a long passphrase"});
    for path in ["register", "login"] {
        let answer = client
            .post(format!("{base}/api/v1/auth/{path}"))
            .json(&account)
            .send()
            .await
            .expect(path);
        assert!(answer.status().is_success(), "{path}");
    }
    let target: serde_json::Value = client
        .post(format!("{base}/api/v1/targets"))
        .json(&json!({"url": format!("http://{farm}/private-path-8c2f"), "name": "Billing API"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = target["id"].as_str().expect("id").to_owned();
    tokio::time::sleep(Duration::from_secs(2)).await;

    let anonymous = reqwest::Client::new();
    assert_eq!(metrics(&anonymous, &base, None).await.0, 404);
    assert_eq!(
        metrics(&anonymous, &base, Some("wrong-token-0123456789"))
            .await
            .0,
        404
    );
    let (status, text) = metrics(&anonymous, &base, Some(TOKEN)).await;
    assert_eq!(status, 200);
    for expected in [
        "pharos_build_info{version=",
        "# HELP pharos_checks_total",
        "pharos_checks_total{kind=\"http\",verdict=\"up\"}",
        "pharos_check_duration_seconds_bucket{kind=\"http\"",
        "pharos_http_requests_total{method=\"POST\",route=\"/api/v1/targets\",status=\"201\"}",
        "pharos_http_request_duration_seconds_bucket{route=\"/api/v1/auth/login\"",
        "pharos_database_connections{pool=\"writer\",state=\"in_use\"}",
        "pharos_database_connections{pool=\"reader\",state=\"idle\"}",
        "pharos_database_connections_max{pool=\"writer\"} 1",
        "pharos_targets_due{state=\"waiting\"}",
        "pharos_targets_due{state=\"claimed\"}",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    for private in [
        "private-path-8c2f",
        "Billing API",
        id.as_str(),
        "metrics-user",
        farm.to_string().as_str(),
    ] {
        assert!(
            !text.contains(private),
            "{private} is in the metrics:\n{text}"
        );
    }
    signal(&server, "TERM");
    wait_exit(&mut server, Duration::from_secs(15)).expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metrics_address_keeps_metrics_off_the_web_port() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/pharos.db", dir.path().display());
    let listen = format!("127.0.0.1:{}", free_port());
    let metrics_listen = format!("127.0.0.1:{}", free_port());
    let mut server = spawn_pharos(
        &["serve"],
        &url,
        dir.path(),
        &[
            ("PHAROS_LISTEN", &listen),
            ("PHAROS_METRICS_LISTEN", &metrics_listen),
        ],
    );
    let client = reqwest::Client::new();
    let base = format!("http://{listen}");
    assert!(wait_ready(&client, &base, Duration::from_secs(20)).await);
    assert_eq!(metrics(&client, &base, None).await.0, 404);
    let (status, text) = metrics(&client, &format!("http://{metrics_listen}"), None).await;
    assert_eq!(status, 200);
    assert!(text.contains("pharos_build_info"), "{text}");
    assert!(
        text.contains("pharos_database_connections_max{pool=\"reader\"}"),
        "{text}"
    );
    signal(&server, "TERM");
    wait_exit(&mut server, Duration::from_secs(15)).expect("stops");
}
