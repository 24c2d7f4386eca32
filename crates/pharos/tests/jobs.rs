//! Periodic jobs run once per cluster: two real `pharos worker` processes
//! on one PostgreSQL database never run a job at the same time, and
//! together run it about once per interval, not once per process.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{signal, spawn_pharos, wait_exit};
use pharos_domain::TargetCheck;
use pharos_storage::models::{NewAccount, NewTarget};
use pharos_storage::prelude::*;
use pharos_storage::testing::{Backend, TestDatabase};

const OLD_CHECKS: i64 = 60_000;
const INTERVAL_SECONDS: i64 = 2;

#[tokio::test]
async fn two_workers_never_run_a_job_at_once() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let store: Arc<dyn Store> = pharos_storage::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let (user, org) = store
        .create_account(NewAccount {
            email: "jobs@example.com",
            password_hash: "x",
            organization_name: "Jobs",
            now: Utc::now(),
        })
        .await
        .expect("account");
    // A paused target (the workers have nothing to check) with 40-day-old
    // history: the first retention run has work that takes a while, so two
    // unlocked runs would overlap.
    let target = store
        .create_target(
            org.id,
            NewTarget::due_now(
                user.id,
                TargetCheck::http_get("http://127.0.0.1:9/"),
                60,
                10,
                Utc::now(),
            ),
        )
        .await
        .expect("target");
    store
        .set_paused(org.id, target.id, true, Utc::now())
        .await
        .expect("pause");
    let pool = sqlx::PgPool::connect(&db.url).await.expect("pool");
    sqlx::query(
        "INSERT INTO checks (id, target_id, checked_at, is_up, degraded) \
         SELECT gen_random_uuid(), $1, now() - interval '40 days' + n * interval '1 ms', true, false \
         FROM generate_series(1, $2) AS n",
    )
    .bind(target.id.0)
    .bind(OLD_CHECKS)
    .execute(&pool)
    .await
    .expect("old checks");

    let dir = tempfile::tempdir().expect("dir");
    let interval = INTERVAL_SECONDS.to_string();
    let extra = [("PHAROS_JOB_INTERVAL_SECONDS", interval.as_str())];
    let mut workers: Vec<_> = (0..2)
        .map(|_| spawn_pharos(&["worker"], &db.url, dir.path(), &extra))
        .collect();
    tokio::time::sleep(Duration::from_secs(11)).await;
    for worker in &mut workers {
        signal(worker, "TERM");
        wait_exit(worker, Duration::from_secs(15)).expect("worker stops");
    }

    type Run = (String, String, DateTime<Utc>, DateTime<Utc>, i64);
    let runs: Vec<Run> = sqlx::query_as(
        "SELECT job, runner, started_at, finished_at, rows_affected FROM job_runs \
         ORDER BY job, started_at",
    )
    .fetch_all(&pool)
    .await
    .expect("runs");
    let remaining: (i64,) = sqlx::query_as("SELECT count(*) FROM checks")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(remaining.0, 0, "retention deleted the old checks");

    for job in ["retention", "event_pruning"] {
        let mine: Vec<&Run> = runs.iter().filter(|r| r.0 == job).collect();
        // 11 s at a 2 s interval: about five runs between both processes;
        // without the once-per-cluster rule each process would run it
        // every interval (about ten).
        assert!(
            (3..=7).contains(&mine.len()),
            "{job}: {} runs: {mine:?}",
            mine.len()
        );
        for pair in mine.windows(2) {
            let (before, after) = (pair[0], pair[1]);
            assert!(
                after.2 >= before.3,
                "{job}: a run started at {} while another ran until {}",
                after.2,
                before.3
            );
            let spacing = (after.2 - before.3).num_milliseconds();
            assert!(
                spacing >= INTERVAL_SECONDS * 1000 - 50,
                "{job}: runs {spacing} ms apart, interval {INTERVAL_SECONDS} s: {mine:?}"
            );
        }
    }
    let retention: i64 = runs
        .iter()
        .filter(|r| r.0 == "retention")
        .map(|r| r.4)
        .sum();
    assert_eq!(retention, OLD_CHECKS);
    // The sweep is the web's job; a worker never runs it.
    assert!(runs.iter().all(|r| r.0 != "session_sweep"));
}
