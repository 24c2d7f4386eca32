//! No secret ever reaches a log line: a full session against a real
//! `pharos serve` with debug logging on (register, log in, a wrong
//! password, targets including a heartbeat, its pings, alert channels with
//! their secrets and a test delivery, API keys made, used, mistyped and
//! revoked, a password change)
//! and then every line searched for every secret. Also: each answer
//! carries a request id, and the log names it.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{free_port, signal, slow_farm, wait_exit, wait_ready, Pharos, PHAROS};
use serde_json::{json, Value};

const SECRET_KEY: &str = "a-secret-key-for-the-log-test-that-is-long-enough-0123456789";
const PASSWORD: &str = "first passphrase 8b1f";
const NEW_PASSWORD: &str = "second passphrase 3c9e";
const WRONG_PASSWORD: &str = "wrong passphrase 77aa";

fn cookie_of(answer: &reqwest::Response) -> String {
    answer
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_session_at_debug_level_logs_no_secret() {
    whole_session_logs_no_secret(LogFormat::Text).await;
}

/// The same session with `PHAROS_LOG_JSON`: every line is a JSON object
/// (for log shippers), the request id among its fields, no secret in any.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_a_line_with_request_ids_and_no_secret() {
    whole_session_logs_no_secret(LogFormat::Json).await;
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

async fn whole_session_logs_no_secret(format: LogFormat) {
    let dir = tempfile::tempdir().expect("dir");
    let log_path = dir.path().join("pharos.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut command = Command::new(PHAROS);
    command
        .arg("serve")
        .env("PHAROS_DATA_DIR", dir.path())
        .env("PHAROS_LISTEN", format!("127.0.0.1:{port}"))
        .env("PHAROS_SECRET_KEY", SECRET_KEY)
        .env("PHAROS_ALLOW_PRIVATE_TARGETS", "true")
        .env("PHAROS_LOG", "debug")
        .stdin(Stdio::null());
    match format {
        // Text: stdout's "running at" line and the log side by side.
        LogFormat::Text => command.stdout(log.try_clone().expect("log")),
        // JSON: the log alone, as a shipper reads stderr.
        LogFormat::Json => command.env("PHAROS_LOG_JSON", "true").stdout(Stdio::null()),
    };
    let mut server = Pharos(command.stderr(log).spawn().expect("start pharos"));
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    assert!(wait_ready(&client, &base, Duration::from_secs(20)).await);
    let farm = slow_farm(Duration::from_millis(10)).await;

    let account = json!({"email": "logs@example.com", "password": PASSWORD});
    let registered = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&account)
        .send()
        .await
        .expect("register");
    assert_eq!(registered.status(), reqwest::StatusCode::CREATED);
    let request_id = registered
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("a request id on the answer")
        .to_owned();
    let wrong = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "logs@example.com", "password": WRONG_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(wrong.status(), reqwest::StatusCode::UNAUTHORIZED);
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&account)
        .send()
        .await
        .expect("login");
    let first_session = cookie_of(&login);
    let with_session =
        |r: reqwest::RequestBuilder| r.header(reqwest::header::COOKIE, first_session.clone());
    let http = with_session(client.post(format!("{base}/api/v1/targets")))
        .json(&json!({"url": format!("http://{farm}/health"), "interval_seconds": 30}))
        .send()
        .await
        .expect("create");
    assert_eq!(http.status(), reqwest::StatusCode::CREATED);
    let heartbeat: Value = with_session(client.post(format!("{base}/api/v1/targets")))
        .json(&json!({"kind": "heartbeat", "name": "nightly", "interval_seconds": 3600}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let ping = heartbeat["ping_url"].as_str().expect("ping url").to_owned();
    let token = ping.trim_start_matches("/ping/").to_owned();
    for path in [
        format!("{ping}/start"),
        ping.clone(),
        format!("{ping}/fail"),
    ] {
        let answer = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("ping");
        assert_eq!(answer.status(), reqwest::StatusCode::OK);
    }
    // Channels: a chat webhook URL that embeds its key, a webhook with a
    // token in its URL and an Authorization header, and the signing
    // secret Pharos makes and shows once.
    let slack_key = "T0PHAROS/B0LOGTEST/xq8ZslackSecretPath77";
    let slack = with_session(client.post(format!("{base}/api/v1/channels")))
        .json(&json!({"kind": "slack", "name": "ops chat",
            "config": {"url": format!("https://hooks.slack.com/services/{slack_key}")}}))
        .send()
        .await
        .expect("slack channel");
    assert_eq!(slack.status(), reqwest::StatusCode::CREATED);
    let hook_token = "hooktoken-4f1d9a7e2b6c";
    let hook_header = "Bearer header-secret-9e3b1c7d";
    let webhook: Value = with_session(client.post(format!("{base}/api/v1/channels")))
        .json(&json!({"kind": "webhook", "name": "hook", "config": {
            "url": format!("http://{farm}/hook?token={hook_token}"),
            "headers": {"Authorization": hook_header}}}))
        .send()
        .await
        .expect("webhook channel")
        .json()
        .await
        .expect("json");
    let signing_secret = webhook["signing_secret"]
        .as_str()
        .expect("the signing secret, shown once")
        .to_owned();
    let webhook_id = webhook["id"].as_str().expect("id").to_owned();
    // Send test: the delivery (and its log lines) happen for real.
    let tested = with_session(client.post(format!("{base}/api/v1/channels/{webhook_id}/test")))
        .send()
        .await
        .expect("send test");
    assert!(tested.status().is_success(), "{}", tested.status());
    // API keys: one made and used to read and to write, a mistyped one, a
    // revoked one.
    let make_key = |name: &str| {
        with_session(client.post(format!("{base}/api/v1/api-keys")))
            .json(&json!({"name": name, "role": "admin"}))
            .send()
    };
    let made: Value = make_key("ci")
        .await
        .expect("api key")
        .json()
        .await
        .expect("json");
    let api_key = made["key"]
        .as_str()
        .expect("the key, shown once")
        .to_owned();
    let with_key = |r: reqwest::RequestBuilder, key: &str| {
        r.header(reqwest::header::AUTHORIZATION, format!("Bearer {key}"))
    };
    let read = with_key(client.get(format!("{base}/api/v1/targets")), &api_key)
        .send()
        .await
        .expect("read with a key");
    assert_eq!(read.status(), reqwest::StatusCode::OK);
    let wrote = with_key(client.post(format!("{base}/api/v1/targets")), &api_key)
        .json(&json!({"kind": "heartbeat", "name": "by key", "interval_seconds": 3600}))
        .send()
        .await
        .expect("write with a key");
    assert_eq!(wrote.status(), reqwest::StatusCode::CREATED);
    let mut typo = api_key.clone().into_bytes();
    typo[8] = if typo[8] == b'a' { b'b' } else { b'a' };
    let mistyped_key = String::from_utf8(typo).expect("ascii");
    let refused = with_key(client.get(format!("{base}/api/v1/targets")), &mistyped_key)
        .send()
        .await
        .expect("mistyped key");
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
    let doomed: Value = make_key("doomed")
        .await
        .expect("api key")
        .json()
        .await
        .expect("json");
    let revoked_key = doomed["key"].as_str().expect("key").to_owned();
    let doomed_id = doomed["id"].as_str().expect("id").to_owned();
    let revoked = with_session(client.delete(format!("{base}/api/v1/api-keys/{doomed_id}")))
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), reqwest::StatusCode::NO_CONTENT);
    let refused = with_key(client.get(format!("{base}/api/v1/targets")), &revoked_key)
        .send()
        .await
        .expect("revoked key");
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
    let changed = with_session(client.post(format!("{base}/api/v1/auth/password")))
        .json(&json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .expect("change password");
    assert!(changed.status().is_success(), "{}", changed.status());
    let again = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "logs@example.com", "password": NEW_PASSWORD}))
        .send()
        .await
        .expect("login");
    let second_session = cookie_of(&again);
    // Let the workers check the HTTP target and write it at debug level.
    tokio::time::sleep(Duration::from_secs(2)).await;
    signal(&server, "TERM");
    wait_exit(&mut server, Duration::from_secs(15)).expect("stops");

    let logged = std::fs::read_to_string(&log_path).expect("log");
    assert!(
        logged.lines().count() > 20 && logged.contains("DEBUG"),
        "debug logging was on:\n{logged}"
    );
    assert!(
        logged.contains(&request_id),
        "the request id {request_id} is in the log"
    );
    if format == LogFormat::Json {
        let mut with_request_id = 0;
        for line in logged.lines() {
            let object: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
            assert!(
                object["level"].is_string() && object["timestamp"].is_string(),
                "a JSON line has its level and time: {line}"
            );
            if line.contains(&request_id) {
                with_request_id += 1;
            }
        }
        assert!(with_request_id > 0);
    }
    assert!(
        logged.contains("/ping/{token}"),
        "pings are logged by route"
    );
    let session_tokens = [&first_session, &second_session].map(|c| {
        c.split_once('=')
            .map(|(_, v)| v.to_owned())
            .expect("name=value")
    });
    let secrets = [
        ("the secret key", SECRET_KEY.to_owned()),
        ("the first password", PASSWORD.to_owned()),
        ("the new password", NEW_PASSWORD.to_owned()),
        ("a wrong password", WRONG_PASSWORD.to_owned()),
        ("the first session token", session_tokens[0].clone()),
        ("the second session token", session_tokens[1].clone()),
        ("the heartbeat token", token.clone()),
        ("a chat webhook's key", slack_key.to_owned()),
        ("a webhook URL's token", hook_token.to_owned()),
        ("a webhook header's value", hook_header.to_owned()),
        ("a webhook's signing secret", signing_secret.clone()),
        ("an API key", api_key.clone()),
        ("an API key's random part", api_key[4..36].to_owned()),
        ("a mistyped API key", mistyped_key.clone()),
        ("a revoked API key", revoked_key.clone()),
    ];
    for (what, secret) in secrets {
        assert!(secret.len() >= 16, "{what} is a real secret");
        if let Some(line) = logged.lines().find(|line| line.contains(&secret)) {
            panic!("{what} is in the log: {line}");
        }
    }
}
