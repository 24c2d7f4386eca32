//! Alert delivery with real `pharos worker` processes on one PostgreSQL
//! database: two workers never deliver a notification twice, and a worker
//! killed with SIGKILL mid-delivery is taken over without repeating what
//! was delivered.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use pharos_app::sealing::{SealContext, Sealer};
use pharos_domain::ids::ChannelId;
use pharos_domain::{ChannelKind, TargetCheck};
use pharos_notify::channels::ChannelConfig;
use pharos_storage::models::{NewAccount, NewChannel, NewTarget, Organization};
use pharos_storage::prelude::*;
use pharos_storage::testing::{Backend, TestDatabase};

mod common;

use common::{receiver, signal, spawn_pharos, Pharos};

const SECRET: &str = "a test instance secret key, long enough: 0123456789abcdef";

/// A farm that fails until told otherwise.
async fn farm() -> (SocketAddr, Arc<AtomicBool>) {
    let failing = Arc::new(AtomicBool::new(true));
    let flag = failing.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    let app = axum::Router::new().fallback(move || {
        let failing = flag.load(Ordering::SeqCst);
        async move {
            if failing {
                axum::http::StatusCode::INTERNAL_SERVER_ERROR
            } else {
                axum::http::StatusCode::OK
            }
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (address, failing)
}

/// An organization with `count` targets on the farm and one default
/// webhook channel, sealed under the processes' secret key.
async fn seed(store: &dyn Store, farm: SocketAddr, hook: &str, count: usize) -> Organization {
    let (user, org) = store
        .create_account(NewAccount {
            email: "alerts@example.com",
            password_hash: "-",
            organization_name: "Alerts",
            now: Utc::now(),
        })
        .await
        .expect("account");
    let config = ChannelConfig::parse(ChannelKind::Webhook, serde_json::json!({ "url": hook }))
        .expect("config");
    let (public, secret) = config.split();
    let id = ChannelId::new();
    let sealed = Sealer::new(SECRET.as_bytes())
        .seal(
            SealContext::Channel {
                organization: org.id,
                channel: id,
            },
            &serde_json::to_vec(&secret).expect("json"),
        )
        .expect("seal");
    store
        .create_channel(
            org.id,
            NewChannel {
                id,
                kind: ChannelKind::Webhook,
                name: "hook",
                config: &public,
                sealed_secret: Some(&sealed),
                is_default: true,
                now: Utc::now(),
            },
        )
        .await
        .expect("channel");
    let urls: Vec<String> = (0..count).map(|i| format!("http://{farm}/t{i}")).collect();
    let now = Utc::now();
    let batch: Vec<NewTarget<'_>> = urls
        .iter()
        .map(|url| NewTarget::due_now(user.id, TargetCheck::http_get(url.to_owned()), 3, 2, now))
        .collect();
    store.create_targets(org.id, &batch).await.expect("targets");
    org
}

fn worker(db: &TestDatabase, dir: &Path, extra: &[(&str, &str)]) -> Pharos {
    let mut env = vec![
        ("PHAROS_SECRET_KEY", SECRET),
        ("PHAROS_CONFIRM_FAILURES", "1"),
        ("PHAROS_ALERT_TIMEOUT_SECONDS", "3"),
        ("PHAROS_ALERT_RETRY_BASE_SECONDS", "1"),
    ];
    env.extend_from_slice(extra);
    spawn_pharos(&["worker"], &db.url, dir, &env)
}

async fn wait_for(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < within, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_database_deliver_each_notification_once() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let store = pharos_storage::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let (hook, seen) = receiver(Duration::from_millis(200)).await;
    let (farm, failing) = farm().await;
    seed(&*store, farm, &hook, 12).await;
    let (one, two) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let _a = worker(&db, one.path(), &[]);
    let _b = worker(&db, two.path(), &[]);

    let count = |event: &str| {
        seen.requests
            .lock()
            .expect("lock")
            .iter()
            .filter(|(_, e)| e == event)
            .count()
    };
    wait_for(Duration::from_secs(60), "12 down alerts", || {
        count("down") >= 12
    })
    .await;
    failing.store(false, Ordering::SeqCst);
    wait_for(Duration::from_secs(60), "12 up alerts", || {
        count("up") >= 12
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let requests = seen.requests.lock().expect("lock").clone();
    let mut times: HashMap<&str, usize> = HashMap::new();
    for (id, _) in &requests {
        *times.entry(id.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(requests.len(), 24, "{requests:?}");
    assert_eq!(count("down"), 12);
    assert_eq!(count("up"), 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_killed_with_sigkill_resumes_without_repeats() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let store = pharos_storage::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    // Slow answers, so the kill lands while one delivery is in flight.
    let (hook, seen) = receiver(Duration::from_millis(1500)).await;
    let (farm, _failing) = farm().await;
    seed(&*store, farm, &hook, 6).await;
    let dir = tempfile::tempdir().expect("dir");
    let short_lease = [("PHAROS_ALERT_LEASE_SECONDS", "12")];
    let doomed = worker(&db, dir.path(), &short_lease);
    wait_for(Duration::from_secs(60), "two answered deliveries", || {
        seen.answered.lock().expect("lock").len() >= 2
            && seen.requests.lock().expect("lock").len() >= 3
    })
    .await;
    signal(&doomed, "KILL");
    drop(doomed);
    let delivered_before: Vec<String> = seen.answered.lock().expect("lock").clone();
    let requests_before = seen.requests.lock().expect("lock").len();

    let _again = worker(&db, dir.path(), &short_lease);
    wait_for(Duration::from_secs(90), "every down alert", || {
        let answered = seen.answered.lock().expect("lock");
        let mut ids: Vec<_> = answered.iter().collect();
        ids.sort();
        ids.dedup();
        ids.len() >= 6
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let requests = seen.requests.lock().expect("lock").clone();
    // What was delivered (answered, and recorded) before the kill never
    // goes again; only a delivery cut off mid-way is tried once more.
    for id in &delivered_before {
        let times = requests.iter().filter(|(r, _)| r == id).count();
        assert_eq!(times, 1, "{id} was delivered again after the restart");
    }
    let mut ids: Vec<_> = requests.iter().map(|(id, _)| id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6, "{requests:?}");
    assert!(
        requests.len() <= 6 + (requests_before - delivered_before.len()),
        "more repeats than deliveries cut off: {requests:?}"
    );
}
