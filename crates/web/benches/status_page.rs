//! How fast public status pages are, on SQLite (or PostgreSQL with
//! `PHAROS_BENCH_BACKEND=postgres`):
//! `cargo bench -p pharos-web --bench status_page`
//!
//! Seeds one organization with 1000 targets and 90 days of daily checks,
//! and two pages: `small` (100 targets in 4 sections) and `large` (all 1000
//! in 10). Then:
//! 1. the large page built uncached (`public::snapshot::build`: the five
//!    reads, the view, HTML, history and JSON), and its parts on their own;
//! 2. the real server on 127.0.0.1 serving the small page to `wrk`
//!    (`/usr/bin/wrk`, 256 connections, gzip accepted as browsers do), so
//!    requests are answered from the shared snapshot.
//!
//! `PHAROS_BENCH_WRK_SECONDS` (15) and `PHAROS_BENCH_CONNECTIONS` (256)
//! change the load; `PHAROS_BENCH_WRK_THREADS` (2) wrk's threads.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use pharos_app::RateLimitSettings;
use pharos_domain::check::{PhaseTimings, Verdict};
use pharos_domain::ids::{CheckId, StatusPageId};
use pharos_domain::status::{apply, Confirmation};
use pharos_domain::status_page::{
    PageEntry, PageSection, PageTheme, PublicMessage, PublicText, StatusPagePlan, StatusPageSlug,
};
use pharos_domain::TargetCheck;
use pharos_storage::models::{Check, CheckRecord, NewAccount, NewTarget, StatusUpdate};
use pharos_storage::testing::{Backend, TestDatabase};
use pharos_web::auth::SessionConfig;
use pharos_web::{AppState, WebConfig};

const TARGETS: usize = 1000;
const DAYS: i64 = 90;
const SMALL: usize = 100;
const SAMPLES: usize = 20;

fn config() -> WebConfig {
    WebConfig {
        session: SessionConfig {
            secret: b"bench-secret-key-that-is-long-enough-0123456789".to_vec(),
            secure_cookies: false,
            idle_timeout: Duration::from_secs(3600),
            absolute_timeout: Duration::from_secs(86_400),
        },
        // wrk comes from one address, which the public per-client limit
        // would answer with 429s after the first minute's allowance; a
        // real crowd comes from many.
        limits: RateLimitSettings {
            public_requests_per_minute_per_client: u32::MAX,
            ..RateLimitSettings::default()
        },
        allow_private_targets: false,
        trust_forwarded_for: false,
        public_origin: None,
        max_body_bytes: 64 * 1024,
        metrics_access: pharos_web::MetricsAccess::Public,
        link_base: None,
        password_reset_minutes: 60,
        require_email_verification: false,
    }
}

fn text(s: &str) -> PublicText {
    PublicText::parse("bench", s).expect("text")
}

async fn seed(store: &Arc<dyn pharos_storage::Store>) {
    let now = Utc::now();
    let (user, org) = store
        .create_account(NewAccount {
            email: "bench@example.com",
            password_hash: "unused",
            organization_name: "Bench",
            now,
        })
        .await
        .expect("account");
    let start = now - chrono::Duration::days(DAYS - 1);
    let mut ids = Vec::with_capacity(TARGETS);
    for i in 0..TARGETS {
        let name = format!("Service {i:04}");
        let target = store
            .create_target(
                org.id,
                NewTarget {
                    created_by: user.id,
                    name: Some(&name),
                    interval_seconds: 1800,
                    timeout_seconds: 10,
                    check: TargetCheck::http_get(format!("https://site-{i}.example.com/health")),
                    heartbeat_token: None,
                    grace_seconds: None,
                    first_due_at: start,
                    now,
                },
            )
            .await
            .expect("target");
        ids.push(target.id);
    }
    // One check a day per target for 90 days, written the way workers
    // write them (claim, record): each lands in the day's roll-up.
    for day in 0..DAYS {
        let at = start + chrono::Duration::days(day);
        let claims = store
            .claim_due_targets("bench", at, chrono::Duration::seconds(30), TARGETS as u32)
            .await
            .expect("claim");
        let records: Vec<CheckRecord> = claims
            .iter()
            .enumerate()
            .map(|(i, claim)| {
                // Now and then a target fails a day, so bars have colours.
                let up = (i as i64 + day) % 53 != 0;
                let t = &claim.target;
                let verdict = if up { Verdict::Up } else { Verdict::Down };
                CheckRecord {
                    organization_id: t.organization_id,
                    check: Check {
                        id: CheckId::new(),
                        target_id: t.id,
                        checked_at: at,
                        status_code: Some(if up { 200 } else { 503 }),
                        latency_ms: Some(80),
                        is_up: up,
                        degraded: false,
                        error_class: None,
                        error: None,
                        timings: PhaseTimings::default(),
                        in_maintenance: false,
                        location: pharos_domain::agent::Location::Local,
                    },
                    lease_epoch: claim.lease_epoch,
                    certificate: Default::default(),
                    next_due_at: at + chrono::Duration::days(1),
                    status: StatusUpdate {
                        previous: t.state,
                        transition: apply(
                            t.state,
                            t.consecutive_failures,
                            verdict,
                            Confirmation::default(),
                        ),
                        locations: Vec::new(),
                    },
                }
            })
            .collect();
        store.record_checks(&records).await.expect("record");
    }
    for (slug, count, sections) in [("small", SMALL, 4usize), ("large", TARGETS, 10)] {
        let per = count / sections;
        let plan = StatusPagePlan {
            title: text("Bench status"),
            slug: StatusPageSlug::parse("slug", slug).expect("slug"),
            description: PublicMessage::parse("d", "A page for the benchmark.").expect("d"),
            logo_url: None,
            theme: PageTheme::Light,
            show_target_urls: false,
            auto_draft_incidents: false,
            sections: (0..sections)
                .map(|s| PageSection {
                    name: text(&format!("Region {s}")),
                    entries: ids[s * per..(s + 1) * per]
                        .iter()
                        .map(|t| PageEntry {
                            target: *t,
                            public_name: Some(text(&format!("Public {t}")[..20])),
                        })
                        .collect(),
                })
                .collect(),
        };
        store
            .create_status_page(org.id, StatusPageId::new(), &plan, now)
            .await
            .expect("page");
    }
}

/// Median and worst of `n` runs, in ms.
async fn time_ms<F, Fut>(n: usize, mut f: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        f().await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[n / 2], times[n - 1])
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let backend = match std::env::var("PHAROS_BENCH_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let db = TestDatabase::create(backend).await.expect("database");
    let store = pharos_storage::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let seeding = Instant::now();
    seed(&store).await;
    println!(
        "seeded {TARGETS} targets x {DAYS} days on {backend:?} in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let state = AppState::new(store.clone(), config());

    // 1. The large page, uncached.
    let snapshot = pharos_web::public::snapshot::build(&state.app, "large")
        .await
        .expect("build")
        .expect("page");
    println!(
        "large page: HTML {} KiB, history {} KiB, JSON {} KiB",
        snapshot.html.body().len() / 1024,
        snapshot.history.body().len() / 1024,
        snapshot.json.body().len() / 1024
    );
    let (build_p50, build_max) = time_ms(SAMPLES, || async {
        pharos_web::public::snapshot::build(&state.app, "large")
            .await
            .expect("build");
    })
    .await;
    let (read_p50, _) = time_ms(SAMPLES, || async {
        pharos_app::status_pages::public_page(&state.app, "large", Utc::now())
            .await
            .expect("read");
    })
    .await;
    let stored = store
        .status_page_by_slug("large")
        .await
        .expect("page")
        .expect("page");
    let since = Utc::now() - chrono::Duration::days(DAYS);
    let (targets_p50, _) = time_ms(SAMPLES, || async {
        store
            .status_page_targets(stored.organization_id, stored.id)
            .await
            .expect("targets");
    })
    .await;
    let on_page: Vec<_> = stored.target_ids().collect();
    let (rollups_p50, _) = time_ms(SAMPLES, || async {
        store
            .rollup_counts_of_targets(
                stored.organization_id,
                &on_page,
                pharos_domain::rollup::DAY,
                since,
            )
            .await
            .expect("rollups");
    })
    .await;
    let (slug_p50, _) = time_ms(SAMPLES, || async {
        store.status_page_by_slug("large").await.expect("page");
    })
    .await;
    println!(
        "large page reads on their own: page by slug p50 {slug_p50:.1} ms, targets p50 \
         {targets_p50:.1} ms, daily roll-up counts p50 {rollups_p50:.1} ms"
    );
    let page = pharos_app::status_pages::public_page(&state.app, "large", Utc::now())
        .await
        .expect("read")
        .expect("page");
    let (render_p50, _) = time_ms(SAMPLES, || async {
        pharos_web::public::status_page::render(&page, "http://127.0.0.1:8080").expect("render");
    })
    .await;
    let (view_p50, _) = time_ms(SAMPLES, || async {
        pharos_web::public::status_page::PublicStatusPageView::of(&page);
    })
    .await;
    let view = pharos_web::public::status_page::PublicStatusPageView::of(&page);
    let (json_p50, _) = time_ms(SAMPLES, || async {
        serde_json::to_vec(&view).expect("json");
    })
    .await;
    println!(
        "large page rendering on its own: the view (with the bars' markup) p50 {view_p50:.1} ms, \
         JSON p50 {json_p50:.1} ms"
    );
    println!(
        "large page ({TARGETS} targets) uncached: build p50 {build_p50:.1} ms, max {build_max:.1} ms \
         (reads and view p50 {read_p50:.1} ms, rendering HTML + history + JSON p50 {render_p50:.1} ms)"
    );

    // 2. The small page under wrk, through the real server.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(pharos_web::serve(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    let url = format!("{base}/status/small");
    let first = reqwest::Client::new()
        .get(&url)
        .send()
        .await
        .expect("first request");
    assert_eq!(first.status(), 200);
    let seconds = env_or("PHAROS_BENCH_WRK_SECONDS", 15);
    let connections = env_or("PHAROS_BENCH_CONNECTIONS", 256);
    let threads = env_or("PHAROS_BENCH_WRK_THREADS", 2);
    println!(
        "wrk -t{threads} -c{connections} -d{seconds}s --latency -H 'Accept-Encoding: gzip' {url}"
    );
    let output = tokio::process::Command::new("/usr/bin/wrk")
        .args([
            &format!("-t{threads}"),
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-H",
            "Accept-Encoding: gzip",
            &url,
        ])
        .output()
        .await
        .expect("run /usr/bin/wrk");
    let report = String::from_utf8_lossy(&output.stdout);
    println!("{report}");
    // Only answers of the page count: a 429 or an error would be fast.
    assert!(
        !report.contains("Non-2xx or 3xx responses"),
        "wrk saw answers other than the page"
    );
    let _ = tx.send(());
    let _ = server.await;
}
