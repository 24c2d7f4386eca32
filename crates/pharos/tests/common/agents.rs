//! Agents as real processes: starting `pharos serve` and `pharos agent`,
//! seeding an organization, approving agents and reading their checks
//! through the API. Shared by tests/agents.rs and tests/agents_network.rs.

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
use pharos_storage::testing::TestDatabase;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use super::{signal, spawn_pharos, wait_exit, Pharos, PHAROS};

pub const SECRET_KEY: &str = "a test instance secret key, long enough: 0123456789abcdef";
pub const AGENT_SECRET: &str = "correct-agent-secret-0123456789";
pub const EMAIL: &str = "owner@example.com";
pub const PASSWORD: &str = "correct horse battery";
/// The targets' interval in these tests (the API's minimum is 30 s; the
/// store takes any, so the tests need not wait that long).
pub const INTERVAL: u32 = 3;

/// `pharos serve` on 127.0.0.1:`port`, agents offline after 10 s of
/// silence.
pub fn start_server(db: &TestDatabase, data_dir: &Path, port: u16) -> Pharos {
    start_server_with_agent_listen(db, data_dir, port, None)
}

/// `pharos serve` on 127.0.0.1:`port`, with the agent endpoint also on
/// `agent_listen` (`PHAROS_AGENT_LISTEN`) when given.
pub fn start_server_with_agent_listen(
    db: &TestDatabase,
    data_dir: &Path,
    port: u16,
    agent_listen: Option<SocketAddr>,
) -> Pharos {
    let listen = format!("127.0.0.1:{port}");
    let agent_listen = agent_listen.map(|a| a.to_string());
    let mut env = vec![
        ("PHAROS_LISTEN", listen.as_str()),
        ("PHAROS_SECRET_KEY", SECRET_KEY),
        ("PHAROS_AGENT_OFFLINE_SECONDS", "10"),
        ("PHAROS_AGENT_CONFIRM_FAILURES", "1"),
        // Alerts go to a receiver on 127.0.0.1 (an explicit setting,
        // never the default).
        ("PHAROS_ALLOW_PRIVATE_TARGETS", "true"),
    ];
    if let Some(address) = agent_listen.as_deref() {
        env.push(("PHAROS_AGENT_LISTEN", address));
    }
    spawn_pharos(&["serve"], &db.url, data_dir, &env)
}

/// The command that runs `pharos agent` against `base`, inside the
/// network namespace `netns` when given (`ip netns exec` replaces itself
/// with the agent, so the child's pid is the agent's).
pub fn agent_command(
    netns: Option<&str>,
    base: &str,
    secret: &str,
    data_dir: &Path,
    allow_private: bool,
) -> Command {
    let mut command = match netns {
        Some(name) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", name, PHAROS]);
            c
        }
        None => Command::new(PHAROS),
    };
    command
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
        .stderr(Stdio::null());
    command
}

pub fn start_agent(base: &str, secret: &str, data_dir: &Path, allow_private: bool) -> Pharos {
    let child = agent_command(None, base, secret, data_dir, allow_private)
        .spawn()
        .expect("start the agent");
    Pharos(child)
}

/// Stops a child with SIGTERM and waits for it.
pub fn stop(mut child: Pharos) {
    signal(&child, "TERM");
    assert!(
        wait_exit(&mut child, Duration::from_secs(15)).is_some(),
        "did not stop"
    );
}

/// The UUID an agent wrote in its data directory on first start.
pub async fn agent_uuid(dir: &Path) -> String {
    eventually("the agent's UUID file", Duration::from_secs(20), || async {
        std::fs::read_to_string(dir.join("agent-id"))
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    })
    .await
}

/// Polls `probe` until it answers, or fails the test after `limit`.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
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

/// Registers the owner of a new organization and logs in.
pub async fn owner(base: &str) -> Client {
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

pub async fn get_json(client: &Client, url: &str) -> (StatusCode, Value) {
    let response = client.get(url).send().await.expect("get");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Sets the organization's shared secret and allowed UUIDs.
pub async fn set_secret(client: &Client, base: &str, allowed: &[&str]) {
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
pub async fn listed_agent(client: &Client, base: &str, uuid: &str) -> Option<Value> {
    let (_, page) = get_json(client, &format!("{base}/api/v1/agents")).await;
    page["items"]
        .as_array()?
        .iter()
        .find(|a| a["uuid"] == json!(uuid))
        .cloned()
}

pub async fn pending_uuids(client: &Client, base: &str) -> Vec<String> {
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

/// The checks of a target from one location, as the API shows them.
pub async fn check_views_from(
    client: &Client,
    base: &str,
    target: TargetId,
    location: &str,
) -> Vec<Value> {
    let (status, page) = get_json(
        client,
        &format!("{base}/api/v1/targets/{target}/checks?limit=1000"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|c| c["location_id"] == json!(location))
        .cloned()
        .collect()
}

/// When the checks of a target from one location ran, oldest first.
pub async fn checks_from(
    client: &Client,
    base: &str,
    target: TargetId,
    location: &str,
) -> Vec<DateTime<Utc>> {
    let mut times: Vec<DateTime<Utc>> = check_views_from(client, base, target, location)
        .await
        .iter()
        .filter_map(|c| c["checked_at"].as_str()?.parse().ok())
        .collect();
    times.sort();
    times
}

/// A target checked by `agents` alone at `url`, every `INTERVAL` seconds.
pub async fn agents_target(
    store: &dyn Store,
    org: OrganizationId,
    url: &str,
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
                TargetCheck::http_get(url.to_owned()),
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

/// The owner's organization.
pub async fn organization(store: &dyn Store) -> OrganizationId {
    let creds = store
        .user_credentials(EMAIL)
        .await
        .expect("read")
        .expect("owner");
    store.memberships(creds.user.id).await.expect("memberships")[0]
        .organization
        .id
}

/// Approves the agent started with data directory `dir` once its UUID is
/// in the pending list; returns its id.
pub async fn approve_pending_agent(client: &Client, base: &str, dir: &Path) -> AgentId {
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
    serde_json::from_value(body["id"].clone()).expect("id")
}

/// Starts an agent on 127.0.0.1 and approves it; returns it and its id.
pub async fn approved_agent(
    client: &Client,
    base: &str,
    dir: &Path,
    allow_private: bool,
) -> (Pharos, AgentId) {
    let agent = start_agent(base, AGENT_SECRET, dir, allow_private);
    let id = approve_pending_agent(client, base, dir).await;
    (agent, id)
}
