//! Tags, groups and the dashboard's reads on both backends: the window in
//! worst-first order, one aggregate of counts per state, groups' counts
//! and first rows, and nothing of another organization's.

use chrono::Utc;
use pharos_domain::labels::TagColor;
use pharos_domain::status::TargetState;
use pharos_storage::models::{DashboardSort, TargetFilter};
use pharos_storage::testing::{account, http_target, open_store, Backend};

async fn the_dashboard_reads_a_window(backend: Backend) {
    let Some((db, store)) = open_store(backend).await else {
        return;
    };
    let (user, org) = account(store.as_ref(), "a@example.com").await;
    let (other_user, other_org) = account(store.as_ref(), "b@example.com").await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(http_target(store.as_ref(), &org, &user).await.id);
    }
    let theirs = http_target(store.as_ref(), &other_org, &other_user).await;
    // Names and states straight in the table: states come from checks,
    // which these reads do not care about.
    let sql = |i: usize, name: &str, state: &str| {
        format!(
            "UPDATE targets SET name = '{name}', state = '{state}' WHERE id = {}",
            match backend {
                Backend::Sqlite => format!("X'{}'", ids[i].0.simple()),
                Backend::Postgres => format!("'{}'", ids[i].0),
            }
        )
    };
    for (i, name, state) in [
        (0, "delta", "up"),
        (1, "Alpha", "up"),
        (2, "charlie", "down"),
        (3, "bravo", "degraded"),
        (4, "echo", "pending"),
        (5, "foxtrot", "down"),
    ] {
        db.execute_sql(&sql(i, name, state)).await;
    }
    store
        .set_paused(org.id, ids[1], true, Utc::now())
        .await
        .expect("pause");

    let all = TargetFilter::default();
    let names = |rows: Vec<pharos_storage::models::TargetSummary>| {
        rows.into_iter()
            .map(|t| t.name.unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let window = store
        .dashboard_window(org.id, &all, DashboardSort::Severity, 0, 10)
        .await
        .expect("window");
    assert_eq!(
        names(window),
        ["charlie", "foxtrot", "bravo", "echo", "delta", "Alpha"]
    );
    let page = store
        .dashboard_window(org.id, &all, DashboardSort::Severity, 2, 2)
        .await
        .expect("window");
    assert_eq!(names(page), ["bravo", "echo"]);
    let by_name = store
        .dashboard_window(org.id, &all, DashboardSort::Name, 0, 3)
        .await
        .expect("window");
    assert_eq!(names(by_name), ["Alpha", "bravo", "charlie"]);

    let mut counts = store.state_counts(org.id, &all).await.expect("counts");
    counts.sort_by_key(|(s, _)| pharos_domain::labels::severity(*s));
    assert_eq!(
        counts,
        [
            (TargetState::Down, 2),
            (TargetState::Degraded, 1),
            (TargetState::Pending, 1),
            (TargetState::Up, 1),
            (TargetState::Paused, 1),
        ]
    );

    // Tags and groups: filters, group counts and heads.
    let tag = store
        .create_tag(org.id, "prod", TagColor::Teal, Utc::now(), 10)
        .await
        .expect("tag")
        .expect("under the limit");
    let group = store
        .create_group(org.id, "Payments", Utc::now(), 10)
        .await
        .expect("group")
        .expect("under the limit");
    assert!(store
        .set_target_tags(org.id, ids[0], &[tag.id, tag.id])
        .await
        .expect("tags"));
    assert!(store
        .set_target_tags(org.id, ids[2], &[tag.id])
        .await
        .expect("tags"));
    for i in [0, 2, 3] {
        assert!(store
            .set_target_group(org.id, ids[i], Some(group.id))
            .await
            .expect("group"));
    }
    let tagged = TargetFilter {
        tag: Some(tag.id),
        ..TargetFilter::default()
    };
    let window = store
        .dashboard_window(org.id, &tagged, DashboardSort::Severity, 0, 10)
        .await
        .expect("window");
    assert_eq!(names(window), ["charlie", "delta"]);
    let down_in_group = TargetFilter {
        group: Some(group.id),
        state: Some(TargetState::Down),
        ..TargetFilter::default()
    };
    let window = store
        .dashboard_window(org.id, &down_in_group, DashboardSort::Severity, 0, 10)
        .await
        .expect("window");
    assert_eq!(names(window), ["charlie"]);
    let searched = TargetFilter {
        search: Some("HAR".to_owned()),
        ..TargetFilter::default()
    };
    let counts = store.state_counts(org.id, &searched).await.expect("counts");
    assert_eq!(counts, [(TargetState::Down, 1)]);

    let mut group_counts = store.group_state_counts(org.id).await.expect("counts");
    group_counts.sort_by_key(|(_, s, _)| pharos_domain::labels::severity(*s));
    assert_eq!(
        group_counts,
        [
            (group.id, TargetState::Down, 1),
            (group.id, TargetState::Degraded, 1),
            (group.id, TargetState::Up, 1),
        ]
    );
    let heads = store
        .group_heads(org.id, &[group.id], 2)
        .await
        .expect("heads");
    assert_eq!(names(heads), ["charlie", "bravo"]);
    // Another organization's group id reads nothing through this one.
    let theirs_group = store
        .create_group(other_org.id, "Theirs", Utc::now(), 10)
        .await
        .expect("group")
        .expect("under the limit");
    assert!(store
        .set_target_group(other_org.id, theirs.id, Some(theirs_group.id))
        .await
        .expect("group"));
    assert!(store
        .group_heads(org.id, &[theirs_group.id], 5)
        .await
        .expect("heads")
        .is_empty());

    // Another organization's tag or group changes nothing here, and its
    // reads see none of this.
    let foreign = store
        .create_tag(other_org.id, "x", TagColor::Red, Utc::now(), 10)
        .await
        .expect("tag")
        .expect("under the limit");
    assert!(!store
        .set_target_tags(org.id, ids[0], &[foreign.id])
        .await
        .expect("refused"));
    assert!(!store
        .set_target_tags(other_org.id, ids[0], &[foreign.id])
        .await
        .expect("refused"));
    assert!(!store
        .set_target_group(other_org.id, theirs.id, Some(group.id))
        .await
        .expect("refused"));
    let pairs = store
        .tags_of_targets(org.id, &[ids[0], theirs.id])
        .await
        .expect("tags");
    assert_eq!(pairs, [(ids[0], tag.id)]);
    assert!(store
        .tags_of_targets(other_org.id, &[ids[0]])
        .await
        .expect("tags")
        .is_empty());
    let theirs_window = store
        .dashboard_window(other_org.id, &tagged, DashboardSort::Severity, 0, 10)
        .await
        .expect("window");
    assert!(theirs_window.is_empty());
    assert_eq!(
        store
            .group_state_counts(other_org.id)
            .await
            .expect("counts"),
        [(theirs_group.id, TargetState::Pending, 1)]
    );
    assert!(!store
        .delete_tag(other_org.id, tag.id)
        .await
        .expect("delete"));

    // Limits and names.
    assert!(store
        .create_group(org.id, "second", Utc::now(), 1)
        .await
        .expect("limit")
        .is_none());
    assert!(matches!(
        store
            .create_tag(org.id, "PROD", TagColor::Red, Utc::now(), 10)
            .await,
        Err(pharos_storage::StoreError::Conflict(_))
    ));
    // Deleting a group ungroups its targets.
    assert!(store.delete_group(org.id, group.id).await.expect("delete"));
    let target = store
        .target(org.id, ids[0])
        .await
        .expect("read")
        .expect("target");
    assert_eq!(target.group_id, None);
}

pharos_storage::on_both_backends!(the_dashboard_reads_a_window);
