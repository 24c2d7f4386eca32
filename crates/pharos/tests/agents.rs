//! Remote agents as real processes: `pharos serve` and `pharos agent`
//! children of the test, talking over HTTP on 127.0.0.1.
//!
//! - admission: a wrong secret is refused (and counted), an unknown UUID
//!   lands in the pending list, an approved one is admitted with the
//!   secret, a revoked token is refused at its next request;
//! - an agent's results survive a revocation and a server restart in its
//!   buffer and are delivered after, none lost and none doubled;
//! - an agent gone silent is marked offline, and a webhook channel hears
//!   once that it went offline and once that it is back;
//! - quorum with three agents on both backends: one failing location
//!   leaves the target degraded, two make it down with one incident,
//!   recovery closes it.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use pharos_domain::ids::{AgentId, OrganizationId, TargetId};
use pharos_domain::quorum::Quorum;
use pharos_domain::TargetCheck;
use pharos_storage::models::{NewTarget, TargetLocations};
use pharos_storage::prelude::*;
use pharos_storage::testing::{Backend, TestDatabase};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

mod common;

use common::{free_port, receiver, signal, spawn_pharos, wait_exit, wait_ready, Pharos, PHAROS};

const SECRET_KEY: &str = "a test instance secret key, long enough: 0123456789abcdef";
const AGENT_SECRET: &str = "correct-agent-secret-0123456789";
const EMAIL: &str = "owner@example.com";
const PASSWORD: &str = "correct horse battery";
/// The targets' interval in these tests (the API's minimum is 30 s; the
/// store takes any, so the tests need not wait that long).
const INTERVAL: u32 = 3;

fn start_server(db: &TestDatabase, data_dir: &Path, port: u16) -> Pharos {
    let listen = format!("127.0.0.1:{port}");
    spawn_pharos(
        &["serve"],
        &db.url,
        data_dir,
        &[
            ("PHAROS_LISTEN", listen.as_str()),
            ("PHAROS_SECRET_KEY", SECRET_KEY),
            ("PHAROS_AGENT_OFFLINE_SECONDS", "10"),
            ("PHAROS_AGENT_CONFIRM_FAILURES", "1"),
            // Alerts go to a receiver on 127.0.0.1 (an explicit setting,
            // never the default).
            ("PHAROS_ALLOW_PRIVATE_TARGETS", "true"),
        ],
    )
}

fn start_agent(base: &str, secret: &str, data_dir: &Path, allow_private: bool) -> Pharos {
    let child = Command::new(PHAROS)
        .arg("agent")
        .env("PHAROS_SERVER_URL", base)
        .env("PHAROS_AGENT_SECRET", secret)
        .env("PHAROS_DATA_DIR", data_dir)
        .env("PHAROS_AGENT_NAME", "test location")
        .env("PHAROS_AGENT_REFRESH_SECONDS", "1")
        .env(
            "PHAROS_AGENT_ALLOW_PRIVATE_TARGETS",
            if allow_private { "true" } else { "false" },
        )
        .env("PHAROS_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the agent");
    Pharos(child)
}

/// Stops a child with SIGTERM and waits for it.
fn stop(mut child: Pharos) {
    signal(&child, "TERM");
    assert!(
        wait_exit(&mut child, Duration::from_secs(15)).is_some(),
        "did not stop"
    );
}

/// The UUID an agent wrote in its data directory on first start.
async fn agent_uuid(dir: &Path) -> String {
    eventually("the agent's UUID file", Duration::from_secs(20), || async {
        std::fs::read_to_string(dir.join("agent-id"))
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    })
    .await
}

/// Polls `probe` until it answers, or fails the test after `limit`.
async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(started.elapsed() < limit, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn owner(base: &str) -> Client {
    let client = Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let registered = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({"email": EMAIL, "password": PASSWORD, "organization": "Acme"}))
        .send()
        .await
        .expect("register");
    assert_eq!(registered.status(), StatusCode::CREATED);
    let logged_in = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": EMAIL, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(logged_in.status(), StatusCode::OK);
    client
}

async fn get_json(client: &Client, url: &str) -> (StatusCode, Value) {
    let response = client.get(url).send().await.expect("get");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn set_secret(client: &Client, base: &str, allowed: &[&str]) {
    let response = client
        .put(format!("{base}/api/v1/agents/settings"))
        .json(&json!({"shared_secret": AGENT_SECRET, "allowed_uuids": allowed}))
        .send()
        .await
        .expect("settings");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["shared_secret"], json!("••••••••"), "masked: {body}");
}

/// The agent with this UUID among `/api/v1/agents` (approved and others).
async fn listed_agent(client: &Client, base: &str, uuid: &str) -> Option<Value> {
    let (_, page) = get_json(client, &format!("{base}/api/v1/agents")).await;
    page["items"]
        .as_array()?
        .iter()
        .find(|a| a["uuid"] == json!(uuid))
        .cloned()
}

async fn pending_uuids(client: &Client, base: &str) -> Vec<String> {
    let (_, page) = get_json(client, &format!("{base}/api/v1/agents/pending")).await;
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|a| a["uuid"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The checks of a target from one location, oldest first.
async fn checks_from(
    client: &Client,
    base: &str,
    target: TargetId,
    location: &str,
) -> Vec<DateTime<Utc>> {
    let (status, page) = get_json(
        client,
        &format!("{base}/api/v1/targets/{target}/checks?limit=1000"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut times: Vec<DateTime<Utc>> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|c| c["location_id"] == json!(location))
        .filter_map(|c| c["checked_at"].as_str()?.parse().ok())
        .collect();
    times.sort();
    times
}

/// No slot lost (no gap of one interval and a half) and none doubled
/// (none closer than half an interval).
fn assert_every_slot_once(times: &[DateTime<Utc>]) {
    let interval = i64::from(INTERVAL) * 1000;
    for pair in times.windows(2) {
        let gap = (pair[1] - pair[0]).num_milliseconds();
        assert!(gap > interval / 2, "two checks {gap} ms apart: {times:?}");
        assert!(
            gap < interval * 3 / 2,
            "a slot lost ({gap} ms gap): {times:?}"
        );
    }
}

/// A farm answering 200 on 127.0.0.1.
async fn farm() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    let app = axum::Router::new().fallback(|| async { "ok" });
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

/// A target checked by `agents` alone, every `INTERVAL` seconds.
async fn agents_target(
    store: &dyn Store,
    org: OrganizationId,
    farm: SocketAddr,
    agents: &[AgentId],
    quorum: Quorum,
) -> TargetId {
    let creds = store
        .user_credentials(EMAIL)
        .await
        .expect("read")
        .expect("owner");
    let target = store
        .create_target(
            org,
            NewTarget::due_now(
                creds.user.id,
                TargetCheck::http_get(format!("http://{farm}/")),
                INTERVAL,
                2,
                Utc::now(),
            ),
        )
        .await
        .expect("target");
    assert!(store
        .set_target_locations(
            org,
            target.id,
            TargetLocations {
                check_local: false,
                agents,
                quorum: Some(quorum),
            },
        )
        .await
        .expect("locations"));
    target.id
}

async fn organization(store: &dyn Store) -> OrganizationId {
    let creds = store
        .user_credentials(EMAIL)
        .await
        .expect("read")
        .expect("owner");
    store.memberships(creds.user.id).await.expect("memberships")[0]
        .organization
        .id
}

/// Starts an agent, approves its UUID from the pending list, and waits
/// until it is admitted; returns its id.
async fn approved_agent(
    client: &Client,
    base: &str,
    dir: &Path,
    allow_private: bool,
) -> (Pharos, AgentId) {
    let agent = start_agent(base, AGENT_SECRET, dir, allow_private);
    let uuid = agent_uuid(dir).await;
    eventually(
        "the agent in the pending list",
        Duration::from_secs(30),
        || async {
            pending_uuids(client, base)
                .await
                .contains(&uuid)
                .then_some(())
        },
    )
    .await;
    let approved = client
        .post(format!("{base}/api/v1/agents/pending/{uuid}/approve"))
        .send()
        .await
        .expect("approve");
    assert_eq!(approved.status(), StatusCode::OK);
    let body: Value = approved.json().await.expect("json");
    let id: AgentId = serde_json::from_value(body["id"].clone()).expect("id");
    (agent, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_are_admitted_revoked_and_keep_results_through_restarts() {
    let db = TestDatabase::create(Backend::Sqlite).await.expect("sqlite");
    let data = tempfile::tempdir().expect("dir");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = Client::new();
    let server = start_server(&db, data.path(), port);
    assert!(wait_ready(&http, &base, Duration::from_secs(30)).await);
    let client = owner(&base).await;
    set_secret(&client, &base, &[]).await;

    // A wrong secret: refused, counted, and nothing listed.
    let wrong_dir = tempfile::tempdir().expect("dir");
    let wrong = start_agent(
        &base,
        "wrong-secret-wrong-secret-000",
        wrong_dir.path(),
        true,
    );
    let wrong_uuid = agent_uuid(wrong_dir.path()).await;
    eventually(
        "a counted admission failure",
        Duration::from_secs(30),
        || async {
            let text = http
                .get(format!("{base}/metrics"))
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            text.lines()
                .any(|l| {
                    l.starts_with("pharos_agent_admission_failures_total") && !l.ends_with(" 0")
                })
                .then_some(())
        },
    )
    .await;
    stop(wrong);
    assert!(!pending_uuids(&client, &base).await.contains(&wrong_uuid));
    assert!(listed_agent(&client, &base, &wrong_uuid).await.is_none());

    // The protocol itself: a wrong secret is 401, an unknown UUID with the
    // right one is pending (202) and gets no token.
    let stranger = uuid::Uuid::new_v4();
    let admit = |secret: &'static str, uuid: uuid::Uuid| {
        let http = http.clone();
        let url = format!("{base}/agent/v1/admit");
        async move {
            http.post(url)
                .json(&json!({"uuid": uuid, "secret": secret, "name": "probe", "version": "t"}))
                .send()
                .await
                .expect("admit")
        }
    };
    assert_eq!(
        admit("not-the-secret-not-the-secret", stranger)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let pending = admit(AGENT_SECRET, stranger).await;
    assert_eq!(pending.status(), StatusCode::ACCEPTED);
    assert_eq!(
        pending.json::<Value>().await.expect("json")["status"],
        json!("pending")
    );
    assert!(pending_uuids(&client, &base)
        .await
        .contains(&stranger.to_string()));

    // The real agent: pending until approved, then admitted with the secret.
    let agent_dir = tempfile::tempdir().expect("dir");
    let (agent, agent_id) = approved_agent(&client, &base, agent_dir.path(), true).await;
    let store = pharos_storage::connect(&db.url).await.expect("store");
    let org = organization(&*store).await;
    let farm = farm().await;
    let target = agents_target(&*store, org, farm, &[agent_id], Quorum::Any).await;
    let location = agent_id.to_string();
    eventually("checks from the agent", Duration::from_secs(40), || async {
        (checks_from(&client, &base, target, &location).await.len() >= 2).then_some(())
    })
    .await;
    let (_, view) = get_json(&client, &format!("{base}/api/v1/targets/{target}")).await;
    assert_eq!(view["location_ids"], json!([location]), "{view}");
    assert_eq!(view["quorum"], json!("any"));

    // An allowed UUID is admitted at once; revoking it refuses its token
    // at its very next request, and its admission too.
    let allowed = uuid::Uuid::new_v4();
    let allowed_text = allowed.to_string();
    set_secret(&client, &base, &[allowed_text.as_str()]).await;
    let admitted = admit(AGENT_SECRET, allowed).await;
    assert_eq!(admitted.status(), StatusCode::OK);
    let admitted: Value = admitted.json().await.expect("json");
    let token = admitted["token"].as_str().expect("token").to_owned();
    let assignments = |token: String| {
        let http = http.clone();
        let url = format!("{base}/agent/v1/assignments");
        async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("pull")
                .status()
        }
    };
    assert_eq!(assignments(token.clone()).await, StatusCode::OK);
    let revoked = client
        .delete(format!(
            "{base}/api/v1/agents/{}",
            admitted["agent_id"].as_str().expect("id")
        ))
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(assignments(token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        admit(AGENT_SECRET, allowed).await.status(),
        StatusCode::FORBIDDEN
    );

    // The server restarts while the agent keeps checking: its results wait
    // in its buffer and arrive after, every slot once.
    stop(server);
    tokio::time::sleep(Duration::from_secs(u64::from(INTERVAL) * 3)).await;
    let server = start_server(&db, data.path(), port);
    assert!(wait_ready(&http, &base, Duration::from_secs(30)).await);
    let restarted_at = Utc::now();
    let times = eventually(
        "checks after the restart",
        Duration::from_secs(40),
        || async {
            let times = checks_from(&client, &base, target, &location).await;
            (times
                .last()
                .is_some_and(|t| *t > restarted_at + chrono::Duration::seconds(2)))
            .then_some(times)
        },
    )
    .await;
    assert!(times.len() >= 6, "{times:?}");
    assert_every_slot_once(&times);

    // Gone silent: offline after the setting (10 s here). On a busy
    // machine the restart above may already have kept it silent that
    // long (an earlier event, rightly): wait until it is back online,
    // then count only what the stop adds.
    let uuid = agent_uuid(agent_dir.path()).await;
    eventually("the agent online", Duration::from_secs(40), || async {
        let agent = listed_agent(&client, &base, &uuid).await?;
        agent["offline_since"].is_null().then_some(())
    })
    .await;
    // A default webhook channel hears of the agent going and coming back.
    let (hook, seen) = receiver(Duration::ZERO).await;
    let made = client
        .post(format!("{base}/api/v1/channels"))
        .json(&json!({"kind": "webhook", "name": "agents", "config": {"url": hook}, "is_default": true}))
        .send()
        .await
        .expect("create channel");
    assert_eq!(made.status(), StatusCode::CREATED);
    let offline_before = offline_events(&client, &base).await.len();
    stop(agent);
    eventually("the agent offline", Duration::from_secs(40), || async {
        let agent = listed_agent(&client, &base, &uuid).await?;
        (!agent["offline_since"].is_null()).then_some(())
    })
    .await;
    let offline = offline_events(&client, &base).await;
    assert_eq!(offline.len(), offline_before + 1, "{offline:?}");
    let newest = offline.last().expect("an offline event");
    assert_eq!(newest["target_id"], json!(target.to_string()));
    let told = |event: &'static str| {
        let seen = seen.clone();
        move || {
            let requests = seen.requests.lock().expect("lock");
            let count = requests.iter().filter(|(_, e)| e == event).count();
            std::future::ready((count > 0).then_some(count))
        }
    };
    let offline_alerts = eventually(
        "the agent_offline alert",
        Duration::from_secs(40),
        told("agent_offline"),
    )
    .await;
    assert_eq!(offline_alerts, 1);
    // Back: one `agent_online` alert to the same channel.
    let agent = start_agent(&base, AGENT_SECRET, agent_dir.path(), true);
    let online_alerts = eventually(
        "the agent_online alert",
        Duration::from_secs(40),
        told("agent_online"),
    )
    .await;
    assert_eq!(online_alerts, 1);
    stop(agent);
    stop(server);
}

/// The organization's `agent_offline` events, oldest first.
async fn offline_events(client: &Client, base: &str) -> Vec<Value> {
    let (_, feed) = get_json(client, &format!("{base}/api/v1/events?limit=1000")).await;
    feed["items"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"] == json!("agent_offline"))
        .cloned()
        .collect()
}

/// A target's state through the API.
async fn state_of(client: &Client, base: &str, target: TargetId) -> String {
    let (_, view) = get_json(client, &format!("{base}/api/v1/targets/{target}")).await;
    view["state"].as_str().unwrap_or_default().to_owned()
}

async fn incidents_of(client: &Client, base: &str, target: TargetId) -> Vec<Value> {
    let (_, page) = get_json(client, &format!("{base}/api/v1/targets/{target}/incidents")).await;
    page["items"].as_array().cloned().unwrap_or_default()
}

async fn quorum_of_three_agents(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let data = tempfile::tempdir().expect("dir");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = Client::new();
    let server = start_server(&db, data.path(), port);
    assert!(wait_ready(&http, &base, Duration::from_secs(30)).await);
    let client = owner(&base).await;
    set_secret(&client, &base, &[]).await;
    // Agent one may not reach private addresses: its checks of the farm
    // on 127.0.0.1 fail, so that location reports the target down.
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("dir")).collect();
    let (one, id1) = approved_agent(&client, &base, dirs[0].path(), false).await;
    let (two, id2) = approved_agent(&client, &base, dirs[1].path(), true).await;
    let (three, id3) = approved_agent(&client, &base, dirs[2].path(), true).await;
    let store = pharos_storage::connect(&db.url).await.expect("store");
    let org = organization(&*store).await;
    let farm = farm().await;
    let target = agents_target(&*store, org, farm, &[id1, id2, id3], Quorum::Majority).await;

    // One of three down: degraded, no incident.
    eventually(
        "degraded from one location",
        Duration::from_secs(40),
        || async { (state_of(&client, &base, target).await == "degraded").then_some(()) },
    )
    .await;
    assert!(incidents_of(&client, &base, target).await.is_empty());

    // Two of three: down, one incident.
    stop(two);
    let two = start_agent(&base, AGENT_SECRET, dirs[1].path(), false);
    eventually(
        "down from two locations",
        Duration::from_secs(40),
        || async { (state_of(&client, &base, target).await == "down").then_some(()) },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(u64::from(INTERVAL) * 2)).await;
    let incidents = incidents_of(&client, &base, target).await;
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert!(incidents[0]["closed_at"].is_null());

    // Recovery: both back to reaching the farm; the incident closes.
    stop(one);
    stop(two);
    let one = start_agent(&base, AGENT_SECRET, dirs[0].path(), true);
    let two = start_agent(&base, AGENT_SECRET, dirs[1].path(), true);
    eventually("up again", Duration::from_secs(40), || async {
        (state_of(&client, &base, target).await == "up").then_some(())
    })
    .await;
    let incidents = incidents_of(&client, &base, target).await;
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert!(!incidents[0]["closed_at"].is_null());
    for agent in [one, two, three] {
        stop(agent);
    }
    stop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quorum_of_three_agents_on_sqlite() {
    quorum_of_three_agents(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quorum_of_three_agents_on_postgres() {
    quorum_of_three_agents(Backend::Postgres).await;
}
