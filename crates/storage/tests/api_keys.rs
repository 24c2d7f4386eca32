//! API keys in storage, on both backends: scoped to their organization,
//! found by hash with the creator's current role, bounded in number,
//! their last use written only when older than the given moment, deleted
//! for good.

use chrono::{Duration, Utc};
use pharos_domain::ids::ApiKeyId;
use pharos_domain::organization::Role;
use pharos_storage::models::NewApiKey;
use pharos_storage::testing::{account, open_store as open, Backend};

fn key<'a>(
    name: &'a str,
    hash: &'a [u8],
    role: Role,
    creator: pharos_domain::ids::UserId,
) -> NewApiKey<'a> {
    NewApiKey {
        id: ApiKeyId::new(),
        name,
        prefix: "phk_abcdefgh",
        token_hash: hash,
        role,
        created_by: creator,
        created_at: Utc::now(),
        expires_at: None,
    }
}

async fn keys_are_stored_found_touched_and_deleted(backend: Backend) {
    let Some((db, store)) = open(backend).await else {
        return;
    };
    let (alice, acme) = account(&*store, "alice@example.com").await;
    let (bob, globex) = account(&*store, "bob@example.com").await;

    let expires = Utc::now() + Duration::days(30);
    let made = store
        .create_api_key(
            acme.id,
            NewApiKey {
                expires_at: Some(expires),
                ..key("deploy", b"hash-1", Role::Member, alice.id)
            },
            10,
        )
        .await
        .expect("create")
        .expect("under the limit");
    assert_eq!(made.name, "deploy");
    assert_eq!(made.role, Role::Member);
    assert_eq!(made.created_by_email, "alice@example.com");
    assert_eq!(made.last_used_at, None);
    assert_eq!(
        made.expires_at.map(|t| t.timestamp_micros()),
        Some(expires.timestamp_micros())
    );

    // Another organization neither lists, reads nor deletes it.
    assert!(store.api_keys(globex.id).await.expect("list").is_empty());
    assert_eq!(store.api_key(globex.id, made.id).await.expect("get"), None);
    assert!(!store
        .delete_api_key(globex.id, made.id)
        .await
        .expect("delete"));
    assert_eq!(
        store.api_keys(acme.id).await.expect("list"),
        vec![made.clone()]
    );

    // Found by hash, with the creator's role in the key's organization.
    let holder = store
        .api_key_holder(b"hash-1")
        .await
        .expect("holder")
        .expect("found");
    assert_eq!(holder.key, made);
    assert_eq!(holder.organization.id, acme.id);
    assert_eq!(holder.creator.id, alice.id);
    assert_eq!(holder.creator_role, Some(Role::Owner));
    assert!(store
        .api_key_holder(b"hash-2")
        .await
        .expect("holder")
        .is_none());

    // A creator in the organization no more: the key is found, their
    // role is not.
    db.add_membership(bob.id, acme.id, Role::Admin, Utc::now())
        .await;
    store
        .create_api_key(acme.id, key("bob's", b"hash-bob", Role::Viewer, bob.id), 10)
        .await
        .expect("create")
        .expect("under the limit");
    db.remove_membership(bob.id, acme.id).await;
    let orphan = store
        .api_key_holder(b"hash-bob")
        .await
        .expect("holder")
        .expect("found");
    assert_eq!(orphan.creator_role, None);

    // Touched once; a second touch within the interval writes nothing.
    let first = Utc::now();
    store
        .touch_api_key(made.id, first, first - Duration::seconds(60))
        .await
        .expect("touch");
    let later = first + Duration::seconds(5);
    store
        .touch_api_key(made.id, later, later - Duration::seconds(60))
        .await
        .expect("touch");
    let seen = store
        .api_key(acme.id, made.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(
        seen.last_used_at.map(|t| t.timestamp_micros()),
        Some(first.timestamp_micros())
    );
    let much_later = first + Duration::seconds(61);
    store
        .touch_api_key(made.id, much_later, much_later - Duration::seconds(60))
        .await
        .expect("touch");
    let seen = store
        .api_key(acme.id, made.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(
        seen.last_used_at.map(|t| t.timestamp_micros()),
        Some(much_later.timestamp_micros())
    );

    // The limit counts the organization's keys only.
    let refused = store
        .create_api_key(acme.id, key("third", b"hash-3", Role::Viewer, alice.id), 2)
        .await
        .expect("create");
    assert!(refused.is_none());
    assert_eq!(store.api_keys(acme.id).await.expect("list").len(), 2);
    store
        .create_api_key(globex.id, key("theirs", b"hash-4", Role::Viewer, bob.id), 2)
        .await
        .expect("create")
        .expect("globex has none yet");

    // The same hash twice is a conflict, not a second key.
    let twice = store
        .create_api_key(acme.id, key("again", b"hash-1", Role::Viewer, alice.id), 10)
        .await;
    assert!(matches!(
        twice,
        Err(pharos_storage::StoreError::Conflict(_))
    ));

    assert!(store
        .delete_api_key(acme.id, made.id)
        .await
        .expect("delete"));
    assert!(store
        .api_key_holder(b"hash-1")
        .await
        .expect("holder")
        .is_none());
    assert!(!store
        .delete_api_key(acme.id, made.id)
        .await
        .expect("delete"));
}

pharos_storage::on_both_backends!(keys_are_stored_found_touched_and_deleted);
