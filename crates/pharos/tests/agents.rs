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
//!
//! Network cuts between an agent and the server are in agents_network.rs
//! (network namespaces, root only); the helpers both use are in
//! common/agents.rs.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pharos_domain::ids::TargetId;
use pharos_domain::quorum::Quorum;
use pharos_storage::testing::{Backend, TestDatabase};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

mod common;

use common::agents::{
    agent_uuid, agents_target, approved_agent, checks_from, eventually, get_json, listed_agent,
    organization, owner, pending_uuids, set_secret, start_agent, start_server, stop, AGENT_SECRET,
    INTERVAL,
};
use common::{free_port, receiver, wait_ready};

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
    let target = agents_target(
        &*store,
        org,
        &format!("http://{farm}/"),
        &[agent_id],
        Quorum::Any,
    )
    .await;
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
    let target = agents_target(
        &*store,
        org,
        &format!("http://{farm}/"),
        &[id1, id2, id3],
        Quorum::Majority,
    )
    .await;

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
