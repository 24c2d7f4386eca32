//! `/api/v1/maintenance` on both backends: windows planned, read, changed
//! and deleted; every refusal names its field; another tenant's windows
//! and targets stay out of reach; viewers read but do not change.

mod common;

use common::{create, json_of, TestApp};
use pharos_domain::ids::{OrganizationId, UserId};
use pharos_domain::organization::Role;
use pharos_storage::testing::Backend;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

async fn target(app: &TestApp, client: &Client, name: &str) -> String {
    let (status, body) = create(
        app,
        client,
        json!({"url": "https://example.com/", "name": name}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

fn weekly() -> Value {
    json!({"kind": "weekly", "weekdays": ["sun", "wed"], "start_time": "02:30",
           "duration_minutes": 90, "time_zone": "Europe/Berlin"})
}

async fn post(app: &TestApp, client: &Client, body: Value) -> (StatusCode, Value) {
    json_of(app.post_json(client, "/api/v1/maintenance", body).await).await
}

async fn ids_of(app: &TestApp, client: &Client) -> Vec<String> {
    let (status, page) = json_of(app.get(client, "/api/v1/maintenance").await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|w| w["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn windows_are_planned_read_changed_and_deleted(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("owner@example.com").await;
    let a = target(&app, &client, "a").await;
    let b = target(&app, &client, "b").await;

    let (status, made) = post(
        &app,
        &client,
        json!({"name": " nightly ", "schedule": weekly(), "target_ids": [a, a]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["name"], "nightly");
    assert_eq!(made["schedule"]["weekdays"], json!(["wed", "sun"]));
    assert_eq!(made["schedule"]["start_time"], "02:30");
    assert_eq!(made["schedule"]["time_zone"], "Europe/Berlin");
    assert!(made["schedule"].get("starts_at").is_none(), "{made}");
    assert_eq!(made["target_ids"], json!([a]));
    assert_eq!(made["all_targets"], false);
    let next = &made["current_or_next"];
    assert!(
        next["starts_at"].is_string() && next["ends_at"].is_string(),
        "{made}"
    );
    let id = made["id"].as_str().expect("id").to_owned();

    let (status, got) = json_of(app.get(&client, format!("/api/v1/maintenance/{id}")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, made);

    // A one-off window open now, over the whole organization.
    let now = chrono::Utc::now();
    let (status, open) = post(
        &app,
        &client,
        json!({"name": "move", "all_targets": true, "schedule": {"kind": "one_off",
               "starts_at": now - chrono::Duration::minutes(5), "ends_at": now + chrono::Duration::hours(1)}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{open}");
    assert_eq!(open["active"], true);
    assert_eq!(open["target_ids"], json!([]));
    assert_eq!(ids_of(&app, &client).await.len(), 2);

    // Change the targets only; the rest stays.
    let (status, changed) = json_of(
        app.client_patch(
            &client,
            &format!("/api/v1/maintenance/{id}"),
            json!({"target_ids": [b]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["target_ids"], json!([b]));
    assert_eq!(changed["schedule"], made["schedule"]);
    assert_eq!(changed["name"], "nightly");
    // All targets on: the list goes.
    let (status, all) = json_of(
        app.client_patch(
            &client,
            &format!("/api/v1/maintenance/{id}"),
            json!({"all_targets": true}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["all_targets"], true);
    assert_eq!(all["target_ids"], json!([]));

    let deleted = client
        .delete(app.url(&format!("/api/v1/maintenance/{id}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let again = client
        .delete(app.url(&format!("/api/v1/maintenance/{id}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(ids_of(&app, &client).await.len(), 1);
}

async fn bad_windows_are_refused_naming_the_field(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("owner@example.com").await;
    let a = target(&app, &client, "a").await;
    let now = chrono::Utc::now();
    let one_off = |from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>| json!({"kind": "one_off", "starts_at": from, "ends_at": to});
    let with = |field: &str, value: Value| {
        let mut s = weekly();
        s[field] = value;
        s
    };
    let cases = [
        (
            json!({"name": "", "schedule": weekly(), "all_targets": true}),
            "name",
        ),
        (
            json!({"name": "x", "schedule": with("kind", json!("daily")), "all_targets": true}),
            "schedule.kind",
        ),
        (
            json!({"name": "x", "schedule": with("start_time", json!("24:00")), "all_targets": true}),
            "schedule.start_time",
        ),
        (
            json!({"name": "x", "schedule": with("weekdays", json!(["someday"])), "all_targets": true}),
            "schedule.weekdays",
        ),
        (
            json!({"name": "x", "schedule": with("duration_minutes", json!(10081)), "all_targets": true}),
            "schedule.duration_minutes",
        ),
        (
            json!({"name": "x", "schedule": with("time_zone", json!("Mars/Olympus")), "all_targets": true}),
            "schedule.time_zone",
        ),
        (
            json!({"name": "x", "schedule": with("starts_at", json!(now)), "all_targets": true}),
            "schedule.starts_at",
        ),
        (
            json!({"name": "x", "schedule": one_off(now, now), "all_targets": true}),
            "schedule.ends_at",
        ),
        (json!({"name": "x", "schedule": weekly()}), "target_ids"),
        (
            json!({"name": "x", "schedule": weekly(), "all_targets": true, "target_ids": [a]}),
            "target_ids",
        ),
        (
            json!({"name": "x", "schedule": weekly(), "target_ids": [uuid::Uuid::now_v7()]}),
            "target_ids",
        ),
        (
            json!({"name": "x", "schedule": weekly(), "target_ids": ["not-a-uuid"]}),
            "target_ids[0]",
        ),
        (
            json!({"name": "x", "schedule": weekly(), "all_targets": true, "colour": "red"}),
            "",
        ),
    ];
    for (body, field) in cases {
        let (status, error) = post(&app, &client, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} -> {error}"
        );
        if field.is_empty() {
            assert!(
                error["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("colour"),
                "{error}"
            );
        } else {
            assert_eq!(error["error"]["field"], field, "{body} -> {error}");
        }
    }
    assert!(ids_of(&app, &client).await.is_empty(), "nothing was made");
}

async fn windows_stay_in_their_organization_and_viewers_only_read(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let stranger = app.user("stranger@example.com").await;
    let mine = target(&app, &owner, "mine").await;
    let theirs = target(&app, &stranger, "theirs").await;
    let (status, made) = post(
        &app,
        &owner,
        json!({"name": "x", "schedule": weekly(), "target_ids": [mine]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].as_str().expect("id").to_owned();

    // Another tenant's target is refused; its window id is not found.
    let (status, error) = post(
        &app,
        &owner,
        json!({"name": "x", "schedule": weekly(), "target_ids": [theirs]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["field"], "target_ids");
    assert!(ids_of(&app, &stranger).await.is_empty());
    let (status, _) = json_of(
        app.get(&stranger, format!("/api/v1/maintenance/{id}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = json_of(
        app.client_patch(
            &stranger,
            &format!("/api/v1/maintenance/{id}"),
            json!({"name": "stolen"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let deleted = stranger
        .delete(app.url(&format!("/api/v1/maintenance/{id}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), StatusCode::NOT_FOUND);
    let (_, still) = json_of(app.get(&owner, format!("/api/v1/maintenance/{id}")).await).await;
    assert_eq!(still["name"], "x");

    // A viewer of the owner's organization reads and is refused changes.
    let (_, me) = json_of(app.get(&owner, "/api/v1/auth/me").await).await;
    let org =
        uuid::Uuid::parse_str(me["organizations"][0]["id"].as_str().expect("org")).expect("uuid");
    let viewer = app.user("viewer@example.com").await;
    let (_, them) = json_of(app.get(&viewer, "/api/v1/auth/me").await).await;
    let user = uuid::Uuid::parse_str(them["user"]["id"].as_str().expect("user")).expect("uuid");
    let own =
        uuid::Uuid::parse_str(them["organizations"][0]["id"].as_str().expect("org")).expect("uuid");
    let db = app.database();
    db.add_membership(
        UserId(user),
        OrganizationId(org),
        Role::Viewer,
        chrono::Utc::now(),
    )
    .await;
    db.remove_membership(UserId(user), OrganizationId(own))
        .await;
    assert_eq!(ids_of(&app, &viewer).await, vec![id.clone()]);
    let (status, _) = post(
        &app,
        &viewer,
        json!({"name": "x", "schedule": weekly(), "all_targets": true}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = json_of(
        app.client_patch(
            &viewer,
            &format!("/api/v1/maintenance/{id}"),
            json!({"name": "y"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let deleted = viewer
        .delete(app.url(&format!("/api/v1/maintenance/{id}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), StatusCode::FORBIDDEN);
}

async fn the_maintenance_page_plans_edits_and_deletes_and_the_dashboard_shows_it(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("pages@example.com").await;
    let shop = target(&app, &owner, "shop").await;
    let _blog = target(&app, &owner, "blog").await;
    let page = |path: String| {
        let owner = owner.clone();
        let url = app.url(&path);
        async move {
            let answer = owner.get(url).send().await.expect("get");
            (answer.status(), answer.text().await.expect("body"))
        }
    };
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let owner = owner.clone();
        let url = app.url(&path);
        async move {
            let answer = owner.post(url).form(&form).send().await.expect("post");
            (answer.status(), answer.text().await.expect("body"))
        }
    };
    let (status, html) = page("/maintenance".to_owned()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No maintenance is planned."), "{html}");
    assert!(
        html.contains("value=\"{shop}\"".replace("{shop}", &shop).as_str()),
        "{html}"
    );

    // Refused: no day chosen, a bad zone; what was typed stays.
    let (status, html) = post(
        "/maintenance".to_owned(),
        vec![
            ("name", "patch night".to_owned()),
            ("kind", "weekly".to_owned()),
            ("start_time", "03:15".to_owned()),
            ("duration_minutes", "45".to_owned()),
            ("time_zone", "Europe/Berlin".to_owned()),
            ("target_ids", shop.clone()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("choose at least one day"), "{html}");
    assert!(html.contains("value=\"patch night\""), "{html}");
    assert!(html.contains("value=\"03:15\""), "{html}");

    // Planned: weekly on two days for one target.
    let (status, html) = post(
        "/maintenance".to_owned(),
        vec![
            ("name", "patch night".to_owned()),
            ("kind", "weekly".to_owned()),
            ("weekdays", "tue".to_owned()),
            ("weekdays", "sat".to_owned()),
            ("start_time", "03:15".to_owned()),
            ("duration_minutes", "45".to_owned()),
            ("time_zone", "Europe/Berlin".to_owned()),
            ("target_ids", shop.clone()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Maintenance window saved."), "{html}");
    assert!(
        html.contains("Tue, Sat at 03:15 for 45 min (Europe/Berlin)"),
        "{html}"
    );
    let (_, listed) = json_of(app.get(&owner, "/api/v1/maintenance").await).await;
    let id = listed["items"][0]["id"].as_str().expect("id").to_owned();
    assert_eq!(listed["items"][0]["target_ids"], json!([shop]));

    // Edited into a one-off window open now, for every target.
    let now = chrono::Utc::now();
    let local = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    let (status, html) = page(format!("/maintenance/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Edit maintenance window"), "{html}");
    assert!(html.contains("value=\"tue\" checked"), "{html}");
    let (status, html) = post(
        format!("/maintenance/{id}/edit"),
        vec![
            ("name", "move".to_owned()),
            ("kind", "one_off".to_owned()),
            ("starts_at", local(now - chrono::Duration::minutes(10))),
            ("ends_at", local(now + chrono::Duration::hours(2))),
            ("time_zone", "UTC".to_owned()),
            ("all_targets", "on".to_owned()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("in progress until"), "{html}");
    assert!(html.contains("All targets"), "{html}");

    // The dashboard and the target's page show it.
    let (_, html) = page("/".to_owned()).await;
    assert!(html.contains("Maintenance in progress"), "{html}");
    assert_eq!(
        html.matches("<span class=\"tag maint\">maintenance</span>")
            .count(),
        2,
        "{html}"
    );
    let (_, html) = page(format!("/targets/{shop}")).await;
    assert!(
        html.contains("In maintenance</strong> (move: in progress"),
        "{html}"
    );

    let (status, html) = post(format!("/maintenance/{id}/delete"), vec![]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Maintenance window deleted."), "{html}");
    let (_, html) = page("/".to_owned()).await;
    assert!(!html.contains("Maintenance in progress"), "{html}");
    assert!(!html.contains("tag maint"), "{html}");
}

pharos_storage::on_both_backends!(
    the_maintenance_page_plans_edits_and_deletes_and_the_dashboard_shows_it,
    windows_are_planned_read_changed_and_deleted,
    bad_windows_are_refused_naming_the_field,
    windows_stay_in_their_organization_and_viewers_only_read,
);
