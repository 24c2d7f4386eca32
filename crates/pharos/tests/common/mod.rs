//! Running real `pharos` processes from the tests.

#![allow(dead_code)] // each test file uses its own share of these

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
