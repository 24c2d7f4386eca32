//! Workers against a real store and local HTTP servers: every due check
//! runs once, failures are confirmed before a target is down, incidents
//! open and close, results land in roll-ups.

use pharos_domain::TargetCheck;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use pharos_domain::event::EventType;
use pharos_domain::ids::OrganizationId;
use pharos_domain::status::{Confirmation, TargetState};
use pharos_domain::AddressPolicy;
use pharos_probes::{ProbeSettings, Prober};
use pharos_scheduler::{run_worker, WorkerConfig};
use pharos_storage::models::{NewAccount, NewTarget, Target};
use pharos_storage::prelude::*;
use pharos_storage::testing::{Backend, TestDatabase};
use tokio_util::sync::CancellationToken;

/// A local server that counts requests per path and answers 200, or 500
/// while `failing` is set.
#[derive(Clone, Default)]
struct Farm {
    hits: Arc<Mutex<HashMap<String, u32>>>,
    failing: Arc<AtomicBool>,
}

async fn start_farm() -> (SocketAddr, Farm) {
    let farm = Farm::default();
    let app = axum::Router::new()
        .route(
            "/{name}",
            axum::routing::get(
                |State(farm): State<Farm>, Path(name): Path<String>| async move {
                    if let Ok(mut hits) = farm.hits.lock() {
                        *hits.entry(name).or_default() += 1;
                    }
                    if farm.failing.load(Ordering::SeqCst) {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    }
                },
            ),
        )
        .with_state(farm.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (address, farm)
}

fn prober() -> Prober {
    let policy = AddressPolicy {
        allow_private: false,
        also_allow: vec!["127.0.0.1".parse().expect("ip")],
    };
    Prober::new(ProbeSettings::with_policy(policy)).expect("prober")
}

async fn seed(store: &dyn Store, farm: SocketAddr, count: usize, interval: u32) -> Vec<Target> {
    seed_with_timeout(store, farm, count, interval, 1).await
}

async fn seed_with_timeout(
    store: &dyn Store,
    farm: SocketAddr,
    count: usize,
    interval: u32,
    timeout: u32,
) -> Vec<Target> {
    let (user, org) = store
        .create_account(NewAccount {
            email: "ops@example.com",
            password_hash: "x",
            organization_name: "Ops",
            now: Utc::now(),
        })
        .await
        .expect("account");
    let mut targets = Vec::new();
    for i in 0..count {
        let url = format!("http://{farm}/t{i}");
        let target = store
            .create_target(
                org.id,
                NewTarget::due_now(
                    user.id,
                    TargetCheck::http_get(url.to_owned()),
                    interval,
                    timeout,
                    Utc::now(),
                ),
            )
            .await
            .expect("target");
        targets.push(target);
    }
    targets
}

fn config(id: &str) -> WorkerConfig {
    WorkerConfig {
        worker_id: id.to_owned(),
        idle_poll: Duration::from_millis(50),
        retry_after: Duration::from_secs(1),
        // Every farm target shares one host; the per-host cap is tested apart.
        per_host: 1_000,
        ..WorkerConfig::default()
    }
}

async fn two_workers_check_each_due_target_exactly_once(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let store = pharos_storage::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let (farm_addr, farm) = start_farm().await;
    let targets = seed(&*store, farm_addr, 40, 2).await;

    let shutdown = CancellationToken::new();
    let workers: Vec<_> = ["w1", "w2"]
        .into_iter()
        .map(|id| {
            tokio::spawn(run_worker(
                store.clone(),
                prober(),
                config(id),
                shutdown.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(6_500)).await;
    shutdown.cancel();
    for worker in workers {
        worker.await.expect("worker");
    }

    let hits = farm.hits.lock().expect("hits").clone();
    let org = targets[0].organization_id;
    for (i, target) in targets.iter().enumerate() {
        let checks = store
            .checks(org, target.id, None, 1000)
            .await
            .expect("checks");
        let served = hits.get(&format!("t{i}")).copied().unwrap_or(0) as usize;
        // Every request the farm saw became exactly one stored result.
        assert_eq!(
            checks.len(),
            served,
            "target {i}: stored {} vs served {served}",
            checks.len()
        );
        // First at once, then every 2 s on its grid: 3 or 4 in 6.5 s.
        assert!(
            (3..=4).contains(&checks.len()),
            "target {i} was checked {} times",
            checks.len()
        );
        // No slot ran twice: consecutive checks are about an interval apart.
        for pair in checks.windows(2) {
            let gap = (pair[0].checked_at - pair[1].checked_at).num_milliseconds();
            assert!(gap > 1_000, "target {i}: two checks {gap} ms apart");
        }
    }
}

async fn failures_are_confirmed_then_open_and_close_an_incident(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let store = pharos_storage::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let (farm_addr, farm) = start_farm().await;
    let target = seed(&*store, farm_addr, 1, 30).await.remove(0);
    let org = target.organization_id;
    let shutdown = CancellationToken::new();
    let worker_config = WorkerConfig {
        confirmation: Confirmation {
            failures_to_confirm: 2,
        },
        ..config("w")
    };
    let worker = tokio::spawn(run_worker(
        store.clone(),
        prober(),
        worker_config,
        shutdown.clone(),
    ));

    let wait_for = |state: TargetState| {
        let store = store.clone();
        async move {
            for _ in 0..100 {
                let t = store
                    .target(org, target.id)
                    .await
                    .expect("get")
                    .expect("found");
                if t.state == state {
                    return t;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("target never became {state:?}");
        }
    };
    wait_for(TargetState::Up).await;
    // Failing now: the first failure is re-checked (1 s later), not reported.
    farm.failing.store(true, Ordering::SeqCst);
    store
        .set_paused(org, target.id, true, Utc::now())
        .await
        .expect("pause");
    store
        .set_paused(org, target.id, false, Utc::now())
        .await
        .expect("resume");
    let down = wait_for(TargetState::Down).await;
    assert!(down.consecutive_failures >= 2);
    let checks = store
        .checks(org, target.id, None, 10)
        .await
        .expect("checks");
    let failures: Vec<_> = checks.iter().take_while(|c| !c.is_up).collect();
    assert!(failures.len() >= 2, "down only after two failures in a row");
    let gap = (failures[0].checked_at - failures[1].checked_at).num_milliseconds();
    assert!(
        gap < 10_000,
        "the confirmation re-check came soon, not a full interval later ({gap} ms)"
    );
    let incidents = store
        .incidents(org, target.id, 10)
        .await
        .expect("incidents");
    assert_eq!(incidents.len(), 1);
    assert!(incidents[0].closed_at.is_none());
    assert!(incidents[0].cause.contains("500"), "{}", incidents[0].cause);

    // Recovery closes it.
    farm.failing.store(false, Ordering::SeqCst);
    store
        .set_paused(org, target.id, true, Utc::now())
        .await
        .expect("pause");
    store
        .set_paused(org, target.id, false, Utc::now())
        .await
        .expect("resume");
    wait_for(TargetState::Up).await;
    let incidents = store
        .incidents(org, target.id, 10)
        .await
        .expect("incidents");
    assert!(incidents[0].closed_at.is_some());

    shutdown.cancel();
    worker.await.expect("worker");
    let rollups = store
        .rollups(org, target.id, 900, Utc::now() - chrono::Duration::hours(1))
        .await
        .expect("rollups");
    let total: u64 = rollups.iter().map(|b| b.rollup.checks).sum();
    assert_eq!(
        total as usize,
        store
            .checks(org, target.id, None, 1000)
            .await
            .expect("checks")
            .len()
    );
}

/// A server that answers after `delay`.
async fn slow_server(delay: Duration) -> SocketAddr {
    let app = axum::Router::new().fallback(move || async move {
        tokio::time::sleep(delay).await;
        "slow"
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

async fn one_organizations_slow_targets_do_not_delay_another(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let store = pharos_storage::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    // Organization A: 40 targets on a host that takes 3 s, due first.
    let slow = slow_server(Duration::from_secs(3)).await;
    let crowded = seed_with_timeout(&*store, slow, 40, 60, 10).await;
    // Organization B: 5 targets on a fast host, due a moment later.
    let (fast, _) = start_farm().await;
    let (user, org_b) = store
        .create_account(NewAccount {
            email: "b@example.com",
            password_hash: "x",
            organization_name: "B",
            now: Utc::now(),
        })
        .await
        .expect("account");
    for i in 0..5 {
        let url = format!("http://{fast}/b{i}");
        store
            .create_target(
                org_b.id,
                NewTarget::due_now(
                    user.id,
                    TargetCheck::http_get(url.to_owned()),
                    60,
                    5,
                    Utc::now(),
                ),
            )
            .await
            .expect("target");
    }
    let shutdown = CancellationToken::new();
    let worker_config = WorkerConfig {
        concurrency: 30,
        per_organization: 10,
        per_host: 16,
        drain_timeout: Duration::from_secs(5),
        ..config("w")
    };
    let started = Utc::now();
    let worker = tokio::spawn(run_worker(
        store.clone(),
        prober(),
        worker_config,
        shutdown.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    let b_targets = store.targets(org_b.id).await.expect("targets");
    for target in &b_targets {
        let checks = store
            .checks(org_b.id, target.id, None, 10)
            .await
            .expect("checks");
        // Without the cap, all 30 permits would sit on A's 3-second checks.
        assert_eq!(
            checks.len(),
            1,
            "{} waited behind another organization's slow checks",
            target.url
        );
        assert!(checks[0].checked_at >= started);
    }
    // A's checks are still running, at most 10 at a time.
    let done_a: usize = {
        let mut n = 0;
        for target in &crowded {
            n += store
                .checks(target.organization_id, target.id, None, 10)
                .await
                .expect("checks")
                .len();
        }
        n
    };
    assert_eq!(done_a, 0, "the slow organization's checks take 3 s each");
    shutdown.cancel();
    worker.await.expect("worker");
}

/// Waits until every target of `org` shows `state`, up to `limit`.
async fn wait_for_state(
    store: &dyn Store,
    org: OrganizationId,
    state: TargetState,
    limit: Duration,
) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let targets = store.targets(org).await.expect("targets");
        if targets.iter().all(|t| t.state == state) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "targets did not all become {state:?}: {:?}",
            targets.iter().map(|t| t.state).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Two workers check an organization's targets through an outage and its
/// recovery: each target's feed is exactly down, opened, up, closed, the
/// numbers run 1, 2, 3... with no gap or repeat, and another
/// organization's feed holds only its own target's events.
async fn an_outage_and_its_recovery_are_logged_once_per_target(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let store = pharos_storage::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let (farm_addr, farm) = start_farm().await;
    let targets = seed(&*store, farm_addr, 8, 2).await;
    let org = targets[0].organization_id;
    // A second tenant, watching a target that never fails.
    let (other_user, other_org) = store
        .create_account(NewAccount {
            email: "other@example.com",
            password_hash: "x",
            organization_name: "Other",
            now: Utc::now(),
        })
        .await
        .expect("account");
    let (steady_addr, _steady) = start_farm().await;
    let steady = store
        .create_target(
            other_org.id,
            NewTarget::due_now(
                other_user.id,
                TargetCheck::http_get(format!("http://{steady_addr}/steady")),
                2,
                1,
                Utc::now(),
            ),
        )
        .await
        .expect("target");

    let shutdown = CancellationToken::new();
    let workers: Vec<_> = ["w1", "w2"]
        .into_iter()
        .map(|id| {
            tokio::spawn(run_worker(
                store.clone(),
                prober(),
                config(id),
                shutdown.clone(),
            ))
        })
        .collect();
    wait_for_state(&*store, org, TargetState::Up, Duration::from_secs(10)).await;
    farm.failing.store(true, Ordering::SeqCst);
    wait_for_state(&*store, org, TargetState::Down, Duration::from_secs(15)).await;
    farm.failing.store(false, Ordering::SeqCst);
    wait_for_state(&*store, org, TargetState::Up, Duration::from_secs(15)).await;
    // A few more rounds: a steady target writes nothing more.
    tokio::time::sleep(Duration::from_secs(3)).await;
    shutdown.cancel();
    for worker in workers {
        worker.await.expect("worker");
    }

    let feed = store.events(org, 0, 1000).await.expect("events");
    let seqs: Vec<i64> = feed.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=feed.len() as i64).collect::<Vec<_>>());
    assert!(feed.iter().all(|e| e.organization_id == org));
    for target in &targets {
        let mine: Vec<_> = feed.iter().filter(|e| e.target_id == target.id).collect();
        let types: Vec<EventType> = mine.iter().map(|e| e.event_type).collect();
        assert_eq!(
            types,
            [
                EventType::TargetDown,
                EventType::IncidentOpened,
                EventType::TargetUp,
                EventType::IncidentClosed
            ],
            "target {}",
            target.id.0
        );
        // The incident named by its opening is the one its recovery closes.
        assert!(mine[1].incident_id.is_some());
        assert_eq!(mine[1].incident_id, mine[3].incident_id);
        assert_eq!(mine[0].payload["previous_state"], "up");
        assert_eq!(mine[0].payload["state"], "down");
        assert_eq!(mine[0].payload["status_code"], 500);
    }
    assert_eq!(feed.len(), targets.len() * 4);
    // Paging: after the fourth event, the fifth comes first.
    let rest = store.events(org, 4, 2).await.expect("page");
    assert_eq!(rest.iter().map(|e| e.seq).collect::<Vec<_>>(), [5, 6]);

    // The other tenant saw no outage: nothing of the first shows in its feed.
    let other = store.events(other_org.id, 0, 1000).await.expect("events");
    assert!(other.is_empty(), "{other:?}");
    let checks = store
        .checks(other_org.id, steady.id, None, 10)
        .await
        .expect("checks");
    assert!(!checks.is_empty());
}

/// Pausing and resuming are logged once each, even when repeated.
async fn pausing_and_resuming_are_logged(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let store = pharos_storage::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let (farm_addr, _farm) = start_farm().await;
    let target = seed(&*store, farm_addr, 1, 60).await.remove(0);
    let org = target.organization_id;
    for paused in [true, true, false, false] {
        store
            .set_paused(org, target.id, paused, Utc::now())
            .await
            .expect("pause")
            .expect("target");
    }
    let feed = store.events(org, 0, 100).await.expect("events");
    let types: Vec<_> = feed.iter().map(|e| e.event_type).collect();
    assert_eq!(types, [EventType::TargetPaused, EventType::TargetResumed]);
    assert_eq!(feed[0].payload["state"], "pending");
}

pharos_storage::on_both_backends!(
    an_outage_and_its_recovery_are_logged_once_per_target,
    pausing_and_resuming_are_logged,
    one_organizations_slow_targets_do_not_delay_another,
    two_workers_check_each_due_target_exactly_once,
    failures_are_confirmed_then_open_and_close_an_incident,
);
