//! Badge tokens and worker presence (migration 0016), on both backends.

use chrono::{Duration, Utc};
use pharos_domain::TargetCheck;
use pharos_storage::models::*;
use pharos_storage::testing::{account, open_store as open, Backend};

async fn badge_tokens_find_their_target_only_while_set(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (user, org) = account(&*store, "b@example.com").await;
    let (_, other_org) = account(&*store, "o@example.com").await;
    let target = store
        .create_target(
            org.id,
            NewTarget::due_now(
                user.id,
                TargetCheck::http_get("https://example.com/".to_owned()),
                60,
                5,
                Utc::now(),
            ),
        )
        .await
        .expect("target");
    assert!(target.badge_token.is_none());
    // Another organization cannot set it.
    let foreign = store
        .set_badge_token(other_org.id, target.id, Some("t1"), Utc::now())
        .await
        .expect("update");
    assert!(foreign.is_none());
    assert!(store
        .target_by_badge_token("t1")
        .await
        .expect("read")
        .is_none());

    let set = store
        .set_badge_token(org.id, target.id, Some("t1"), Utc::now())
        .await
        .expect("update")
        .expect("the target");
    assert_eq!(set.badge_token.as_deref(), Some("t1"));
    let found = store.target_by_badge_token("t1").await.expect("read");
    assert_eq!(found.map(|t| t.id), Some(target.id));
    // Tokens are unique.
    let second = store
        .create_target(
            org.id,
            NewTarget::due_now(
                user.id,
                TargetCheck::http_get("https://example.org/".to_owned()),
                60,
                5,
                Utc::now(),
            ),
        )
        .await
        .expect("target");
    let clash = store
        .set_badge_token(org.id, second.id, Some("t1"), Utc::now())
        .await;
    assert!(clash.is_err(), "a token names one target");

    store
        .set_badge_token(org.id, target.id, None, Utc::now())
        .await
        .expect("clear");
    assert!(store
        .target_by_badge_token("t1")
        .await
        .expect("read")
        .is_none());
}

async fn worker_presence_keeps_the_latest_claim_and_forgets_the_gone(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let now = Utc::now();
    let long_ago = now - Duration::days(30);
    let started = now - Duration::minutes(5);
    let claimed = now - Duration::minutes(1);
    store
        .record_worker_presence(
            &WorkerPresence {
                worker_id: "gone".to_owned(),
                started_at: long_ago,
                last_seen_at: long_ago,
                last_claim_at: None,
            },
            long_ago - Duration::days(1),
        )
        .await
        .expect("write");
    store
        .record_worker_presence(
            &WorkerPresence {
                worker_id: "w1".to_owned(),
                started_at: started,
                last_seen_at: claimed,
                last_claim_at: Some(claimed),
            },
            now - Duration::days(7),
        )
        .await
        .expect("write");
    // A beat that knows of no claim keeps the claim time written before.
    store
        .record_worker_presence(
            &WorkerPresence {
                worker_id: "w1".to_owned(),
                started_at: started,
                last_seen_at: now,
                last_claim_at: None,
            },
            now - Duration::days(7),
        )
        .await
        .expect("write");
    let seen = store
        .worker_presence(long_ago - Duration::days(1))
        .await
        .expect("read");
    assert_eq!(seen.len(), 1, "the worker unseen for 30 days is forgotten");
    assert_eq!(seen[0].worker_id, "w1");
    assert_eq!(
        seen[0].last_claim_at.map(|t| t.timestamp_micros()),
        Some(claimed.timestamp_micros())
    );
    assert_eq!(
        seen[0].last_seen_at.timestamp_micros(),
        now.timestamp_micros()
    );
    assert!(store
        .worker_presence(now + Duration::seconds(1))
        .await
        .expect("read")
        .is_empty());
}

pharos_storage::on_both_backends!(
    badge_tokens_find_their_target_only_while_set,
    worker_presence_keeps_the_latest_claim_and_forgets_the_gone,
);
