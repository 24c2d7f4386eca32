//! The many-machines topology, without containers: one `pharos migrate`,
//! two `pharos web` and two `pharos worker` processes from the built binary
//! on one fresh PostgreSQL database.
//!
//! It proves that either web replica serves any user (sign-up on one,
//! sign-in and sessions on the other), that targets made through either
//! are checked by the workers once per slot, that SIGKILL of a web replica
//! and a worker leaves the service working (the other worker takes the
//! killed one's targets within interval plus lease), and that a rolling
//! restart (SIGTERM, then start, one replica at a time) loses no check and
//! answers no request with a 5xx from the replica that stays.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{
    assert_history, free_port, signal, slow_farm, spawn_pharos, wait_exit, wait_ready, Pharos,
    PHAROS,
};
use pharos_storage::testing::{Backend, TestDatabase};
use serde_json::{json, Value};

const INTERVAL: u32 = 2;
const LEASE_SECONDS: u64 = 5;

struct Web {
    process: Pharos,
    base: String,
    listen: String,
}

/// Seconds a web replica keeps serving, unready, after SIGTERM.
const DRAIN_DELAY_SECONDS: u64 = 2;

fn start_web(url: &str, dir: &std::path::Path, listen: &str) -> Pharos {
    spawn_pharos(
        &["web"],
        url,
        dir,
        &[
            ("PHAROS_LISTEN", listen),
            (
                "PHAROS_DRAIN_DELAY_SECONDS",
                &DRAIN_DELAY_SECONDS.to_string(),
            ),
        ],
    )
}

/// After SIGTERM, during the drain delay: /readyz says 503 "draining"
/// while the replica still answers signed-in requests and /healthz.
async fn assert_draining(base: &str, cookie: &str) {
    let client = client();
    let mut readiness = None;
    for _ in 0..40 {
        let answer = client.get(format!("{base}/readyz")).send().await;
        if let Ok(answer) = answer {
            if answer.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE {
                readiness = Some(answer.json::<Value>().await.expect("readyz JSON"));
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let readiness = readiness.expect("/readyz answers 503 while draining");
    assert_eq!(readiness["status"], "draining", "{readiness}");
    let healthz = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(healthz.status(), reqwest::StatusCode::OK);
    let served = client
        .get(format!("{base}/api/v1/targets/status"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .expect("a request while draining");
    assert_eq!(served.status(), reqwest::StatusCode::OK);
}

async fn web(url: &str, dir: &std::path::Path) -> Web {
    let listen = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{listen}");
    let process = start_web(url, dir, &listen);
    assert!(
        wait_ready(&reqwest::Client::new(), &base, Duration::from_secs(20)).await,
        "web replica at {base} did not start"
    );
    Web {
        process,
        base,
        listen,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// The session cookie a login through `base` sets.
async fn login(client: &reqwest::Client, base: &str, account: &Value) -> String {
    let answer = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(account)
        .send()
        .await
        .expect("login");
    assert_eq!(answer.status(), reqwest::StatusCode::OK, "login on {base}");
    let cookie = answer
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    cookie
}

/// Requests `path` on `base` until `stop`, counting 5xx and failed
/// connections: the replica that stays during a restart must answer all.
fn hammer(
    base: String,
    cookie: String,
    stop: Arc<AtomicBool>,
) -> (tokio::task::JoinHandle<()>, Arc<AtomicU32>, Arc<AtomicU32>) {
    let served = Arc::new(AtomicU32::new(0));
    let failed = Arc::new(AtomicU32::new(0));
    let (s, f) = (served.clone(), failed.clone());
    let task = tokio::spawn(async move {
        let client = client();
        while !stop.load(Ordering::SeqCst) {
            let answer = client
                .get(format!("{base}/api/v1/targets/status"))
                .header(reqwest::header::COOKIE, &cookie)
                .send()
                .await;
            match answer {
                Ok(r) if r.status().is_success() => s.fetch_add(1, Ordering::SeqCst),
                _ => f.fetch_add(1, Ordering::SeqCst),
            };
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    (task, served, failed)
}

/// Restarts `replica` gracefully while the other one is hammered.
async fn rolling_restart(
    replica: &mut Web,
    other: &Web,
    url: &str,
    dir: &std::path::Path,
    cookie: &str,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let (task, served, failed) = hammer(other.base.clone(), cookie.to_owned(), stop.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    signal(&replica.process, "TERM");
    assert_draining(&replica.base, cookie).await;
    let (took, status) = wait_exit(
        &mut replica.process,
        Duration::from_secs(15 + DRAIN_DELAY_SECONDS),
    )
    .expect("web stops on SIGTERM");
    assert!(
        took >= Duration::from_secs(DRAIN_DELAY_SECONDS) / 2,
        "web closed after {took:?}, before its drain delay"
    );
    assert!(status.success(), "web exited {status:?} after {took:?}");
    replica.process = start_web(url, dir, &replica.listen);
    assert!(wait_ready(&client(), &replica.base, Duration::from_secs(20)).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    task.await.expect("hammer");
    assert_eq!(
        failed.load(Ordering::SeqCst),
        0,
        "{} answered a 5xx or dropped a request while {} restarted",
        other.base,
        replica.base
    );
    assert!(served.load(Ordering::SeqCst) > 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_web_and_two_worker_replicas_share_one_postgres() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let migrated = std::process::Command::new(PHAROS)
        .arg("migrate")
        .env("PHAROS_DATABASE_URL", &db.url)
        .env("PHAROS_DATA_DIR", dir.path())
        .output()
        .expect("migrate");
    assert!(migrated.status.success(), "{migrated:?}");

    let farm = slow_farm(Duration::from_millis(200)).await;
    let mut web_a = web(&db.url, dir.path()).await;
    let web_b = web(&db.url, dir.path()).await;

    // Signed up on A, signed in on B; a session made on B works on A.
    let client = client();
    let account = json!({"email": "replicas@example.com", "password": "a long passphrase"});
    let registered = client
        .post(format!("{}/api/v1/auth/register", web_a.base))
        .json(&account)
        .send()
        .await
        .expect("register");
    assert_eq!(registered.status(), reqwest::StatusCode::CREATED);
    let cookie = login(&client, &web_b.base, &account).await;
    for base in [&web_a.base, &web_b.base] {
        let me = client
            .get(format!("{base}/api/v1/auth/me"))
            .header(reqwest::header::COOKIE, &cookie)
            .send()
            .await
            .expect("me");
        assert_eq!(me.status(), reqwest::StatusCode::OK, "session on {base}");
    }

    // Targets through either replica.
    for i in 0..12 {
        let base = if i % 2 == 0 { &web_a.base } else { &web_b.base };
        let created = client
            .post(format!("{base}/api/v1/targets"))
            .header(reqwest::header::COOKIE, &cookie)
            .json(&json!({"url": format!("http://{farm}/t{i}"), "interval_seconds": 30, "timeout_seconds": 1}))
            .send()
            .await
            .expect("create");
        assert_eq!(
            created.status(),
            reqwest::StatusCode::CREATED,
            "target {i} on {base}"
        );
    }
    // The API's shortest interval is 30 s; a test that must watch many
    // slots shortens it in the database before the workers start.
    let pool = sqlx::PgPool::connect(&db.url).await.expect("pool");
    sqlx::query("UPDATE targets SET interval_seconds = $1")
        .bind(i32::try_from(INTERVAL).expect("small"))
        .execute(&pool)
        .await
        .expect("shorten the interval");
    let lease = LEASE_SECONDS.to_string();
    let worker_env = [("PHAROS_LEASE_SECONDS", lease.as_str())];
    let mut doomed_worker = spawn_pharos(&["worker"], &db.url, dir.path(), &worker_env);
    let mut worker = spawn_pharos(&["worker"], &db.url, dir.path(), &worker_env);
    tokio::time::sleep(Duration::from_secs(6)).await;

    // SIGKILL one web replica and one worker: the others carry on.
    signal(&web_a.process, "KILL");
    signal(&doomed_worker, "KILL");
    wait_exit(&mut web_a.process, Duration::from_secs(5)).expect("web A is gone");
    wait_exit(&mut doomed_worker, Duration::from_secs(5)).expect("worker is gone");
    let status = client
        .get(format!("{}/api/v1/targets/status", web_b.base))
        .header(reqwest::header::COOKIE, &cookie)
        .send()
        .await
        .expect("status");
    assert_eq!(status.status(), reqwest::StatusCode::OK);
    tokio::time::sleep(Duration::from_secs(u64::from(INTERVAL) + LEASE_SECONDS + 3)).await;

    // Rolling restart: A comes back, then each web replica restarts while
    // the other is asked, then the worker restarts beside a fresh one.
    web_a.process = start_web(&db.url, dir.path(), &web_a.listen);
    assert!(wait_ready(&client, &web_a.base, Duration::from_secs(20)).await);
    let mut web_b = web_b;
    rolling_restart(&mut web_a, &web_b, &db.url, dir.path(), &cookie).await;
    rolling_restart(&mut web_b, &web_a, &db.url, dir.path(), &cookie).await;
    let mut fresh_worker = spawn_pharos(&["worker"], &db.url, dir.path(), &worker_env);
    tokio::time::sleep(Duration::from_secs(2)).await;
    signal(&worker, "TERM");
    let (_, status) = wait_exit(&mut worker, Duration::from_secs(15)).expect("worker drains");
    assert!(status.success(), "worker exited {status:?}");
    worker = spawn_pharos(&["worker"], &db.url, dir.path(), &worker_env);
    tokio::time::sleep(Duration::from_secs(u64::from(INTERVAL) * 3)).await;
    for process in [
        &mut worker,
        &mut fresh_worker,
        &mut web_a.process,
        &mut web_b.process,
    ] {
        signal(process, "TERM");
        wait_exit(process, Duration::from_secs(15)).expect("stops on SIGTERM");
    }

    // Every slot once, and no target unchecked longer than interval plus
    // lease (the killed worker's claims), plus slack for a loaded machine.
    let store = pharos_storage::connect(&db.url).await.expect("connect");
    let org = store
        .organization_summaries()
        .await
        .expect("orgs")
        .remove(0)
        .organization
        .id;
    let targets = store.targets(org).await.expect("targets");
    assert_eq!(targets.len(), 12);
    let max_gap = Duration::from_secs(u64::from(INTERVAL) + LEASE_SECONDS + 3);
    assert_history(&*store, &targets, INTERVAL, max_gap).await;
}
