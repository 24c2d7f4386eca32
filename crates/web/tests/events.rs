//! The event feed through the API, on both backends: a heartbeat's
//! failure and recovery, pausing and resuming, paging by cursor, tenant
//! isolation and bad parameters.

mod common;

use common::{create, json_of, TestApp};
use pharos_storage::testing::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn types(feed: &Value) -> Vec<String> {
    feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["type"].as_str().expect("type").to_owned())
        .collect()
}

async fn the_feed_records_each_change_once_for_its_organization_only(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("events@example.com").await;
    let (status, target) = create(
        &app,
        &client,
        json!({"kind": "heartbeat", "name": "backup", "interval_seconds": 3600}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{target}");
    let id = target["id"].as_str().expect("id").to_owned();
    let ping = target["ping_url"].as_str().expect("ping url").to_owned();

    let (status, feed) = json_of(app.get(&client, "/api/v1/events").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(feed, json!({"items": [], "next_cursor": "0"}));

    // The job fails, then succeeds: down and opened, then up and closed.
    let anon = app.client();
    for path in [format!("{ping}/fail"), ping.clone(), ping.clone()] {
        let answer = anon.get(app.url(&path)).send().await.expect("ping");
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
    }
    for action in ["pause", "pause", "resume"] {
        let answer = app
            .post_json(&client, format!("/api/v1/targets/{id}/{action}"), json!({}))
            .await;
        assert_eq!(answer.status(), StatusCode::OK, "{action}");
    }
    let (status, feed) = json_of(app.get(&client, "/api/v1/events").await).await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    assert_eq!(
        types(&feed),
        [
            "target_down",
            "incident_opened",
            "target_up",
            "incident_closed",
            "target_paused",
            "target_resumed"
        ]
    );
    let items = feed["items"].as_array().expect("items");
    let ids: Vec<i64> = items
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    assert_eq!(feed["next_cursor"], "6");
    assert!(items.iter().all(|e| e["target_id"] == id.as_str()));
    assert_eq!(items[0]["payload"]["previous_state"], "pending");
    assert_eq!(items[0]["payload"]["state"], "down");
    assert_eq!(items[0]["payload"]["error_class"], "heartbeat");
    assert!(items[1]["incident_id"].is_string());
    assert_eq!(items[1]["incident_id"], items[3]["incident_id"]);
    // The incident the feed names is the one the target lists.
    let (_, incidents) = json_of(
        app.get(&client, format!("/api/v1/targets/{id}/incidents"))
            .await,
    )
    .await;
    assert_eq!(incidents["items"][0]["id"], items[1]["incident_id"]);

    // Paging: two at a time from the cursor; nothing new keeps the cursor.
    let (_, page) = json_of(app.get(&client, "/api/v1/events?after=2&limit=2").await).await;
    assert_eq!(types(&page), ["target_up", "incident_closed"]);
    assert_eq!(page["next_cursor"], "4");
    let (_, end) = json_of(app.get(&client, "/api/v1/events?after=6").await).await;
    assert_eq!(end, json!({"items": [], "next_cursor": "6"}));

    // Another tenant sees none of it, and its own numbering starts at 1.
    let other = app.user("other@example.com").await;
    let (status, theirs) = json_of(app.get(&other, "/api/v1/events").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(theirs, json!({"items": [], "next_cursor": "0"}));
    let (_, mine) = create(
        &app,
        &other,
        json!({"kind": "heartbeat", "interval_seconds": 60}),
    )
    .await;
    let their_ping = mine["ping_url"].as_str().expect("ping").to_owned();
    anon.get(app.url(&format!("{their_ping}/fail")))
        .send()
        .await
        .expect("ping");
    let (_, theirs) = json_of(app.get(&other, "/api/v1/events").await).await;
    assert_eq!(types(&theirs), ["target_down", "incident_opened"]);
    assert_eq!(theirs["items"][0]["id"], 1);
    assert!(theirs["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|e| e["target_id"] != id.as_str()));

    // Signed out: no feed.
    let (status, _) = json_of(app.get(&anon, "/api/v1/events").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn bad_feed_parameters_are_refused_by_name(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("params@example.com").await;
    for (query, field) in [
        ("after=-1", "after"),
        ("after=soon", "after"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("since=1", "since"),
    ] {
        let (status, body) =
            json_of(app.get(&client, format!("/api/v1/events?{query}")).await).await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{query}: {status} {body}"
        );
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
}

pharos_storage::on_both_backends!(
    the_feed_records_each_change_once_for_its_organization_only,
    bad_feed_parameters_are_refused_by_name,
);
