//! Agents on both backends: admission by the secret's hash and the
//! allowed list, tokens dropped on revocation, tenant isolation, results
//! stored once per slot, and a target's state by the quorum of its
//! locations (one of three down: degraded; two: down, one incident;
//! recovery closes it).

use chrono::{Duration, Utc};
use pharos_domain::agent::{AgentStatus, Location};
use pharos_domain::check::Verdict;
use pharos_domain::ids::{AgentId, CheckId};
use pharos_domain::quorum::Quorum;
use pharos_domain::status::{Confirmation, TargetState};
use pharos_storage::models::*;
use pharos_storage::prelude::*;
use pharos_storage::testing::{account, http_target, open_store as open, Backend};
use uuid::Uuid;

async fn admitted(store: &dyn Store, org: &Organization, name: &str, token: &[u8]) -> AgentId {
    let uuid = Uuid::new_v4();
    let intro = AgentIntroduction {
        uuid,
        name,
        version: "1.0",
        now: Utc::now(),
    };
    assert_eq!(
        store
            .admit_agent(org.id, intro, token, 10)
            .await
            .expect("admit"),
        AgentAdmission::Pending
    );
    let agent = store
        .agent_by_uuid(org.id, uuid)
        .await
        .expect("read")
        .expect("pending agent");
    assert!(store
        .set_agent_status(org.id, agent.id, AgentStatus::Approved)
        .await
        .expect("approve"));
    match store
        .admit_agent(org.id, intro, token, 10)
        .await
        .expect("admit")
    {
        AgentAdmission::Admitted(id) => assert_eq!(id, agent.id),
        other => panic!("expected admission, got {other:?}"),
    }
    agent.id
}

fn result(
    target: &Target,
    agent: AgentId,
    slot: chrono::DateTime<Utc>,
    verdict: Verdict,
) -> AgentCheck {
    AgentCheck {
        slot,
        verdict,
        check: Check {
            id: CheckId::new(),
            target_id: target.id,
            checked_at: slot,
            status_code: (verdict != Verdict::Down).then_some(200),
            latency_ms: Some(12),
            is_up: verdict != Verdict::Down,
            degraded: verdict == Verdict::Degraded,
            error_class: None,
            error: (verdict == Verdict::Down).then(|| "refused".to_owned()),
            timings: Default::default(),
            in_maintenance: false,
            location: Location::Agent(agent),
        },
    }
}

async fn admission_needs_the_secret_and_an_allowed_uuid(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (_alice, a) = account(&*store, "a@example.com").await;
    let (_bob, b) = account(&*store, "b@example.com").await;
    let allowed = Uuid::new_v4();
    store
        .set_agent_settings(
            a.id,
            AgentSettingsChange {
                secret_hash: Some(b"hash-a"),
                allowed_uuids: &[allowed],
                now: Utc::now(),
            },
        )
        .await
        .expect("settings");
    // One secret, one organization.
    let taken = store
        .set_agent_settings(
            b.id,
            AgentSettingsChange {
                secret_hash: Some(b"hash-a"),
                allowed_uuids: &[],
                now: Utc::now(),
            },
        )
        .await;
    assert!(
        matches!(taken, Err(pharos_storage::StoreError::Conflict(_))),
        "{taken:?}"
    );
    assert_eq!(
        store
            .organization_by_agent_secret(b"hash-a")
            .await
            .expect("read"),
        Some(a.id)
    );
    assert_eq!(
        store
            .organization_by_agent_secret(b"nope")
            .await
            .expect("read"),
        None
    );
    let settings = store.agent_settings(a.id).await.expect("settings");
    assert!(settings.secret_set);
    assert_eq!(settings.allowed_uuids, vec![allowed]);
    // Keeping the secret while changing the list.
    store
        .set_agent_settings(
            a.id,
            AgentSettingsChange {
                secret_hash: None,
                allowed_uuids: &[allowed],
                now: Utc::now(),
            },
        )
        .await
        .expect("settings");
    assert_eq!(
        store
            .organization_by_agent_secret(b"hash-a")
            .await
            .expect("read"),
        Some(a.id)
    );

    // An allowed UUID is admitted at once; its token finds it.
    let intro = |uuid| AgentIntroduction {
        uuid,
        name: "Frankfurt",
        version: "1.0",
        now: Utc::now(),
    };
    let id = match store
        .admit_agent(a.id, intro(allowed), b"token-1", 10)
        .await
        .expect("admit")
    {
        AgentAdmission::Admitted(id) => id,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        store
            .agent_by_token(b"token-1")
            .await
            .expect("read")
            .map(|x| x.id),
        Some(id)
    );
    // An unknown UUID waits, with no token.
    let stranger = Uuid::new_v4();
    assert_eq!(
        store
            .admit_agent(a.id, intro(stranger), b"token-2", 10)
            .await
            .expect("admit"),
        AgentAdmission::Pending
    );
    assert_eq!(store.agent_by_token(b"token-2").await.expect("read"), None);
    assert_eq!(
        store
            .admit_agent(a.id, intro(Uuid::new_v4()), b"token-3", 2)
            .await
            .expect("admit"),
        AgentAdmission::Pending
    );
    assert_eq!(
        store
            .admit_agent(a.id, intro(Uuid::new_v4()), b"token-4", 2)
            .await
            .expect("admit"),
        AgentAdmission::PendingListFull
    );
    // Revoked: the token is gone at once and admission is refused.
    assert!(store
        .set_agent_status(a.id, id, AgentStatus::Revoked)
        .await
        .expect("revoke"));
    assert_eq!(store.agent_by_token(b"token-1").await.expect("read"), None);
    assert_eq!(
        store
            .admit_agent(a.id, intro(allowed), b"token-5", 10)
            .await
            .expect("admit"),
        AgentAdmission::Refused
    );
    // Another organization sees none of it.
    assert!(store.agents(b.id).await.expect("list").is_empty());
    assert_eq!(store.agent(b.id, id).await.expect("read"), None);
    assert!(!store
        .set_agent_status(b.id, id, AgentStatus::Approved)
        .await
        .expect("foreign"));
    assert_eq!(store.agents(a.id).await.expect("list").len(), 3);
}

async fn state(store: &dyn Store, org: &Organization, target: &Target) -> TargetState {
    store
        .target(org.id, target.id)
        .await
        .expect("read")
        .expect("target")
        .state
}

async fn quorum_of_three_locations_decides_down(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (alice, a) = account(&*store, "a@example.com").await;
    let (bob, b) = account(&*store, "b@example.com").await;
    let target = http_target(&*store, &a, &alice).await;
    let foreign = http_target(&*store, &b, &bob).await;
    let one = admitted(&*store, &a, "one", b"t1").await;
    let two = admitted(&*store, &a, "two", b"t2").await;
    let three = admitted(&*store, &a, "three", b"t3").await;
    let agents = [one, two, three];
    // A foreign agent cannot be chosen, nor a foreign target.
    let theirs = admitted(&*store, &b, "theirs", b"t4").await;
    let with_foreign = [one, theirs];
    let refused = store
        .set_target_locations(
            a.id,
            target.id,
            TargetLocations {
                check_local: false,
                agents: &with_foreign,
                quorum: Some(Quorum::Majority),
            },
        )
        .await
        .expect("set");
    assert!(!refused);
    assert!(!store
        .set_target_locations(
            a.id,
            foreign.id,
            TargetLocations {
                check_local: false,
                agents: &agents,
                quorum: Some(Quorum::Majority)
            },
        )
        .await
        .expect("set"));
    assert!(store
        .set_target_locations(
            a.id,
            target.id,
            TargetLocations {
                check_local: false,
                agents: &agents,
                quorum: Some(Quorum::Majority)
            },
        )
        .await
        .expect("set"));
    let stored = store
        .target(a.id, target.id)
        .await
        .expect("read")
        .expect("target");
    assert!(!stored.check_local);
    assert_eq!(stored.quorum, Some(Quorum::Majority));
    assert_eq!(
        store
            .organization_target_agents(a.id)
            .await
            .expect("pairs")
            .len(),
        3
    );
    // A page's pairs: its own targets only, never another organization's.
    assert_eq!(
        store
            .agents_of_targets(a.id, &[target.id, foreign.id])
            .await
            .expect("pairs")
            .len(),
        3
    );
    assert!(store
        .agents_of_targets(b.id, &[target.id])
        .await
        .expect("pairs")
        .is_empty());
    assert!(store
        .agents_of_targets(a.id, &[])
        .await
        .expect("pairs")
        .is_empty());
    assert_eq!(
        store
            .agent_assignments(a.id, one)
            .await
            .expect("assigned")
            .len(),
        1
    );
    assert!(store
        .agent_assignments(b.id, one)
        .await
        .expect("assigned")
        .is_empty());
    // A batch's targets: only those assigned to the agent in its
    // organization come back, with their interval and organization.
    assert_eq!(
        store
            .agent_target_intervals(a.id, one, &[target.id, foreign.id, target.id])
            .await
            .expect("intervals"),
        vec![(target.id, target.interval_seconds, a.id)]
    );
    assert!(store
        .agent_target_intervals(a.id, theirs, &[target.id, foreign.id])
        .await
        .expect("intervals")
        .is_empty());
    assert!(store
        .agent_target_intervals(b.id, one, &[target.id])
        .await
        .expect("intervals")
        .is_empty());

    let confirm = Confirmation {
        failures_to_confirm: 1,
    };
    let t0 = chrono::DateTime::from_timestamp(Utc::now().timestamp() - 600, 0).expect("time");
    let slot = |n: i64| t0 + Duration::seconds(60 * n);

    for agent in agents {
        let w = store
            .record_agent_checks(
                a.id,
                agent,
                &[result(&target, agent, slot(0), Verdict::Up)],
                confirm,
            )
            .await
            .expect("write");
        assert_eq!(w.stored, 1);
    }
    assert_eq!(state(&*store, &a, &target).await, TargetState::Up);

    // One of three down: degraded, no incident.
    store
        .record_agent_checks(
            a.id,
            one,
            &[result(&target, one, slot(1), Verdict::Down)],
            confirm,
        )
        .await
        .expect("write");
    assert_eq!(state(&*store, &a, &target).await, TargetState::Degraded);
    assert!(store
        .incidents(a.id, target.id, 10)
        .await
        .expect("incidents")
        .is_empty());
    // Two of three: down, one incident; a third changes nothing more.
    store
        .record_agent_checks(
            a.id,
            two,
            &[result(&target, two, slot(1), Verdict::Down)],
            confirm,
        )
        .await
        .expect("write");
    assert_eq!(state(&*store, &a, &target).await, TargetState::Down);
    // The down event names the locations that see it down, for the alert.
    let events = store.events(a.id, 0, 1000).await.expect("events");
    let down = events
        .iter()
        .rev()
        .find(|e| e.event_type == pharos_domain::event::EventType::TargetDown)
        .expect("a down event");
    assert_eq!(down.payload["locations"], serde_json::json!(["one", "two"]));
    store
        .record_agent_checks(
            a.id,
            three,
            &[result(&target, three, slot(1), Verdict::Down)],
            confirm,
        )
        .await
        .expect("write");
    let incidents = store
        .incidents(a.id, target.id, 10)
        .await
        .expect("incidents");
    assert_eq!(incidents.len(), 1);
    assert!(incidents[0].closed_at.is_none());

    // A retried push stores nothing twice; another agent's target is refused.
    let retry = store
        .record_agent_checks(
            a.id,
            three,
            &[
                result(&target, three, slot(1), Verdict::Down),
                result(&foreign, three, slot(1), Verdict::Down),
            ],
            confirm,
        )
        .await
        .expect("write");
    assert_eq!(
        retry,
        AgentBatchWrite {
            stored: 0,
            duplicates: 1,
            refused: 1
        }
    );

    // Recovery: two up again is below quorum; the incident closes.
    for agent in [one, two] {
        store
            .record_agent_checks(
                a.id,
                agent,
                &[result(&target, agent, slot(2), Verdict::Up)],
                confirm,
            )
            .await
            .expect("write");
    }
    assert_eq!(state(&*store, &a, &target).await, TargetState::Degraded);
    let incidents = store
        .incidents(a.id, target.id, 10)
        .await
        .expect("incidents");
    assert_eq!(incidents.len(), 1);
    assert!(incidents[0].closed_at.is_some());
    let views = store.location_states(a.id, target.id).await.expect("views");
    assert_eq!(views.len(), 3);
    assert!(store
        .location_states(b.id, target.id)
        .await
        .expect("views")
        .is_empty());
    let checks = store
        .checks(a.id, target.id, None, 100)
        .await
        .expect("checks");
    assert_eq!(checks.len(), 8);
    assert!(checks
        .iter()
        .all(|c| matches!(c.location, Location::Agent(_))));

    // An agent silent too long is offline, once; the rest decide.
    let later = Utc::now() + Duration::hours(1);
    let before = store.events(a.id, 0, 1000).await.expect("events").len();
    let silent = store.mark_silent_agents(later, later).await.expect("sweep");
    assert_eq!(silent.len(), 4);
    // One event for each of its targets, in its organization only.
    let events = store.events(a.id, 0, 1000).await.expect("events");
    let offline: Vec<_> = events[before..]
        .iter()
        .filter(|e| e.event_type == pharos_domain::event::EventType::AgentOffline)
        .collect();
    assert_eq!(offline.len(), 3, "{offline:?}");
    assert!(offline.iter().all(|e| e.target_id == target.id));
    assert!(store
        .mark_silent_agents(later, later)
        .await
        .expect("sweep")
        .is_empty());
    assert!(store
        .touch_agent(one, Some("1.1"), Utc::now())
        .await
        .expect("touch"));
    assert!(!store
        .touch_agent(one, None, Utc::now())
        .await
        .expect("touch"));
}

async fn webhook_channel(
    store: &dyn Store,
    org: &Organization,
    name: &str,
    default: bool,
) -> Channel {
    let config = serde_json::json!({ "url": "https://hooks.example.com/x" });
    store
        .create_channel(
            org.id,
            NewChannel {
                id: pharos_domain::ids::ChannelId::new(),
                kind: pharos_domain::channel::ChannelKind::Webhook,
                name,
                config: &config,
                sealed_secret: None,
                is_default: default,
                now: Utc::now(),
            },
        )
        .await
        .expect("create channel")
}

/// The agent alerts written about any of `targets`, as (kind, channel).
async fn agent_alerts(
    store: &dyn Store,
    org: &Organization,
    targets: &[&Target],
) -> Vec<(
    pharos_domain::alert::NotificationKind,
    pharos_domain::ids::ChannelId,
)> {
    use pharos_domain::alert::NotificationKind;
    let mut out = Vec::new();
    for target in targets {
        for n in store
            .target_notifications(org.id, target.id, 100)
            .await
            .expect("notifications")
        {
            if matches!(
                n.kind,
                NotificationKind::AgentOffline | NotificationKind::AgentOnline
            ) {
                assert_eq!(n.payload["targets"], serde_json::json!(targets.len()));
                out.push((n.kind, n.channel_id));
            }
        }
    }
    out.sort_by_key(|(kind, channel)| (kind.as_str(), channel.0));
    out
}

/// An agent gone offline alerts each channel that alerts for any of its
/// targets once (not once per target), in its organization only; back
/// online, the same channels hear it once more.
async fn an_offline_agent_alerts_each_channel_once(backend: Backend) {
    use pharos_domain::alert::NotificationKind::{AgentOffline, AgentOnline};
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (alice, a) = account(&*store, "a@example.com").await;
    let (bob, b) = account(&*store, "b@example.com").await;
    let own = webhook_channel(&*store, &a, "own", false).await;
    let default = webhook_channel(&*store, &a, "default", true).await;
    let unused = webhook_channel(&*store, &a, "unused", false).await;
    let theirs = webhook_channel(&*store, &b, "theirs", true).await;
    let t1 = http_target(&*store, &a, &alice).await;
    let t2 = http_target(&*store, &a, &alice).await;
    let t3 = http_target(&*store, &a, &alice).await;
    let foreign = http_target(&*store, &b, &bob).await;
    for t in [&t1, &t2] {
        store
            .set_target_channels(a.id, t.id, &[own.id])
            .await
            .expect("link");
    }
    let agent = admitted(&*store, &a, "Frankfurt", b"t1").await;
    let their_agent = admitted(&*store, &b, "Paris", b"t2").await;
    for (org, target, agent) in [
        (&a, &t1, agent),
        (&a, &t2, agent),
        (&a, &t3, agent),
        (&b, &foreign, their_agent),
    ] {
        assert!(checked_from(&*store, org, target, true, agent).await);
    }

    let later = Utc::now() + Duration::hours(1);
    assert_eq!(
        store
            .mark_silent_agents(later, later)
            .await
            .expect("sweep")
            .len(),
        2
    );
    let mine = [&t1, &t2, &t3];
    let mut expected = vec![(AgentOffline, own.id), (AgentOffline, default.id)];
    expected.sort_by_key(|(kind, channel)| (kind.as_str(), channel.0));
    assert_eq!(agent_alerts(&*store, &a, &mine).await, expected);
    assert!(!agent_alerts(&*store, &a, &mine)
        .await
        .iter()
        .any(|(_, c)| *c == unused.id || *c == theirs.id));
    assert_eq!(
        agent_alerts(&*store, &b, &[&foreign]).await,
        vec![(AgentOffline, theirs.id)]
    );
    // A second sweep finds it offline already: nothing more is told.
    assert!(store
        .mark_silent_agents(later, later)
        .await
        .expect("sweep")
        .is_empty());
    assert_eq!(agent_alerts(&*store, &a, &mine).await.len(), 2);

    // Heard from again: online, told once to the same channels.
    assert!(store.touch_agent(agent, None, later).await.expect("touch"));
    assert!(!store.touch_agent(agent, None, later).await.expect("touch"));
    let mut expected = vec![
        (AgentOffline, own.id),
        (AgentOffline, default.id),
        (AgentOnline, own.id),
        (AgentOnline, default.id),
    ];
    expected.sort_by_key(|(kind, channel)| (kind.as_str(), channel.0));
    assert_eq!(agent_alerts(&*store, &a, &mine).await, expected);
    let online_events = store
        .events(a.id, 0, 1000)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.event_type == pharos_domain::event::EventType::AgentOnline)
        .count();
    assert_eq!(online_events, 3);
}

/// A result a maintenance window held (the use case marks it) is kept in
/// history, and moves nothing: no location view, no state, no event.
async fn held_agent_results_move_nothing(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (a, target, agent) = one_agent_target(&*store, false).await;
    let confirm = Confirmation {
        failures_to_confirm: 1,
    };
    let t0 = chrono::DateTime::from_timestamp(Utc::now().timestamp() - 600, 0).expect("time");
    store
        .record_agent_checks(
            a.id,
            agent,
            &[result(&target, agent, t0, Verdict::Up)],
            confirm,
        )
        .await
        .expect("write");
    assert_eq!(state(&*store, &a, &target).await, TargetState::Up);
    let events_before = store.events(a.id, 0, 1000).await.expect("events").len();

    let mut held = result(&target, agent, t0 + Duration::seconds(60), Verdict::Down);
    held.check.in_maintenance = true;
    let written = store
        .record_agent_checks(a.id, agent, &[held], confirm)
        .await
        .expect("write");
    assert_eq!(written.stored, 1);
    assert_eq!(state(&*store, &a, &target).await, TargetState::Up);
    let views = store.location_states(a.id, target.id).await.expect("views");
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].state, TargetState::Up);
    assert_eq!(
        store.events(a.id, 0, 1000).await.expect("events").len(),
        events_before
    );
    let checks = store
        .checks(a.id, target.id, None, 10)
        .await
        .expect("checks");
    assert_eq!(checks.len(), 2);
    assert!(checks[0].in_maintenance && !checks[0].is_up);

    // Once the window is over, the same failure is told at once.
    store
        .record_agent_checks(
            a.id,
            agent,
            &[result(
                &target,
                agent,
                t0 + Duration::seconds(120),
                Verdict::Down,
            )],
            confirm,
        )
        .await
        .expect("write");
    assert_eq!(state(&*store, &a, &target).await, TargetState::Down);
}

/// A public location: an operator's agent every organization may choose
/// once published. It checks each organization's targets, and what it
/// finds (state changes, its going offline) lands in that organization's
/// log and channels alone; taken back, it checks them no more.
async fn a_public_location_serves_every_organization_apart(backend: Backend) {
    use pharos_domain::event::EventType;
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (_op, operator) = account(&*store, "operator@example.com").await;
    let (bob, b) = account(&*store, "b@example.com").await;
    let (carol, c) = account(&*store, "c@example.com").await;
    let public = admitted(&*store, &operator, "Public Frankfurt", b"tp").await;
    let theirs = http_target(&*store, &b, &bob).await;
    let others = http_target(&*store, &c, &carol).await;
    let b_channel = webhook_channel(&*store, &b, "b default", true).await;
    let c_channel = webhook_channel(&*store, &c, "c default", true).await;
    // Private until published: another organization cannot choose it.
    assert!(!checked_from(&*store, &b, &theirs, true, public).await);
    assert!(store.public_agents().await.expect("public").is_empty());
    let published = store
        .set_agent_public(public, true)
        .await
        .expect("publish")
        .expect("the agent");
    assert!(published.public);
    assert_eq!(store.public_agents().await.expect("public").len(), 1);
    assert!(checked_from(&*store, &b, &theirs, true, public).await);
    assert!(checked_from(&*store, &c, &others, true, public).await);
    let assigned: Vec<_> = store
        .agent_assignments(operator.id, public)
        .await
        .expect("assignments")
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(assigned.len(), 2);
    assert!(assigned.contains(&theirs.id) && assigned.contains(&others.id));

    // Its result for Bob's target is Bob's news, nobody else's.
    let confirm = Confirmation {
        failures_to_confirm: 1,
    };
    let t0 = chrono::DateTime::from_timestamp(Utc::now().timestamp() - 600, 0).expect("time");
    let written = store
        .record_agent_checks(
            operator.id,
            public,
            &[result(&theirs, public, t0, Verdict::Down)],
            confirm,
        )
        .await
        .expect("write");
    assert_eq!(written.stored, 1);
    assert_eq!(state(&*store, &b, &theirs).await, TargetState::Down);
    let of = |org: &Organization, kind: EventType| {
        let store = &store;
        let org = org.id;
        async move {
            store
                .events(org, 0, 1000)
                .await
                .expect("events")
                .into_iter()
                .filter(|e| e.event_type == kind)
                .count()
        }
    };
    assert_eq!(of(&b, EventType::TargetDown).await, 1);
    assert_eq!(of(&operator, EventType::TargetDown).await, 0);
    assert_eq!(of(&c, EventType::TargetDown).await, 0);

    // Offline: each organization hears of its own targets, on its own
    // channels; the operator's organization, with none, hears nothing.
    let later = Utc::now() + Duration::hours(1);
    assert_eq!(
        store
            .mark_silent_agents(later, later)
            .await
            .expect("sweep")
            .len(),
        1
    );
    assert_eq!(of(&b, EventType::AgentOffline).await, 1);
    assert_eq!(of(&c, EventType::AgentOffline).await, 1);
    assert_eq!(of(&operator, EventType::AgentOffline).await, 0);
    assert_eq!(
        agent_alerts(&*store, &b, &[&theirs]).await,
        vec![(
            pharos_domain::alert::NotificationKind::AgentOffline,
            b_channel.id
        )]
    );
    assert_eq!(
        agent_alerts(&*store, &c, &[&others]).await,
        vec![(
            pharos_domain::alert::NotificationKind::AgentOffline,
            c_channel.id
        )]
    );

    // Taken back: other organizations' targets are not its to check.
    store
        .set_agent_public(public, false)
        .await
        .expect("unpublish");
    assert!(store
        .agent_assignments(operator.id, public)
        .await
        .expect("assignments")
        .is_empty());
    let refused = store
        .record_agent_checks(
            operator.id,
            public,
            &[result(
                &theirs,
                public,
                t0 + Duration::seconds(60),
                Verdict::Up,
            )],
            confirm,
        )
        .await
        .expect("write");
    assert_eq!((refused.stored, refused.refused), (0, 1));
}

/// Sets `target`'s locations: the server or not, and one agent, any of
/// them deciding; `false` when the store refuses the choice.
async fn checked_from(
    store: &dyn Store,
    org: &Organization,
    target: &Target,
    check_local: bool,
    agent: AgentId,
) -> bool {
    store
        .set_target_locations(
            org.id,
            target.id,
            TargetLocations {
                check_local,
                agents: &[agent],
                quorum: Some(Quorum::Any),
            },
        )
        .await
        .expect("locations")
}

/// An account's target checked from one admitted agent (and the server
/// too when `check_local`).
async fn one_agent_target(store: &dyn Store, check_local: bool) -> (Organization, Target, AgentId) {
    let (alice, a) = account(store, "a@example.com").await;
    let target = http_target(store, &a, &alice).await;
    let agent = admitted(store, &a, "one", b"t1").await;
    assert!(checked_from(store, &a, &target, check_local, agent).await);
    (a, target, agent)
}

async fn last_seen(store: &dyn Store, org: &Organization, agent: AgentId) -> chrono::DateTime<Utc> {
    store
        .agent(org.id, agent)
        .await
        .expect("read")
        .expect("agent")
        .last_seen_at
}

/// Results arriving are a sign of life: an agent whose pushes keep
/// coming is not found silent even when its heartbeats are late.
async fn a_push_keeps_an_agent_online(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (a, target, agent) = one_agent_target(&*store, true).await;
    let before = last_seen(&*store, &a, agent).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let t0 = chrono::DateTime::from_timestamp(Utc::now().timestamp() - 600, 0).expect("time");
    store
        .record_agent_checks(
            a.id,
            agent,
            &[result(&target, agent, t0, Verdict::Up)],
            Confirmation::default(),
        )
        .await
        .expect("write");
    let after = last_seen(&*store, &a, agent).await;
    assert!(after > before, "{before} then {after}");
    // Silent means no heartbeat and no push since the cut-off.
    assert!(store
        .mark_silent_agents(after - Duration::milliseconds(1), Utc::now())
        .await
        .expect("sweep")
        .is_empty());
    assert_eq!(
        store
            .mark_silent_agents(after + Duration::seconds(1), Utc::now())
            .await
            .expect("sweep")
            .len(),
        1
    );
}

/// A push of buffered results (several slots of one target, one of them
/// twice) is judged in order within the batch, stored once per slot, and
/// counted once per check in the roll-ups, however many share a bucket.
async fn a_buffered_batch_counts_each_check_once(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (a, target, agent) = one_agent_target(&*store, false).await;
    let confirm = Confirmation {
        failures_to_confirm: 2,
    };
    // On an hour's start, so the five slots share one hour and one day.
    let hour = Utc::now().timestamp() / 3600 * 3600 - 7200;
    let t0 = chrono::DateTime::from_timestamp(hour, 0).expect("time");
    let slot = |n: i64| t0 + Duration::seconds(60 * n);
    let batch = [
        result(&target, agent, slot(0), Verdict::Up),
        result(&target, agent, slot(1), Verdict::Up),
        result(&target, agent, slot(1), Verdict::Up),
        result(&target, agent, slot(2), Verdict::Down),
        result(&target, agent, slot(3), Verdict::Down),
        result(&target, agent, slot(4), Verdict::Down),
    ];
    let first = store
        .record_agent_checks(a.id, agent, &batch, confirm)
        .await
        .expect("write");
    assert_eq!(
        first,
        AgentBatchWrite {
            stored: 5,
            duplicates: 1,
            refused: 0
        }
    );
    // The second failure in the batch confirmed the first: down, one
    // incident, opened at the confirming check.
    assert_eq!(state(&*store, &a, &target).await, TargetState::Down);
    let incidents = store
        .incidents(a.id, target.id, 10)
        .await
        .expect("incidents");
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].opened_at, slot(3));
    let again = store
        .record_agent_checks(a.id, agent, &batch, confirm)
        .await
        .expect("write");
    assert_eq!(again.stored, 0);
    assert_eq!(again.duplicates, 6);

    for width in [900, 3600, 86_400] {
        let buckets = store
            .rollups(a.id, target.id, width, t0 - Duration::days(1))
            .await
            .expect("rollups");
        let total = buckets
            .iter()
            .fold(pharos_domain::rollup::Rollup::default(), |mut acc, b| {
                acc.add(&b.rollup);
                acc
            });
        assert_eq!((total.checks, total.up), (5, 2), "width {width}");
        assert_eq!(total.latency_count, 2, "only answers count for latency");
        assert_eq!(total.bins.iter().sum::<u64>(), 2);
        if width > 900 {
            assert_eq!(buckets.len(), 1, "width {width}: one bucket");
        }
    }
}

pharos_storage::on_both_backends!(
    a_buffered_batch_counts_each_check_once,
    a_push_keeps_an_agent_online,
    a_public_location_serves_every_organization_apart,
    held_agent_results_move_nothing,
    admission_needs_the_secret_and_an_allowed_uuid,
    quorum_of_three_locations_decides_down,
    an_offline_agent_alerts_each_channel_once,
);
