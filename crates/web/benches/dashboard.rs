//! How fast the dashboard renders for an organization with 500 targets and
//! a day of checks (48 per target) on SQLite, and how much it weighs.
//! `cargo bench -p pharos-web --bench dashboard`
//!
//! The real server runs on 127.0.0.1:0; times are request to last byte over
//! loopback, so they include the database reads and the HTTP round trip.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use pharos_domain::check::{PhaseTimings, Verdict};
use pharos_domain::ids::CheckId;
use pharos_domain::status::{apply, Confirmation};
use pharos_storage::models::{Check, CheckRecord, NewAccount, NewTarget, StatusUpdate};
use pharos_storage::testing::{Backend, TestDatabase};
use pharos_web::auth::rate_limit::RateLimitSettings;
use pharos_web::auth::SessionConfig;
use pharos_web::{AppState, WebConfig};

const TARGETS: usize = 500;
const ROUNDS: i32 = 48;
const SAMPLES: usize = 40;
const PASSWORD: &str = "correct horse battery";

fn config() -> WebConfig {
    WebConfig {
        session: SessionConfig {
            secret: b"bench-secret-key-that-is-long-enough-0123456789".to_vec(),
            secure_cookies: false,
            idle_timeout: Duration::from_secs(3600),
            absolute_timeout: Duration::from_secs(86_400),
        },
        limits: RateLimitSettings {
            logins_per_minute_per_client: 1000,
            logins_per_minute_per_account: 1000,
            registrations_per_hour_per_client: 1000,
            target_creations_per_minute_per_organization: 100_000,
        },
        allow_private_targets: false,
        trust_forwarded_for: false,
        public_origin: None,
        max_body_bytes: 64 * 1024,
    }
}

async fn seed(store: &Arc<dyn pharos_storage::Store>) {
    let hash = pharos_web::auth::password::hash(PASSWORD.to_owned())
        .await
        .expect("hash");
    let now = Utc::now();
    let (user, org) = store
        .create_account(NewAccount {
            email: "bench@example.com",
            password_hash: &hash,
            organization_name: "Bench",
            now,
        })
        .await
        .expect("account");
    let start = now - chrono::Duration::hours(24);
    for i in 0..TARGETS {
        let url = format!("https://site-{i}.example.com/health");
        let name = format!("Service {i:03}");
        store
            .create_target(
                org.id,
                NewTarget {
                    created_by: user.id,
                    url: &url,
                    name: Some(&name),
                    interval_seconds: 1800,
                    timeout_seconds: 10,
                    kind: "http",
                    spec: None,
                    heartbeat_token: None,
                    grace_seconds: None,
                    first_due_at: start,
                    now,
                },
            )
            .await
            .expect("target");
    }
    // A day of checks, written the way workers write them: claim, record.
    for round in 0..ROUNDS {
        let at = start + chrono::Duration::minutes(30) * round;
        let claims = store
            .claim_due_targets("bench", at, chrono::Duration::seconds(30), TARGETS as u32)
            .await
            .expect("claim");
        let records: Vec<CheckRecord> = claims
            .iter()
            .enumerate()
            .map(|(i, claim)| {
                // One check in 37 fails, so strips and uptimes have something to show.
                let up = !matches!((i + round as usize) % 37, 0);
                let t = &claim.target;
                let verdict = if up { Verdict::Up } else { Verdict::Down };
                let transition = apply(
                    t.state,
                    t.consecutive_failures,
                    verdict,
                    Confirmation::default(),
                );
                CheckRecord {
                    check: Check {
                        id: CheckId::new(),
                        target_id: t.id,
                        checked_at: at,
                        status_code: Some(if up { 200 } else { 503 }),
                        latency_ms: Some(40 + (i as u32 * 7 + round as u32 * 13) % 400),
                        is_up: up,
                        degraded: false,
                        error_class: None,
                        error: (!up).then(|| "status 503".to_owned()),
                        timings: PhaseTimings::default(),
                    },
                    lease_epoch: claim.lease_epoch,
                    next_due_at: at + chrono::Duration::minutes(30),
                    status: StatusUpdate {
                        previous: t.state,
                        transition,
                    },
                }
            })
            .collect();
        store.record_checks(&records).await.expect("record");
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let db = TestDatabase::create(Backend::Sqlite).await.expect("sqlite");
        let store = pharos_storage::connect(&db.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let seeding = Instant::now();
        seed(&store).await;
        println!(
            "seeded {TARGETS} targets x {ROUNDS} checks in {:.1} s",
            seeding.elapsed().as_secs_f64()
        );

        let state = AppState::new(store.clone(), config());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(pharos_web::serve(listener, state, std::future::pending()));
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .no_proxy()
            .build()
            .expect("client");
        let login = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"email": "bench@example.com", "password": PASSWORD}))
            .send()
            .await
            .expect("login");
        assert!(login.status().is_success());

        let mut plain = 0;
        let mut times = Vec::new();
        for i in 0..SAMPLES + 3 {
            let started = Instant::now();
            let body = client
                .get(format!("{base}/"))
                .send()
                .await
                .expect("dashboard")
                .bytes()
                .await
                .expect("body");
            // The first requests warm the caches and pools.
            if i >= 3 {
                times.push(started.elapsed());
            }
            plain = body.len();
        }
        let gzip = client
            .get(format!("{base}/"))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .expect("dashboard")
            .bytes()
            .await
            .expect("body")
            .len();
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "dashboard, {TARGETS} targets: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms over {SAMPLES} requests",
            ms(times[times.len() / 2]),
            ms(times[times.len() * 95 / 100]),
            ms(times[times.len() - 1]),
        );
        println!(
            "dashboard weight: {:.1} KB uncompressed, {:.1} KB gzip (over the wire)",
            plain as f64 / 1024.0,
            gzip as f64 / 1024.0
        );
    });
}
