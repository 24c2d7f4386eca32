//! API keys on both backends, through the real server: owners and admins
//! make them (never above their own role), a key works on the API as its
//! role in its organization and nowhere else, a wrong, revoked or expired
//! key is the same 401, a mistyped one is refused before any read, and
//! the key is shown once.

mod common;

use common::{create, json_of, TestApp};
use pharos_app::tokens::ApiKeySecret;
use pharos_domain::ids::{OrganizationId, UserId};
use pharos_domain::organization::Role;
use pharos_storage::testing::Backend;
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{json, Value};

/// A client with no cookie jar: what a script holding only a key is.
fn script(app: &TestApp) -> Client {
    let _ = app;
    Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn with_key(request: RequestBuilder, key: &str) -> RequestBuilder {
    request.header("authorization", format!("Bearer {key}"))
}

/// The id of the caller's (first) organization and their user id.
async fn who(app: &TestApp, client: &Client) -> (UserId, OrganizationId) {
    let (_, me) = json_of(app.get(client, "/api/v1/auth/me").await).await;
    let id = |v: &Value| uuid::Uuid::parse_str(v.as_str().expect("id")).expect("uuid");
    (
        UserId(id(&me["user"]["id"])),
        OrganizationId(id(&me["organizations"][0]["id"])),
    )
}

/// A new user who belongs to `org` only, with `role`.
async fn member_of(app: &TestApp, org: OrganizationId, email: &str, role: Role) -> Client {
    let client = app.user(email).await;
    let (user, own) = who(app, &client).await;
    let db = app.database();
    db.add_membership(user, org, role, chrono::Utc::now()).await;
    db.remove_membership(user, own).await;
    client
}

async fn make_key(app: &TestApp, client: &Client, body: Value) -> (StatusCode, Value) {
    json_of(app.post_json(client, "/api/v1/api-keys", body).await).await
}

/// A key made by `client`, which must succeed; the key itself.
async fn key_of(app: &TestApp, client: &Client, name: &str, role: &str) -> String {
    let (status, made) = make_key(app, client, json!({"name": name, "role": role})).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    made["key"].as_str().expect("key").to_owned()
}

async fn list(app: &TestApp, client: &Client) -> (StatusCode, String) {
    let response = app.get(client, "/api/v1/api-keys").await;
    (response.status(), response.text().await.expect("body"))
}

async fn keys_are_made_listed_and_revoked_by_owners_and_admins(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let (_, org) = who(&app, &owner).await;

    let (status, made) = make_key(
        &app,
        &owner,
        json!({"name": "  CI deploy ", "role": "admin", "expires_at": null}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let key = made["key"].as_str().expect("key").to_owned();
    assert!(ApiKeySecret::parse(&key).is_some(), "{key}");
    assert!(key.starts_with("phk_") && key.len() == 43, "{key}");
    assert_eq!(made["name"], "CI deploy");
    assert_eq!(made["role"], "admin");
    assert_eq!(made["prefix"], key[..12]);
    assert_eq!(made["created_by"]["email"], "owner@example.com");
    assert_eq!(made["expires_at"], Value::Null);
    assert_eq!(made["last_used_at"], Value::Null);
    let id = made["id"].as_str().expect("id").to_owned();

    // Listed with everything but the key, which is never shown again.
    let (status, text) = list(&app, &owner).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(!text.contains(&key), "the list shows the key: {text}");
    let listed: Value = serde_json::from_str(&text).expect("json");
    let item = &listed["items"][0];
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(item["id"], made["id"]);
    assert_eq!(item["prefix"], made["prefix"]);
    assert!(item.get("key").is_none(), "{item}");
    let (_, me) = json_of(
        with_key(script(&app).get(app.url("/api/v1/auth/me")), &key)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert!(!me.to_string().contains(&key));

    // Refusals name their field.
    let later = (chrono::Utc::now() + chrono::Duration::days(90)).to_rfc3339();
    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    for (body, field) in [
        (json!({"name": " ", "role": "viewer"}), "name"),
        (json!({"name": "x", "role": "root"}), "role"),
        (
            json!({"name": "x", "role": "viewer", "expires_at": past}),
            "expires_at",
        ),
        (
            json!({"name": "x", "role": "viewer", "expires_at": "tomorrow"}),
            "expires_at",
        ),
        (
            json!({"name": "x", "role": "viewer", "key": "phk_mine"}),
            "key",
        ),
    ] {
        let (status, refused) = make_key(&app, &owner, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} -> {refused}"
        );
        let named = refused["error"]["field"].as_str().unwrap_or_default();
        assert!(
            named == field || refused["error"]["message"].to_string().contains(field),
            "{body} -> {refused}"
        );
    }
    let (status, dated) = make_key(
        &app,
        &owner,
        json!({"name": "quarterly", "role": "viewer", "expires_at": later}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{dated}");
    assert!(dated["expires_at"].is_string(), "{dated}");

    // An admin makes keys up to admin, never owner.
    let admin = member_of(&app, org, "admin@example.com", Role::Admin).await;
    let (status, refused) = make_key(&app, &admin, json!({"name": "x", "role": "owner"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "role", "{refused}");
    for role in ["admin", "member", "viewer"] {
        key_of(&app, &admin, role, role).await;
    }
    // Members and viewers neither make nor see keys.
    for (email, role) in [
        ("member@example.com", Role::Member),
        ("viewer@example.com", Role::Viewer),
    ] {
        let client = member_of(&app, org, email, role).await;
        let (status, refused) =
            make_key(&app, &client, json!({"name": "x", "role": "viewer"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{email}: {refused}");
        assert_eq!(
            list(&app, &client).await.0,
            StatusCode::FORBIDDEN,
            "{email}"
        );
        let revoke = client
            .delete(app.url(&format!("/api/v1/api-keys/{id}")))
            .send()
            .await
            .expect("send");
        assert_eq!(revoke.status(), StatusCode::FORBIDDEN, "{email}");
    }

    // Revoking: an owner-role key only by an owner; another organization's
    // id is unknown; twice is unknown.
    let owner_key = key_of(&app, &owner, "root", "owner").await;
    let (_, listed) = json_of(app.get(&owner, "/api/v1/api-keys").await).await;
    let owner_key_id = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|k| k["name"] == "root")
        .and_then(|k| k["id"].as_str())
        .expect("root key")
        .to_owned();
    let refused = admin
        .delete(app.url(&format!("/api/v1/api-keys/{owner_key_id}")))
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let stranger = app.user("stranger@example.com").await;
    let unknown = stranger
        .delete(app.url(&format!("/api/v1/api-keys/{id}")))
        .send()
        .await
        .expect("send");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let revoked = admin
        .delete(app.url(&format!("/api/v1/api-keys/{id}")))
        .send()
        .await
        .expect("send");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let again = owner
        .delete(app.url(&format!("/api/v1/api-keys/{id}")))
        .send()
        .await
        .expect("send");
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let not_an_id = owner
        .delete(app.url("/api/v1/api-keys/nope"))
        .send()
        .await
        .expect("send");
    assert_eq!(not_an_id.status(), StatusCode::NOT_FOUND);
    let (_, text) = list(&app, &owner).await;
    assert!(!text.contains(&id), "revoked key still listed: {text}");
    let gone = with_key(script(&app).get(app.url("/api/v1/targets")), &key)
        .send()
        .await
        .expect("send");
    assert_eq!(gone.status(), StatusCode::UNAUTHORIZED);
    let works = with_key(script(&app).get(app.url("/api/v1/targets")), &owner_key)
        .send()
        .await
        .expect("send");
    assert_eq!(works.status(), StatusCode::OK);
}

async fn a_key_acts_as_its_role_in_its_organization_only(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let (_, org) = who(&app, &owner).await;
    let (status, target) = create(
        &app,
        &owner,
        json!({"url": "https://example.com/", "name": "site"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{target}");
    let target_id = target["id"].as_str().expect("id").to_owned();
    let member_key = key_of(&app, &owner, "deploy", "member").await;
    let viewer_key = key_of(&app, &owner, "dashboards", "viewer").await;
    let script = script(&app);

    // Reads and writes as a member, with no cookie; a cross-site request
    // with a key and no cookie is not refused as one.
    let (status, targets) = json_of(
        with_key(script.get(app.url("/api/v1/targets")), &member_key)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{targets}");
    assert_eq!(targets["items"][0]["id"], target["id"]);
    let (status, made) = json_of(
        with_key(script.post(app.url("/api/v1/targets")), &member_key)
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site")
            .json(&json!({"url": "https://example.org/", "name": "by key"}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (_, seen) = json_of(app.get(&owner, "/api/v1/targets").await).await;
    assert_eq!(seen["items"].as_array().map(Vec::len), Some(2), "{seen}");
    // As a member: not a manager.
    let (status, _) = json_of(
        with_key(script.post(app.url("/api/v1/api-keys")), &member_key)
            .json(&json!({"name": "more", "role": "viewer"}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The viewer key reads and is refused every write.
    let read = with_key(
        script.get(app.url(&format!("/api/v1/targets/{target_id}"))),
        &viewer_key,
    )
    .send()
    .await
    .expect("send");
    assert_eq!(read.status(), StatusCode::OK);
    let writes = [
        with_key(script.post(app.url("/api/v1/targets")), &viewer_key)
            .json(&json!({"url": "https://example.net/"})),
        with_key(
            script.patch(app.url(&format!("/api/v1/targets/{target_id}"))),
            &viewer_key,
        )
        .json(&json!({"name": "renamed"})),
        with_key(
            script.post(app.url(&format!("/api/v1/targets/{target_id}/pause"))),
            &viewer_key,
        ),
        with_key(
            script.delete(app.url(&format!("/api/v1/targets/{target_id}"))),
            &viewer_key,
        ),
    ];
    for write in writes {
        let response = write.send().await.expect("send");
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{:?}",
            response.url().path()
        );
    }
    let (_, still) = json_of(
        app.get(&owner, format!("/api/v1/targets/{target_id}"))
            .await,
    )
    .await;
    assert_eq!(still["name"], "site");
    assert_eq!(still["paused"], false);

    // /auth/me: the key's creator, the key's organization and role only.
    let (status, me) = json_of(
        with_key(script.get(app.url("/api/v1/auth/me")), &viewer_key)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user"]["email"], "owner@example.com");
    assert_eq!(me["organizations"].as_array().map(Vec::len), Some(1));
    assert_eq!(me["organizations"][0]["role"], "viewer");

    // A session's own routes refuse a key (403), and a wrong key (401).
    for path in ["/api/v1/auth/logout", "/api/v1/auth/password"] {
        let response = with_key(script.post(app.url(path)), &member_key)
            .json(&json!({"current_password": "correct horse battery", "new_password": "another long one"}))
            .send()
            .await
            .expect("send");
        let (status, body) = json_of(response).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("API key"),
            "{body}"
        );
        let wrong = with_key(script.post(app.url(path)), "phk_wrong")
            .json(&json!({}))
            .send()
            .await
            .expect("send");
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let login = app
        .post_json(
            &app.client(),
            "/api/v1/auth/login",
            json!({"email": "owner@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(
        login.status(),
        StatusCode::OK,
        "the password did not change"
    );

    // Another organization's key never reaches this one's targets.
    let stranger = app.user("stranger@example.com").await;
    let their_key = key_of(&app, &stranger, "theirs", "owner").await;
    let (_, theirs) = json_of(
        with_key(script.get(app.url("/api/v1/targets")), &their_key)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(theirs["items"], json!([]), "{theirs}");
    for request in [
        script.get(app.url(&format!("/api/v1/targets/{target_id}"))),
        script.delete(app.url(&format!("/api/v1/targets/{target_id}"))),
        script.get(app.url(&format!("/api/v1/targets/{target_id}/checks"))),
    ] {
        let response = with_key(request, &their_key).send().await.expect("send");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }

    // A key of a creator no longer in the organization stops working; one
    // of a creator demoted acts with the lower role.
    let admin = member_of(&app, org, "admin@example.com", Role::Admin).await;
    let (admin_id, _) = who(&app, &admin).await;
    let admin_key = key_of(&app, &admin, "admin's", "admin").await;
    let db = app.database();
    db.remove_membership(admin_id, org).await;
    db.add_membership(admin_id, org, Role::Viewer, chrono::Utc::now())
        .await;
    let demoted = with_key(script.post(app.url("/api/v1/targets")), &admin_key)
        .json(&json!({"url": "https://example.net/"}))
        .send()
        .await
        .expect("send");
    assert_eq!(demoted.status(), StatusCode::FORBIDDEN);
    db.remove_membership(admin_id, org).await;
    let gone = with_key(script.get(app.url("/api/v1/targets")), &admin_key)
        .send()
        .await
        .expect("send");
    assert_eq!(gone.status(), StatusCode::UNAUTHORIZED);
}

async fn last_use_is_written_at_most_once_a_minute(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let key = key_of(&app, &owner, "poller", "viewer").await;
    let last_used = || async {
        let (_, listed) = json_of(app.get(&owner, "/api/v1/api-keys").await).await;
        listed["items"][0]["last_used_at"].clone()
    };
    assert_eq!(last_used().await, Value::Null);
    let use_it = || async {
        let response = with_key(script(&app).get(app.url("/api/v1/targets")), &key)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), StatusCode::OK);
    };
    let before = chrono::Utc::now();
    use_it().await;
    let first = last_used().await;
    let at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(first.clone()).expect("a time after the first use");
    assert!(
        at >= before - chrono::Duration::seconds(1),
        "{at} vs {before}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    for _ in 0..5 {
        use_it().await;
    }
    assert_eq!(
        last_used().await,
        first,
        "a use within the minute was written"
    );
}

async fn wrong_revoked_and_expired_keys_get_the_same_401(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let script = script(&app);
    let answer = |key: String| {
        let request = with_key(script.get(app.url("/api/v1/targets")), &key);
        async move {
            let response = request.send().await.expect("send");
            (response.status(), response.text().await.expect("body"))
        }
    };

    let (status, wrong) = answer(ApiKeySecret::generate().expose().to_owned()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let expected: Value = serde_json::from_str(&wrong).expect("json");
    assert_eq!(expected["error"]["code"], "unauthenticated", "{wrong}");

    // Revoked: accepted, then refused at its next request.
    let key = key_of(&app, &owner, "soon revoked", "viewer").await;
    assert_eq!(answer(key.clone()).await.0, StatusCode::OK);
    let (_, listed) = json_of(app.get(&owner, "/api/v1/api-keys").await).await;
    let id = listed["items"][0]["id"].as_str().expect("id").to_owned();
    let revoked = owner
        .delete(app.url(&format!("/api/v1/api-keys/{id}")))
        .send()
        .await
        .expect("send");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        answer(key.clone()).await,
        (StatusCode::UNAUTHORIZED, wrong.clone())
    );

    // Expired: accepted until its time, then refused.
    let expires = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let (status, made) = make_key(
        &app,
        &owner,
        json!({"name": "short", "role": "viewer", "expires_at": expires.to_rfc3339()}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let short = made["key"].as_str().expect("key").to_owned();
    assert_eq!(answer(short.clone()).await.0, StatusCode::OK);
    let wait = (expires - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + std::time::Duration::from_millis(100)).await;
    assert_eq!(
        answer(short).await,
        (StatusCode::UNAUTHORIZED, wrong.clone())
    );

    // Mistyped, truncated, not a key at all: the same answer.
    let good = key_of(&app, &owner, "typo", "viewer").await;
    let mut typo = good.clone().into_bytes();
    typo[20] = if typo[20] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).expect("ascii");
    for bad in [
        typo,
        good[..42].to_owned(),
        "hello".to_owned(),
        String::new(),
    ] {
        assert_eq!(
            answer(bad.clone()).await,
            (StatusCode::UNAUTHORIZED, wrong.clone()),
            "{bad}"
        );
    }
    // No credential at all is the same 401 too.
    let none = script
        .get(app.url("/api/v1/targets"))
        .send()
        .await
        .expect("send");
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(none.text().await.expect("body"), wrong);

    // A key decides alone: a wrong one is refused even beside a session.
    let with_session = with_key(owner.get(app.url("/api/v1/targets")), "phk_wrong")
        .send()
        .await
        .expect("send");
    assert_eq!(with_session.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(answer(good).await.0, StatusCode::OK);
}

async fn a_mistyped_key_is_refused_without_reading_the_database(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let key = key_of(&app, &owner, "ci", "viewer").await;
    let mut typo = key.clone().into_bytes();
    typo[10] = if typo[10] == b'Q' { b'R' } else { b'Q' };
    let typo = String::from_utf8(typo).expect("ascii");
    let unknown = ApiKeySecret::generate().expose().to_owned();
    let status_of = |key: String| {
        let request = with_key(script(&app).get(app.url("/api/v1/targets")), &key);
        async move { request.send().await.expect("send").status() }
    };

    // Take the keys' table away: any lookup of a key now fails.
    let db = app.database();
    db.execute_sql("ALTER TABLE api_keys RENAME TO api_keys_away")
        .await;
    // A well-formed key is looked up, and the lookup fails...
    assert_eq!(
        status_of(unknown.clone()).await,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    // ...while a mistyped one is refused by its checksum alone.
    assert_eq!(status_of(typo.clone()).await, StatusCode::UNAUTHORIZED);

    db.execute_sql("ALTER TABLE api_keys_away RENAME TO api_keys")
        .await;
    assert_eq!(status_of(key).await, StatusCode::OK);
    assert_eq!(status_of(unknown).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(typo).await, StatusCode::UNAUTHORIZED);
}

async fn pages_never_accept_a_key(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let (status, target) = create(&app, &owner, json!({"url": "https://example.com/"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = target["id"].as_str().expect("id").to_owned();
    let key = key_of(&app, &owner, "all powerful", "owner").await;
    let script = script(&app);
    for path in [
        "/".to_owned(),
        "/settings".to_owned(),
        "/settings/api-keys".to_owned(),
        format!("/targets/{id}"),
        "/channels".to_owned(),
        "/events".to_owned(),
    ] {
        let response = with_key(script.get(app.url(&path)), &key)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok()),
            Some("/login"),
            "{path}"
        );
    }
    // A form posted with only the key changes nothing.
    let response = with_key(script.post(app.url(&format!("/targets/{id}/delete"))), &key)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/login")
    );
    let (status, _) = json_of(app.get(&owner, format!("/api/v1/targets/{id}")).await).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the page deleted the target for a key"
    );
}

async fn the_settings_page_makes_shows_once_and_revokes_keys(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let (_, org) = who(&app, &owner).await;
    let form = |client: &Client, fields: &[(&str, &str)]| {
        client
            .post(app.url("/settings/api-keys"))
            .form(fields)
            .send()
    };

    let settings = app
        .get(&owner, "/settings")
        .await
        .text()
        .await
        .expect("body");
    assert!(
        settings.contains("href=\"/settings/api-keys\""),
        "{settings}"
    );

    // Refusals come back on their fields, with what was typed.
    let refused = form(
        &owner,
        &[
            ("name", "nightly"),
            ("role", "viewer"),
            ("expires_at", "31/01/2027"),
        ],
    )
    .await
    .expect("send");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("body");
    assert!(html.contains("id=\"e-expires_at\""), "{html}");
    assert!(html.contains("value=\"nightly\""), "{html}");
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let refused = form(
        &owner,
        &[
            ("name", "old"),
            ("role", "viewer"),
            ("expires_at", &yesterday),
        ],
    )
    .await
    .expect("send");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused
        .text()
        .await
        .expect("body")
        .contains("must be in the future"));

    // Made: the answer shows the key, once.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let made = form(
        &owner,
        &[
            ("name", "CI deploy"),
            ("role", "member"),
            ("expires_at", &tomorrow),
        ],
    )
    .await
    .expect("send");
    assert_eq!(made.status(), StatusCode::CREATED);
    let html = made.text().await.expect("body");
    let start = html.find("value=\"phk_").expect("the key is shown") + "value=\"".len();
    let key = html[start..start + 43].to_owned();
    assert!(ApiKeySecret::parse(&key).is_some(), "{key}");
    assert!(html.contains("cannot show it again"), "{html}");
    let listed = app
        .get(&owner, "/settings/api-keys")
        .await
        .text()
        .await
        .expect("body");
    assert!(!listed.contains(&key), "the page shows the key again");
    assert!(
        listed.contains(&key[..12]) && listed.contains("CI deploy"),
        "{listed}"
    );
    // The key works on the API, with the role and expiry chosen.
    let (_, keys) = json_of(app.get(&owner, "/api/v1/api-keys").await).await;
    assert_eq!(keys["items"][0]["role"], "member");
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(keys["items"][0]["expires_at"].clone()).expect("expiry");
    assert_eq!(expires.format("%H:%M:%S").to_string(), "00:00:00");
    assert_eq!(
        (expires - chrono::Duration::days(1))
            .format("%Y-%m-%d")
            .to_string(),
        tomorrow
    );
    let used = with_key(script(&app).get(app.url("/api/v1/targets")), &key)
        .send()
        .await
        .expect("send");
    assert_eq!(used.status(), StatusCode::OK);

    // Members see no keys and cannot make one.
    let member = member_of(&app, org, "member@example.com", Role::Member).await;
    let settings = app
        .get(&member, "/settings")
        .await
        .text()
        .await
        .expect("body");
    assert!(!settings.contains("/settings/api-keys"));
    assert_eq!(
        app.get(&member, "/settings/api-keys").await.status(),
        StatusCode::FORBIDDEN
    );
    let refused = form(&member, &[("name", "x"), ("role", "viewer")])
        .await
        .expect("send");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Revoked from the page: gone from the list, refused by the API.
    let id = keys["items"][0]["id"].as_str().expect("id").to_owned();
    let revoked = app
        .browser()
        .post(app.url(&format!("/settings/api-keys/{id}/revoke")))
        .send()
        .await
        .expect("send");
    assert_eq!(
        revoked.status(),
        StatusCode::SEE_OTHER,
        "no session: to /login"
    );
    let revoked = owner
        .post(app.url(&format!("/settings/api-keys/{id}/revoke")))
        .send()
        .await
        .expect("send");
    assert_eq!(revoked.status(), StatusCode::OK);
    let html = revoked.text().await.expect("body");
    assert!(html.contains("API key revoked"), "{html}");
    assert!(html.contains("No API keys yet."), "{html}");
    let used = with_key(script(&app).get(app.url("/api/v1/targets")), &key)
        .send()
        .await
        .expect("send");
    assert_eq!(used.status(), StatusCode::UNAUTHORIZED);
}

pharos_storage::on_both_backends!(
    the_settings_page_makes_shows_once_and_revokes_keys,
    keys_are_made_listed_and_revoked_by_owners_and_admins,
    a_key_acts_as_its_role_in_its_organization_only,
    last_use_is_written_at_most_once_a_minute,
    wrong_revoked_and_expired_keys_get_the_same_401,
    a_mistyped_key_is_refused_without_reading_the_database,
    pages_never_accept_a_key,
);
