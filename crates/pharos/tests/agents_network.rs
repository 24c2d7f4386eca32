//! A network cut between an agent and its server, made for real: the test
//! creates a network namespace and a veth pair (`ip netns`, `ip link`,
//! from iproute2), runs `pharos agent` inside the namespace and `pharos
//! serve` outside, and takes the host end of the link down for a while.
//! The agent's target is an HTTP server inside the namespace, so its
//! checks go on succeeding during the cut. Then:
//!
//! - during the cut the server hears nothing from the agent (no check
//!   stored, its last_seen_at frozen) and marks it offline, while the
//!   agent keeps its results in its buffer on disk (the link stays down
//!   until the agent is offline and two more results are kept: about
//!   20 s, under `SLOT_HORIZON_SECONDS`);
//! - after the link is back the agent is online again, its buffer drains,
//!   and every slot of the target's grid from before the cut to after it
//!   has exactly one stored check from the agent (the slots the store
//!   keeps with them): none lost, none doubled, the cut's own included.
//!
//! Needs root (network namespaces) and python3 (the target). Without
//! root the test is skipped with a message, unless `CI=true`, where it
//! fails.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};
use pharos_domain::ids::TargetId;
use pharos_domain::quorum::Quorum;
use pharos_domain::schedule::next_slot;
use pharos_storage::testing::{Backend, TestDatabase};
use reqwest::Client;
use serde_json::Value;

mod common;

use common::agents::{
    agent_command, agent_uuid, agents_target, approve_pending_agent, check_views_from, eventually,
    listed_agent, organization, owner, set_secret, start_server_with_agent_listen, stop,
    AGENT_SECRET, INTERVAL,
};
use common::{free_port, wait_ready, Pharos};

/// The port of the target's HTTP server, on the namespace's loopback.
const TARGET_PORT: u16 = 8080;

/// Runs `ip` with `args`; the error says which command failed and why.
fn ip(args: &[&str]) -> Result<(), String> {
    let output = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `ip {}`: {e}", args.join(" ")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// A network namespace joined to the root one by a veth pair, with a /30
/// between them; both are removed when this is dropped (on panic too).
struct CutNamespace {
    name: String,
    /// The veth end left in the root namespace; the server's side.
    host_link: String,
    host_address: Ipv4Addr,
}

impl CutNamespace {
    /// Creates the namespace and its link. `index` tells apart the tests
    /// of one process; the pid tells apart processes, in the names and
    /// in the /30 picked from 10.213.0.0/16. `Err` when the namespace
    /// cannot be made (not root): the caller decides to skip.
    fn create(index: u32) -> Result<Self, String> {
        let pid = std::process::id();
        let name = format!("pharos-cut-{pid}-{index}");
        // Interface names hold 15 bytes: "pc" + a pid (7 digits at most) + 2.
        let host_link = format!("pc{pid}h{index}");
        let inner_link = format!("pc{pid}n{index}");
        let block = (pid.wrapping_mul(2).wrapping_add(index)) % 16_384;
        let [third, fourth] = [(block / 64) as u8, (block % 64 * 4) as u8];
        let host_address = Ipv4Addr::new(10, 213, third, fourth + 1);
        let inner_address = Ipv4Addr::new(10, 213, third, fourth + 2);
        // Left over by an earlier process with this pid that was killed
        // before its guard ran; none of it can belong to a live run.
        let _ = ip(&["link", "del", &host_link]);
        let _ = ip(&["netns", "del", &name]);
        ip(&["netns", "add", &name])?;
        let namespace = Self {
            name,
            host_link,
            host_address,
        };
        let host = format!("{host_address}/30");
        let inner = format!("{inner_address}/30");
        let ns = namespace.name.as_str();
        let link = namespace.host_link.as_str();
        for step in [
            vec![
                "link",
                "add",
                link,
                "type",
                "veth",
                "peer",
                "name",
                &inner_link,
            ],
            vec!["link", "set", &inner_link, "netns", ns],
            vec!["addr", "add", &host, "dev", link],
            vec!["link", "set", link, "up"],
            vec!["-n", ns, "addr", "add", &inner, "dev", &inner_link],
            vec!["-n", ns, "link", "set", &inner_link, "up"],
            vec!["-n", ns, "link", "set", "lo", "up"],
        ] {
            ip(&step).unwrap_or_else(|e| panic!("setting up the namespace: {e}"));
        }
        Ok(namespace)
    }

    /// A command that runs `program` inside the namespace.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name, program]);
        command
    }

    /// Takes the host end down: the agent's packets vanish without an
    /// answer, as on a cut cable (its own end stays up, without carrier).
    fn cut(&self) {
        ip(&["link", "set", &self.host_link, "down"]).expect("cut the link");
    }

    fn restore(&self) {
        ip(&["link", "set", &self.host_link, "up"]).expect("restore the link");
    }
}

impl Drop for CutNamespace {
    fn drop(&mut self) {
        // Deleting one end of a veth pair deletes both.
        if let Err(e) = ip(&["link", "del", &self.host_link]) {
            eprintln!("cleanup: {e}");
        }
        if let Err(e) = ip(&["netns", "del", &self.name]) {
            eprintln!("cleanup: {e}");
        }
    }
}

/// The namespace, or `None` (with a message) when this user cannot make
/// one; under `CI=true` that fails the test instead.
fn namespace_or_skip(index: u32) -> Option<CutNamespace> {
    match CutNamespace::create(index) {
        Ok(namespace) => Some(namespace),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("network namespaces are required under CI=true: {e}")
        }
        Err(e) => {
            eprintln!("skipped: network cuts need network namespaces (run as root): {e}");
            None
        }
    }
}

/// A child process killed and reaped when dropped.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An HTTP server answering 200 on the namespace's loopback, serving an
/// empty directory; returns once it listens.
fn target_server(namespace: &CutNamespace, root: &Path) -> ChildGuard {
    let port = TARGET_PORT.to_string();
    let mut child = namespace
        .command("python3")
        .args(["-u", "-m", "http.server", "--bind", "127.0.0.1"])
        .arg("--directory")
        .arg(root)
        .arg(&port)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start python3 -m http.server in the namespace");
    let stdout = child.stdout.take().expect("piped stdout");
    let guard = ChildGuard(child);
    // It prints "Serving HTTP on ..." once bound; reading blocks, so in a
    // thread, with a bound on the wait.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the target's HTTP server did not start");
    assert!(line.starts_with("Serving HTTP"), "target server: {line:?}");
    guard
}

/// Results waiting in the agent's buffer, as its state file in its data
/// directory counts them (saved at most once a second).
fn buffered(agent_dir: &Path) -> usize {
    std::fs::read(agent_dir.join("agent-state.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|state| state["buffered"].as_u64())
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0)
}

/// What the server has heard from the agent: its checks stored so far and
/// its last_seen_at.
async fn heard_from(
    client: &Client,
    base: &str,
    target: TargetId,
    location: &str,
    uuid: &str,
) -> (usize, Value) {
    let checks = check_views_from(client, base, target, location).await.len();
    let agent = listed_agent(client, base, uuid)
        .await
        .expect("the agent listed");
    (checks, agent["last_seen_at"].clone())
}

async fn agent_results_survive_a_network_cut(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    // Both backends' tests run at once in this process: one namespace each.
    let index = match backend {
        Backend::Sqlite => 0,
        Backend::Postgres => 1,
    };
    let Some(namespace) = namespace_or_skip(index) else {
        return;
    };
    let data = tempfile::tempdir().expect("dir");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // The agent reaches the server on the host end of the link only (the
    // test itself uses 127.0.0.1, which the cut leaves alone).
    let agent_listen = SocketAddr::from((namespace.host_address, free_port()));
    let agent_base = format!("http://{agent_listen}");
    let http = Client::new();
    let server = start_server_with_agent_listen(&db, data.path(), port, Some(agent_listen));
    assert!(wait_ready(&http, &base, Duration::from_secs(30)).await);
    let client = owner(&base).await;
    set_secret(&client, &base, &[]).await;

    let site = tempfile::tempdir().expect("dir");
    let _target_server = target_server(&namespace, site.path());
    let agent_dir = tempfile::tempdir().expect("dir");
    let agent = Pharos(
        agent_command(
            Some(&namespace.name),
            &agent_base,
            AGENT_SECRET,
            agent_dir.path(),
            true,
        )
        .spawn()
        .expect("start the agent in the namespace"),
    );
    let agent_id = approve_pending_agent(&client, &base, agent_dir.path()).await;
    let uuid = agent_uuid(agent_dir.path()).await;
    let store = pharos_storage::connect(&db.url).await.expect("store");
    let org = organization(&*store).await;
    let target_url = format!("http://127.0.0.1:{TARGET_PORT}/");
    let target = agents_target(&*store, org, &target_url, &[agent_id], Quorum::Any).await;
    let location = agent_id.to_string();
    eventually(
        "checks from the agent before the cut",
        Duration::from_secs(60),
        || async {
            (check_views_from(&client, &base, target, &location)
                .await
                .len()
                >= 3)
                .then_some(())
        },
    )
    .await;

    // The cut. The agent goes on checking and keeps its results; the
    // server, hearing nothing, marks it offline (10 s of silence here).
    namespace.cut();
    let cut_at = Utc::now();
    eventually(
        "results kept by the agent during the cut",
        Duration::from_secs(90),
        || async { (buffered(agent_dir.path()) >= 3).then_some(()) },
    )
    .await;
    eventually(
        "the server marking the silent agent offline",
        Duration::from_secs(90),
        || async {
            let agent = listed_agent(&client, &base, &uuid).await?;
            (!agent["offline_since"].is_null()).then_some(())
        },
    )
    .await;
    // Offline means no heartbeat for 10 s, so whatever was on its way
    // when the link went down has landed by now. From here until the link
    // is back, two more slots' results must stay with the agent and the
    // server must hear nothing: no check stored, last_seen_at unmoved.
    let frozen = heard_from(&client, &base, target, &location, &uuid).await;
    let kept_then = buffered(agent_dir.path());
    eventually(
        "two more results kept by the agent",
        Duration::from_secs(90),
        || async { (buffered(agent_dir.path()) >= kept_then + 2).then_some(()) },
    )
    .await;
    assert_eq!(
        heard_from(&client, &base, target, &location, &uuid).await,
        frozen,
        "the server heard from the agent through a cut link"
    );
    let kept = buffered(agent_dir.path());
    namespace.restore();
    let restored_at = Utc::now();
    let restored = std::time::Instant::now();

    // Back: online again, the buffer delivered, and checks of slots after
    // the cut stored too.
    eventually(
        "the agent online again",
        Duration::from_secs(90),
        || async {
            let agent = listed_agent(&client, &base, &uuid).await?;
            agent["offline_since"].is_null().then_some(())
        },
    )
    .await;
    let online_after = restored.elapsed();
    // The buffer only shrinks when the server has taken its results, so
    // empty once means everything kept through the cut was delivered.
    eventually(
        "the agent's buffer delivered",
        Duration::from_secs(90),
        || async { (buffered(agent_dir.path()) == 0).then_some(()) },
    )
    .await;
    let delivered_after = restored.elapsed();
    let after = restored_at + chrono::Duration::seconds(i64::from(INTERVAL) * 2);
    let views = eventually("a check after the cut", Duration::from_secs(90), || async {
        let views = check_views_from(&client, &base, target, &location).await;
        views
            .iter()
            .any(|c| {
                c["checked_at"]
                    .as_str()
                    .and_then(|t| t.parse::<DateTime<Utc>>().ok())
                    .is_some_and(|t| t > after)
            })
            .then_some(views)
    })
    .await;

    assert!(
        views.iter().all(|c| c["is_up"] == Value::Bool(true)),
        "the target inside the namespace stayed reachable: {views:?}"
    );
    let slots = db.agent_check_slots(target, agent_id).await;
    let (Some(&first), Some(&last)) = (slots.first(), slots.last()) else {
        panic!("no checks stored");
    };
    assert!(
        first < cut_at && last > restored_at,
        "checks from {first} to {last}, cut from {cut_at} to {restored_at}"
    );
    let mut grid = vec![first];
    while let Some(&previous) = grid.last().filter(|s| **s < last) {
        grid.push(next_slot(target, INTERVAL, previous));
    }
    assert_eq!(
        slots, grid,
        "every slot from {first} to {last} once (cut from {cut_at} to {restored_at})"
    );
    let in_cut = slots
        .iter()
        .filter(|s| **s > cut_at && **s < restored_at)
        .count();
    assert!(
        in_cut >= 3 && kept >= 3,
        "{in_cut} slots in the cut stored, {kept} kept by the agent at its end"
    );
    // For the record, not asserted (timings depend on the machine's load).
    eprintln!(
        "{backend:?}: link cut for {} s; {kept} results kept by the agent at its end; \
         {in_cut} slots in the cut and {} in all stored once each; online again \
         {online_after:.1?} after the link came back, buffer delivered {delivered_after:.1?} after",
        (restored_at - cut_at).num_seconds(),
        slots.len()
    );

    stop(agent);
    stop(server);
}

pharos_storage::on_both_backends!(agent_results_survive_a_network_cut);
