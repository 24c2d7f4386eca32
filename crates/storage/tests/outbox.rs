//! Channels, alert settings and the notification outbox, on both backends:
//! tenant isolation, idempotent fan-out, exclusive claims, leases that
//! expire, attempts that move a notification and its channel on.

use std::collections::HashSet;

use chrono::{Duration, Utc};
use pharos_domain::alert::{
    AlertSettings, AlertType, AttemptOutcome, FoldRule, NotificationKind, NotificationStatus,
    RepeatMinutes,
};
use pharos_domain::ids::{ChannelId, NotificationId};
use pharos_domain::ChannelKind;
use pharos_storage::models::*;
use pharos_storage::prelude::*;
use pharos_storage::testing::{account, open_store as open, Backend};

async fn target(store: &dyn Store, org: &Organization, user: &User) -> Target {
    pharos_storage::testing::http_target(store, org, user).await
}

async fn channel(store: &dyn Store, org: &Organization, name: &str, default: bool) -> Channel {
    let config = serde_json::json!({ "url": "https://hooks.example.com/x" });
    store
        .create_channel(
            org.id,
            NewChannel {
                id: ChannelId::new(),
                kind: ChannelKind::Webhook,
                name,
                config: &config,
                sealed_secret: Some(b"sealed bytes"),
                is_default: default,
                now: Utc::now(),
            },
        )
        .await
        .expect("create channel")
}

async fn channels_are_tenant_scoped(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (alice, a) = account(&*store, "a@example.com").await;
    let (bob, b) = account(&*store, "b@example.com").await;
    let mine = channel(&*store, &a, "ops", false).await;
    let theirs = channel(&*store, &b, "theirs", false).await;
    let my_target = target(&*store, &a, &alice).await;
    let their_target = target(&*store, &b, &bob).await;

    assert_eq!(mine.kind, ChannelKind::Webhook);
    assert_eq!(mine.sealed_secret.as_deref(), Some(&b"sealed bytes"[..]));
    assert_eq!(
        store.channels(a.id).await.expect("list"),
        vec![mine.clone()]
    );
    assert!(store.channel(b.id, mine.id).await.expect("get").is_none());
    let rename = ChannelPatch {
        name: Some("stolen"),
        config: None,
        is_default: None,
        now: Utc::now(),
    };
    assert!(store
        .update_channel(b.id, mine.id, rename)
        .await
        .expect("update")
        .is_none());
    assert!(!store.delete_channel(b.id, mine.id).await.expect("delete"));

    // Another tenant's channel cannot be attached, nor a channel to
    // another tenant's target; a refused change changes nothing.
    assert!(store
        .set_target_channels(a.id, my_target.id, &[mine.id])
        .await
        .expect("set"));
    assert!(!store
        .set_target_channels(a.id, my_target.id, &[mine.id, theirs.id])
        .await
        .expect("set"));
    assert_eq!(
        store
            .target_channels(a.id, my_target.id)
            .await
            .expect("read"),
        vec![mine.id]
    );
    assert!(!store
        .set_target_channels(a.id, their_target.id, &[mine.id])
        .await
        .expect("set"));
    assert!(store
        .target_channels(b.id, my_target.id)
        .await
        .expect("read")
        .is_empty());
    assert_eq!(
        store.organization_target_channels(a.id).await.expect("all"),
        vec![(my_target.id, mine.id)]
    );

    // A patch with a new config replaces the sealed part too; one without
    // keeps it.
    let config = serde_json::json!({ "url": "https://hooks.example.com/y" });
    let patched = store
        .update_channel(
            a.id,
            mine.id,
            ChannelPatch {
                name: Some("ops 2"),
                config: Some((&config, None)),
                is_default: Some(true),
                now: Utc::now(),
            },
        )
        .await
        .expect("update")
        .expect("found");
    assert_eq!(patched.name, "ops 2");
    assert_eq!(patched.config, config);
    assert_eq!(patched.sealed_secret, None);
    assert!(patched.is_default);

    assert!(store.delete_channel(a.id, mine.id).await.expect("delete"));
    assert!(store
        .target_channels(a.id, my_target.id)
        .await
        .expect("read")
        .is_empty());
}

async fn alert_settings_default_and_override(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (user, org) = account(&*store, "s@example.com").await;
    let (_, other) = account(&*store, "o@example.com").await;
    let t = target(&*store, &org, &user).await;
    assert_eq!(
        store.alert_defaults(org.id).await.expect("defaults"),
        AlertSettings::default()
    );
    let quiet = AlertSettings {
        alert_type: AlertType::None,
        ..AlertSettings::default()
    };
    store
        .set_alert_defaults(org.id, &quiet, Utc::now())
        .await
        .expect("set");
    store
        .set_alert_defaults(org.id, &quiet, Utc::now())
        .await
        .expect("set again");
    assert_eq!(store.alert_defaults(org.id).await.expect("read"), quiet);
    assert_eq!(
        store.alert_defaults(other.id).await.expect("other"),
        AlertSettings::default()
    );

    let every = RepeatMinutes::parse("repeat_minutes", 15).expect("minutes");
    let own = AlertSettings {
        alert_type: AlertType::Repeated(every),
        on_restored: false,
        on_degraded: true,
        include_history: true,
    };
    assert!(store
        .set_target_alert_settings(org.id, t.id, Some(&own), Utc::now())
        .await
        .expect("set"));
    assert!(!store
        .set_target_alert_settings(other.id, t.id, Some(&quiet), Utc::now())
        .await
        .expect("foreign"));
    assert_eq!(
        store
            .target_alert_settings(org.id, t.id)
            .await
            .expect("read"),
        Some(own)
    );
    assert!(store
        .set_target_alert_settings(org.id, t.id, None, Utc::now())
        .await
        .expect("drop"));
    assert_eq!(
        store
            .target_alert_settings(org.id, t.id)
            .await
            .expect("read"),
        None
    );
}

fn notification_of(batch: &FanOutBatch, index: usize, channel: ChannelId) -> NewNotification {
    let event = &batch.events[index].event;
    NewNotification {
        channel_id: channel,
        event_seq: event.seq,
        reminder: 0,
        target_id: event.target_id,
        incident_id: event.incident_id,
        kind: NotificationKind::Down,
        payload: event.payload.clone(),
        include_history: false,
        occurred_at: event.occurred_at,
        due_at: Utc::now() - Duration::seconds(1),
    }
}

async fn fan_out_is_idempotent_and_claims_exclusive(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (user, org) = account(&*store, "f@example.com").await;
    let t = target(&*store, &org, &user).await;
    let own = channel(&*store, &org, "own", false).await;
    let fallback = channel(&*store, &org, "fallback", true).await;

    // Nothing to fan out until something happens.
    assert!(store
        .events_to_fan_out(10, 10)
        .await
        .expect("read")
        .is_empty());
    store
        .set_paused(org.id, t.id, true, Utc::now())
        .await
        .expect("pause");
    let batches = store.events_to_fan_out(10, 10).await.expect("read");
    assert_eq!(batches.len(), 1);
    let batch = &batches[0];
    assert_eq!((batch.organization_id, batch.after), (org.id, 0));
    assert_eq!(batch.events.len(), 1);
    // A target naming no channel goes to the default ones.
    let route = batch.events[0].route.clone().expect("route");
    assert_eq!(route.channels, vec![fallback.id]);
    assert_eq!(route.settings, AlertSettings::default());

    let wanted = [notification_of(batch, 0, fallback.id)];
    let up_to = batch.events[0].event.seq;
    assert!(store
        .enqueue_notifications(org.id, 0, up_to, &wanted, FoldRule::default(), Utc::now())
        .await
        .expect("enqueue"));
    // The same batch again (a second sender): refused, nothing doubled.
    assert!(!store
        .enqueue_notifications(org.id, 0, up_to, &wanted, FoldRule::default(), Utc::now())
        .await
        .expect("enqueue again"));
    assert!(store
        .events_to_fan_out(10, 10)
        .await
        .expect("read")
        .is_empty());
    assert_eq!(store.notification_queue_depth().await.expect("depth"), 1);

    // The target's own channels replace the defaults.
    assert!(store
        .set_target_channels(org.id, t.id, &[own.id])
        .await
        .expect("set"));
    store
        .set_paused(org.id, t.id, false, Utc::now())
        .await
        .expect("resume");
    let batches = store.events_to_fan_out(10, 10).await.expect("read");
    assert_eq!(batches[0].after, up_to);
    let route = batches[0].events[0].route.clone().expect("route");
    assert_eq!(route.channels, vec![own.id]);

    // Two claimers at once: each notification goes to one of them.
    let now = Utc::now();
    let (a, b) = tokio::join!(
        store.claim_notifications("a", now, Duration::seconds(60), 10),
        store.claim_notifications("b", now, Duration::seconds(60), 10),
    );
    let (a, b) = (a.expect("claim a"), b.expect("claim b"));
    assert_eq!(a.len() + b.len(), 1, "{a:?} {b:?}");
    let claim = a.into_iter().chain(b).next().expect("one claim");
    assert_eq!(claim.channel.id, fallback.id);
    assert_eq!(claim.organization_name, "Org");
    assert_eq!(claim.notification.status, NotificationStatus::Delivering);
    // Leased: nobody else gets it.
    assert!(store
        .claim_notifications("c", now, Duration::seconds(60), 10)
        .await
        .expect("claim")
        .is_empty());
    // The lease runs out (the sender died): another sender takes over,
    // and the first one's late record is refused.
    let later = now + Duration::seconds(61);
    let retaken = store
        .claim_notifications("c", later, Duration::seconds(60), 10)
        .await
        .expect("claim");
    assert_eq!(retaken.len(), 1);
    assert!(retaken[0].lease_epoch > claim.lease_epoch);
    let stale = AttemptRecord {
        notification_id: claim.notification.id,
        lease_epoch: claim.lease_epoch,
        attempted_at: later,
        outcome: AttemptOutcome::Delivered,
        status_code: Some(200),
        error: None,
        duration: std::time::Duration::from_millis(5),
        next_attempt_at: None,
        channel: ChannelHealth::Answered,
    };
    assert!(!store.record_attempt(&stale).await.expect("record"));

    // A retry: pending again, later, and the channel pauses on its own.
    let retry_at = later + Duration::seconds(30);
    let failed = AttemptRecord {
        lease_epoch: retaken[0].lease_epoch,
        outcome: AttemptOutcome::Retry,
        status_code: Some(503),
        error: Some("503 Service Unavailable".to_owned()),
        next_attempt_at: Some(retry_at),
        channel: ChannelHealth::Failing {
            resume_at: retry_at,
        },
        ..stale.clone()
    };
    assert!(store.record_attempt(&failed).await.expect("record"));
    let shown = store
        .target_notifications(org.id, t.id, 10)
        .await
        .expect("list");
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].status, NotificationStatus::Pending);
    assert_eq!(shown[0].attempts, 1);
    assert_eq!(shown[0].last_status, Some(503));
    let paused = store
        .channel(org.id, fallback.id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(paused.failures, 1);
    assert!(store
        .claim_notifications(
            "c",
            later + Duration::seconds(10),
            Duration::seconds(60),
            10
        )
        .await
        .expect("claim")
        .is_empty());

    // Due again: delivered, and never claimed again.
    let again = store
        .claim_notifications("c", retry_at, Duration::seconds(60), 10)
        .await
        .expect("claim");
    assert_eq!(again.len(), 1);
    let done = AttemptRecord {
        lease_epoch: again[0].lease_epoch,
        attempted_at: retry_at,
        outcome: AttemptOutcome::Delivered,
        status_code: Some(200),
        error: None,
        next_attempt_at: None,
        channel: ChannelHealth::Answered,
        ..stale.clone()
    };
    assert!(store.record_attempt(&done).await.expect("record"));
    assert!(store
        .claim_notifications("c", retry_at + Duration::days(1), Duration::seconds(60), 10)
        .await
        .expect("claim")
        .is_empty());
    assert_eq!(store.notification_queue_depth().await.expect("depth"), 0);
    let healthy = store
        .channel(org.id, fallback.id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!((healthy.failures, healthy.resume_at), (0, None));
    let attempts = store
        .notification_attempts(org.id, &[claim.notification.id])
        .await
        .expect("attempts");
    let outcomes: Vec<_> = attempts.iter().map(|a| a.outcome).collect();
    assert_eq!(
        outcomes,
        [
            AttemptOutcome::Delivered,
            AttemptOutcome::Retry,
            AttemptOutcome::Delivered
        ]
    );
    // Another tenant reads none of it.
    let (_, other) = account(&*store, "g@example.com").await;
    assert!(store
        .notification_attempts(other.id, &[claim.notification.id])
        .await
        .expect("attempts")
        .is_empty());
    assert!(store
        .target_notifications(other.id, t.id, 10)
        .await
        .expect("list")
        .is_empty());

    // Retention: finished notifications go with their age, pending never.
    let pending = [NewNotification {
        event_seq: batches[0].events[0].event.seq,
        ..notification_of(&batches[0], 0, own.id)
    }];
    assert!(store
        .enqueue_notifications(
            org.id,
            up_to,
            batches[0].events[0].event.seq,
            &pending,
            FoldRule::default(),
            Utc::now()
        )
        .await
        .expect("enqueue"));
    let far = Utc::now() + Duration::days(1);
    assert_eq!(
        store.prune_notifications(far, 100).await.expect("prune"),
        1,
        "the delivered one"
    );
    let left = store
        .target_notifications(org.id, t.id, 10)
        .await
        .expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].status, NotificationStatus::Pending);
    assert!(store
        .notification_attempts(org.id, &[claim.notification.id])
        .await
        .expect("attempts")
        .is_empty());
}

async fn many_claimers_share_without_overlap(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (user, org) = account(&*store, "m@example.com").await;
    let t = target(&*store, &org, &user).await;
    let channels = [
        channel(&*store, &org, "one", true).await,
        channel(&*store, &org, "two", true).await,
    ];
    for paused in [
        true, false, true, false, true, false, true, false, true, false,
    ] {
        store
            .set_paused(org.id, t.id, paused, Utc::now())
            .await
            .expect("toggle");
    }
    let batches = store.events_to_fan_out(10, 100).await.expect("read");
    let batch = &batches[0];
    let mut wanted = Vec::new();
    for i in 0..batch.events.len() {
        for c in &channels {
            wanted.push(notification_of(batch, i, c.id));
        }
    }
    let up_to = batch.events.last().expect("events").event.seq;
    let unfolded = FoldRule {
        limit: 1000,
        ..FoldRule::default()
    };
    assert!(store
        .enqueue_notifications(org.id, 0, up_to, &wanted, unfolded, Utc::now())
        .await
        .expect("enqueue"));
    assert_eq!(wanted.len(), 20);
    // (Enqueued with no folding: ten a channel is past the default limit.)
    let now = Utc::now();
    let claims = futures_claims(&*store, now).await;
    let ids: Vec<NotificationId> = claims.iter().map(|c| c.notification.id).collect();
    let distinct: HashSet<_> = ids.iter().collect();
    assert_eq!(ids.len(), 20, "every notification claimed once");
    assert_eq!(distinct.len(), 20, "and none twice");
    // Giving claims back makes them due again.
    let back: Vec<_> = claims
        .iter()
        .take(3)
        .map(|c| (c.notification.id, c.lease_epoch))
        .collect();
    assert_eq!(
        store
            .release_notifications(&back, now)
            .await
            .expect("release"),
        3
    );
    let again = store
        .claim_notifications("z", now, Duration::seconds(60), 100)
        .await
        .expect("claim");
    assert_eq!(again.len(), 3);
}

async fn a_flapping_channel_is_folded_into_one_summary(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (user, org) = account(&*store, "flap@example.com").await;
    let t = target(&*store, &org, &user).await;
    let flapping = channel(&*store, &org, "flapping", true).await;
    for paused in [true, false, true, false, true] {
        store
            .set_paused(org.id, t.id, paused, Utc::now())
            .await
            .expect("toggle");
    }
    let batches = store.events_to_fan_out(10, 100).await.expect("read");
    let batch = &batches[0];
    let wanted: Vec<_> = (0..batch.events.len())
        .map(|i| notification_of(batch, i, flapping.id))
        .collect();
    let up_to = batch.events.last().expect("events").event.seq;
    let now = Utc::now();
    assert!(store
        .enqueue_notifications(org.id, 0, up_to, &wanted, FoldRule::default(), now)
        .await
        .expect("enqueue"));
    let status_of = |list: &[Notification]| {
        let mut s: Vec<_> = list.iter().map(|n| n.status).collect();
        s.sort_by_key(|s| s.as_str());
        s
    };
    let listed = store
        .target_notifications(org.id, t.id, 10)
        .await
        .expect("list");
    assert_eq!(
        status_of(&listed),
        [
            NotificationStatus::Folded,
            NotificationStatus::Folded,
            NotificationStatus::Pending,
            NotificationStatus::Pending,
            NotificationStatus::Pending
        ]
    );
    // Not before the window has passed; then once.
    let window = Duration::seconds(60);
    assert_eq!(
        store
            .summarize_folded(now + Duration::seconds(30), window, now)
            .await
            .expect("summarize"),
        0
    );
    let later = now + Duration::seconds(61);
    assert_eq!(
        store
            .summarize_folded(later, window, now)
            .await
            .expect("summarize"),
        1
    );
    assert_eq!(
        store
            .summarize_folded(later, window, now)
            .await
            .expect("summarize"),
        0
    );
    let listed = store
        .target_notifications(org.id, t.id, 10)
        .await
        .expect("list");
    let summary = listed
        .iter()
        .find(|n| n.kind == NotificationKind::Summary)
        .expect("a summary");
    assert_eq!(summary.folded, 2);
    assert_eq!(summary.status, NotificationStatus::Pending);
    assert_eq!(
        summary.event_seq, up_to,
        "the latest change tells the state"
    );
    let folded: Vec<_> = listed
        .iter()
        .filter(|n| n.status == NotificationStatus::Folded)
        .collect();
    assert_eq!(folded.len(), 1);
    assert_eq!(folded[0].folded_into, Some(summary.id));
}

/// Four claimers racing for small batches until nothing is left.
async fn futures_claims(store: &dyn Store, now: chrono::DateTime<Utc>) -> Vec<ClaimedNotification> {
    let mut all = Vec::new();
    loop {
        let (a, b, c, d) = tokio::join!(
            store.claim_notifications("a", now, Duration::seconds(60), 3),
            store.claim_notifications("b", now, Duration::seconds(60), 3),
            store.claim_notifications("c", now, Duration::seconds(60), 3),
            store.claim_notifications("d", now, Duration::seconds(60), 3),
        );
        let round: Vec<_> = [a, b, c, d]
            .into_iter()
            .flat_map(|r| r.expect("claim"))
            .collect();
        if round.is_empty() {
            return all;
        }
        all.extend(round);
    }
}

pharos_storage::on_both_backends!(
    channels_are_tenant_scoped,
    alert_settings_default_and_override,
    fan_out_is_idempotent_and_claims_exclusive,
    many_claimers_share_without_overlap,
    a_flapping_channel_is_folded_into_one_summary,
);
