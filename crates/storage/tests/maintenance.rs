//! Maintenance windows on both backends: saved and read back exactly,
//! scoped to their organization (another tenant's target or window is
//! never touched), and a check taken in a window keeps its mark and does
//! not count as downtime.

use chrono::{Duration, NaiveTime, Utc};
use pharos_domain::check::{CheckOutcome, PhaseTimings, Verdict};
use pharos_domain::ids::MaintenanceId;
use pharos_domain::maintenance::{
    DurationMinutes, MaintenanceName, MaintenancePlan, MaintenanceSchedule, MaintenanceScope,
    TimeZoneName, Weekdays,
};
use pharos_domain::status::{settle, CheckRules, ResultOrigin};
use pharos_storage::models::*;
use pharos_storage::prelude::*;
use pharos_storage::testing::{account, open_store as open, Backend};

async fn target(store: &dyn Store, org: &Organization, user: &User) -> Target {
    pharos_storage::testing::http_target(store, org, user).await
}

fn weekly() -> MaintenanceSchedule {
    MaintenanceSchedule::Weekly {
        weekdays: Weekdays::parse("weekdays", &["tue", "sun"]).expect("days"),
        start: NaiveTime::from_hms_opt(2, 30, 0).expect("time"),
        duration: DurationMinutes::parse("duration_minutes", 90).expect("minutes"),
        time_zone: TimeZoneName::parse("time_zone", "Europe/Berlin").expect("zone"),
    }
}

fn plan(name: &str, schedule: MaintenanceSchedule, scope: MaintenanceScope) -> MaintenancePlan {
    MaintenancePlan {
        name: MaintenanceName::parse(name).expect("name"),
        schedule,
        scope,
    }
}

fn saved(write: MaintenanceWrite) -> pharos_domain::maintenance::MaintenanceWindow {
    match write {
        MaintenanceWrite::Saved(window) => window,
        other => panic!("expected a saved window, got {other:?}"),
    }
}

async fn windows_round_trip_and_stay_in_their_organization(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (alice, a) = account(&*store, "a@example.com").await;
    let (bob, b) = account(&*store, "b@example.com").await;
    let mine = target(&*store, &a, &alice).await;
    let theirs = target(&*store, &b, &bob).await;
    // Whole seconds: the database keeps microseconds.
    let now = chrono::DateTime::from_timestamp(Utc::now().timestamp(), 0).expect("now");

    let one_off = MaintenanceSchedule::one_off(now, now + Duration::hours(2)).expect("valid");
    let first = saved(
        store
            .create_maintenance(
                a.id,
                MaintenanceId::new(),
                &plan(
                    "db upgrade",
                    one_off,
                    MaintenanceScope::Targets(vec![mine.id]),
                ),
                now,
            )
            .await
            .expect("create"),
    );
    assert_eq!(first.name, "db upgrade");
    assert_eq!(first.schedule, one_off);
    assert_eq!(first.scope, MaintenanceScope::Targets(vec![mine.id]));
    let second = saved(
        store
            .create_maintenance(
                a.id,
                MaintenanceId::new(),
                &plan("weekly", weekly(), MaintenanceScope::Organization),
                now,
            )
            .await
            .expect("create"),
    );
    assert_eq!(second.schedule, weekly());
    assert_eq!(
        store.maintenance_windows(a.id).await.expect("list"),
        vec![first.clone(), second.clone()]
    );

    // Another tenant's target is refused and nothing is written.
    let refused = store
        .create_maintenance(
            a.id,
            MaintenanceId::new(),
            &plan(
                "x",
                one_off,
                MaintenanceScope::Targets(vec![mine.id, theirs.id]),
            ),
            now,
        )
        .await
        .expect("create");
    assert_eq!(refused, MaintenanceWrite::UnknownTarget(theirs.id));
    assert_eq!(
        store.maintenance_windows(a.id).await.expect("list").len(),
        2
    );

    // Another tenant can neither read, change nor delete the window.
    assert!(store
        .maintenance_windows(b.id)
        .await
        .expect("list")
        .is_empty());
    assert!(store
        .maintenance_window(b.id, first.id)
        .await
        .expect("get")
        .is_none());
    assert_eq!(
        store
            .replace_maintenance(
                b.id,
                first.id,
                &plan("stolen", weekly(), MaintenanceScope::Organization),
                now
            )
            .await
            .expect("replace"),
        MaintenanceWrite::NotFound
    );
    assert!(!store
        .delete_maintenance(b.id, first.id)
        .await
        .expect("delete"));

    // A replacement that names a foreign target leaves the window as it was.
    assert_eq!(
        store
            .replace_maintenance(
                a.id,
                first.id,
                &plan("x", weekly(), MaintenanceScope::Targets(vec![theirs.id])),
                now
            )
            .await
            .expect("replace"),
        MaintenanceWrite::UnknownTarget(theirs.id)
    );
    assert_eq!(
        store.maintenance_window(a.id, first.id).await.expect("get"),
        Some(first.clone())
    );
    let later = now + Duration::minutes(5);
    let replaced = saved(
        store
            .replace_maintenance(
                a.id,
                first.id,
                &plan("renamed", weekly(), MaintenanceScope::Organization),
                later,
            )
            .await
            .expect("replace"),
    );
    assert_eq!(replaced.name, "renamed");
    assert_eq!(replaced.scope, MaintenanceScope::Organization);
    assert!(replaced.updated_at > replaced.created_at);

    // The calendar sees every organization's windows; a deleted target
    // drops out of the windows that named it.
    let all = store.all_maintenance_windows().await.expect("all");
    assert_eq!(all.len(), 2);
    assert!(store
        .delete_maintenance(a.id, second.id)
        .await
        .expect("delete"));
    assert_eq!(store.all_maintenance_windows().await.expect("all").len(), 1);
    let narrow = saved(
        store
            .create_maintenance(
                a.id,
                MaintenanceId::new(),
                &plan("narrow", one_off, MaintenanceScope::Targets(vec![mine.id])),
                now,
            )
            .await
            .expect("create"),
    );
    assert!(store
        .delete_target(a.id, mine.id)
        .await
        .expect("delete target"));
    assert_eq!(
        store
            .maintenance_window(a.id, narrow.id)
            .await
            .expect("get")
            .map(|w| w.scope),
        Some(MaintenanceScope::Targets(vec![]))
    );
}

async fn a_check_in_maintenance_keeps_its_mark_and_moves_no_state(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (alice, a) = account(&*store, "a@example.com").await;
    let t = target(&*store, &a, &alice).await;
    let now = Utc::now();
    let claim = store
        .claim_due_targets("w", now, Duration::seconds(30), 10)
        .await
        .expect("claim")
        .remove(0);
    let outcome = CheckOutcome {
        started_at: now,
        latency_ms: 5,
        verdict: Verdict::Down,
        status_code: Some(503),
        timings: PhaseTimings::default(),
        failure: None,
        certificate_expires_at: None,
    };
    let mut check = Check::from_outcome(t.id, &outcome);
    check.in_maintenance = true;
    let settled = settle(
        claim.target.standing(true),
        ResultOrigin::Probe,
        Verdict::Down,
        CheckRules::default(),
        now,
    );
    let record = CheckRecord {
        organization_id: a.id,
        check,
        lease_epoch: claim.lease_epoch,
        next_due_at: settled.next_due_at,
        status: StatusUpdate::from(settled),
        certificate: Default::default(),
    };
    assert_eq!(store.record_checks(&[record]).await.expect("record"), 1);
    let checks = store.checks(a.id, t.id, None, 10).await.expect("checks");
    assert_eq!(checks.len(), 1);
    assert!(checks[0].in_maintenance);
    let after = store
        .target(a.id, t.id)
        .await
        .expect("get")
        .expect("target");
    assert_eq!(after.state, t.state);
    assert_eq!(after.consecutive_failures, 0);
    assert!(store.events(a.id, 0, 10).await.expect("events").is_empty());
    // A planned outage is not downtime: the held failure counts as up in
    // every roll-up (uptime, status pages' bars), with no latency.
    for width in pharos_domain::rollup::BUCKET_WIDTHS {
        let buckets = store
            .rollups(a.id, t.id, width, now - Duration::days(2))
            .await
            .expect("rollups");
        assert_eq!(buckets.len(), 1, "width {width}");
        assert_eq!(buckets[0].rollup.checks, 1);
        assert_eq!(buckets[0].rollup.up, 1, "width {width}");
        assert_eq!(buckets[0].rollup.latency_count, 0);
    }
}

pharos_storage::on_both_backends!(
    windows_round_trip_and_stay_in_their_organization,
    a_check_in_maintenance_keeps_its_mark_and_moves_no_state,
);
