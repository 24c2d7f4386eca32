//! Tags and groups on both backends: `/api/v1/tags` and `/api/v1/groups`
//! made, read, changed and deleted, each refusal naming its field; targets
//! carrying them (`tag_ids`, `group_id`); the target lists' filters and
//! cursor pages; roles; another tenant's tags and groups out of reach;
//! and the dashboard's window, filters, folded groups and pages.

mod common;

use common::{create, json_of, TestApp};
use pharos_domain::ids::{OrganizationId, UserId};
use pharos_domain::organization::Role;
use pharos_storage::testing::Backend;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    json_of(app.post_json(client, path, body).await).await
}

async fn patch(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    json_of(app.client_patch(client, path, body).await).await
}

async fn delete(app: &TestApp, client: &Client, path: &str) -> StatusCode {
    client
        .delete(app.url(path))
        .send()
        .await
        .expect("delete")
        .status()
}

async fn get(app: &TestApp, client: &Client, path: &str) -> (StatusCode, Value) {
    json_of(app.get(client, path).await).await
}

async fn made(app: &TestApp, client: &Client, path: &str, body: Value) -> String {
    let (status, value) = post(app, client, path, body).await;
    assert_eq!(status, StatusCode::CREATED, "{value}");
    value["id"].as_str().expect("id").to_owned()
}

async fn target(app: &TestApp, client: &Client, body: Value) -> Value {
    let (status, value) = create(app, client, body).await;
    assert_eq!(status, StatusCode::CREATED, "{value}");
    value
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// `field` of an error answer.
fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or_default()
}

async fn tags_and_groups_are_made_changed_and_deleted(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("owner@example.com").await;

    let (status, tag) = post(
        &app,
        &client,
        "/api/v1/tags",
        json!({"name": " prod ", "color": "red"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{tag}");
    assert_eq!(tag["name"], "prod");
    assert_eq!(tag["color"], "red");
    let tag_id = tag["id"].as_str().expect("id").to_owned();
    // Grey unless told; names unique in any letter case.
    let (_, plain) = post(&app, &client, "/api/v1/tags", json!({"name": "eu"})).await;
    assert_eq!(plain["color"], "grey");
    for (body, at) in [
        (json!({"name": "PROD"}), "name"),
        (json!({"name": "  "}), "name"),
        (json!({"name": "x".repeat(41)}), "name"),
        (json!({"name": "a\u{7}b"}), "name"),
        (json!({"name": "ok", "color": "#ff0000"}), "color"),
        (json!({"name": "ok", "shade": "red"}), "shade"),
    ] {
        let (status, refusal) = post(&app, &client, "/api/v1/tags", body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {refusal}"
        );
        assert_eq!(field(&refusal), at, "{body}: {refusal}");
    }
    let (status, changed) = patch(
        &app,
        &client,
        &format!("/api/v1/tags/{tag_id}"),
        json!({"color": "blue"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (changed["name"].as_str(), changed["color"].as_str()),
        (Some("prod"), Some("blue"))
    );
    let (status, refusal) = patch(
        &app,
        &client,
        &format!("/api/v1/tags/{tag_id}"),
        json!({"name": "EU"}),
    )
    .await;
    assert_eq!(
        (status, field(&refusal)),
        (StatusCode::UNPROCESSABLE_ENTITY, "name")
    );
    let (_, list) = get(&app, &client, "/api/v1/tags").await;
    assert_eq!(names(&list), ["eu", "prod"]);

    let group = made(&app, &client, "/api/v1/groups", json!({"name": "Payments"})).await;
    let (status, refusal) =
        post(&app, &client, "/api/v1/groups", json!({"name": "payments"})).await;
    assert_eq!(
        (status, field(&refusal)),
        (StatusCode::UNPROCESSABLE_ENTITY, "name")
    );
    let (status, renamed) = patch(
        &app,
        &client,
        &format!("/api/v1/groups/{group}"),
        json!({"name": "Billing"}),
    )
    .await;
    assert_eq!(
        (status, renamed["name"].as_str()),
        (StatusCode::OK, Some("Billing"))
    );
    let (_, list) = get(&app, &client, "/api/v1/groups").await;
    assert_eq!(names(&list), ["Billing"]);

    // A target in the group with the tags; reading it back shows them.
    let t = target(
        &app,
        &client,
        json!({"url": "https://example.com/", "name": "shop", "tag_ids": [tag_id, tag_id], "group_id": group}),
    )
    .await;
    let id = t["id"].as_str().expect("id").to_owned();
    assert_eq!(t["tag_ids"], json!([tag_id]));
    assert_eq!(t["group_id"], json!(group));
    let (_, read) = get(&app, &client, &format!("/api/v1/targets/{id}")).await;
    assert_eq!(
        (&read["tag_ids"], &read["group_id"]),
        (&t["tag_ids"], &t["group_id"])
    );
    // PATCH replaces the tags; other fields leave them.
    let eu = plain["id"].as_str().expect("id");
    let (_, updated) = patch(
        &app,
        &client,
        &format!("/api/v1/targets/{id}"),
        json!({"tag_ids": [eu]}),
    )
    .await;
    assert_eq!(updated["tag_ids"], json!([eu]));
    let (_, updated) = patch(
        &app,
        &client,
        &format!("/api/v1/targets/{id}"),
        json!({"name": "shop 2"}),
    )
    .await;
    assert_eq!(
        (&updated["tag_ids"], &updated["group_id"]),
        (&json!([eu]), &json!(group))
    );
    for (body, at) in [
        (json!({"tag_ids": "x"}), "tag_ids"),
        (json!({"tag_ids": ["nope"]}), "tag_ids[0]"),
        (json!({"tag_ids": [uuid::Uuid::now_v7()]}), "tag_ids"),
        (json!({"group_id": 3}), "group_id"),
        (json!({"group_id": uuid::Uuid::now_v7()}), "group_id"),
    ] {
        let (status, refusal) = patch(
            &app,
            &client,
            &format!("/api/v1/targets/{id}"),
            body.clone(),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {refusal}"
        );
        assert_eq!(field(&refusal), at, "{body}: {refusal}");
    }
    // "Check now" takes the same body and ignores where the target sits.
    let (status, _) = post(
        &app,
        &client,
        "/api/v1/targets/check",
        json!({"kind": "heartbeat", "tag_ids": [eu]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Deleting the tag and the group takes them off the target.
    assert_eq!(
        delete(&app, &client, &format!("/api/v1/tags/{eu}")).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        delete(&app, &client, &format!("/api/v1/groups/{group}")).await,
        StatusCode::NO_CONTENT
    );
    let (_, read) = get(&app, &client, &format!("/api/v1/targets/{id}")).await;
    assert_eq!(
        (&read["tag_ids"], &read["group_id"]),
        (&json!([]), &Value::Null)
    );
    assert_eq!(
        delete(&app, &client, &format!("/api/v1/tags/{eu}")).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete(&app, &client, "/api/v1/groups/not-a-uuid").await,
        StatusCode::NOT_FOUND
    );
}

async fn lists_filter_and_page(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("lists@example.com").await;
    let prod = made(&app, &client, "/api/v1/tags", json!({"name": "prod"})).await;
    let eu = made(&app, &client, "/api/v1/tags", json!({"name": "eu"})).await;
    let pay = made(&app, &client, "/api/v1/groups", json!({"name": "payments"})).await;
    target(&app, &client, json!({"url": "https://a.example.com/", "name": "Alpha", "tag_ids": [prod, eu], "group_id": pay})).await;
    target(
        &app,
        &client,
        json!({"url": "https://b.example.com/", "name": "Bravo", "tag_ids": [prod]}),
    )
    .await;
    let c = target(
        &app,
        &client,
        json!({"url": "https://c.example.com/", "name": "Charlie 100%", "group_id": pay}),
    )
    .await;
    target(
        &app,
        &client,
        json!({"url": "https://d.example.com/x_y", "name": "Delta"}),
    )
    .await;
    target(
        &app,
        &client,
        json!({"url": "https://e.example.com/", "name": "Echo"}),
    )
    .await;
    let c_id = c["id"].as_str().expect("id");
    let (status, _) = post(
        &app,
        &client,
        &format!("/api/v1/targets/{c_id}/pause"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    for base in ["/api/v1/targets", "/api/v1/targets/status"] {
        for (query, expected) in [
            (format!("tag={prod}"), vec!["Alpha", "Bravo"]),
            (format!("tag={eu}"), vec!["Alpha"]),
            (format!("group={pay}"), vec!["Alpha", "Charlie 100%"]),
            (format!("group={pay}&tag={prod}"), vec!["Alpha"]),
            ("state=paused".to_owned(), vec!["Charlie 100%"]),
            (
                "state=pending".to_owned(),
                vec!["Alpha", "Bravo", "Delta", "Echo"],
            ),
            ("q=ALPHA".to_owned(), vec!["Alpha"]),
            (
                "q=example.com".to_owned(),
                vec!["Alpha", "Bravo", "Charlie 100%", "Delta", "Echo"],
            ),
            // LIKE's wildcards are searched for as themselves.
            ("q=100%25".to_owned(), vec!["Charlie 100%"]),
            ("q=x_y".to_owned(), vec!["Delta"]),
            ("q=_".to_owned(), vec!["Delta"]),
            (format!("tag={}", uuid::Uuid::now_v7()), vec![]),
        ] {
            let (status, page) = get(&app, &client, &format!("{base}?{query}")).await;
            assert_eq!(status, StatusCode::OK, "{base}?{query}: {page}");
            assert_eq!(names(&page), expected, "{base}?{query}");
        }
        // Cursor pages of two walk every target once, in creation order.
        let mut seen = Vec::new();
        let mut path = format!("{base}?limit=2");
        loop {
            let (status, page) = get(&app, &client, &path).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            seen.extend(names(&page));
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("{base}?limit=2&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(seen, ["Alpha", "Bravo", "Charlie 100%", "Delta", "Echo"]);
        // Filters and cursors together.
        let (_, first) = get(&app, &client, &format!("{base}?limit=1&tag={prod}")).await;
        assert_eq!(names(&first), ["Alpha"]);
        let cursor = first["next_cursor"].as_str().expect("cursor");
        let (_, second) = get(
            &app,
            &client,
            &format!("{base}?limit=1&tag={prod}&cursor={cursor}"),
        )
        .await;
        assert_eq!(names(&second), ["Bravo"]);
        assert!(second["next_cursor"].is_null(), "{second}");
        for (query, at) in [
            ("cursor=abc", "cursor"),
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("state=sideways", "state"),
            ("tag=nope", "tag"),
            ("group=nope", "group"),
        ] {
            let (status, refusal) = get(&app, &client, &format!("{base}?{query}")).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{base}?{query}: {refusal}"
            );
            assert_eq!(field(&refusal), at, "{base}?{query}");
        }
        let (status, _) = get(&app, &client, &format!("{base}?q={}", "x".repeat(201))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = get(&app, &client, &format!("{base}?colour=red")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (_, status_page) = get(&app, &client, &format!("/api/v1/targets/status?tag={eu}")).await;
    let item = &status_page["items"][0];
    assert_eq!(item["tag_ids"].as_array().map(Vec::len), Some(2));
    assert!(item.get("latest_check").is_some(), "{item}");
}

async fn viewers_read_and_others_see_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let tag = made(&app, &owner, "/api/v1/tags", json!({"name": "prod"})).await;
    let group = made(&app, &owner, "/api/v1/groups", json!({"name": "pay"})).await;
    let t = target(
        &app,
        &owner,
        json!({"url": "https://example.com/", "name": "mine", "tag_ids": [tag], "group_id": group}),
    )
    .await;
    let id = t["id"].as_str().expect("id").to_owned();

    // Another organization: none of it is visible, changeable or usable.
    let stranger = app.user("stranger@example.com").await;
    let (_, tags) = get(&app, &stranger, "/api/v1/tags").await;
    assert_eq!(names(&tags), Vec::<String>::new());
    let (_, groups) = get(&app, &stranger, "/api/v1/groups").await;
    assert_eq!(names(&groups), Vec::<String>::new());
    let (status, _) = patch(
        &app,
        &stranger,
        &format!("/api/v1/tags/{tag}"),
        json!({"name": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = patch(
        &app,
        &stranger,
        &format!("/api/v1/groups/{group}"),
        json!({"name": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        delete(&app, &stranger, &format!("/api/v1/tags/{tag}")).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete(&app, &stranger, &format!("/api/v1/groups/{group}")).await,
        StatusCode::NOT_FOUND
    );
    let (status, refusal) = create(
        &app,
        &stranger,
        json!({"url": "https://example.com/", "tag_ids": [tag]}),
    )
    .await;
    assert_eq!(
        (status, field(&refusal)),
        (StatusCode::UNPROCESSABLE_ENTITY, "tag_ids")
    );
    let (status, refusal) = create(
        &app,
        &stranger,
        json!({"url": "https://example.com/", "group_id": group}),
    )
    .await;
    assert_eq!(
        (status, field(&refusal)),
        (StatusCode::UNPROCESSABLE_ENTITY, "group_id")
    );
    let (_, page) = get(&app, &stranger, &format!("/api/v1/targets?tag={tag}")).await;
    assert_eq!(names(&page), Vec::<String>::new());
    let (_, html) = json_of(app.get(&stranger, &format!("/?group={group}")).await).await;
    assert!(!html.to_string().contains("mine"));
    // The owner's still stand.
    let (_, read) = get(&app, &owner, &format!("/api/v1/targets/{id}")).await;
    assert_eq!(
        (&read["tag_ids"], &read["group_id"]),
        (&json!([tag]), &json!(group))
    );

    // A viewer of the owner's organization reads and changes nothing.
    let (_, me) = get(&app, &owner, "/api/v1/auth/me").await;
    let org =
        uuid::Uuid::parse_str(me["organizations"][0]["id"].as_str().expect("org")).expect("uuid");
    let viewer = app.user("viewer@example.com").await;
    let (_, them) = get(&app, &viewer, "/api/v1/auth/me").await;
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
    let (_, tags) = get(&app, &viewer, "/api/v1/tags").await;
    assert_eq!(names(&tags), ["prod"]);
    let (_, filtered) = get(&app, &viewer, &format!("/api/v1/targets?group={group}")).await;
    assert_eq!(names(&filtered), ["mine"]);
    for (status, what) in [
        (
            post(&app, &viewer, "/api/v1/tags", json!({"name": "x"}))
                .await
                .0,
            "create tag",
        ),
        (
            post(&app, &viewer, "/api/v1/groups", json!({"name": "x"}))
                .await
                .0,
            "create group",
        ),
        (
            patch(
                &app,
                &viewer,
                &format!("/api/v1/tags/{tag}"),
                json!({"color": "red"}),
            )
            .await
            .0,
            "change tag",
        ),
        (
            patch(
                &app,
                &viewer,
                &format!("/api/v1/groups/{group}"),
                json!({"name": "x"}),
            )
            .await
            .0,
            "rename group",
        ),
        (
            delete(&app, &viewer, &format!("/api/v1/tags/{tag}")).await,
            "delete tag",
        ),
        (
            delete(&app, &viewer, &format!("/api/v1/groups/{group}")).await,
            "delete group",
        ),
        (
            patch(
                &app,
                &viewer,
                &format!("/api/v1/targets/{id}"),
                json!({"tag_ids": []}),
            )
            .await
            .0,
            "untag",
        ),
    ] {
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
    }
    let (_, read) = get(&app, &owner, &format!("/api/v1/targets/{id}")).await;
    assert_eq!(read["tag_ids"], json!([tag]));
}

/// The dashboard sends one window however many targets there are: worst
/// first, filters and search in the query string, groups folded with
/// their worst state, pages.
async fn the_dashboard_is_a_window(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("dash@example.com").await;
    let prod = made(
        &app,
        &client,
        "/api/v1/tags",
        json!({"name": "prod", "color": "green"}),
    )
    .await;
    let pay = made(&app, &client, "/api/v1/groups", json!({"name": "Payments"})).await;
    made(
        &app,
        &client,
        "/api/v1/groups",
        json!({"name": "Empty group"}),
    )
    .await;
    for i in 0..60 {
        let mut body = json!({"url": format!("https://t{i:02}.example.com/"), "name": format!("Target {i:02}")});
        if i % 10 == 0 {
            body["tag_ids"] = json!([prod]);
        }
        if i < 3 {
            body["group_id"] = json!(pay);
        }
        target(&app, &client, body).await;
    }
    let (_, page_one) = get(&app, &client, "/api/v1/targets?limit=1").await;
    let first = page_one["items"][0]["id"].as_str().expect("id").to_owned();
    post(
        &app,
        &client,
        &format!("/api/v1/targets/{first}/pause"),
        json!({}),
    )
    .await;

    let html = |path: &'static str| {
        let client = client.clone();
        let app = &app;
        async move {
            let response = app.get(&client, path).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            response.text().await.expect("body")
        }
    };
    let rows = |html: &str| html.matches("<tr id=\"t-").count();
    let front = html("/").await;
    assert_eq!(rows(&front), 50, "one window of 50 rows");
    assert!(front.contains("Showing 1–50 of 60 targets."), "{front}");
    assert!(front.contains("Page 1 of 2") && front.contains("href=\"/?page=2\""));
    // Pending targets first, the paused one last (not on page one).
    let row = format!("<tr id=\"t-{first}\"");
    assert!(!front.contains(&row));
    let second = html("/?page=2").await;
    assert_eq!(rows(&second), 10);
    assert!(second.contains(&row) && second.contains("rel=\"prev\""));
    // Groups fold: a <details> per group, its worst state and counts, its
    // first rows inside.
    assert!(front.contains("<details class=\"group\""), "{front}");
    assert!(
        front.contains("Payments") && front.contains("3 targets: 2 pending, 1 paused"),
        "{front}"
    );
    assert!(front.contains("No targets in this group yet."));
    // Tags show as chips; filters by tag, group, state and search.
    assert!(front.contains("chip tc-green\">prod"));
    let tagged = app
        .get(&client, &format!("/?tag={prod}"))
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(rows(&tagged), 6, "targets 00, 10 ... 50");
    let grouped = app
        .get(&client, &format!("/?group={pay}"))
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(rows(&grouped), 3);
    assert!(
        !grouped.contains("<details class=\"group\""),
        "the group is the view"
    );
    let searched = html("/?q=target+1").await;
    assert_eq!(rows(&searched), 10);
    let paused = html("/?state=paused").await;
    assert_eq!(rows(&paused), 1);
    assert!(paused.contains("Paused (1)") && paused.contains("All states (60)"));
    // Pages keep the filters.
    let sorted = html("/?sort=name&q=target").await;
    assert!(
        sorted.contains("href=\"/?q=target&#38;sort=name&#38;page=2\""),
        "{sorted}"
    );
    // The tags and groups page lists them.
    let labels = html("/settings/tags").await;
    assert!(
        labels.contains("prod") && labels.contains("Payments") && labels.contains("Empty group")
    );
}

pharos_storage::on_both_backends!(
    tags_and_groups_are_made_changed_and_deleted,
    lists_filter_and_page,
    viewers_read_and_others_see_nothing,
    the_dashboard_is_a_window,
);
