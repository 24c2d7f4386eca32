//! The storage contract, run against both backends.

use pharos_domain::TargetCheck;

use chrono::{DateTime, Duration, Utc};
use pharos_domain::alert::{FoldRule, NotificationKind};
use pharos_domain::check::{ErrorClass, PhaseTimings, Verdict};
use pharos_domain::event::EventType;
use pharos_domain::ids::{ChannelId, CheckId, OrganizationId, SessionId, TargetId, UserId};
use pharos_domain::organization::Role;
use pharos_domain::status::{apply, Confirmation, TargetState};
use pharos_domain::ChannelKind;
use pharos_storage::models::*;
use pharos_storage::prelude::*;
use pharos_storage::testing::{account, open_store as open, Backend, TestDatabase};
use pharos_storage::StoreError;

async fn new_target(store: &dyn Store, org: &Organization, user: &User, url: &str) -> Target {
    store
        .create_target(
            org.id,
            NewTarget {
                name: Some("site"),
                ..NewTarget::due_now(
                    user.id,
                    TargetCheck::http_get(url.to_owned()),
                    60,
                    5,
                    Utc::now(),
                )
            },
        )
        .await
        .expect("create target")
}

async fn accounts_and_sessions(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    assert!(store.ready().await.expect("ready"));
    let (user, org) = account(&*store, "a@example.com").await;
    let again = store
        .create_account(NewAccount {
            email: "a@example.com",
            password_hash: "x",
            organization_name: "Other",
            now: Utc::now(),
        })
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))));
    // The failed registration left no organization behind.
    assert_eq!(store.organization_summaries().await.expect("orgs").len(), 1);

    let creds = store
        .user_credentials("a@example.com")
        .await
        .expect("creds")
        .expect("found");
    assert_eq!(creds.user.id, user.id);
    assert_eq!(creds.password_hash, "hash");
    let memberships = store.memberships(user.id).await.expect("memberships");
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].organization.id, org.id);

    let now = Utc::now();
    let session = Session {
        id: SessionId::new(),
        user_id: user.id,
        created_at: now,
        last_seen_at: now,
        expires_at: now + Duration::days(1),
        organization_id: None,
        client_address: Some("192.0.2.7".to_owned()),
        user_agent: Some("Firefox".to_owned()),
    };
    store
        .create_session(b"one", &session)
        .await
        .expect("session");
    let second = Session {
        id: SessionId::new(),
        last_seen_at: now + Duration::seconds(5),
        client_address: None,
        user_agent: None,
        ..session.clone()
    };
    store
        .create_session(b"two", &second)
        .await
        .expect("session");
    let found = store.session(b"one").await.expect("get").expect("found");
    assert_eq!(found.id, session.id);
    assert_eq!(found.client_address.as_deref(), Some("192.0.2.7"));
    assert_eq!(found.user_agent.as_deref(), Some("Firefox"));

    // The user's live sessions, the most recently used first; an idle one
    // (seen before the cut-off) is left out.
    let listed = |idle_before| {
        let store = store.clone();
        async move {
            store
                .user_sessions(user.id, now, idle_before)
                .await
                .expect("list")
                .into_iter()
                .map(|s| s.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        listed(now - Duration::hours(1)).await,
        vec![second.id, session.id]
    );
    assert_eq!(listed(now + Duration::seconds(1)).await, vec![second.id]);
    // Someone else's id ends nothing.
    let (other, _) = account(&*store, "b@example.com").await;
    assert!(!store
        .delete_user_session(other.id, session.id)
        .await
        .expect("delete"));
    assert!(store.session(b"one").await.expect("get").is_some());
    assert!(store
        .delete_user_session(user.id, second.id)
        .await
        .expect("delete"));
    assert!(store.session(b"two").await.expect("get").is_none());
    store
        .create_session(b"two", &second)
        .await
        .expect("session");
    assert_eq!(
        store
            .delete_other_sessions(user.id, b"one")
            .await
            .expect("delete"),
        1
    );
    assert!(store.session(b"two").await.expect("get").is_none());
    store.delete_session(b"one").await.expect("delete");
    assert!(store.session(b"one").await.expect("get").is_none());
}

async fn targets_are_tenant_scoped(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (alice, alice_org) = account(&*store, "alice@example.com").await;
    let (_bob, bob_org) = account(&*store, "bob@example.com").await;
    let target = new_target(&*store, &alice_org, &alice, "https://example.com/").await;

    assert!(store
        .target(bob_org.id, target.id)
        .await
        .expect("get")
        .is_none());
    assert!(store.targets(bob_org.id).await.expect("list").is_empty());
    let patch = TargetPatch {
        check: Some(TargetCheck::http_get("https://evil.example/")),
        now: Utc::now(),
        ..Default::default()
    };
    assert!(store
        .update_target(bob_org.id, target.id, patch)
        .await
        .expect("update")
        .is_none());
    assert!(!store
        .delete_target(bob_org.id, target.id)
        .await
        .expect("delete"));
    assert!(store
        .checks(bob_org.id, target.id, None, 10)
        .await
        .expect("checks")
        .is_empty());

    let patch = TargetPatch {
        name: Some(None),
        interval_seconds: Some(120),
        now: Utc::now(),
        ..Default::default()
    };
    let updated = store
        .update_target(alice_org.id, target.id, patch)
        .await
        .expect("update")
        .expect("found");
    assert_eq!(updated.name, None);
    assert_eq!(updated.interval_seconds, 120);
    assert_eq!(updated.url, "https://example.com/");
    assert!(store
        .delete_target(alice_org.id, target.id)
        .await
        .expect("delete"));
    assert!(store
        .target(alice_org.id, target.id)
        .await
        .expect("get")
        .is_none());
    let _ = OrganizationId::new();
}

fn status_after(target: &Target, up: bool) -> StatusUpdate {
    let verdict = if up { Verdict::Up } else { Verdict::Down };
    StatusUpdate {
        previous: target.state,
        transition: apply(
            target.state,
            target.consecutive_failures,
            verdict,
            Confirmation {
                failures_to_confirm: 2,
            },
        ),
        locations: Vec::new(),
    }
}

fn check_for(target: TargetId, at: chrono::DateTime<Utc>, up: bool) -> Check {
    Check {
        id: CheckId::new(),
        target_id: target,
        checked_at: at,
        status_code: up.then_some(200),
        latency_ms: Some(12),
        is_up: up,
        degraded: false,
        error_class: (!up).then_some(ErrorClass::Refused),
        error: (!up).then(|| "connection refused".to_owned()),
        timings: PhaseTimings {
            dns_ms: Some(1),
            connect_ms: Some(2),
            tls_ms: None,
            first_byte_ms: Some(9),
        },
        in_maintenance: false,
        location: pharos_domain::agent::Location::Local,
    }
}

async fn claims_checks_and_pages(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (user, org) = account(&*store, "c@example.com").await;
    let target = new_target(&*store, &org, &user, "https://example.com/").await;

    let mut now = Utc::now() + Duration::seconds(1);
    for i in 0..5 {
        let claimed = store
            .claim_due_targets("w1", now, Duration::seconds(30), 10)
            .await
            .expect("claim");
        assert_eq!(claimed.len(), 1, "round {i}");
        // Held: a second worker gets nothing.
        assert!(store
            .claim_due_targets("w2", now, Duration::seconds(30), 10)
            .await
            .expect("claim")
            .is_empty());
        let claim = &claimed[0];
        let record = CheckRecord {
            organization_id: claim.target.organization_id,
            check: check_for(target.id, now, i % 2 == 0),
            lease_epoch: claim.lease_epoch,
            certificate: Default::default(),
            next_due_at: claim.due_at + Duration::seconds(60),
            status: status_after(&claim.target, i % 2 == 0),
        };
        assert_eq!(
            store
                .record_checks(std::slice::from_ref(&record))
                .await
                .expect("record"),
            1
        );
        // A stale epoch is refused.
        let stale = CheckRecord {
            check: check_for(target.id, now, true),
            ..record
        };
        assert_eq!(store.record_checks(&[stale]).await.expect("record"), 0);
        now += Duration::seconds(61);
    }

    let latest = store
        .targets_with_latest_check(org.id)
        .await
        .expect("status");
    let (_, check) = &latest[0];
    let check = check.as_ref().expect("a latest check");
    assert!(check.is_up);
    assert_eq!(check.timings.first_byte_ms, Some(9));

    let first = store
        .checks(org.id, target.id, None, 2)
        .await
        .expect("page");
    assert_eq!(first.len(), 2);
    assert!(first[0].checked_at > first[1].checked_at);
    let cursor = CheckCursor {
        checked_at: first[1].checked_at,
        id: first[1].id,
    };
    let second = store
        .checks(org.id, target.id, Some(cursor), 10)
        .await
        .expect("page");
    assert_eq!(second.len(), 3);
    assert!(second.iter().all(|c| c.checked_at < first[1].checked_at));
    assert_eq!(second[0].error_class, None);
    assert_eq!(second[1].error_class, Some(ErrorClass::Refused));
}

async fn expired_leases_are_taken_over(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (user, org) = account(&*store, "d@example.com").await;
    new_target(&*store, &org, &user, "https://example.com/").await;
    let now = Utc::now() + Duration::seconds(1);
    let first = store
        .claim_due_targets("w1", now, Duration::seconds(30), 10)
        .await
        .expect("claim");
    assert_eq!(first.len(), 1);
    let later = now + Duration::seconds(31);
    let second = store
        .claim_due_targets("w2", later, Duration::seconds(30), 10)
        .await
        .expect("claim");
    assert_eq!(second.len(), 1);
    assert!(second[0].lease_epoch > first[0].lease_epoch);
}

/// The due-work gauge: due targets waiting, due targets claimed, paused
/// and future ones in neither.
async fn due_work_counts_waiting_and_claimed(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (user, org) = account(&*store, "due@example.com").await;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(
            new_target(&*store, &org, &user, &format!("https://example.com/{n}"))
                .await
                .id,
        );
    }
    let now = Utc::now() + Duration::seconds(1);
    let before = store.due_work(now).await.expect("due work");
    assert_eq!((before.waiting, before.claimed), (4, 0));
    store
        .set_paused(org.id, ids[3], true, Utc::now())
        .await
        .expect("pause");
    let claimed = store
        .claim_due_targets("w1", now, Duration::seconds(30), 1)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    let after = store.due_work(now).await.expect("due work");
    assert_eq!((after.waiting, after.claimed), (2, 1));
    // Nothing is due a minute before the targets were made.
    let earlier = store
        .due_work(now - Duration::minutes(1))
        .await
        .expect("due work");
    assert_eq!((earlier.waiting, earlier.claimed), (0, 0));
}

/// Runs one claimed check with the given verdict, as a worker would.
async fn run_once(store: &dyn Store, now: chrono::DateTime<Utc>, up: bool) -> Option<Target> {
    let claim = store
        .claim_due_targets("w", now, Duration::seconds(30), 1)
        .await
        .expect("claim")
        .pop()?;
    let mut check = check_for(claim.target.id, now, up);
    check.latency_ms = Some(if up { 40 } else { 5000 });
    let record = CheckRecord {
        organization_id: claim.target.organization_id,
        status: status_after(&claim.target, up),
        check,
        lease_epoch: claim.lease_epoch,
        certificate: Default::default(),
        next_due_at: now + Duration::seconds(20),
    };
    store.record_checks(&[record]).await.expect("record");
    Some(claim.target)
}

async fn states_incidents_and_rollups(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (user, org) = account(&*store, "e@example.com").await;
    let target = new_target(&*store, &org, &user, "https://example.com/").await;
    assert_eq!(target.state, TargetState::Pending);
    let mut now = Utc::now() + Duration::seconds(1);
    // up, down (unconfirmed), down (confirmed: incident), up (closed)
    for up in [true, false, false, true] {
        run_once(&*store, now, up).await.expect("due");
        now += Duration::seconds(21);
    }
    let current = store
        .target(org.id, target.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(current.state, TargetState::Up);
    assert_eq!(current.consecutive_failures, 0);
    let incidents = store
        .incidents(org.id, target.id, 10)
        .await
        .expect("incidents");
    assert_eq!(incidents.len(), 1);
    assert!(incidents[0].closed_at.is_some());
    assert_eq!(incidents[0].error_class, Some(ErrorClass::Refused));

    let since = Utc::now() - Duration::days(2);
    let hourly = store
        .rollups(org.id, target.id, 3600, since)
        .await
        .expect("rollups");
    let total = hourly
        .iter()
        .fold(pharos_domain::rollup::Rollup::default(), |mut acc, b| {
            acc.add(&b.rollup);
            acc
        });
    assert_eq!(total.checks, 4);
    assert_eq!(total.up, 2);
    assert_eq!(
        total.latency_count, 2,
        "only answered checks count for latency"
    );
    assert_eq!(total.latency_max, Some(40));
    let daily = store
        .rollups(org.id, target.id, 86_400, since)
        .await
        .expect("rollups");
    assert_eq!(daily.iter().map(|b| b.rollup.checks).sum::<u64>(), 4);

    // Another tenant sees none of it.
    let (_, other) = account(&*store, "f@example.com").await;
    assert!(store
        .incidents(other.id, target.id, 10)
        .await
        .expect("incidents")
        .is_empty());
    assert!(store
        .rollups(other.id, target.id, 3600, since)
        .await
        .expect("rollups")
        .is_empty());

    // Paused targets are not claimed; resuming makes them due at once.
    store
        .set_paused(org.id, target.id, true, now)
        .await
        .expect("pause")
        .expect("found");
    let later = now + Duration::hours(1);
    assert!(store
        .claim_due_targets("w", later, Duration::seconds(30), 10)
        .await
        .expect("claim")
        .is_empty());
    let resumed = store
        .set_paused(org.id, target.id, false, later)
        .await
        .expect("resume")
        .expect("found");
    assert!(!resumed.paused);
    assert_eq!(
        store
            .claim_due_targets("w", later, Duration::seconds(30), 10)
            .await
            .expect("claim")
            .len(),
        1
    );

    // Old raw checks are pruned in batches; roll-ups stay.
    let pruned = store
        .prune_checks(Utc::now() + Duration::days(1), 3)
        .await
        .expect("prune");
    assert_eq!(pruned, 3);
    assert_eq!(
        store
            .prune_checks(Utc::now() + Duration::days(1), 3)
            .await
            .expect("prune"),
        1
    );
    assert_eq!(
        store
            .rollups(org.id, target.id, 3600, since)
            .await
            .expect("rollups")
            .iter()
            .map(|b| b.rollup.checks)
            .sum::<u64>(),
        4
    );
}

async fn rollup_counts_match_the_rollups(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (user, org) = account(&*store, "g@example.com").await;
    let a = new_target(&*store, &org, &user, "https://a.example.com/").await;
    let b = new_target(&*store, &org, &user, "https://b.example.com/").await;
    let quiet = new_target(&*store, &org, &user, "https://quiet.example.com/").await;
    let (other_user, other_org) = account(&*store, "h@example.com").await;
    let foreign = new_target(&*store, &other_org, &other_user, "https://x.example.com/").await;
    let start = Utc::now() + Duration::seconds(1);
    store
        .set_paused(org.id, quiet.id, true, start)
        .await
        .expect("pause")
        .expect("found");
    // Three rounds an hour apart, so the checks land in several buckets;
    // b fails in the second.
    for round in 0..3 {
        let now = start + Duration::hours(round);
        let claims = store
            .claim_due_targets("w", now, Duration::seconds(30), 10)
            .await
            .expect("claim");
        assert_eq!(claims.len(), 3, "round {round}");
        let records: Vec<CheckRecord> = claims
            .iter()
            .map(|claim| {
                let up = !(claim.target.id == b.id && round == 1);
                CheckRecord {
                    organization_id: claim.target.organization_id,
                    check: check_for(claim.target.id, now, up),
                    lease_epoch: claim.lease_epoch,
                    certificate: Default::default(),
                    next_due_at: now + Duration::seconds(20),
                    status: status_after(&claim.target, up),
                }
            })
            .collect();
        store.record_checks(&records).await.expect("record");
    }

    let since = start - Duration::hours(1);
    let key = |(id, bucket): &(TargetId, RollupBucket)| (id.0, bucket.start);
    let mut counts = store
        .organization_rollup_counts(org.id, 3600, since)
        .await
        .expect("counts");
    counts.sort_by_key(key);
    let mut full = store
        .organization_rollups(org.id, 3600, since)
        .await
        .expect("rollups");
    full.sort_by_key(key);
    assert!(full.len() >= 6, "two targets, three hours: {}", full.len());
    assert_eq!(counts.len(), full.len());
    for ((id, bucket), (full_id, full_bucket)) in counts.iter().zip(&full) {
        assert_eq!((id, bucket.start), (full_id, full_bucket.start));
        assert_eq!(bucket.start.timestamp() % 3600, 0);
        let (r, f) = (&bucket.rollup, &full_bucket.rollup);
        assert_eq!((r.checks, r.up, r.degraded), (f.checks, f.up, f.degraded));
        assert_eq!(r.latency_count, 0, "counts only");
        assert!(*id == a.id || *id == b.id, "no paused or foreign target");
    }
    let total = |id: TargetId| {
        counts
            .iter()
            .filter(|(t, _)| *t == id)
            .fold((0, 0), |(c, u), (_, b)| {
                (c + b.rollup.checks, u + b.rollup.up)
            })
    };
    assert_eq!(total(a.id), (3, 3));
    assert_eq!(total(b.id), (3, 2));
    // Each target's buckets come oldest first.
    let unsorted = store
        .organization_rollup_counts(org.id, 3600, since)
        .await
        .expect("counts");
    for pair in unsorted.windows(2) {
        if pair[0].0 == pair[1].0 {
            assert!(pair[0].1.start < pair[1].1.start);
        }
    }
    // Another tenant's read holds only its own target; a later `since`
    // leaves the older buckets out.
    let theirs = store
        .organization_rollup_counts(other_org.id, 3600, since)
        .await
        .expect("counts");
    assert!(!theirs.is_empty() && theirs.iter().all(|(id, _)| *id == foreign.id));
    let later = store
        .organization_rollup_counts(org.id, 3600, start + Duration::hours(2))
        .await
        .expect("counts");
    assert_eq!(later.len(), 2);

    // The dashboard's narrow read agrees with the full one, target by
    // target, and holds only this organization's targets.
    let summaries = store.target_summaries(org.id).await.expect("summaries");
    let pairs = store
        .targets_with_latest_check(org.id)
        .await
        .expect("latest");
    assert_eq!(summaries.len(), 3);
    for (summary, (target, latest)) in summaries.iter().zip(&pairs) {
        assert_eq!(summary.id, target.id);
        assert_eq!((&summary.name, &summary.url), (&target.name, &target.url));
        assert_eq!(summary.shown_state(), target.shown_state());
        assert_eq!(
            summary.last_checked_at,
            latest.as_ref().map(|c| c.checked_at)
        );
        assert_eq!(
            summary.last_latency_ms,
            latest.as_ref().and_then(|c| c.latency_ms)
        );
    }
    let quiet_row = summaries.iter().find(|s| s.id == quiet.id).expect("quiet");
    assert_eq!(quiet_row.shown_state(), TargetState::Paused);
    assert_eq!(quiet_row.last_checked_at, None);
    let b_row = summaries.iter().find(|s| s.id == b.id).expect("b");
    assert_eq!(
        b_row.last_checked_at.map(|t| t.timestamp_micros()),
        Some((start + Duration::hours(2)).timestamp_micros())
    );
    let theirs = store
        .target_summaries(other_org.id)
        .await
        .expect("summaries");
    assert_eq!(
        theirs.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![foreign.id]
    );
}

/// Members come with when they joined the organization, in that order;
/// a rename touches one organization and only the one named.
async fn members_and_renames(backend: Backend) {
    let Some((db, store)) = open(backend).await else {
        return;
    };
    let (owner, org) = account(&*store, "owner@example.com").await;
    let (other, other_org) = account(&*store, "other@example.com").await;
    // `other` made their account before joining `org`, an hour later.
    let joined = DateTime::from_timestamp(Utc::now().timestamp() + 3600, 0).expect("time");
    db.add_membership(other.id, org.id, Role::Member, joined)
        .await;

    let members = store.members(org.id).await.expect("members");
    let listed: Vec<_> = members
        .iter()
        .map(|m| (m.user.email.as_str(), m.role, m.joined_at))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("owner@example.com", Role::Owner, org.created_at),
            ("other@example.com", Role::Member, joined),
        ]
    );
    assert_eq!(members[1].user.created_at, other.created_at);
    assert_ne!(members[1].joined_at, members[1].user.created_at);
    assert_eq!(members[0].user.id, owner.id);

    let rename = OrganizationChange {
        name: Some("Renamed"),
        require_two_factor: None,
    };
    assert!(store
        .update_organization(org.id, rename, Utc::now())
        .await
        .expect("rename"));
    let names = |memberships: Vec<Membership>| {
        memberships
            .into_iter()
            .map(|m| (m.organization.id, m.organization.name))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(store.memberships(owner.id).await.expect("memberships")),
        vec![(org.id, "Renamed".to_owned())]
    );
    // The other organization keeps its name.
    assert_eq!(
        names(store.memberships(other.id).await.expect("memberships")),
        vec![
            (other_org.id, "Org".to_owned()),
            (org.id, "Renamed".to_owned())
        ]
    );
    let summaries = store.organization_summaries().await.expect("summaries");
    assert_eq!(summaries.len(), 2);
    assert_eq!(summaries[0].members, 2);
    // Requiring two-factor keeps the name; the flag reads back wherever
    // the organization is read.
    assert!(!summaries[0].organization.require_two_factor);
    let require = OrganizationChange {
        name: None,
        require_two_factor: Some(true),
    };
    assert!(store
        .update_organization(org.id, require, Utc::now())
        .await
        .expect("require"));
    let mine = store.memberships(owner.id).await.expect("memberships");
    assert_eq!(mine[0].organization.name, "Renamed");
    assert!(mine[0].organization.require_two_factor);
    let theirs = store.memberships(other.id).await.expect("memberships");
    assert!(!theirs[0].organization.require_two_factor);
    assert!(theirs[1].organization.require_two_factor);
    // No such organization: nothing renamed.
    let ghost = OrganizationChange {
        name: Some("Ghost"),
        require_two_factor: None,
    };
    assert!(!store
        .update_organization(OrganizationId::new(), ghost, Utc::now())
        .await
        .expect("rename"));
}

/// A certificate entering a warning window is one event, written with the
/// check, and the window is kept on the target for the next claim; a
/// check that saw no certificate leaves the window as it was.
async fn certificate_windows_are_logged_once(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (user, org) = account(&*store, "tls@example.com").await;
    let target = new_target(&*store, &org, &user, "https://example.com/").await;
    let expires_at = Utc::now() + Duration::days(10);
    let mut now = Utc::now() + Duration::seconds(1);
    for round in 0..3 {
        let claims = store
            .claim_due_targets("w", now, Duration::seconds(30), 10)
            .await
            .expect("claim");
        let claim = &claims[0];
        let watch = pharos_domain::event::watch_certificate(
            claim.target.certificate_window,
            (round != 2).then_some(expires_at),
            now,
        );
        let record = CheckRecord {
            organization_id: claim.target.organization_id,
            check: check_for(target.id, now, true),
            lease_epoch: claim.lease_epoch,
            certificate: pharos_storage::models::CertificateUpdate {
                window: watch.window,
                warning: watch.entered.map(|w| (expires_at, w)),
            },
            next_due_at: now + Duration::seconds(60),
            status: status_after(&claim.target, true),
        };
        store.record_checks(&[record]).await.expect("record");
        let stored = store
            .target(org.id, target.id)
            .await
            .expect("get")
            .expect("target");
        assert_eq!(stored.certificate_window, Some(14), "round {round}");
        now += Duration::seconds(61);
    }
    let events = store.events(org.id, 0, 100).await.expect("events");
    let expiring: Vec<_> = events
        .iter()
        .filter(|e| e.event_type == pharos_domain::event::EventType::CertificateExpiring)
        .collect();
    assert_eq!(expiring.len(), 1, "{events:?}");
    assert_eq!(expiring[0].payload["window_days"], 14);
    assert_eq!(expiring[0].payload["days_left"], 9);
    assert_eq!(expiring[0].target_id, target.id);
}

/// Runs the one due target through `verdicts` (the others are paused);
/// returns the time after the last check.
async fn drive(
    store: &dyn Store,
    expected: TargetId,
    mut now: DateTime<Utc>,
    verdicts: &[bool],
) -> DateTime<Utc> {
    for up in verdicts {
        let ran = run_once(store, now, *up).await.expect("due");
        assert_eq!(ran.id, expected);
        now += Duration::seconds(21);
    }
    now
}

/// Fans the organization's new events out to `channel`: one notification
/// per down or up event (which carry their incident).
async fn notify_downs_and_ups(store: &dyn Store, org: OrganizationId, channel: ChannelId) -> usize {
    let batches = store.events_to_fan_out(10, 100).await.expect("fan out");
    let batch = batches
        .iter()
        .find(|b| b.organization_id == org)
        .expect("the organization's events");
    let wanted: Vec<NewNotification> = batch
        .events
        .iter()
        .filter_map(|e| {
            let kind = match e.event.event_type {
                EventType::TargetDown => NotificationKind::Down,
                EventType::TargetUp => NotificationKind::Up,
                _ => return None,
            };
            Some(NewNotification {
                channel_id: channel,
                event_seq: e.event.seq,
                reminder: 0,
                target_id: e.event.target_id,
                incident_id: e.event.incident_id,
                kind,
                payload: e.event.payload.clone(),
                include_history: false,
                occurred_at: e.event.occurred_at,
                due_at: Utc::now(),
            })
        })
        .collect();
    let up_to = batch.events.last().map_or(batch.after, |e| e.event.seq);
    assert!(store
        .enqueue_notifications(
            org,
            batch.after,
            up_to,
            &wanted,
            FoldRule::default(),
            Utc::now()
        )
        .await
        .expect("enqueue"));
    wanted.len()
}

async fn new_channel(store: &dyn Store, org: OrganizationId) -> ChannelId {
    let config = serde_json::json!({ "url": "https://hooks.example.com/x" });
    store
        .create_channel(
            org,
            NewChannel {
                id: ChannelId::new(),
                kind: ChannelKind::Webhook,
                name: "ops",
                config: &config,
                sealed_secret: None,
                is_default: true,
                now: Utc::now(),
            },
        )
        .await
        .expect("channel")
        .id
}

async fn organization_incidents_open_first_and_their_notifications(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let store = &*store;
    let (user, org) = account(store, "i@example.com").await;
    let a = new_target(store, &org, &user, "https://a.example.com/").await;
    let b = new_target(store, &org, &user, "https://b.example.com/").await;
    let start = Utc::now() + Duration::seconds(1);
    store
        .set_paused(org.id, a.id, true, start)
        .await
        .expect("pause");
    // b: an incident opened and closed; then a: one opened, still open.
    let now = drive(store, b.id, start, &[false, false, true]).await;
    store
        .set_paused(org.id, b.id, true, now)
        .await
        .expect("pause");
    store
        .set_paused(org.id, a.id, false, now)
        .await
        .expect("resume");
    let now = drive(store, a.id, now, &[false, false]).await;
    store
        .set_paused(org.id, a.id, true, now)
        .await
        .expect("pause");
    // Another organization's incident, open too.
    let (other_user, other) = account(store, "j@example.com").await;
    let c = new_target(store, &other, &other_user, "https://c.example.com/").await;
    drive(store, c.id, now, &[false, false]).await;

    let all = store
        .organization_incidents(org.id, None, 10)
        .await
        .expect("incidents");
    let shown: Vec<_> = all
        .iter()
        .map(|i| (i.incident.target_id, i.incident.closed_at.is_some()))
        .collect();
    assert_eq!(shown, [(a.id, false), (b.id, true)], "open ones first");
    assert_eq!(all[0].target_url, "https://a.example.com/");
    assert_eq!(all[0].target_name.as_deref(), Some("site"));

    // Page by page, the same order, nothing twice.
    let first = store
        .organization_incidents(org.id, None, 1)
        .await
        .expect("page 1");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].incident.id, all[0].incident.id);
    let cursor = IncidentCursor::after(&first[0].incident);
    assert_eq!(IncidentCursor::decode(&cursor.encode()), Some(cursor));
    let second = store
        .organization_incidents(org.id, Some(cursor), 1)
        .await
        .expect("page 2");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].incident.id, all[1].incident.id);
    let rest = store
        .organization_incidents(org.id, Some(IncidentCursor::after(&second[0].incident)), 10)
        .await
        .expect("page 3");
    assert!(rest.is_empty(), "{rest:?}");

    // The other organization sees its own incident only.
    let theirs = store
        .organization_incidents(other.id, None, 10)
        .await
        .expect("theirs");
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].incident.target_id, c.id);

    // Notifications of a page of incidents, read at once.
    let channel = new_channel(store, org.id).await;
    let other_channel = new_channel(store, other.id).await;
    // b: down and up; a: down.
    assert_eq!(notify_downs_and_ups(store, org.id, channel).await, 3);
    assert_eq!(
        notify_downs_and_ups(store, other.id, other_channel).await,
        1
    );
    let ids = [all[0].incident.id, all[1].incident.id];
    let sent = store
        .incidents_notifications(org.id, &ids, 10)
        .await
        .expect("notifications");
    let of = |incident: uuid::Uuid| {
        sent.iter()
            .filter(|n| n.incident_id == Some(incident))
            .map(|n| n.kind)
            .collect::<Vec<_>>()
    };
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(of(ids[0]), [NotificationKind::Down]);
    let mut b_kinds = of(ids[1]);
    b_kinds.sort_by_key(|k| k.as_str());
    assert_eq!(b_kinds, [NotificationKind::Down, NotificationKind::Up]);
    // At most `per_incident` of each, the newest.
    let latest = store
        .incidents_notifications(org.id, &ids, 1)
        .await
        .expect("latest");
    assert_eq!(latest.len(), 2, "{latest:?}");
    let b_latest = latest
        .iter()
        .find(|n| n.incident_id == Some(ids[1]))
        .expect("b's latest");
    assert_eq!(b_latest.kind, NotificationKind::Up);
    // Another organization's incident reads as nothing.
    assert!(store
        .incidents_notifications(org.id, &[theirs[0].incident.id], 10)
        .await
        .expect("foreign")
        .is_empty());
    assert!(store
        .incidents_notifications(org.id, &[], 10)
        .await
        .expect("none")
        .is_empty());
}

pharos_storage::on_both_backends!(
    organization_incidents_open_first_and_their_notifications,
    certificate_windows_are_logged_once,
    members_and_renames,
    accounts_and_sessions,
    targets_are_tenant_scoped,
    claims_checks_and_pages,
    expired_leases_are_taken_over,
    due_work_counts_waiting_and_claimed,
    states_incidents_and_rollups,
    rollup_counts_match_the_rollups,
    sessions_from_before_0013_keep_working,
);

/// An account written as the 0002 schema knew it: the store's own SQL
/// follows the newest schema (organizations gained `updated_at` in 0004).
async fn account_in_0002_schema(pool: &sqlx::SqlitePool) -> (User, Organization) {
    let now = Utc::now();
    let user = User {
        id: UserId::new(),
        email: "m@example.com".to_owned(),
        created_at: now,
        email_verified_at: None,
    };
    let org = Organization {
        id: OrganizationId::new(),
        name: "Org".to_owned(),
        created_at: now,
        require_two_factor: false,
    };
    sqlx::query(
        "INSERT INTO users (id, email, password_hash, created_at) \
         VALUES ($1, 'm@example.com', 'hash', $2)",
    )
    .bind(user.id.0)
    .bind(now)
    .execute(pool)
    .await
    .expect("user");
    sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, 'Org', $2)")
        .bind(org.id.0)
        .bind(now)
        .execute(pool)
        .await
        .expect("organization");
    sqlx::query(
        "INSERT INTO memberships (user_id, organization_id, role, created_at) \
         VALUES ($1, $2, 'owner', $3)",
    )
    .bind(user.id.0)
    .bind(org.id.0)
    .bind(now)
    .execute(pool)
    .await
    .expect("membership");
    (user, org)
}

/// `db`'s SQLite file migrated up to, not including, migration `version`
/// (a database an earlier release wrote), and a pool on it.
async fn sqlite_migrated_before(db: &TestDatabase, version: i64) -> sqlx::SqlitePool {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut earlier = sqlx::migrate::Migrator::new(dir.as_path())
        .await
        .expect("migrations");
    earlier.migrations = earlier
        .migrations
        .iter()
        .filter(|m| m.version < version)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let options: sqlx::sqlite::SqliteConnectOptions = db.url.parse().expect("url");
    let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true))
        .await
        .expect("pool");
    earlier
        .run(&pool)
        .await
        .expect("migrate to the earlier version");
    pool
}

/// Migration 0003 rebuilds SQLite's roll-up table as WITHOUT ROWID: a
/// database written by the earlier schema keeps every roll-up through it.
#[tokio::test]
async fn sqlite_rollups_survive_the_rebuild() {
    let Some(db) = TestDatabase::create(Backend::Sqlite).await else {
        return;
    };
    let pool = sqlite_migrated_before(&db, 3).await;

    let store = pharos_storage::connect(&db.url).await.expect("connect");
    let (_user, org) = account_in_0002_schema(&pool).await;
    // Written as the 0002 schema holds them (today's store code needs the
    // newest schema): a target and the roll-ups of three checks.
    let start = Utc::now() + Duration::seconds(1);
    let target = TargetId::new();
    sqlx::query(
        "INSERT INTO targets (id, organization_id, url, interval_seconds, timeout_seconds, \
           created_at, updated_at, next_due_at) VALUES ($1, $2, 'https://m.example.com/', 60, 10, $3, $3, $3)",
    )
    .bind(target.0)
    .bind(org.id.0)
    .bind(start)
    .execute(&pool)
    .await
    .expect("target");
    for round in 0..3 {
        let at = start + Duration::minutes(20 * round);
        let up = i64::from(round != 1);
        for width in [900_i64, 3600, 86_400] {
            let bucket =
                chrono::DateTime::from_timestamp(at.timestamp().div_euclid(width) * width, 0)
                    .expect("bucket");
            sqlx::query(
                "INSERT INTO check_rollups (target_id, bucket_seconds, bucket_start, checks, up, degraded, \
                   latency_count, latency_sum, latency_min, latency_max, \
                   b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11) \
                 VALUES ($1, $2, $3, 1, $4, 0, $4, 40 * $4, 40, 40, 0, 0, 0, $4, 0, 0, 0, 0, 0, 0, 0, 0) \
                 ON CONFLICT (target_id, bucket_seconds, bucket_start) DO UPDATE SET \
                   checks = checks + 1, up = up + excluded.up, latency_count = latency_count + excluded.up, \
                   latency_sum = latency_sum + excluded.latency_sum, b3 = b3 + excluded.b3",
            )
            .bind(target.0)
            .bind(width)
            .bind(bucket)
            .bind(up)
            .execute(&pool)
            .await
            .expect("roll-up");
        }
    }
    let since = start - Duration::days(2);
    let mut read = Vec::new();
    for width in [900, 3600, 86_400] {
        read.push(
            store
                .rollups(org.id, target, width, since)
                .await
                .expect("rollups"),
        );
    }
    assert_eq!(read[1].iter().map(|b| b.rollup.checks).sum::<u64>(), 3);

    store.migrate().await.expect("migrate to the newest");
    let (kind,): (String,) =
        sqlx::query_as("SELECT sql FROM sqlite_master WHERE name = 'check_rollups'")
            .fetch_one(&pool)
            .await
            .expect("schema");
    assert!(kind.contains("WITHOUT ROWID"), "{kind}");
    for (i, width) in [900, 3600, 86_400].into_iter().enumerate() {
        let after = store
            .rollups(org.id, target, width, since)
            .await
            .expect("rollups");
        assert_eq!(after, read[i], "width {width}");
    }
    // And it is still written to: one more check lands in the roll-ups.
    let now = start + Duration::hours(1);
    let claims = store
        .claim_due_targets("w", now, Duration::seconds(30), 10)
        .await
        .expect("claim");
    assert_eq!(claims.len(), 1);
    let records = vec![CheckRecord {
        organization_id: claims[0].target.organization_id,
        check: check_for(target, now, true),
        lease_epoch: claims[0].lease_epoch,
        certificate: Default::default(),
        next_due_at: now + Duration::seconds(20),
        status: status_after(&claims[0].target, true),
    }];
    store.record_checks(&records).await.expect("record");
    let day = store
        .rollups(org.id, target, 86_400, since)
        .await
        .expect("rollups");
    assert_eq!(day.iter().map(|b| b.rollup.checks).sum::<u64>(), 4);
}

/// Two processes starting on one new SQLite file (`pharos web` beside
/// `pharos worker`) both migrate it: neither fails, and it ends migrated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_migrate_one_new_sqlite_file_at_once() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/race.db", dir.path().display());
    let first = pharos_storage::connect(&url).await.expect("connect");
    let second = pharos_storage::connect(&url).await.expect("connect");
    let (a, b) = tokio::join!(first.migrate(), second.migrate());
    a.expect("first migrates");
    b.expect("second migrates");
    assert!(first.ready().await.expect("ready"));
}

/// Sessions written before migration 0013 (no public id, no address, no
/// user agent) keep working through it: each gets an id of its own, and
/// is found by its token hash and listed as before.
async fn sessions_from_before_0013_keep_working(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(match backend {
        Backend::Sqlite => "migrations/sqlite",
        Backend::Postgres => "migrations/postgres",
    });
    let mut before_0013 = sqlx::migrate::Migrator::new(dir.as_path())
        .await
        .expect("migrations");
    before_0013.migrations = before_0013
        .migrations
        .iter()
        .filter(|m| m.version < 13)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let user = UserId::new();
    let now = Utc::now();
    // The same statements for both backends, on their own pools.
    macro_rules! seed {
        ($pool:expr) => {{
            let pool = $pool;
            before_0013.run(&pool).await.expect("migrate to 0012");
            sqlx::query(
                "INSERT INTO users (id, email, password_hash, created_at) \
                 VALUES ($1, 'old@example.com', 'hash', $2)",
            )
            .bind(user.0)
            .bind(now)
            .execute(&pool)
            .await
            .expect("user");
            for hash in [b"old-one".as_slice(), b"old-two".as_slice()] {
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) \
                     VALUES ($1, $2, $3, $3, $4)",
                )
                .bind(hash)
                .bind(user.0)
                .bind(now)
                .bind(now + Duration::days(1))
                .execute(&pool)
                .await
                .expect("session");
            }
            pool.close().await;
        }};
    }
    match backend {
        Backend::Sqlite => {
            let options: sqlx::sqlite::SqliteConnectOptions = db.url.parse().expect("url");
            seed!(
                sqlx::SqlitePool::connect_with(options.create_if_missing(true))
                    .await
                    .expect("pool")
            );
        }
        Backend::Postgres => {
            seed!(sqlx::PgPool::connect(&db.url).await.expect("pool"));
        }
    }
    let store = pharos_storage::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate through 0013");
    let one = store
        .session(b"old-one")
        .await
        .expect("read")
        .expect("still there");
    let two = store
        .session(b"old-two")
        .await
        .expect("read")
        .expect("still there");
    assert_ne!(one.id, two.id, "each has an id of its own");
    assert_eq!(one.id.0.get_version_num(), 4);
    assert_eq!(one.client_address, None);
    assert_eq!(one.user_agent, None);
    let listed = store
        .user_sessions(user, now, now - Duration::hours(1))
        .await
        .expect("list");
    assert_eq!(listed.len(), 2);
    assert!(store
        .delete_user_session(user, one.id)
        .await
        .expect("delete"));
    assert!(store.session(b"old-one").await.expect("read").is_none());
}

/// Migration 0021 rebuilds SQLite's notifications and their attempts (a
/// CHECK gains the agent alert kinds): every notification and attempt
/// written before it is still there after, and the attempts still follow
/// their notification when it goes.
#[tokio::test]
async fn sqlite_notifications_survive_the_0021_rebuild() {
    use pharos_domain::alert::AttemptOutcome;
    let Some(db) = TestDatabase::create(Backend::Sqlite).await else {
        return;
    };
    let pool = sqlite_migrated_before(&db, 21).await;

    // The store's code for accounts, channels and the outbox runs on the
    // 0020 schema unchanged.
    let store = pharos_storage::connect(&db.url).await.expect("connect");
    let (user, org) = account(&*store, "old@example.com").await;
    let target = pharos_storage::testing::http_target(&*store, &org, &user).await;
    let config = serde_json::json!({ "url": "https://hooks.example.com/x" });
    let channel = store
        .create_channel(
            org.id,
            NewChannel {
                id: ChannelId::new(),
                kind: ChannelKind::Webhook,
                name: "hook",
                config: &config,
                sealed_secret: None,
                is_default: false,
                now: Utc::now(),
            },
        )
        .await
        .expect("channel");
    let now = Utc::now();
    let notification = NewNotification {
        channel_id: channel.id,
        event_seq: 1,
        reminder: 0,
        target_id: target.id,
        incident_id: None,
        kind: NotificationKind::Down,
        payload: serde_json::json!({ "error": "refused" }),
        include_history: false,
        occurred_at: now,
        due_at: now,
    };
    assert!(store
        .enqueue_notifications(org.id, 0, 1, &[notification], FoldRule::default(), now)
        .await
        .expect("enqueue"));
    let claimed = store
        .claim_notifications("old", now, Duration::seconds(60), 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    assert!(store
        .record_attempt(&AttemptRecord {
            notification_id: claimed[0].notification.id,
            lease_epoch: claimed[0].lease_epoch,
            attempted_at: now,
            outcome: AttemptOutcome::Delivered,
            status_code: Some(200),
            error: None,
            duration: std::time::Duration::from_millis(5),
            next_attempt_at: None,
            channel: ChannelHealth::Answered,
        })
        .await
        .expect("attempt"));

    store.migrate().await.expect("migrate to the newest");
    let kept = store
        .target_notifications(org.id, target.id, 10)
        .await
        .expect("notifications");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].id, claimed[0].notification.id);
    assert_eq!(
        kept[0].status,
        pharos_domain::alert::NotificationStatus::Delivered
    );
    let attempts = store
        .notification_attempts(org.id, &[kept[0].id])
        .await
        .expect("attempts");
    assert_eq!(attempts.len(), 1);
    let (old_tables,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%_old' OR name = 'events_new'",
    )
    .fetch_one(&pool)
    .await
    .expect("schema");
    assert_eq!(old_tables, 0);
    // The attempts refer to the new table: deleting the channel takes its
    // notifications and their attempts with it.
    assert!(store
        .delete_channel(org.id, channel.id)
        .await
        .expect("delete"));
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notification_attempts")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(left, 0);
    let (check,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pragma_foreign_key_check")
        .fetch_one(&pool)
        .await
        .expect("fk check");
    assert_eq!(check, 0);
}
