//! Running real `pharos` processes from the tests.

#![allow(dead_code)] // each test file uses its own share of these

pub mod agents;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pharos_storage::models::Target;
use pharos_storage::prelude::*;

pub const PHAROS: &str = env!("CARGO_BIN_EXE_pharos");

/// A pharos process, killed if the test ends before it does.
pub struct Pharos(pub Child);

impl Drop for Pharos {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

pub fn spawn_pharos(
    args: &[&str],
    database_url: &str,
    data_dir: &Path,
    extra: &[(&str, &str)],
) -> Pharos {
    let mut command = Command::new(PHAROS);
    command
        .args(args)
        .env("PHAROS_DATABASE_URL", database_url)
        .env("PHAROS_DATA_DIR", data_dir)
        .env("PHAROS_ALLOW_PRIVATE_TARGETS", "true")
        .env("PHAROS_LEASE_SECONDS", "5")
        .env("PHAROS_HOST_CONCURRENCY", "1000")
        .env("PHAROS_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (key, value) in extra {
        command.env(key, value);
    }
    Pharos(command.spawn().expect("start pharos"))
}

pub fn signal(child: &Pharos, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.0.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
}

/// Waits for the child to exit, up to `limit`; returns how long it took.
pub fn wait_exit(
    child: &mut Pharos,
    limit: Duration,
) -> Option<(Duration, std::process::ExitStatus)> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(Some(status)) = child.0.try_wait() {
            return Some((started.elapsed(), status));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(55_432)
}

/// Waits until `base` answers `/readyz` with 200, up to `limit`.
pub async fn wait_ready(client: &reqwest::Client, base: &str, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == reqwest::StatusCode::OK {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// A local server answering 200 after `delay`, so kills land mid-check.
pub async fn slow_farm(delay: Duration) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    let app = axum::Router::new().fallback(move || async move {
        tokio::time::sleep(delay).await;
        "ok"
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

/// Checks every target's stored history: consecutive checks never closer
/// than half an interval (no slot ran twice) and never further apart than
/// `max_gap` (no target went unchecked).
pub async fn assert_history(
    store: &dyn Store,
    targets: &[Target],
    interval: u32,
    max_gap: Duration,
) {
    for target in targets {
        let checks = store
            .checks(target.organization_id, target.id, None, 1000)
            .await
            .expect("checks");
        assert!(
            checks.len() >= 3,
            "{} was checked {} times",
            target.url,
            checks.len()
        );
        for pair in checks.windows(2) {
            let gap = (pair[0].checked_at - pair[1].checked_at)
                .to_std()
                .unwrap_or_default();
            assert!(
                gap >= Duration::from_millis(u64::from(interval) * 500 - 100),
                "{}: two checks {gap:?} apart (ran twice)",
                target.url
            );
            assert!(gap <= max_gap, "{}: unchecked for {gap:?}", target.url);
        }
    }
}

/// What a webhook receiver (an HTTP server on 127.0.0.1 the test
/// starts) saw: each request's delivery id and event,
/// and which were answered 200 (after `delay`).
#[derive(Clone, Default)]
pub struct Seen {
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
    pub answered: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

pub async fn receiver(delay: Duration) -> (String, Seen) {
    let seen = Seen::default();
    let state = seen.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let state = state.clone();
            async move {
                let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let id = json["delivery_id"].as_str().unwrap_or("?").to_owned();
                let event = json["event"].as_str().unwrap_or("?").to_owned();
                state
                    .requests
                    .lock()
                    .expect("lock")
                    .push((id.clone(), event));
                tokio::time::sleep(delay).await;
                state.answered.lock().expect("lock").push(id);
                "ok"
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/hook"), seen)
}
