//! Faults a monitoring service must survive, with real `pharos` processes:
//! a worker killed with SIGKILL, PostgreSQL restarted mid-run, SIGTERM.

use pharos_domain::TargetCheck;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use pharos_storage::models::{NewAccount, NewTarget, Target};
use pharos_storage::prelude::*;
use pharos_storage::testing::{postgres_required, Backend, TestDatabase};

mod common;

use common::{assert_history, free_port, signal, slow_farm, spawn_pharos, wait_exit};

async fn seed(store: &dyn Store, farm: SocketAddr, count: usize, interval: u32) -> Vec<Target> {
    let (user, org) = store
        .create_account(NewAccount {
            email: "faults@example.com",
            password_hash: "-",
            organization_name: "Faults",
            now: Utc::now(),
        })
        .await
        .expect("account");
    let urls: Vec<String> = (0..count).map(|i| format!("http://{farm}/t{i}")).collect();
    let now = Utc::now();
    let batch: Vec<NewTarget<'_>> = urls
        .iter()
        .map(|url| {
            NewTarget::due_now(
                user.id,
                TargetCheck::http_get(url.to_owned()),
                interval,
                3,
                now,
            )
        })
        .collect();
    store.create_targets(org.id, &batch).await.expect("targets");
    store.targets(org.id).await.expect("list")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_with_sigkill_loses_its_claims_to_the_other() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let store: Arc<dyn Store> = pharos_storage::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let farm = slow_farm(Duration::from_millis(700)).await;
    let interval = 4;
    let targets = seed(&*store, farm, 30, interval).await;
    let dir = tempfile::tempdir().expect("dir");

    let mut doomed = spawn_pharos(&["worker"], &db.url, dir.path(), &[]);
    let mut survivor = spawn_pharos(&["worker"], &db.url, dir.path(), &[]);
    tokio::time::sleep(Duration::from_secs(7)).await;
    let killed_at = Utc::now();
    signal(&doomed, "KILL");
    wait_exit(&mut doomed, Duration::from_secs(5)).expect("the killed worker is gone");
    tokio::time::sleep(Duration::from_secs(16)).await;
    signal(&survivor, "TERM");
    let (took, status) =
        wait_exit(&mut survivor, Duration::from_secs(15)).expect("worker stops on SIGTERM");
    assert!(
        status.success(),
        "worker exit status {status:?} after {took:?}"
    );

    // Interval + lease (5 s) + the farm's delay and some slack.
    assert_history(
        &*store,
        &targets,
        interval,
        Duration::from_secs(u64::from(interval) + 5 + 3),
    )
    .await;
    // Work went on after the kill, for every target.
    for target in &targets {
        let newest = store
            .checks(target.organization_id, target.id, None, 1)
            .await
            .expect("checks");
        assert!(
            newest[0].checked_at > killed_at + chrono::Duration::seconds(8),
            "{} stopped being checked",
            target.url
        );
    }
}

/// A PostgreSQL server of the test's own, so restarting it leaves the
/// shared one alone.
struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl PrivatePostgres {
    fn find_bin() -> Option<PathBuf> {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|bin| bin.join("initdb").exists())
            .collect();
        versions.sort();
        versions.pop()
    }

    /// Commands run as the `postgres` user when we are root (initdb
    /// refuses root).
    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn start_new() -> Option<Self> {
        let bin = Self::find_bin()?;
        let dir = tempfile::tempdir().ok()?;
        let data = dir.path().join("data");
        let port = free_port();
        let pg = Self {
            bin,
            data,
            port,
            _dir: dir,
        };
        if is_root() {
            Command::new("chown")
                .args(["-R", "postgres"])
                .arg(pg._dir.path())
                .status()
                .ok()?;
        }
        let init = pg
            .command("initdb")
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(&pg.data)
            .stdout(Stdio::null())
            .status()
            .ok()?;
        if !init.success() {
            return None;
        }
        pg.start().then_some(pg)
    }

    fn start(&self) -> bool {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.data.display()
        );
        self.command("pg_ctl")
            .args(["-w", "-D"])
            .arg(&self.data)
            .args(["-o", &options, "-l"])
            .arg(self.data.join("log"))
            .arg("start")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn stop(&self) {
        let _ = self
            .command("pg_ctl")
            .args(["-w", "-m", "fast", "-D"])
            .arg(&self.data)
            .arg("stop")
            .stdout(Stdio::null())
            .status();
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"))
}

async fn ready_status(client: &reqwest::Client, base: &str) -> Option<u16> {
    client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_and_workers_recover_when_postgres_restarts() {
    let Some(pg) = PrivatePostgres::start_new() else {
        if postgres_required() {
            panic!("could not start a private PostgreSQL with initdb and pg_ctl");
        }
        eprintln!("\n!!! initdb/pg_ctl unavailable: the PostgreSQL restart test is SKIPPED\n");
        return;
    };
    let store: Arc<dyn Store> = pharos_storage::connect(&pg.url()).await.expect("connect");
    store.migrate().await.expect("migrate");
    let farm = slow_farm(Duration::from_millis(1500)).await;
    let interval = 2;
    let targets = seed(&*store, farm, 20, interval).await;
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let base = format!("http://{listen}");
    let mut server = spawn_pharos(
        &["serve"],
        &pg.url(),
        dir.path(),
        &[("PHAROS_LISTEN", &listen)],
    );
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    for _ in 0..100 {
        if ready_status(&client, &base).await == Some(200) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ready_status(&client, &base).await, Some(200));
    tokio::time::sleep(Duration::from_secs(5)).await;

    // Checks are in flight (the farm takes 1.5 s): stop the database.
    let stopped_at = Utc::now();
    pg.stop();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        ready_status(&client, &base).await,
        Some(503),
        "readiness reports the outage"
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        server.0.try_wait().expect("status").is_none(),
        "pharos survived the outage"
    );
    assert!(pg.start(), "restart PostgreSQL");
    let restarted_at = Utc::now();

    let mut ready = false;
    for _ in 0..150 {
        if ready_status(&client, &base).await == Some(200) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        ready,
        "the web server answers ready again without a restart"
    );
    tokio::time::sleep(Duration::from_secs(8)).await;
    signal(&server, "TERM");
    wait_exit(&mut server, Duration::from_secs(15)).expect("stops on SIGTERM");

    let checks = store
        .check_times(stopped_at - chrono::Duration::minutes(5), Utc::now())
        .await
        .expect("check times");
    let during = checks
        .iter()
        .filter(|(_, at)| *at >= stopped_at - chrono::Duration::seconds(2) && *at < restarted_at)
        .count();
    let after = checks
        .iter()
        .filter(|(_, at)| *at > restarted_at + chrono::Duration::seconds(2))
        .count();
    assert!(
        during > 0,
        "results of checks in flight during the outage were written afterwards"
    );
    assert!(
        after >= targets.len(),
        "checking resumed for every target ({after} checks after the restart)"
    );
    for target in &targets {
        let newest = store
            .checks(target.organization_id, target.id, None, 1)
            .await
            .expect("checks");
        assert!(
            newest[0].checked_at > restarted_at,
            "{} was not checked after the restart",
            target.url
        );
    }
}

#[test]
fn serve_stops_within_15_seconds_of_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("pharos.db").display());
    let listen = format!("127.0.0.1:{}", free_port());
    let mut server = spawn_pharos(&["serve"], &url, dir.path(), &[("PHAROS_LISTEN", &listen)]);
    // It prints the URL to open once it is listening.
    let mut stdout = std::io::BufReader::new(server.0.stdout.take().expect("stdout"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("read");
    assert!(line.contains("http://127.0.0.1:"), "{line}");
    signal(&server, "TERM");
    let (took, status) =
        wait_exit(&mut server, Duration::from_secs(15)).expect("exits within 15 s");
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(15));
}
