//! Alerts end to end, on both backends: channels made through the API,
//! real state changes (a local target checked by a real worker, heartbeat
//! pings), the real sender delivering webhooks over TCP to receivers on
//! 127.0.0.1, and what the API then shows.

mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::response::IntoResponse;
use common::{create, json_of, TestApp};
use hmac::{Hmac, Mac};
use pharos_app::Sealer;
use pharos_domain::alert::{FoldRule, RetryPolicy};
use pharos_domain::organization::Role;
use pharos_domain::AddressPolicy;
use pharos_notify::sender::{remind, run_sender, summarize, ChannelSecrets, SenderConfig};
use pharos_notify::testing::SmtpServer;
use pharos_notify::transport::{SmtpSettings, Transport, TransportSettings};
use pharos_probes::{ProbeSettings, Prober};
use pharos_scheduler::WorkerConfig;
use pharos_storage::testing::Backend;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio_util::sync::CancellationToken;

/// What a receiver answers, request by request (then 200).
#[derive(Debug, Clone)]
enum Reply {
    Status(u16),
    TooMany {
        retry_after_secs: u64,
    },
    /// Answers 200, but only after this long (longer than the sender waits).
    Hang(Duration),
}

#[derive(Debug, Clone)]
struct Seen {
    at: Instant,
    headers: HeaderMap,
    raw: Vec<u8>,
    body: Value,
}

#[derive(Clone, Default)]
struct ReceiverState {
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
    /// Every request hangs while set.
    always_hang: Arc<AtomicBool>,
}

struct Receiver {
    url: String,
    state: ReceiverState,
}

impl Receiver {
    async fn start(script: Vec<Reply>) -> Self {
        let state = ReceiverState {
            script: Arc::new(Mutex::new(script.into())),
            ..ReceiverState::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, state }
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("lock").clone()
    }

    fn events(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| s.body["event"].as_str().unwrap_or("?").to_owned())
            .collect()
    }
}

async fn receive(
    axum::extract::State(state): axum::extract::State<ReceiverState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    state.seen.lock().expect("lock").push(Seen {
        at: Instant::now(),
        headers,
        raw: body.to_vec(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    if state.always_hang.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    let reply = state.script.lock().expect("lock").pop_front();
    match reply {
        None | Some(Reply::Status(200)) => AxumStatus::OK.into_response(),
        Some(Reply::Status(code)) => AxumStatus::from_u16(code)
            .unwrap_or(AxumStatus::INTERNAL_SERVER_ERROR)
            .into_response(),
        Some(Reply::TooMany { retry_after_secs }) => (
            AxumStatus::TOO_MANY_REQUESTS,
            [("retry-after", retry_after_secs.to_string())],
        )
            .into_response(),
        Some(Reply::Hang(wait)) => {
            tokio::time::sleep(wait).await;
            AxumStatus::OK.into_response()
        }
    }
}

/// Polls `done` until it holds, or fails after `within`.
async fn wait_for(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < within, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Sending {
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Sending {
    async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.expect("sender");
    }
}

#[derive(Clone)]
struct SenderSettings {
    allow_private: bool,
    timeout: Duration,
    retry_base: Duration,
    max_attempts: u32,
    fold: FoldRule,
    /// The instance's SMTP server, for email channels.
    smtp: Option<SmtpSettings>,
}

impl Default for SenderSettings {
    fn default() -> Self {
        Self {
            // The receivers are on 127.0.0.1: only tests relax the rule.
            allow_private: true,
            timeout: Duration::from_secs(2),
            retry_base: Duration::from_millis(200),
            max_attempts: 6,
            // Tests that flap on purpose, faster than any real target,
            // but test something else.
            fold: FoldRule {
                limit: 1000,
                ..FoldRule::default()
            },
            smtp: None,
        }
    }
}

fn transport(allow_private: bool, timeout: Duration) -> Arc<Transport> {
    mail_transport(allow_private, timeout, None)
}

fn mail_transport(
    allow_private: bool,
    timeout: Duration,
    smtp: Option<SmtpSettings>,
) -> Arc<Transport> {
    Arc::new(
        Transport::new(TransportSettings {
            allow_private,
            timeout,
            smtp,
        })
        .expect("transport"),
    )
}

/// A real sender loop over the app's database, opening secrets with the
/// app's own instance key.
fn start_sender(app: &TestApp, id: &str, settings: SenderSettings) -> Sending {
    let shutdown = CancellationToken::new();
    let secrets: Arc<dyn ChannelSecrets> =
        Arc::new(Sealer::new(&common::test_config().session.secret));
    let config = SenderConfig {
        sender_id: id.to_owned(),
        public_url: app.base.clone(),
        poll: Duration::from_millis(50),
        lease: Duration::from_secs(60),
        attempt_timeout: settings.timeout,
        retry: RetryPolicy {
            base: settings.retry_base,
            max_attempts: settings.max_attempts,
            max_wait: Duration::from_secs(60),
        },
        fold: settings.fold,
        ..SenderConfig::default()
    };
    let task = tokio::spawn(run_sender(
        app.store.clone(),
        mail_transport(settings.allow_private, settings.timeout, settings.smtp),
        secrets,
        config,
        shutdown.clone(),
    ));
    Sending { shutdown, task }
}

async fn spawn(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_full(
        backend,
        |c| c.allow_private_targets = true,
        Some(transport(true, Duration::from_secs(2))),
    )
    .await
}

/// Makes a webhook channel; returns its id and signing secret.
async fn webhook(app: &TestApp, client: &Client, url: &str, default: bool) -> (String, String) {
    let (status, body) = json_of(
        app.post_json(
            client,
            "/api/v1/channels",
            json!({"kind": "webhook", "name": "hook", "config": {"url": url}, "is_default": default}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["id"].as_str().expect("id").to_owned(),
        body["signing_secret"].as_str().expect("secret").to_owned(),
    )
}

/// A heartbeat target sending to `channels`; returns its id and ping path.
async fn heartbeat(app: &TestApp, client: &Client, channels: &[&str]) -> (String, String) {
    let (status, target) = create(
        app,
        client,
        json!({"kind": "heartbeat", "name": "nightly backup", "interval_seconds": 3600,
               "channel_ids": channels}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{target}");
    (
        target["id"].as_str().expect("id").to_owned(),
        target["ping_url"].as_str().expect("ping").to_owned(),
    )
}

async fn ping(app: &TestApp, path: &str) {
    let answer = app.client().get(app.url(path)).send().await.expect("ping");
    assert_eq!(answer.status(), StatusCode::OK, "{path}");
}

fn verify_signature(seen: &Seen, secret: &str) {
    let header = |name: &str| {
        seen.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name}"))
            .to_owned()
    };
    let timestamp = header("x-pharos-timestamp");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&seen.raw);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(header("x-pharos-signature"), format!("sha256={expected}"));
}

async fn notifications(app: &TestApp, client: &Client, target: &str) -> Vec<Value> {
    let (status, page) = json_of(
        app.get(client, format!("/api/v1/targets/{target}/notifications"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().expect("items").clone()
}

/// A local site whose answer the test switches between 500 and 200.
async fn switchable_site() -> (String, Arc<AtomicBool>) {
    let failing = Arc::new(AtomicBool::new(true));
    let flag = failing.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let failing = flag.load(Ordering::SeqCst);
            async move {
                if failing {
                    AxumStatus::INTERNAL_SERVER_ERROR
                } else {
                    AxumStatus::OK
                }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/"), failing)
}

async fn a_failing_target_alerts_each_channel_once_and_its_recovery_once(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("alerts@example.com").await;
    let (one, two) = (Receiver::start(vec![]).await, Receiver::start(vec![]).await);
    let (a, secret_a) = webhook(&app, &client, &one.url, false).await;
    let (b, _) = webhook(&app, &client, &two.url, false).await;
    let (site, failing) = switchable_site().await;
    let (status, target) = create(
        &app,
        &client,
        json!({"url": site, "name": "shop", "interval_seconds": 30, "timeout_seconds": 5,
               "channel_ids": [a, b]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{target}");
    let id = target["id"].as_str().expect("id").to_owned();
    let mut shown = target["channel_ids"].as_array().expect("ids").clone();
    shown.sort_by_key(|v| v.as_str().unwrap_or_default().to_owned());
    let mut wanted = vec![json!(a), json!(b)];
    wanted.sort_by_key(|v| v.as_str().unwrap_or_default().to_owned());
    assert_eq!(shown, wanted);

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
    let sender = start_sender(&app, "sender-1", SenderSettings::default());

    wait_for(Duration::from_secs(20), "the down alerts", || {
        one.seen().len() == 1 && two.seen().len() == 1
    })
    .await;
    let down = &one.seen()[0];
    assert_eq!(down.body["event"], "down");
    assert_eq!(down.body["monitor"], "shop");
    assert_eq!(down.body["target"], site.as_str());
    assert_eq!(down.body["target_id"], id.as_str());
    assert_eq!(down.body["status_code"], 500);
    assert_eq!(down.body["url"], format!("{}/targets/{id}", app.base));
    assert!(down.body["incident_id"].is_string(), "{}", down.body);
    verify_signature(down, &secret_a);

    failing.store(false, Ordering::SeqCst);
    // The next check is at the target's next slot, within its 30 s.
    wait_for(Duration::from_secs(45), "the up alerts", || {
        one.seen().len() == 2 && two.seen().len() == 2
    })
    .await;
    // Nothing more comes: each change was told once per channel.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(one.events(), ["down", "up"]);
    assert_eq!(two.events(), ["down", "up"]);
    verify_signature(&one.seen()[1], &secret_a);
    assert_eq!(
        one.seen()[1].body["incident_id"],
        one.seen()[0].body["incident_id"]
    );

    let sent = notifications(&app, &client, &id).await;
    assert_eq!(sent.len(), 4, "{sent:?}");
    // One incident's: all four (its down and its up, on both channels).
    let incident = one.seen()[0].body["incident_id"]
        .as_str()
        .expect("incident")
        .to_owned();
    let (status, page) = json_of(
        app.get(
            &client,
            format!("/api/v1/targets/{id}/notifications?incident_id={incident}"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().expect("items").len(), 4);
    let (_, none) = json_of(
        app.get(
            &client,
            format!(
                "/api/v1/targets/{id}/notifications?incident_id={}",
                uuid::Uuid::now_v7()
            ),
        )
        .await,
    )
    .await;
    assert_eq!(none["items"], json!([]));
    for n in &sent {
        assert_eq!(n["status"], "delivered", "{n}");
        assert_eq!(n["attempts"].as_array().expect("attempts").len(), 1);
        assert_eq!(n["attempts"][0]["status_code"], 200);
    }
    shutdown.cancel();
    worker.await.expect("worker");
    sender.stop().await;
}

async fn retries_after_a_500_and_a_timeout(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("retry@example.com").await;
    let hook = Receiver::start(vec![
        Reply::Status(500),
        Reply::Hang(Duration::from_secs(5)),
    ])
    .await;
    let (channel, _) = webhook(&app, &client, &hook.url, true).await;
    let (id, ping_path) = heartbeat(&app, &client, &[]).await;
    let sender = start_sender(
        &app,
        "sender-1",
        SenderSettings {
            timeout: Duration::from_secs(1),
            ..SenderSettings::default()
        },
    );
    ping(&app, &format!("{ping_path}/fail")).await;
    wait_for(Duration::from_secs(20), "three tries", || {
        hook.seen().len() >= 3
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen = hook.seen();
    assert_eq!(seen.len(), 3, "delivered on the third try, then no more");
    // The same delivery each time, for a receiver that deduplicates.
    let keys: Vec<_> = seen
        .iter()
        .map(|s| s.headers.get("x-pharos-delivery").cloned())
        .collect();
    assert!(keys.iter().all(|k| k.is_some() && *k == keys[0]));
    // Backed off: the waits grow.
    let first_wait = seen[1].at - seen[0].at;
    assert!(first_wait >= Duration::from_millis(150), "{first_wait:?}");

    let sent = notifications(&app, &client, &id).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["status"], "delivered");
    assert_eq!(sent[0]["channel_id"], channel.as_str());
    let attempts = sent[0]["attempts"].as_array().expect("attempts");
    let outcomes: Vec<_> = attempts.iter().map(|a| a["outcome"].clone()).collect();
    assert_eq!(
        outcomes,
        [json!("retry"), json!("retry"), json!("delivered")]
    );
    assert_eq!(attempts[0]["status_code"], 500);
    assert!(attempts[1]["status_code"].is_null(), "{}", attempts[1]);
    assert!(attempts[1]["error"].is_string());
    sender.stop().await;
}

async fn a_429_retry_after_is_honoured(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("slow@example.com").await;
    let hook = Receiver::start(vec![Reply::TooMany {
        retry_after_secs: 2,
    }])
    .await;
    webhook(&app, &client, &hook.url, true).await;
    let (_, ping_path) = heartbeat(&app, &client, &[]).await;
    let sender = start_sender(
        &app,
        "sender-1",
        SenderSettings {
            retry_base: Duration::from_millis(50),
            ..SenderSettings::default()
        },
    );
    ping(&app, &format!("{ping_path}/fail")).await;
    wait_for(Duration::from_secs(15), "the retry", || {
        hook.seen().len() >= 2
    })
    .await;
    let seen = hook.seen();
    let waited = seen[1].at - seen[0].at;
    assert!(
        waited >= Duration::from_millis(1900),
        "retried after {waited:?}, before Retry-After"
    );
    sender.stop().await;
}

async fn refusals_fail_at_once_and_tries_run_out(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("refused@example.com").await;
    let refusing = Receiver::start(vec![Reply::Status(400)]).await;
    let dying = Receiver::start(vec![Reply::Status(503); 10]).await;
    let (r, _) = webhook(&app, &client, &refusing.url, false).await;
    let (d, _) = webhook(&app, &client, &dying.url, false).await;
    let (id, ping_path) = heartbeat(&app, &client, &[&r, &d]).await;
    let sender = start_sender(
        &app,
        "sender-1",
        SenderSettings {
            max_attempts: 3,
            retry_base: Duration::from_millis(100),
            ..SenderSettings::default()
        },
    );
    ping(&app, &format!("{ping_path}/fail")).await;
    let mut sent = Vec::new();
    for _ in 0..200 {
        sent = notifications(&app, &client, &id).await;
        if sent.len() == 2 && sent.iter().all(|n| n["status"] == "failed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let by_channel: HashMap<&str, &Value> = sent
        .iter()
        .map(|n| (n["channel_id"].as_str().expect("channel"), n))
        .collect();
    let refused = by_channel[r.as_str()];
    assert_eq!(refused["status"], "failed", "{refused}");
    assert_eq!(refused["attempts"].as_array().expect("a").len(), 1);
    assert_eq!(refused["attempts"][0]["status_code"], 400);
    let died = by_channel[d.as_str()];
    assert_eq!(died["status"], "failed", "{died}");
    let outcomes: Vec<_> = died["attempts"]
        .as_array()
        .expect("a")
        .iter()
        .map(|a| a["outcome"].clone())
        .collect();
    assert_eq!(outcomes, [json!("retry"), json!("retry"), json!("failed")]);
    assert_eq!(refusing.seen().len(), 1);
    assert_eq!(dying.seen().len(), 3);
    sender.stop().await;
}

async fn two_senders_never_deliver_one_notification_twice(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("twice@example.com").await;
    let one = Receiver::start(vec![]).await;
    let two = Receiver::start(vec![]).await;
    webhook(&app, &client, &one.url, true).await;
    webhook(&app, &client, &two.url, true).await;
    let (_, ping_path) = heartbeat(&app, &client, &[]).await;
    let first = start_sender(&app, "sender-1", SenderSettings::default());
    let second = start_sender(&app, "sender-2", SenderSettings::default());
    // Ten outages and recoveries: twenty events, forty notifications.
    for _ in 0..10 {
        ping(&app, &format!("{ping_path}/fail")).await;
        ping(&app, &ping_path).await;
    }
    wait_for(Duration::from_secs(30), "forty deliveries", || {
        one.seen().len() + two.seen().len() >= 40
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    for receiver in [&one, &two] {
        let seen = receiver.seen();
        assert_eq!(seen.len(), 20);
        let mut keys: Vec<_> = seen
            .iter()
            .map(|s| s.body["delivery_id"].as_str().expect("id").to_owned())
            .collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 20, "a notification was delivered twice");
        let downs = seen.iter().filter(|s| s.body["event"] == "down").count();
        assert_eq!(downs, 10);
    }
    first.stop().await;
    second.stop().await;
}

async fn a_failing_channel_does_not_delay_another(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("isolation@example.com").await;
    let dead = Receiver::start(vec![]).await;
    dead.state.always_hang.store(true, Ordering::SeqCst);
    let alive = Receiver::start(vec![]).await;
    let (d, _) = webhook(&app, &client, &dead.url, false).await;
    let (a, _) = webhook(&app, &client, &alive.url, false).await;
    let (_, first_ping) = heartbeat(&app, &client, &[&d, &a]).await;
    let (_, second_ping) = heartbeat(&app, &client, &[&d, &a]).await;
    let sender = start_sender(
        &app,
        "sender-1",
        SenderSettings {
            // Far longer than the bound below: had the live channel waited
            // for the dead one even once, it would be past it.
            timeout: Duration::from_secs(8),
            ..SenderSettings::default()
        },
    );
    let started = Instant::now();
    ping(&app, &format!("{first_ping}/fail")).await;
    wait_for(Duration::from_secs(10), "the live channel", || {
        alive.seen().len() == 1
    })
    .await;
    // While the dead channel's service hangs (and then backs off), the
    // live one keeps getting news at once.
    ping(&app, &format!("{second_ping}/fail")).await;
    ping(&app, &first_ping).await;
    wait_for(Duration::from_secs(10), "the live channel again", || {
        alive.seen().len() == 3
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "the live channel waited for the dead one: {:?}",
        started.elapsed()
    );
    assert!(!dead.seen().is_empty(), "the dead channel was tried");
    sender.stop().await;
}

async fn restored_alerts_come_once_and_follow_the_settings(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("restored@example.com").await;
    let hook = Receiver::start(vec![]).await;
    webhook(&app, &client, &hook.url, true).await;
    let (id, ping_path) = heartbeat(&app, &client, &[]).await;
    let sender = start_sender(&app, "sender-1", SenderSettings::default());
    ping(&app, &format!("{ping_path}/fail")).await;
    ping(&app, &ping_path).await;
    // Further successes are no news.
    ping(&app, &ping_path).await;
    ping(&app, &ping_path).await;
    wait_for(Duration::from_secs(10), "down and up", || {
        hook.seen().len() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(hook.events(), ["down", "up"]);

    // This target's own settings: no restore alerts.
    let (status, body) = json_of(
        app.client_put(
            &client,
            &format!("/api/v1/targets/{id}/alerts"),
            json!({"on_restored": false}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["uses_organization_defaults"], false);
    assert_eq!(body["settings"]["on_restored"], false);
    ping(&app, &format!("{ping_path}/fail")).await;
    ping(&app, &ping_path).await;
    wait_for(Duration::from_secs(10), "the second down", || {
        hook.seen().len() >= 3
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(hook.events(), ["down", "up", "down"]);

    // The organization silences everything; the target goes back to it.
    let (status, _) = json_of(
        app.client_put(
            &client,
            "/api/v1/organization/alerts",
            json!({"alert_type": "none"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let reset = client
        .delete(app.url(&format!("/api/v1/targets/{id}/alerts")))
        .send()
        .await
        .expect("reset");
    assert_eq!(reset.status(), StatusCode::OK);
    ping(&app, &format!("{ping_path}/fail")).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(hook.seen().len(), 3, "alert type none sends nothing");
    sender.stop().await;
}

async fn repeated_alerts_remind_at_their_period_until_recovery(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("remind@example.com").await;
    let hook = Receiver::start(vec![]).await;
    webhook(&app, &client, &hook.url, true).await;
    let (id, ping_path) = heartbeat(&app, &client, &[]).await;
    let (status, body) = json_of(
        app.client_put(
            &client,
            &format!("/api/v1/targets/{id}/alerts"),
            json!({"alert_type": "repeated", "repeat_minutes": 5}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["settings"]["repeat_minutes"], 5);
    let sender = start_sender(&app, "sender-1", SenderSettings::default());
    ping(&app, &format!("{ping_path}/fail")).await;
    wait_for(Duration::from_secs(10), "the down alert", || {
        hook.seen().len() == 1
    })
    .await;
    let store = &*app.store;
    let now = chrono::Utc::now();
    let minutes = |m: i64| now + chrono::Duration::minutes(m) + chrono::Duration::seconds(1);
    // Not before the period; once at it (twice asked, still once).
    assert_eq!(remind(store, minutes(4)).await.expect("remind"), 0);
    assert_eq!(remind(store, minutes(5)).await.expect("remind"), 1);
    assert_eq!(remind(store, minutes(5)).await.expect("remind"), 0);
    assert_eq!(remind(store, minutes(9)).await.expect("remind"), 0);
    assert_eq!(remind(store, minutes(10)).await.expect("remind"), 1);
    wait_for(Duration::from_secs(10), "two reminders", || {
        hook.seen().len() == 3
    })
    .await;
    assert_eq!(hook.events(), ["down", "down", "down"]);
    let details: Vec<String> = hook
        .seen()
        .iter()
        .map(|s| s.body["details"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        details[1].starts_with("still down (reminder 1)"),
        "{details:?}"
    );
    assert!(
        details[2].starts_with("still down (reminder 2)"),
        "{details:?}"
    );
    // Recovered: no more reminders, one up.
    ping(&app, &ping_path).await;
    wait_for(Duration::from_secs(10), "the up alert", || {
        hook.seen().len() == 4
    })
    .await;
    assert_eq!(remind(store, minutes(60)).await.expect("remind"), 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hook.events(), ["down", "down", "down", "up"]);
    let sent = notifications(&app, &client, &id).await;
    let mut reminders: Vec<(String, i64)> = sent
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap_or_default().to_owned(),
                n["reminder"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    reminders.sort();
    let expected = [("down", 0), ("down", 1), ("down", 2), ("up", 0)];
    assert_eq!(
        reminders,
        expected.map(|(k, r)| (k.to_owned(), r)).to_vec(),
        "{sent:?}"
    );
    sender.stop().await;
}

async fn a_flapping_target_is_folded_into_one_summary(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("flap@example.com").await;
    let hook = Receiver::start(vec![]).await;
    webhook(&app, &client, &hook.url, true).await;
    let (flapping, flapping_ping) = heartbeat(&app, &client, &[]).await;
    let (_, steady_ping) = heartbeat(&app, &client, &[]).await;
    let sender = start_sender(
        &app,
        "sender-1",
        SenderSettings {
            fold: FoldRule::default(),
            ..SenderSettings::default()
        },
    );
    let start = chrono::Utc::now();
    // Five outages and recoveries: ten changes in a second.
    for _ in 0..5 {
        ping(&app, &format!("{flapping_ping}/fail")).await;
        ping(&app, &flapping_ping).await;
    }
    // Another target's news is not folded with it.
    ping(&app, &format!("{steady_ping}/fail")).await;
    wait_for(Duration::from_secs(10), "the first messages", || {
        hook.seen().len() >= 4
    })
    .await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let of = |id: &str| {
        hook.seen()
            .iter()
            .filter(|s| s.body["target_id"] == id)
            .map(|s| s.body["event"].as_str().unwrap_or("?").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(of(&flapping), ["down", "up", "down"], "the limit is three");
    assert_eq!(hook.seen().len(), 4, "and the other target's down");
    // The minute passes: one summary of the seven folded.
    let store = &*app.store;
    let later = start + chrono::Duration::seconds(61);
    assert_eq!(
        summarize(store, later, FoldRule::default())
            .await
            .expect("fold"),
        1
    );
    assert_eq!(
        summarize(store, later, FoldRule::default())
            .await
            .expect("fold"),
        0
    );
    wait_for(Duration::from_secs(10), "the summary", || {
        hook.seen().len() == 5
    })
    .await;
    let summary = hook.seen()[4].body.clone();
    assert_eq!(summary["event"], "summary", "{summary}");
    assert_eq!(summary["folded"], 7, "{summary}");
    assert_eq!(summary["target_id"], flapping.as_str());
    let sent = notifications(&app, &client, &flapping).await;
    let folded = sent.iter().filter(|n| n["status"] == "folded").count();
    assert_eq!((sent.len(), folded), (10, 6), "{sent:?}");
    sender.stop().await;
}

async fn a_private_address_webhook_is_refused_by_default(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("ssrf@example.com").await;
    let hook = Receiver::start(vec![]).await;
    let (channel, _) = webhook(&app, &client, &hook.url, true).await;
    let (id, ping_path) = heartbeat(&app, &client, &[]).await;
    let sender = start_sender(
        &app,
        "sender-1",
        SenderSettings {
            allow_private: false,
            ..SenderSettings::default()
        },
    );
    ping(&app, &format!("{ping_path}/fail")).await;
    let mut sent = Vec::new();
    for _ in 0..100 {
        sent = notifications(&app, &client, &id).await;
        if sent.first().is_some_and(|n| n["status"] == "failed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["status"], "failed", "{}", sent[0]);
    assert_eq!(sent[0]["channel_id"], channel.as_str());
    assert_eq!(sent[0]["attempts"].as_array().expect("a").len(), 1);
    assert!(hook.seen().is_empty(), "the private address was reached");
    sender.stop().await;
}

async fn channels_keep_secrets_and_tenants_apart(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let hook = Receiver::start(vec![Reply::Status(200), Reply::Status(500)]).await;
    let with_token = format!("{}?token=s3cret-token", hook.url);
    let (status, made) = json_of(
        app.post_json(
            &owner,
            "/api/v1/channels",
            json!({"kind": "webhook", "name": "ops", "config": {"url": with_token,
                   "headers": {"Authorization": "Bearer hunter2"}}}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].as_str().expect("id").to_owned();
    let secret = made["signing_secret"].as_str().expect("secret").to_owned();
    assert_eq!(secret.len(), 64);
    // Never again in clear: not in a read, not in a list, not in the database.
    let (_, one) = json_of(app.get(&owner, format!("/api/v1/channels/{id}")).await).await;
    let (_, all) = json_of(app.get(&owner, "/api/v1/channels").await).await;
    for shown in [one.to_string(), all.to_string()] {
        assert!(!shown.contains(&secret), "{shown}");
        assert!(!shown.contains("s3cret-token"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
    assert!(one.get("signing_secret").is_none(), "{one}");
    assert_eq!(one["kind"], "webhook");
    assert_eq!(one["config"]["headers"]["Authorization"], "••••");

    // A PATCH that leaves the secrets out keeps them: the test still
    // reaches the tokened URL.
    let (status, patched) = json_of(
        app.client_patch(
            &owner,
            &format!("/api/v1/channels/{id}"),
            json!({"name": "ops 2", "config": {"headers": {"Authorization": "••••", "X-Team": "sre"}}}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["name"], "ops 2");
    let (status, tested) = json_of(
        app.post_json(&owner, format!("/api/v1/channels/{id}/test"), json!({}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tested}");
    assert_eq!(tested["delivered"], true, "{tested}");
    assert_eq!(tested["status"], 200);
    let got = &hook.seen()[0];
    assert_eq!(
        got.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer hunter2")
    );
    assert_eq!(
        got.headers.get("x-team").and_then(|v| v.to_str().ok()),
        Some("sre")
    );
    verify_signature(got, &secret);
    // A failing service: the test says so, with its status.
    let (_, tested) = json_of(
        app.post_json(&owner, format!("/api/v1/channels/{id}/test"), json!({}))
            .await,
    )
    .await;
    assert_eq!(tested["delivered"], false, "{tested}");
    assert_eq!(tested["status"], 500);
    assert_eq!(tested["retryable"], true);

    // Bad input names its field.
    for (body, field) in [
        (json!({"kind": "sms", "name": "x", "config": {}}), "kind"),
        (
            json!({"kind": "webhook", "name": " ", "config": {"url": hook.url}}),
            "name",
        ),
        (
            json!({"kind": "webhook", "name": "x", "config": {"url": "ftp://x"}}),
            "config.url",
        ),
        (
            json!({"kind": "webhook", "name": "x", "config": {"url": hook.url}, "colour": 1}),
            "colour",
        ),
        (json!({"kind": "webhook", "name": "x"}), "config"),
    ] {
        let (status, error) = json_of(
            app.post_json(&owner, "/api/v1/channels", body.clone())
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} {error}");
        assert_eq!(error["error"]["field"], field, "{body} {error}");
    }

    // Another organization sees none of it and cannot use it.
    let stranger = app.user("stranger@example.com").await;
    let (_, theirs) = json_of(app.get(&stranger, "/api/v1/channels").await).await;
    assert_eq!(theirs["items"], json!([]));
    for answer in [
        app.get(&stranger, format!("/api/v1/channels/{id}")).await,
        app.client_patch(
            &stranger,
            &format!("/api/v1/channels/{id}"),
            json!({"name": "mine"}),
        )
        .await,
        app.post_json(&stranger, format!("/api/v1/channels/{id}/test"), json!({}))
            .await,
        stranger
            .delete(app.url(&format!("/api/v1/channels/{id}")))
            .send()
            .await
            .expect("delete"),
    ] {
        assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    }
    let (status, error) = create(
        &app,
        &stranger,
        json!({"kind": "heartbeat", "channel_ids": [id]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["field"], "channel_ids");
    let (status, error) = create(
        &app,
        &stranger,
        json!({"kind": "heartbeat", "channel_ids": ["not an id"]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["field"], "channel_ids");
    let (_, listed) = json_of(app.get(&stranger, "/api/v1/targets").await).await;
    assert_eq!(listed["items"], json!([]), "nothing was made");

    // Members and viewers read channels but do not manage them.
    let (_, me) = json_of(app.get(&owner, "/api/v1/auth/me").await).await;
    let org =
        uuid::Uuid::parse_str(me["organizations"][0]["id"].as_str().expect("org")).expect("uuid");
    for (email, role) in [
        ("member@example.com", Role::Member),
        ("viewer@example.com", Role::Viewer),
    ] {
        let client = app.user(email).await;
        let (_, them) = json_of(app.get(&client, "/api/v1/auth/me").await).await;
        let user = uuid::Uuid::parse_str(them["user"]["id"].as_str().expect("user")).expect("uuid");
        let own = uuid::Uuid::parse_str(them["organizations"][0]["id"].as_str().expect("org"))
            .expect("uuid");
        let db = app.database();
        db.add_membership(
            pharos_domain::ids::UserId(user),
            pharos_domain::ids::OrganizationId(org),
            role,
            chrono::Utc::now(),
        )
        .await;
        db.remove_membership(
            pharos_domain::ids::UserId(user),
            pharos_domain::ids::OrganizationId(own),
        )
        .await;
        let (status, seen) = json_of(app.get(&client, "/api/v1/channels").await).await;
        assert_eq!(status, StatusCode::OK, "{seen}");
        assert_eq!(seen["items"].as_array().expect("items").len(), 1);
        let refused = app
            .post_json(
                &client,
                "/api/v1/channels",
                json!({"kind": "webhook", "name": "x", "config": {"url": hook.url}}),
            )
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{role:?}");
        let refused = client
            .delete(app.url(&format!("/api/v1/channels/{id}")))
            .send()
            .await
            .expect("delete");
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{role:?}");
    }

    let gone = owner
        .delete(app.url(&format!("/api/v1/channels/{id}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
}

async fn the_channels_page_adds_tests_and_deletes_a_channel(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let owner = app.user("pages@example.com").await;
    let page = |path: String| {
        let owner = owner.clone();
        let url = app.url(&path);
        async move {
            let answer = owner.get(url).send().await.expect("get");
            (answer.status(), answer.text().await.expect("body"))
        }
    };
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let owner = owner.clone();
        let url = app.url(&path);
        async move {
            let answer = owner.post(url).form(&form).send().await.expect("post");
            (answer.status(), answer.text().await.expect("body"))
        }
    };
    let (status, html) = page("/channels".to_owned()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No channels yet"), "{html}");

    let hook = Receiver::start(vec![]).await;
    let (status, html) = post(
        "/channels".to_owned(),
        vec![
            ("kind", "webhook".to_owned()),
            ("name", "ops hook".to_owned()),
            ("config.url", "nope".to_owned()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("is not a URL"), "{html}");
    let (status, html) = post(
        "/channels".to_owned(),
        vec![
            ("kind", "webhook".to_owned()),
            ("name", "ops hook".to_owned()),
            ("config.url", hook.url.clone()),
            ("config.headers", String::new()),
            ("is_default", "on".to_owned()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{html}");
    assert!(html.contains("Signing secret"), "{html}");
    let (_, listed) = json_of(app.get(&owner, "/api/v1/channels").await).await;
    let id = listed["items"][0]["id"].as_str().expect("id").to_owned();
    assert_eq!(listed["items"][0]["is_default"], true);
    let (_, html) = page("/channels".to_owned()).await;
    assert!(html.contains("ops hook"));
    assert!(!html.contains("Signing secret"), "shown once only");

    let (status, html) = post(format!("/channels/{id}/test"), vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("delivered: the service answered 200"),
        "{html}"
    );
    assert_eq!(hook.events(), ["test"]);

    // An alert sent shows on the target's page.
    let (target, ping_path) = heartbeat(&app, &owner, &[]).await;
    let sender = start_sender(&app, "sender-1", SenderSettings::default());
    ping(&app, &format!("{ping_path}/fail")).await;
    wait_for(Duration::from_secs(10), "the alert", || {
        hook.seen().len() == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, html) = page(format!("/targets/{target}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Alerts sent"), "{html}");
    assert!(
        html.contains("<td data-label=\"Status\">delivered</td>"),
        "{html}"
    );
    sender.stop().await;

    let (status, html) = post(format!("/channels/{id}/delete"), vec![]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Channel deleted."), "{html}");
    assert!(!html.contains("ops hook"));
}

/// GETs a page as `client`; its status and HTML.
async fn get_page(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
    let answer = app.get(client, path).await;
    (answer.status(), answer.text().await.expect("body"))
}

/// Posts a form as `client` (redirects followed); the status and HTML.
async fn post_page(
    app: &TestApp,
    client: &Client,
    path: &str,
    form: &[(&str, String)],
) -> (StatusCode, String) {
    let answer = client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .expect("post");
    (answer.status(), answer.text().await.expect("body"))
}

/// The value of the input named `name` on a page.
fn input_value(html: &str, name: &str) -> String {
    let start = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no input {name}: {html}"));
    let rest = &html[start..];
    let value = rest.find("value=\"").expect("a value") + 7;
    let end = rest[value..].find('"').expect("quoted");
    rest[value..value + end].to_owned()
}

/// A good filling of each kind's form, by field.
fn filled_form(kind: &str, hook: &str) -> Vec<(&'static str, String)> {
    let pairs: Vec<(&'static str, String)> = match kind {
        "email" => vec![
            ("config.to", "ops@example.com\r\noncall@example.com".into()),
            ("config.include_history", "on".into()),
        ],
        "webhook" => vec![
            ("config.url", hook.into()),
            (
                "config.headers",
                "Authorization: Bearer s3cret-token".into(),
            ),
        ],
        "slack" | "discord" | "teams" | "google_chat" | "mattermost" => vec![(
            "config.url",
            "https://hooks.example.com/services/T0/B0/k3y-of-the-hook".into(),
        )],
        "telegram" => vec![
            ("config.bot_token", "123456:ABC-def_ghi".into()),
            ("config.chat_id", "-1001234567890".into()),
            ("config.api_url", String::new()),
        ],
        "pushover" => vec![
            ("config.user_key", "u".repeat(30)),
            ("config.app_token", "a".repeat(30)),
            ("config.api_url", String::new()),
        ],
        "gotify" => vec![
            ("config.server_url", "https://push.example.com".into()),
            ("config.app_token", "AbCdEf.123".into()),
        ],
        "ntfy" => vec![
            ("config.server_url", String::new()),
            ("config.topic", "pharos-alerts-x7".into()),
            ("config.priority", "5".into()),
            ("config.tags", "prod\nweb".into()),
            ("config.access_token", String::new()),
        ],
        "matrix" => vec![
            ("config.homeserver", "https://matrix.example.org".into()),
            ("config.access_token", "syt_secret_abc".into()),
            ("config.room_id", "!room:example.org".into()),
        ],
        "pagerduty" => vec![
            ("config.routing_key", "r".repeat(32)),
            ("config.api_url", String::new()),
        ],
        "opsgenie" => vec![
            ("config.api_key", "0123-abcd-secret".into()),
            ("config.api_url", "https://api.eu.opsgenie.com".into()),
        ],
        other => panic!("no form for {other}"),
    };
    pairs
}

async fn every_kind_is_added_through_its_form(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let owner = app.user("kinds@example.com").await;
    let (status, html) = get_page(&app, &owner, "/channels").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("action=\"/channels/new\""), "{html}");
    let (status, html) = get_page(&app, &owner, "/channels/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("name=\"config."),
        "no kind, no fields: {html}"
    );
    let (status, html) = get_page(&app, &owner, "/channels/new?kind=carrier_pigeon").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"e-kind\""), "{html}");

    for kind in pharos_domain::ChannelKind::ALL {
        let (status, html) = get_page(
            &app,
            &owner,
            &format!("/channels/new?kind={}", kind.as_str()),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kind:?}");
        // Drawn from notify's table: every field, labelled.
        for field in pharos_notify::channels::form_fields(kind) {
            let name = format!("config.{}", field.key);
            assert!(
                html.contains(&format!("name=\"{name}\"")),
                "{kind:?} {name}"
            );
            assert!(
                html.contains(&format!("<label for=\"f-{name}\">{}</label>", field.label)),
                "{kind:?} {name}"
            );
        }
        let mut form = vec![
            ("kind", kind.as_str().to_owned()),
            ("name", format!("{} channel", kind.label())),
        ];
        form.extend(filled_form(kind.as_str(), "http://127.0.0.1:9/hook"));
        let (status, html) = post_page(&app, &owner, "/channels", &form).await;
        assert_eq!(status, StatusCode::CREATED, "{kind:?}: {html}");
        assert!(html.contains("Channel added."), "{kind:?}");
        assert_eq!(
            html.contains("Signing secret"),
            kind == pharos_domain::ChannelKind::Webhook,
            "{kind:?}"
        );
    }

    let (_, listed) = json_of(app.get(&owner, "/api/v1/channels").await).await;
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items.len(), 14, "{listed}");
    let config = |kind: &str| {
        items
            .iter()
            .find(|c| c["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"))["config"]
            .clone()
    };
    assert_eq!(
        config("email"),
        json!({"to": ["ops@example.com", "oncall@example.com"], "include_history": true})
    );
    assert_eq!(
        config("webhook"),
        json!({"url": "http://127.0.0.1:9/…", "headers": {"Authorization": "••••"},
               "signing_secret": "••••"})
    );
    for chat in ["slack", "discord", "teams", "google_chat", "mattermost"] {
        assert_eq!(
            config(chat),
            json!({"url": "https://hooks.example.com/…"}),
            "{chat}"
        );
    }
    assert_eq!(
        config("telegram"),
        json!({"bot_token": "••••", "chat_id": "-1001234567890",
               "api_url": "https://api.telegram.org"})
    );
    assert_eq!(
        config("pushover"),
        json!({"user_key": "••••", "app_token": "••••", "api_url": "https://api.pushover.net"})
    );
    assert_eq!(
        config("gotify"),
        json!({"server_url": "https://push.example.com", "app_token": "••••"})
    );
    assert_eq!(
        config("ntfy"),
        json!({"server_url": "https://ntfy.sh", "topic": "••••", "priority": 5,
               "tags": ["prod", "web"]})
    );
    assert_eq!(
        config("matrix"),
        json!({"homeserver": "https://matrix.example.org", "access_token": "••••",
               "room_id": "!room:example.org"})
    );
    assert_eq!(
        config("pagerduty"),
        json!({"routing_key": "••••", "api_url": "https://events.pagerduty.com"})
    );
    assert_eq!(
        config("opsgenie"),
        json!({"api_key": "••••", "api_url": "https://api.eu.opsgenie.com"})
    );

    // Each edit form shows the secrets masked, never in clear, and saving
    // it as shown keeps the configuration.
    for item in items {
        let id = item["id"].as_str().expect("id");
        let (status, html) = get_page(&app, &owner, &format!("/channels/{id}/edit")).await;
        assert_eq!(status, StatusCode::OK);
        for secret in [
            "ABC-def_ghi",
            "uuuuuuuuuu",
            "s3cret",
            "k3y-of-the-hook",
            "AbCdEf",
            "pharos-alerts-x7",
            "syt_secret",
            "rrrrrrrrrr",
            "0123-abcd",
        ] {
            assert!(!html.contains(secret), "{}: {secret}", item["kind"]);
        }
        let kind: pharos_domain::ChannelKind = item["kind"]
            .as_str()
            .expect("kind")
            .parse()
            .expect("a kind");
        let mut form = vec![("name", format!("{} again", kind.label()))];
        for field in pharos_notify::channels::form_fields(kind) {
            let name = format!("config.{}", field.key);
            let key: &'static str = Box::leak(name.clone().into_boxed_str());
            let shown = match field.input {
                pharos_notify::channels::FormInput::Checkbox => {
                    if html.contains(&format!(
                        "name=\"{name}\" type=\"checkbox\" value=\"on\" checked"
                    )) {
                        "on".to_owned()
                    } else {
                        continue;
                    }
                }
                pharos_notify::channels::FormInput::List
                | pharos_notify::channels::FormInput::Headers => {
                    let start = html.find(&format!("name=\"{name}\"")).expect("textarea");
                    let open = html[start..].find(">\n").expect("open") + start + 2;
                    let close = html[open..].find("</textarea>").expect("close") + open;
                    html[open..close].replace("&#58;", ":")
                }
                _ => input_value(&html, &name),
            };
            form.push((key, shown));
        }
        let (status, html) = post_page(&app, &owner, &format!("/channels/{id}/edit"), &form).await;
        assert_eq!(status, StatusCode::OK, "{}: {html}", item["kind"]);
        assert!(html.contains("Channel saved."), "{}: {html}", item["kind"]);
        let (_, after) = json_of(app.get(&owner, format!("/api/v1/channels/{id}")).await).await;
        assert_eq!(after["config"], item["config"], "{}", item["kind"]);
        assert_eq!(after["name"], format!("{} again", kind.label()));
    }
}

async fn a_bad_channel_field_is_named_and_the_typed_values_kept(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let owner = app.user("typos@example.com").await;
    let (status, html) = post_page(
        &app,
        &owner,
        "/channels",
        &[
            ("kind", "email".into()),
            ("name", "Mail the team".into()),
            ("config.to", "ops@example.com\nnot an address".into()),
            ("config.include_history", "on".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains("id=\"e-config.to\"><span aria-hidden=\"true\">✕ </span>item 2: is not an email address"),
        "{html}"
    );
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"e-config.to h-config.to\""));
    assert!(
        html.contains("ops@example.com\nnot an address</textarea>"),
        "{html}"
    );
    assert!(html.contains("value=\"Mail the team\""), "{html}");
    assert!(html.contains("name=\"config.include_history\" type=\"checkbox\" value=\"on\" checked"));

    // The form's own refusals come all at once, by the field.
    let (status, html) = post_page(
        &app,
        &owner,
        "/channels",
        &[
            ("kind", "pushover".into()),
            ("name", String::new()),
            ("config.user_key", String::new()),
            ("config.app_token", "a".repeat(30)),
            ("config.api_url", "https://po.example.com".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"e-name\""), "{html}");
    assert!(
        html.contains("id=\"e-config.user_key\"><span aria-hidden=\"true\">✕ </span>is required"),
        "{html}"
    );
    assert!(html.contains("value=\"https://po.example.com\""), "{html}");
    // And the configuration's rules, naming theirs.
    let (status, html) = post_page(
        &app,
        &owner,
        "/channels",
        &[
            ("kind", "pushover".into()),
            ("name", "Phones".into()),
            ("config.user_key", "too-short".into()),
            ("config.app_token", "a".repeat(30)),
            ("config.api_url", String::new()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"e-config.user_key\"><span aria-hidden=\"true\">✕ </span>must be 30 letters and digits"),
        "{html}"
    );
    assert!(html.contains("value=\"Phones\""), "{html}");
    let (_, listed) = json_of(app.get(&owner, "/api/v1/channels").await).await;
    assert_eq!(listed["items"], json!([]), "nothing was made");
}

async fn editing_a_webhook_keeps_its_masked_secrets(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let owner = app.user("edits@example.com").await;
    let hook = Receiver::start(vec![]).await;
    let (status, html) = post_page(
        &app,
        &owner,
        "/channels",
        &[
            ("kind", "webhook".into()),
            ("name", "ops hook".into()),
            ("config.url", hook.url.clone()),
            (
                "config.headers",
                "Authorization: Bearer s3cret-token".into(),
            ),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{html}");
    let marker = "<code class=\"secret\">";
    let start = html.find(marker).expect("the secret, once") + marker.len();
    let secret = html[start..start + 64].to_owned();
    let (_, listed) = json_of(app.get(&owner, "/api/v1/channels").await).await;
    let id = listed["items"][0]["id"].as_str().expect("id").to_owned();

    let (status, html) = get_page(&app, &owner, &format!("/channels/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    let masked_url = input_value(&html, "config.url");
    assert!(
        masked_url.ends_with("/…") && !masked_url.contains("/hook"),
        "{masked_url}"
    );
    assert!(html.contains("Authorization: ••••</textarea>"), "{html}");
    assert!(!html.contains("s3cret") && !html.contains(&secret));

    // A header added with the mask for its value is refused by the field,
    // the typed text kept.
    let (status, html) = post_page(
        &app,
        &owner,
        &format!("/channels/{id}/edit"),
        &[
            ("name", "ops hook".into()),
            ("config.url", masked_url.clone()),
            ("config.headers", "Authorization: ••••\nX-New: ••••".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"e-config.headers\""), "{html}");
    assert!(
        html.contains("X-New: is new: give its value, not the mask"),
        "{html}"
    );
    assert!(
        html.contains("Authorization: ••••\nX-New: ••••</textarea>"),
        "{html}"
    );

    // Saved with the secrets left masked, a header added and the name
    // changed: the URL, the header and the signing secret are kept.
    let (status, html) = post_page(
        &app,
        &owner,
        &format!("/channels/{id}/edit"),
        &[
            ("name", "renamed hook".into()),
            ("config.url", masked_url),
            ("config.headers", "Authorization: ••••\nX-Team: ops".into()),
            ("is_default", "on".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Channel saved."), "{html}");
    assert!(html.contains("renamed hook"), "{html}");
    let (status, html) = post_page(&app, &owner, &format!("/channels/{id}/test"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("delivered: the service answered 200"),
        "{html}"
    );
    let seen = hook.seen();
    assert_eq!(seen.len(), 1);
    let header = |name: &str| {
        seen[0]
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(
        header("authorization").as_deref(),
        Some("Bearer s3cret-token")
    );
    assert_eq!(header("x-team").as_deref(), Some("ops"));
    verify_signature(&seen[0], &secret);
    let (_, one) = json_of(app.get(&owner, format!("/api/v1/channels/{id}")).await).await;
    assert_eq!(one["is_default"], true);
}

async fn the_target_form_saves_alert_settings_and_channels(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let owner = app.user("target-alerts@example.com").await;
    let (ops, _) = webhook(&app, &owner, "https://hooks.example.com/ops", true).await;
    let (db, _) = webhook(&app, &owner, "https://hooks.example.com/db", false).await;
    let stranger = app.user("stranger@example.com").await;
    let (theirs, _) = webhook(&app, &stranger, "https://hooks.example.com/x", false).await;

    let (status, html) = get_page(&app, &owner, "/targets/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("id=\"f-alerts_default\" name=\"alerts_default\" type=\"checkbox\" value=\"on\" checked"),
        "{html}"
    );
    assert!(
        html.contains(&format!("value=\"{ops}\"")) && html.contains(&format!("value=\"{db}\""))
    );
    assert!(
        !html.contains(&theirs),
        "another organization's channel is offered"
    );
    assert!(
        html.contains("the organization's default channels (hook)"),
        "{html}"
    );

    let target = |extra: &[(&'static str, String)]| {
        let mut form: Vec<(&'static str, String)> = vec![
            ("kind", "http".into()),
            ("name", "api".into()),
            ("url", "https://example.com/".into()),
            ("interval_seconds", "300".into()),
            ("timeout_seconds", "10".into()),
            ("alerts_part", "on".into()),
        ];
        form.extend_from_slice(extra);
        form
    };
    // A period out of range is refused by its field, nothing made.
    let (status, html) = post_page(
        &app,
        &owner,
        "/targets/new",
        &target(&[
            ("alert_type", "repeated".into()),
            ("repeat_minutes", "0".into()),
            ("channel_ids", db.clone()),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"e-repeat_minutes\""), "{html}");
    assert!(
        html.contains("name=\"repeat_minutes\" type=\"number\" min=\"1\" max=\"1440\" value=\"0\""),
        "{html}"
    );
    assert!(
        html.contains(&format!("value=\"{db}\" checked")),
        "the ticked channel stays ticked"
    );
    let (_, listed) = json_of(app.get(&owner, "/api/v1/targets").await).await;
    assert_eq!(listed["items"], json!([]));

    let answer = owner
        .post(app.url("/targets/new"))
        .form(&target(&[
            ("alert_type", "repeated".into()),
            ("repeat_minutes", "15".into()),
            ("on_degraded", "on".into()),
            ("channel_ids", db.clone()),
        ]))
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status(), StatusCode::OK);
    let id = answer
        .url()
        .path()
        .strip_prefix("/targets/")
        .expect("the target's page")
        .to_owned();
    let (_, alerts) = json_of(
        app.get(&owner, format!("/api/v1/targets/{id}/alerts"))
            .await,
    )
    .await;
    assert_eq!(alerts["uses_organization_defaults"], false, "{alerts}");
    assert_eq!(
        alerts["settings"],
        json!({"alert_type": "repeated", "repeat_minutes": 15, "on_restored": false,
               "on_degraded": true, "include_history": false})
    );
    let (_, view) = json_of(app.get(&owner, format!("/api/v1/targets/{id}")).await).await;
    assert_eq!(view["channel_ids"], json!([db]));

    // The edit form shows them; saving it back to the organization's
    // settings and no channel of its own is kept too.
    let (status, html) = get_page(&app, &owner, &format!("/targets/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("name=\"alerts_default\" type=\"checkbox\" value=\"on\" aria-describedby"),
        "{html}"
    );
    assert!(html.contains("value=\"15\""), "{html}");
    assert!(html.contains(&format!("value=\"{db}\" checked")), "{html}");
    assert!(
        !html.contains(&format!("value=\"{ops}\" checked")),
        "{html}"
    );
    let (status, html) = post_page(
        &app,
        &owner,
        &format!("/targets/{id}/edit"),
        &target(&[
            ("alerts_default", "on".into()),
            ("alert_type", "once".into()),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Target saved."), "{html}");
    let (_, alerts) = json_of(
        app.get(&owner, format!("/api/v1/targets/{id}/alerts"))
            .await,
    )
    .await;
    assert_eq!(alerts["uses_organization_defaults"], true, "{alerts}");
    let (_, view) = json_of(app.get(&owner, format!("/api/v1/targets/{id}")).await).await;
    assert_eq!(view["channel_ids"], json!([]));

    // Another organization's channel is refused by the field.
    let (status, html) = post_page(
        &app,
        &owner,
        &format!("/targets/{id}/edit"),
        &target(&[
            ("alerts_default", "on".into()),
            ("alert_type", "once".into()),
            ("channel_ids", theirs.clone()),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"e-channel_ids\""), "{html}");
    assert!(
        html.contains("is no channel of this organization"),
        "{html}"
    );
}

async fn the_incidents_page_lists_incidents_and_their_alerts(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let owner = app.user("incidents@example.com").await;
    let hook = Receiver::start(vec![]).await;
    let (_, _) = webhook(&app, &owner, &hook.url, true).await;
    let (status, html) = get_page(&app, &owner, "/incidents").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("href=\"/incidents\" aria-current=\"page\""),
        "in the navigation: {html}"
    );
    assert!(html.contains("No incidents"), "{html}");

    // One incident opened and closed, told down and up; then another
    // target's, still open.
    let sender = start_sender(&app, "sender-1", SenderSettings::default());
    let (closed, closed_ping) = heartbeat(&app, &owner, &[]).await;
    ping(&app, &format!("{closed_ping}/fail")).await;
    wait_for(Duration::from_secs(10), "the down alert", || {
        hook.seen().len() == 1
    })
    .await;
    ping(&app, &closed_ping).await;
    wait_for(Duration::from_secs(10), "the up alert", || {
        hook.seen().len() == 2
    })
    .await;
    let (open, open_ping) = heartbeat(&app, &owner, &[]).await;
    ping(&app, &format!("{open_ping}/fail")).await;
    wait_for(Duration::from_secs(10), "the second down alert", || {
        hook.seen().len() == 3
    })
    .await;
    // The sender records each attempt right after the answer.
    tokio::time::sleep(Duration::from_millis(300)).await;
    sender.stop().await;

    // Another organization's incident.
    let stranger = app.user("other-incidents@example.com").await;
    let (theirs, their_ping) = heartbeat(&app, &stranger, &[]).await;
    ping(&app, &format!("{their_ping}/fail")).await;

    let (status, html) = get_page(&app, &owner, "/incidents").await;
    assert_eq!(status, StatusCode::OK);
    let open_at = html
        .find(&format!("href=\"/targets/{open}\""))
        .expect("the open one");
    let closed_at = html
        .find(&format!("href=\"/targets/{closed}\""))
        .expect("the closed one");
    assert!(open_at < closed_at, "open incidents come first");
    assert!(!html.contains(&theirs), "another organization's incident");
    assert_eq!(html.matches("<tr class=\"open\">").count(), 1, "{html}");
    assert!(html.matches(" ongoing</span>").count() == 1, "{html}");
    let closed_row = &html[closed_at..];
    let closed_row = &closed_row[..closed_row.find("</tr>").expect("row end")];
    assert!(
        closed_row.contains("down to hook (Webhook), <span class=\"sent-ok\">delivered</span>"),
        "{closed_row}"
    );
    assert!(
        closed_row.contains("up to hook (Webhook), <span class=\"sent-ok\">delivered</span>"),
        "{closed_row}"
    );
    let open_row = &html[open_at..closed_at];
    assert!(
        open_row.contains("down to hook (Webhook), <span class=\"sent-ok\">delivered</span>"),
        "{open_row}"
    );
    assert!(!open_row.contains("up to hook"), "{open_row}");

    let (status, html) = get_page(&app, &stranger, "/incidents").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("href=\"/targets/{theirs}\"")),
        "{html}"
    );
    assert!(!html.contains(&open) && !html.contains(&closed), "{html}");
    assert!(
        html.contains("<span class=\"hint\">none</span>"),
        "nothing was sent for theirs: {html}"
    );
}

async fn alert_settings_forms_save_the_defaults_and_a_targets_own(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let owner = app.user("forms@example.com").await;
    let post = |path: String, form: Vec<(&'static str, &'static str)>| {
        let owner = owner.clone();
        let url = app.url(&path);
        async move {
            let answer = owner.post(url).form(&form).send().await.expect("post");
            (answer.status(), answer.text().await.expect("body"))
        }
    };
    let (status, html) = post(
        "/settings/alerts".to_owned(),
        vec![
            ("alert_type", "none"),
            ("repeat_minutes", "60"),
            ("on_restored", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Alert settings saved."), "{html}");
    let (_, defaults) = json_of(app.get(&owner, "/api/v1/organization/alerts").await).await;
    assert_eq!(
        defaults,
        json!({"alert_type": "none", "repeat_minutes": null, "on_restored": true,
               "on_degraded": false, "include_history": false})
    );

    let (id, _) = heartbeat(&app, &owner, &[]).await;
    let (_, html) = post(
        format!("/targets/{id}/alerts"),
        vec![("alert_type", "repeated"), ("repeat_minutes", "0")],
    )
    .await;
    assert!(html.contains("Alert settings not saved"), "{html}");
    let (_, html) = post(
        format!("/targets/{id}/alerts"),
        vec![
            ("alert_type", "repeated"),
            ("repeat_minutes", "15"),
            ("on_degraded", "on"),
        ],
    )
    .await;
    assert!(
        html.contains("This target has alert settings of its own."),
        "{html}"
    );
    let (_, own) = json_of(
        app.get(&owner, format!("/api/v1/targets/{id}/alerts"))
            .await,
    )
    .await;
    assert_eq!(own["uses_organization_defaults"], false);
    assert_eq!(own["settings"]["repeat_minutes"], 15);
    assert_eq!(own["settings"]["on_restored"], false);
    assert_eq!(own["settings"]["on_degraded"], true);
    let (_, html) = post(format!("/targets/{id}/alerts/reset"), vec![]).await;
    assert!(
        html.contains("follows the organization's alert settings"),
        "{html}"
    );
    let (_, own) = json_of(
        app.get(&owner, format!("/api/v1/targets/{id}/alerts"))
            .await,
    )
    .await;
    assert_eq!(own["uses_organization_defaults"], true);
    assert_eq!(own["settings"]["alert_type"], "none");
}

/// Plans a maintenance window over `targets` from `from` to `to`.
async fn maintenance(
    app: &TestApp,
    client: &Client,
    targets: &[&str],
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> String {
    let (status, body) = json_of(
        app.post_json(
            client,
            "/api/v1/maintenance",
            json!({"name": "planned work", "target_ids": targets,
                   "schedule": {"kind": "one_off", "starts_at": from, "ends_at": to}}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["active"], from <= chrono::Utc::now());
    body["id"].as_str().expect("id").to_owned()
}

async fn checks_of(app: &TestApp, client: &Client, target: &str) -> Vec<Value> {
    let (status, page) = json_of(
        app.get(client, format!("/api/v1/targets/{target}/checks?limit=100"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().expect("items").clone()
}

async fn maintenance_silences_a_failing_target_and_marks_its_history(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("maint@example.com").await;
    let hook = Receiver::start(vec![]).await;
    let (channel, _) = webhook(&app, &client, &hook.url, false).await;
    let (site, _failing) = switchable_site().await;
    let (status, target) = create(
        &app,
        &client,
        json!({"url": site, "name": "shop", "interval_seconds": 30, "timeout_seconds": 5,
               "channel_ids": [channel]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{target}");
    let id = target["id"].as_str().expect("id").to_owned();
    // Open now, over in 12 s: the first check falls inside, the next
    // (the target's next slot, within 30 s) after.
    let now = chrono::Utc::now();
    maintenance(
        &app,
        &client,
        &[&id],
        now - chrono::Duration::minutes(1),
        now + chrono::Duration::seconds(12),
    )
    .await;

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
            maintenance_refresh: Duration::from_millis(200),
            ..WorkerConfig::default()
        },
        shutdown.clone(),
    ));
    let sender = start_sender(&app, "sender-1", SenderSettings::default());

    let deadline = Instant::now() + Duration::from_secs(10);
    while checks_of(&app, &client, &id).await.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let held = checks_of(&app, &client, &id).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["is_up"], false);
    assert_eq!(held[0]["in_maintenance"], true);
    // A confirmed failure would have been re-checked within 200 ms.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(checks_of(&app, &client, &id).await.len(), 1);
    let (_, shown) = json_of(app.get(&client, format!("/api/v1/targets/{id}")).await).await;
    assert_eq!(shown["state"], "pending", "{shown}");
    let (_, incidents) = json_of(
        app.get(&client, format!("/api/v1/targets/{id}/incidents"))
            .await,
    )
    .await;
    assert_eq!(incidents["items"], json!([]));
    assert!(hook.seen().is_empty());

    // The window ends: the next failures are confirmed and told once. (The
    // target's next slot may still fall inside the window; the one after
    // cannot, so this takes up to two intervals.)
    wait_for(
        Duration::from_secs(75),
        "the down alert after the window",
        || hook.seen().len() == 1,
    )
    .await;
    assert_eq!(hook.events(), ["down"]);
    let after = checks_of(&app, &client, &id).await;
    // Newest first: the held checks are the oldest, and the confirming
    // pair after the window is not.
    let held = after.iter().filter(|c| c["in_maintenance"] == true).count();
    assert!((1..=2).contains(&held), "{after:?}");
    assert!(after.len() >= held + 2, "{after:?}");
    assert!(after[after.len() - held..]
        .iter()
        .all(|c| c["in_maintenance"] == true));
    assert!(after[..after.len() - held]
        .iter()
        .all(|c| c["in_maintenance"] == false && c["is_up"] == false));
    shutdown.cancel();
    let _ = worker.await;
    sender.stop().await;
}

async fn maintenance_holds_heartbeats_and_defers_reminders(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("maint-hb@example.com").await;
    let hook = Receiver::start(vec![]).await;
    webhook(&app, &client, &hook.url, true).await;
    let (id, ping_path) = heartbeat(&app, &client, &[]).await;
    let (status, body) = json_of(
        app.client_put(
            &client,
            &format!("/api/v1/targets/{id}/alerts"),
            json!({"alert_type": "repeated", "repeat_minutes": 5}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let now = chrono::Utc::now();
    let window = maintenance(
        &app,
        &client,
        &[&id],
        now - chrono::Duration::minutes(1),
        now + chrono::Duration::hours(1),
    )
    .await;
    // A failure reported inside the window moves nothing.
    ping(&app, &format!("{ping_path}/fail")).await;
    let checks = checks_of(&app, &client, &id).await;
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0]["in_maintenance"], true);
    let (_, shown) = json_of(app.get(&client, format!("/api/v1/targets/{id}")).await).await;
    assert_eq!(shown["state"], "pending", "{shown}");

    // Outside it, the failure is down at once and told.
    let answer = app
        .client()
        .delete(app.url(&format!("/api/v1/maintenance/{window}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "no session");
    let answer = client
        .delete(app.url(&format!("/api/v1/maintenance/{window}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(answer.status(), StatusCode::NO_CONTENT);
    let sender = start_sender(&app, "sender-1", SenderSettings::default());
    ping(&app, &format!("{ping_path}/fail")).await;
    wait_for(Duration::from_secs(10), "the down alert", || {
        hook.seen().len() == 1
    })
    .await;

    // A window over the open incident defers its reminders until it ends.
    let store = &*app.store;
    let later = chrono::Utc::now() + chrono::Duration::minutes(6);
    let window = maintenance(
        &app,
        &client,
        &[&id],
        chrono::Utc::now() - chrono::Duration::minutes(1),
        later + chrono::Duration::minutes(1),
    )
    .await;
    assert_eq!(remind(store, later).await.expect("remind"), 0);
    let answer = client
        .delete(app.url(&format!("/api/v1/maintenance/{window}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(answer.status(), StatusCode::NO_CONTENT);
    assert_eq!(remind(store, later).await.expect("remind"), 1);
    wait_for(Duration::from_secs(10), "the reminder", || {
        hook.seen().len() == 2
    })
    .await;
    sender.stop().await;
}

/// The body of a MIME message's part of this type, decoded.
fn mail_part(data: &[u8], mime: &str) -> String {
    let mail = mailparse::parse_mail(data).expect("MIME");
    mail.subparts
        .iter()
        .find(|p| p.ctype.mimetype == mime)
        .unwrap_or_else(|| panic!("a {mime} part"))
        .get_body()
        .expect("a decodable body")
}

async fn email_alerts_go_through_the_sender_to_a_real_smtp_server(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let client = app.user("mail@example.com").await;
    let server = SmtpServer::start().await;
    let (status, channel) = json_of(
        app.post_json(
            &client,
            "/api/v1/channels",
            json!({"kind": "email", "name": "on call", "is_default": true,
                   "config": {"to": ["ops@example.com", "oncall@example.com"], "include_history": true}}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let (id, ping_path) = heartbeat(&app, &client, &[]).await;
    let smtp = common::smtp_settings(&server);
    let sender = start_sender(
        &app,
        "sender-1",
        SenderSettings {
            smtp: Some(smtp),
            ..SenderSettings::default()
        },
    );
    ping(&app, &format!("{ping_path}/fail")).await;
    wait_for(Duration::from_secs(15), "the down email", || {
        server.received().len() == 1
    })
    .await;
    let down = &server.received()[0];
    assert_eq!(down.mail_from, "alerts@pharos.example.com");
    assert_eq!(down.recipients, ["ops@example.com", "oncall@example.com"]);
    let mail = mailparse::parse_mail(&down.data).expect("MIME");
    use mailparse::MailHeaderMap;
    assert_eq!(
        mail.headers.get_first_value("Subject").as_deref(),
        Some("DOWN - nightly backup - local - heartbeat")
    );
    let text = mail_part(&down.data, "text/plain");
    assert!(text.contains("nightly backup is down since"), "{text}");
    assert!(text.contains("the job reported a failure"), "{text}");
    assert!(
        text.contains(&format!("{}/targets/{id}", app.base)),
        "{text}"
    );
    assert!(text.contains("Last 24 hours"), "{text}");
    let html = mail_part(&down.data, "text/html");
    assert!(
        html.contains(&format!("<a href=\"{}/targets/{id}\">", app.base)),
        "{html}"
    );

    // Recovery: one UP mail, nothing twice.
    ping(&app, &ping_path).await;
    wait_for(Duration::from_secs(15), "the up email", || {
        server.received().len() == 2
    })
    .await;
    let received = server.received();
    let up = mailparse::parse_mail(&received[1].data).expect("MIME");
    assert_eq!(
        up.headers.get_first_value("Subject").as_deref(),
        Some("UP - nightly backup - local - heartbeat")
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.received().len(), 2);
    let sent = notifications(&app, &client, &id).await;
    assert!(sent.iter().all(|n| n["status"] == "delivered"), "{sent:?}");
    sender.stop().await;
}

pharos_storage::on_both_backends!(
    email_alerts_go_through_the_sender_to_a_real_smtp_server,
    maintenance_silences_a_failing_target_and_marks_its_history,
    maintenance_holds_heartbeats_and_defers_reminders,
    every_kind_is_added_through_its_form,
    a_bad_channel_field_is_named_and_the_typed_values_kept,
    editing_a_webhook_keeps_its_masked_secrets,
    the_target_form_saves_alert_settings_and_channels,
    the_incidents_page_lists_incidents_and_their_alerts,
    alert_settings_forms_save_the_defaults_and_a_targets_own,
    the_channels_page_adds_tests_and_deletes_a_channel,
    a_failing_target_alerts_each_channel_once_and_its_recovery_once,
    retries_after_a_500_and_a_timeout,
    a_429_retry_after_is_honoured,
    refusals_fail_at_once_and_tries_run_out,
    two_senders_never_deliver_one_notification_twice,
    a_failing_channel_does_not_delay_another,
    restored_alerts_come_once_and_follow_the_settings,
    repeated_alerts_remind_at_their_period_until_recovery,
    a_flapping_target_is_folded_into_one_summary,
    a_private_address_webhook_is_refused_by_default,
    channels_keep_secrets_and_tenants_apart,
);
