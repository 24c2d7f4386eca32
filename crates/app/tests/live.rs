//! Live dashboards share one poller per organization: however many
//! listen, the database is read once a tick. Proved by counting reads
//! against the snapshots published, never by timing: every read the
//! poller makes is counted (`LiveHub::reads`), every snapshot is numbered
//! (`seq`), so one read per snapshot with 100 listeners is one read per
//! tick, where a poller per listener would read 100 times.

use std::sync::Arc;
use std::time::Duration;

use pharos_app::live::{self, LiveSnapshot};
use pharos_app::{Actor, App, AppSettings, Credential};
use pharos_domain::ids::SessionId;
use pharos_domain::organization::Role;
use pharos_storage::models::{Membership, Organization, User};
use pharos_storage::testing::{account, http_target, open_store, Backend};
use tokio::sync::watch;

type Feed = watch::Receiver<Option<Arc<LiveSnapshot>>>;

fn actor(user: &User, org: &Organization) -> Actor {
    Actor {
        user: user.clone(),
        organization: org.id,
        role: Role::Viewer,
        memberships: vec![Membership {
            organization: org.clone(),
            role: Role::Viewer,
        }],
        credential: Credential::Session {
            token_hash: Vec::new(),
            id: SessionId::new(),
        },
        client: None,
        two_factor_hold: false,
    }
}

/// Reads counted by the hub, bracketed by the numbers of the snapshots
/// published just before and just after: a read is counted as it starts
/// and its snapshot published as it ends, so one read per snapshot keeps
/// the count within `before ..= after + 1`.
fn reads_between(hub: &pharos_app::live::LiveHub, feed: &Feed) -> (u64, u64, u64) {
    let seq = |f: &Feed| f.borrow().as_ref().map_or(0, |s| s.seq);
    let before = seq(feed);
    let reads = hub.reads();
    let after = seq(feed);
    (before, reads, after)
}

/// Waits for a snapshot numbered `seq` or later and returns it.
async fn at_least(feed: &mut Feed, seq: u64) -> Arc<LiveSnapshot> {
    loop {
        if let Some(s) = feed.borrow_and_update().clone() {
            if s.seq >= seq {
                return s;
            }
        }
        feed.changed()
            .await
            .expect("the poller runs while we listen");
    }
}

async fn one_read_a_tick_however_many_listen(backend: Backend) {
    let Some((_db, store)) = open_store(backend).await else {
        return;
    };
    let (user, org) = account(store.as_ref(), "a@example.com").await;
    let (other_user, other_org) = account(store.as_ref(), "b@example.com").await;
    let mine = http_target(store.as_ref(), &org, &user).await;
    http_target(store.as_ref(), &org, &user).await;
    let theirs = http_target(store.as_ref(), &other_org, &other_user).await;
    let app = App::new(
        store.clone(),
        AppSettings::default(),
        b"secret-0123456789abcdef",
    )
    .with_live_interval(Duration::from_millis(20));
    let hub = app.live.clone();

    // One listener: one read per snapshot.
    let mut alone = live::subscribe(&app, &actor(&user, &org));
    let first = at_least(&mut alone, 5).await;
    let (before, reads, after) = reads_between(&hub, &alone);
    assert!(
        before <= reads && reads <= after + 1,
        "{reads} reads for {before}..{after} snapshots with one listener"
    );

    // A hundred listeners of the same organization: still one read per
    // snapshot, and each of them sees the same snapshots.
    let mut feeds: Vec<Feed> = (0..100)
        .map(|_| live::subscribe(&app, &actor(&user, &org)))
        .collect();
    let goal = first.seq + 10;
    for feed in &mut feeds {
        let snapshot = at_least(feed, goal).await;
        assert_eq!(snapshot.targets.len(), 2);
    }
    let (before, reads, after) = reads_between(&hub, &feeds[99]);
    assert!(before >= goal);
    assert!(
        before <= reads && reads <= after + 1,
        "{reads} reads for {before}..{after} snapshots with 101 listeners"
    );
    assert_eq!(hub.pollers(), 1);

    // Another organization gets its own poller and only its own targets.
    let mut foreign = live::subscribe(&app, &actor(&other_user, &other_org));
    let snapshot = at_least(&mut foreign, 1).await;
    assert_eq!(snapshot.targets.len(), 1);
    assert!(snapshot.targets.contains_key(&theirs.id));
    assert!(!snapshot.targets.contains_key(&mine.id));
    assert_eq!(hub.pollers(), 2);

    // A state change gets the target's day strip redrawn, once, by the
    // poller: one more read, whatever the number of listeners.
    let before = at_least(&mut alone, 1).await.seq;
    store
        .set_paused(org.id, mine.id, true, chrono::Utc::now())
        .await
        .expect("pause");
    let redrawn = loop {
        let s = at_least(&mut alone, before + 1).await;
        if s.days.contains_key(&mine.id) {
            break s;
        }
    };
    assert_eq!(
        redrawn.targets[&mine.id].shown_state(),
        pharos_domain::status::TargetState::Paused
    );

    // When every listener is gone, the pollers end and reading stops.
    drop((alone, feeds, foreign));
    while hub.pollers() > 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stopped = hub.reads();
    // Two more intervals' worth of waiting: no poller is left to read.
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(hub.reads(), stopped);

    // A new listener starts a new poller.
    let mut again = live::subscribe(&app, &actor(&user, &org));
    assert_eq!(at_least(&mut again, 1).await.targets.len(), 2);
}

pharos_storage::on_both_backends!(one_read_a_tick_however_many_listen);
