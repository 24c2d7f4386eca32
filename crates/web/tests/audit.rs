//! The audit log on both backends, through the real server: each change
//! is recorded with who, from where and the changed fields, never a
//! secret; sign-ins and failed sign-ins of members too; only owners and
//! admins read it, each organization its own; pages of 50 follow a cursor.

mod common;

use std::collections::BTreeSet;

use common::{create, json_of, TestApp};
use pharos_domain::ids::{OrganizationId, UserId};
use pharos_domain::organization::Role;
use pharos_storage::testing::Backend;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const WEBHOOK_SECRET_HEADER: &str = "Bearer audit-header-secret-0123";
const SLACK_URL: &str = "https://hooks.slack.com/services/T000/B000/audit-url-secret-4567";

async fn log(app: &TestApp, client: &Client, cursor: Option<&str>) -> (StatusCode, Value) {
    let path = match cursor {
        Some(c) => format!("/api/v1/audit-log?cursor={c}"),
        None => "/api/v1/audit-log".to_owned(),
    };
    json_of(app.get(client, path).await).await
}

fn actions(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().expect("action").to_owned())
        .collect()
}

async fn ok(
    app: &TestApp,
    client: &Client,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let mut request = client.request(method, app.url(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let (status, value) = json_of(request.send().await.expect("send")).await;
    assert!(status.is_success(), "{path}: {status} {value}");
    value
}

async fn user_id(app: &TestApp, client: &Client) -> (UserId, OrganizationId) {
    let (_, me) = json_of(app.get(client, "/api/v1/auth/me").await).await;
    let user = uuid::Uuid::parse_str(me["user"]["id"].as_str().expect("id")).expect("uuid");
    let org =
        uuid::Uuid::parse_str(me["organizations"][0]["id"].as_str().expect("org")).expect("uuid");
    (UserId(user), OrganizationId(org))
}

async fn every_change_is_recorded_without_secrets(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    use reqwest::Method;
    let (status, target) = create(
        &app,
        &owner,
        json!({"url": "https://example.com/", "name": "shop"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{target}");
    let id = target["id"].as_str().expect("id").to_owned();
    ok(
        &app,
        &owner,
        Method::PATCH,
        &format!("/api/v1/targets/{id}"),
        Some(json!({"name": "shop front"})),
    )
    .await;
    ok(
        &app,
        &owner,
        Method::POST,
        &format!("/api/v1/targets/{id}/pause"),
        None,
    )
    .await;
    ok(
        &app,
        &owner,
        Method::POST,
        &format!("/api/v1/targets/{id}/resume"),
        None,
    )
    .await;
    ok(
        &app,
        &owner,
        Method::PUT,
        &format!("/api/v1/targets/{id}/alerts"),
        Some(json!({"alert_type": "none"})),
    )
    .await;
    let channel = ok(
        &app,
        &owner,
        Method::POST,
        "/api/v1/channels",
        Some(json!({
        "kind": "webhook", "name": "ops", "config": {"url": "https://hooks.example.com/x",
        "headers": {"Authorization": WEBHOOK_SECRET_HEADER}}})),
    )
    .await;
    let channel_id = channel["id"].as_str().expect("id").to_owned();
    ok(
        &app,
        &owner,
        Method::PATCH,
        &format!("/api/v1/channels/{channel_id}"),
        Some(json!({"name": "ops 2"})),
    )
    .await;
    let slack = ok(
        &app,
        &owner,
        Method::POST,
        "/api/v1/channels",
        Some(json!({
        "kind": "slack", "name": "chat", "config": {"url": SLACK_URL}})),
    )
    .await;
    ok(
        &app,
        &owner,
        Method::DELETE,
        &format!("/api/v1/channels/{}", slack["id"].as_str().expect("id")),
        None,
    )
    .await;
    ok(&app, &owner, Method::POST, "/api/v1/maintenance", Some(json!({"name": "upgrade", "all_targets": true,
        "schedule": {"kind": "weekly", "weekdays": ["sun"], "start_time": "02:00", "duration_minutes": 60, "time_zone": "UTC"}}))).await;
    ok(
        &app,
        &owner,
        Method::PATCH,
        "/api/v1/organization",
        Some(json!({"name": "Renamed Ltd"})),
    )
    .await;
    ok(
        &app,
        &owner,
        Method::PUT,
        "/api/v1/organization/alerts",
        Some(json!({"alert_type": "once"})),
    )
    .await;
    let invited = ok(
        &app,
        &owner,
        Method::POST,
        "/api/v1/organization/invitations",
        Some(json!({"email": "new@example.com", "role": "member"})),
    )
    .await;
    ok(
        &app,
        &owner,
        Method::DELETE,
        &format!(
            "/api/v1/organization/invitations/{}",
            invited["invitation"]["id"].as_str().expect("id")
        ),
        None,
    )
    .await;
    let key = ok(
        &app,
        &owner,
        Method::POST,
        "/api/v1/api-keys",
        Some(json!({"name": "ci", "role": "member"})),
    )
    .await;
    let secret_key = key["key"].as_str().expect("key").to_owned();
    // A change made with the key is recorded as the key's.
    let keyed = app.client();
    let (status, made) = json_of(
        keyed
            .post(app.url("/api/v1/targets"))
            .bearer_auth(&secret_key)
            .json(&json!({"url": "https://example.org/"}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    ok(
        &app,
        &owner,
        Method::DELETE,
        &format!("/api/v1/api-keys/{}", key["id"].as_str().expect("id")),
        None,
    )
    .await;
    ok(
        &app,
        &owner,
        Method::DELETE,
        &format!("/api/v1/targets/{id}"),
        None,
    )
    .await;
    // A failed sign-in and a good one.
    let visitor = app.client();
    let (status, _) = json_of(
        app.post_json(
            &visitor,
            "/api/v1/auth/login",
            json!({"email": "owner@example.com", "password": "not the password"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = json_of(
        app.post_json(
            &visitor,
            "/api/v1/auth/login",
            json!({"email": "owner@example.com", "password": "correct horse battery"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, page) = log(&app, &owner, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let seen: BTreeSet<String> = actions(&page).into_iter().collect();
    for expected in [
        "target.created",
        "target.updated",
        "target.paused",
        "target.resumed",
        "target.deleted",
        "alert_settings.changed",
        "channel.created",
        "channel.updated",
        "channel.deleted",
        "maintenance.created",
        "organization.renamed",
        "invitation.created",
        "invitation.revoked",
        "api_key.created",
        "api_key.revoked",
        "auth.signed_in",
        "auth.sign_in_failed",
    ] {
        assert!(seen.contains(expected), "{expected} missing from {seen:?}");
    }
    // Newest first: the last thing done was the sign-in.
    assert_eq!(actions(&page)[0], "auth.signed_in");
    let entries = page["items"].as_array().expect("items");
    let find = |action: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action)
            .expect(action)
            .clone()
    };
    let updated = find("target.updated");
    assert_eq!(updated["subject"], id.as_str());
    assert_eq!(updated["details"], json!({"fields": ["name"]}));
    assert_eq!(updated["actor_email"], "owner@example.com");
    assert_eq!(updated["client_address"], "127.0.0.1");
    assert!(updated["api_key_id"].is_null());
    assert_eq!(find("organization.renamed")["details"]["to"], "Renamed Ltd");
    let by_key: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "target.created" && !e["api_key_id"].is_null())
        .collect();
    assert_eq!(by_key.len(), 1, "the key's change names the key");
    assert_eq!(by_key[0]["api_key_id"], key["id"]);
    // No secret anywhere: the webhook header, the Slack URL's key, the API key.
    let text = page.to_string();
    for secret in [WEBHOOK_SECRET_HEADER, "audit-url-secret-4567", &secret_key] {
        assert!(!text.contains(secret), "{secret} leaked into the audit log");
    }
}

async fn only_owners_and_admins_read_their_own_organizations_log(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let stranger = app.user("stranger@example.com").await;
    create(
        &app,
        &owner,
        json!({"url": "https://example.com/", "name": "mine"}),
    )
    .await;
    let (_, org) = user_id(&app, &owner).await;
    for (email, role, allowed) in [
        ("admin@example.com", Role::Admin, true),
        ("member@example.com", Role::Member, false),
        ("viewer@example.com", Role::Viewer, false),
    ] {
        let client = app.user(email).await;
        let (user, own) = user_id(&app, &client).await;
        app.database()
            .add_membership(user, org, role, chrono::Utc::now())
            .await;
        app.database().remove_membership(user, own).await;
        let (status, page) = log(&app, &client, None).await;
        if allowed {
            assert_eq!(status, StatusCode::OK, "{email}");
            assert!(actions(&page).contains(&"target.created".to_owned()));
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "{email}");
        }
    }
    let (status, page) = log(&app, &stranger, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.to_string().contains("owner@example.com"), "{page}");
    assert!(!actions(&page).contains(&"target.created".to_owned()));
    // The page, for an owner.
    let html = owner
        .get(app.url("/settings/audit-log"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(
        html.contains("target.created") && html.contains("owner@example.com"),
        "{html}"
    );
}

async fn pages_of_fifty_follow_the_cursor(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    for i in 0..30 {
        let (status, target) = create(
            &app,
            &owner,
            json!({"url": format!("https://example.com/{i}")}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{target}");
        let deleted = owner
            .delete(app.url(&format!(
                "/api/v1/targets/{}",
                target["id"].as_str().expect("id")
            )))
            .send()
            .await
            .expect("delete");
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    }
    let (_, first) = log(&app, &owner, None).await;
    assert_eq!(first["items"].as_array().expect("items").len(), 50);
    let cursor = first["next_cursor"].as_str().expect("a cursor").to_owned();
    let (_, second) = log(&app, &owner, Some(&cursor)).await;
    let rest = second["items"].as_array().expect("items");
    assert!(second["next_cursor"].is_null());
    let ids: BTreeSet<String> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .chain(rest)
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect();
    // 60 changes and the owner's sign-in, each once.
    assert_eq!(ids.len(), 61);
    let (status, error) = log(&app, &owner, Some("not-a-cursor")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["field"], "cursor");
    // Retention removes what is past its time.
    let pruned = app
        .store
        .prune_audit_log(chrono::Utc::now() + chrono::Duration::seconds(1), 1000)
        .await
        .expect("prune");
    assert_eq!(pruned, 61);
}

pharos_storage::on_both_backends!(
    every_change_is_recorded_without_secrets,
    only_owners_and_admins_read_their_own_organizations_log,
    pages_of_fifty_follow_the_cursor,
);
