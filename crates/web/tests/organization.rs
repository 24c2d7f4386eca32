//! The caller's organization over the JSON API (`/api/v1/organization`)
//! and on the settings page: its members with when they joined, renaming
//! it, who may, and that no other tenant's organization is ever touched.
//! On both backends.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{json_of, TestApp};
use pharos_domain::ids::{OrganizationId, UserId};
use pharos_domain::organization::Role;
use pharos_storage::testing::Backend;
use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

/// A browser-like client (its own cookies; redirects are shown, not
/// followed), registered with `organization` and logged in.
async fn sign_up(app: &TestApp, email: &str, organization: &str) -> Client {
    app.sign_up(app.browser(), email, Some(organization)).await
}

/// The signed-in user's id and the organization they work in.
async fn who(app: &TestApp, client: &Client) -> (UserId, OrganizationId, DateTime<Utc>) {
    let (status, me) = json_of(app.get(client, "/api/v1/auth/me").await).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let id = |v: &Value| uuid::Uuid::parse_str(v.as_str().expect("an id")).expect("a uuid");
    (
        UserId(id(&me["user"]["id"])),
        OrganizationId(id(&me["organizations"][0]["id"])),
        time(&me["user"]["created_at"]),
    )
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .unwrap_or_else(|| panic!("a timestamp: {value}"))
        .with_timezone(&Utc)
}

async fn organization(app: &TestApp, client: &Client) -> (StatusCode, Value) {
    json_of(app.get(client, "/api/v1/organization").await).await
}

async fn rename(app: &TestApp, client: &Client, body: Value) -> (StatusCode, Value) {
    json_of(
        client
            .patch(app.url("/api/v1/organization"))
            .json(&body)
            .send()
            .await
            .expect("send"),
    )
    .await
}

async fn name_of(app: &TestApp, client: &Client) -> String {
    let (status, body) = organization(app, client).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["name"].as_str().expect("a name").to_owned()
}

async fn page(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
    let response = app.get(client, path).await;
    let status = response.status();
    (status, response.text().await.expect("body"))
}

/// Posts the settings page's rename form the way a browser does: a form
/// body, from Pharos's own origin.
async fn post_rename_form(app: &TestApp, client: &Client, name: &str) -> reqwest::Response {
    client
        .post(app.url("/settings/organization"))
        .header("origin", &app.base)
        .header("sec-fetch-site", "same-origin")
        .form(&[("name", name)])
        .send()
        .await
        .expect("send")
}

/// Makes `user` someone who works only in `org`, with `role`, written
/// straight into the database (invitations have their own tests, in
/// tests/teams.rs).
async fn work_in(app: &TestApp, client: &Client, org: OrganizationId, role: Role) {
    let (user, own, _) = who(app, client).await;
    let db = app.database();
    db.add_membership(user, org, role, Utc::now()).await;
    db.remove_membership(user, own).await;
    assert_eq!(who(app, client).await.1, org);
}

async fn shows_the_organization_and_its_members(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = sign_up(&app, "owner@example.com", "Acme").await;
    let (_, org, _) = who(&app, &owner).await;
    // Bob made his account now and joins Acme two days later (a date that
    // is not his account's).
    let bob = sign_up(&app, "bob@example.com", "Bob's").await;
    let (bob_id, _, bob_created) = who(&app, &bob).await;
    let joined =
        DateTime::from_timestamp((Utc::now() + Duration::days(2)).timestamp(), 0).expect("a time");
    app.database()
        .add_membership(bob_id, org, Role::Member, joined)
        .await;

    let (status, body) = organization(&app, &owner).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], org.0.to_string());
    assert_eq!(body["name"], "Acme");
    assert_eq!(body["role"], "owner");
    let created = time(&body["created_at"]);
    assert!((Utc::now() - created).num_seconds().abs() < 60, "{body}");
    let members = body["members"].as_array().expect("members");
    assert_eq!(members.len(), 2, "{body}");
    assert_eq!(members[0]["email"], "owner@example.com");
    assert_eq!(members[0]["role"], "owner");
    assert_eq!(time(&members[0]["joined_at"]), created);
    assert_eq!(members[1]["email"], "bob@example.com");
    assert_eq!(members[1]["role"], "member");
    assert_eq!(time(&members[1]["joined_at"]), joined);
    assert_ne!(time(&members[1]["joined_at"]), bob_created);
    // Nothing else about members is given away.
    let mut keys: Vec<_> = members[1].as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(keys, ["email", "joined_at", "role", "user_id"]);
    assert_eq!(members[1]["user_id"], bob_id.0.to_string());

    // The members page shows when each joined, not when the account was made.
    let (status, html) = page(&app, &owner, "/settings/members").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Member since"), "{html}");
    let bob_row = html
        .split("<tr>")
        .find(|row| row.contains("bob@example.com"))
        .expect("Bob's row");
    assert!(
        bob_row.contains(&joined.format("%Y-%m-%d").to_string()),
        "{bob_row}"
    );
    assert!(
        !bob_row.contains(&bob_created.format("%Y-%m-%d").to_string()),
        "{bob_row}"
    );

    // Without a session: 401, nothing shown.
    let (status, body) = organization(&app, &app.client()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthenticated");
}

async fn renames_the_organization(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = sign_up(&app, "owner@example.com", "Acme").await;
    let (_, org, _) = who(&app, &owner).await;
    let (status, body) = rename(&app, &owner, json!({"name": "  Acme Operations  "})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], org.0.to_string());
    assert_eq!(body["name"], "Acme Operations");
    assert_eq!(body["role"], "owner");
    assert_eq!(body["members"][0]["email"], "owner@example.com");

    // Every view of the organization has the new name.
    assert_eq!(name_of(&app, &owner).await, "Acme Operations");
    let (_, me) = json_of(app.get(&owner, "/api/v1/auth/me").await).await;
    assert_eq!(me["organizations"][0]["name"], "Acme Operations");
    let (_, html) = page(&app, &owner, "/settings").await;
    assert!(html.contains("<dd>Acme Operations</dd>"), "{html}");
    assert!(!html.contains("<dd>Acme</dd>"), "{html}");
    // And every page's header names it beside the user.
    let (_, html) = page(&app, &owner, "/").await;
    assert!(
        html.contains("<span class=\"org\">Acme Operations</span> · owner@example.com"),
        "{html}"
    );

    // A name is text: markup is kept as typed and shown escaped.
    let (status, body) = rename(&app, &owner, json!({"name": "<b>Ops</b> & Co"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(name_of(&app, &owner).await, "<b>Ops</b> & Co");
    let (_, html) = page(&app, &owner, "/settings").await;
    assert!(
        html.contains("<dd>&#60;b&#62;Ops&#60;/b&#62; &#38; Co</dd>"),
        "{html}"
    );
    assert!(!html.contains("<b>Ops</b>"), "{html}");
}

async fn bad_names_change_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = sign_up(&app, "owner@example.com", "Acme").await;
    let cases = [
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (json!({"name": "tab\tbed"}), "name"),
        (json!({"name": 42}), "name"),
        (json!({"name": null}), "name"),
        (json!({"name": ["Acme 2"]}), "name"),
        (json!({"name": "Fine", "plan": "gold"}), "plan"),
    ];
    for (body, field) in cases {
        let (status, answer) = rename(&app, &owner, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
        assert_eq!(name_of(&app, &owner).await, "Acme", "{body}");
    }
    // 100 characters is the most a name may have.
    let (status, body) = rename(&app, &owner, json!({"name": "y".repeat(100)})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A body that is not the JSON object asked for.
    let response = owner
        .patch(app.url("/api/v1/organization"))
        .header("content-type", "text/plain")
        .body("name=Other")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let response = owner
        .patch(app.url("/api/v1/organization"))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (status, _) = rename(&app, &owner, json!({"name": null})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing to change (the name may be left out since the PATCH also
    // takes `require_two_factor`): nothing changes.
    let (status, _) = rename(&app, &owner, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(name_of(&app, &owner).await, "y".repeat(100));
}

async fn other_tenants_are_never_seen_or_renamed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let alice = sign_up(&app, "alice@example.com", "Alice Inc").await;
    let mallory = sign_up(&app, "mallory@example.com", "Mallory Ltd").await;
    let (_, alice_org, _) = who(&app, &alice).await;
    let (_, mallory_org, _) = who(&app, &mallory).await;
    assert_ne!(alice_org, mallory_org);

    let (_, theirs) = organization(&app, &mallory).await;
    assert_eq!(theirs["id"], mallory_org.0.to_string());
    assert_eq!(theirs["members"].as_array().map(Vec::len), Some(1));
    assert_eq!(theirs["members"][0]["email"], "mallory@example.com");
    let (_, html) = page(&app, &mallory, "/settings").await;
    assert!(!html.contains("alice@example.com") && !html.contains("Alice Inc"));

    // Mallory renames her own organization only, by API and by form.
    let (status, _) = rename(&app, &mallory, json!({"name": "Renamed by Mallory"})).await;
    assert_eq!(status, StatusCode::OK);
    let response = post_rename_form(&app, &mallory, "Renamed again").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(name_of(&app, &mallory).await, "Renamed again");
    assert_eq!(name_of(&app, &alice).await, "Alice Inc");
    let (_, mine) = organization(&app, &alice).await;
    assert_eq!(mine["members"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine["members"][0]["email"], "alice@example.com");

    // No route takes an organization id: naming Alice's gets nowhere.
    for path in [
        format!("/api/v1/organization/{}", alice_org.0),
        format!("/api/v1/organizations/{}", alice_org.0),
    ] {
        let response = mallory
            .patch(app.url(&path))
            .json(&json!({"name": "Owned"}))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            app.get(&mallory, &path).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    let response = mallory
        .patch(app.url(&format!("/api/v1/organization?id={}", alice_org.0)))
        .json(&json!({"name": "Owned"}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(name_of(&app, &alice).await, "Alice Inc");
    assert_eq!(name_of(&app, &mallory).await, "Owned");
}

async fn only_owners_rename(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = sign_up(&app, "owner@example.com", "Acme").await;
    let (_, org, _) = who(&app, &owner).await;

    for (email, role) in [
        ("member@example.com", Role::Member),
        ("viewer@example.com", Role::Viewer),
    ] {
        let client = sign_up(&app, email, "Own").await;
        work_in(&app, &client, org, role).await;
        let (status, body) = organization(&app, &client).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["name"], "Acme");
        assert_eq!(body["role"], role.as_str());

        let (status, body) = rename(&app, &client, json!({"name": "Taken over"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{email}: {body}");
        assert_eq!(body["error"]["code"], "forbidden");
        // They may not rename at all, so the name they send is not even judged.
        let (status, _) = rename(&app, &client, json!({"name": ""})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The page shows the name read-only, with no form to rename it.
        let (_, html) = page(&app, &client, "/settings").await;
        assert!(html.contains("<dd>Acme</dd>"), "{html}");
        assert!(!html.contains("/settings/organization"), "{html}");
        assert!(!html.contains("name=\"name\""), "{html}");
        // Posting the form anyway gets the HTML error page.
        let response = post_rename_form(&app, &client, "Taken over").await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let html = response.text().await.expect("body");
        assert!(html.contains("only owners can rename"), "{html}");
        assert_eq!(name_of(&app, &owner).await, "Acme");
    }

    // An admin may not either (renaming is the owners'); another owner may.
    let admin = sign_up(&app, "admin@example.com", "Own").await;
    work_in(&app, &admin, org, Role::Admin).await;
    let (_, html) = page(&app, &admin, "/settings").await;
    assert!(
        !html.contains("action=\"/settings/organization\""),
        "{html}"
    );
    let (status, _) = rename(&app, &admin, json!({"name": "Acme by admin"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let response = post_rename_form(&app, &admin, "Acme by admin").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(name_of(&app, &owner).await, "Acme");
    let other_owner = sign_up(&app, "owner2@example.com", "Own").await;
    work_in(&app, &other_owner, org, Role::Owner).await;
    let (_, html) = page(&app, &other_owner, "/settings").await;
    assert!(html.contains("action=\"/settings/organization\""), "{html}");
    let (status, body) = rename(&app, &other_owner, json!({"name": "Acme by owner"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "owner");
    assert_eq!(name_of(&app, &owner).await, "Acme by owner");
    let (_, listed) = organization(&app, &owner).await;
    let roles: Vec<_> = listed["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["role"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(roles, ["owner", "member", "viewer", "admin", "owner"]);
}

async fn settings_form_renames_and_shows_errors_by_the_field(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = sign_up(&app, "owner@example.com", "Acme").await;
    let (status, html) = page(&app, &owner, "/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("action=\"/settings/organization\""), "{html}");
    assert!(
        html.contains("name=\"name\" type=\"text\" value=\"Acme\""),
        "{html}"
    );

    // Errors come back by the field, with what was typed, and change nothing.
    let long = "z".repeat(101);
    for (typed, message) in [
        ("   ", "must not be empty"),
        (long.as_str(), "at most 100 characters"),
    ] {
        let response = post_rename_form(&app, &owner, typed).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.expect("body");
        assert!(html.contains("id=\"e-name\""), "{html}");
        assert!(html.contains(message), "{html}");
        assert!(html.contains("aria-invalid=\"true\""), "{html}");
        assert!(html.contains(&format!("value=\"{typed}\"")), "{html}");
        // The name shown is still the stored one.
        assert!(html.contains("<dd>Acme</dd>"), "{html}");
        assert_eq!(name_of(&app, &owner).await, "Acme");
    }

    // A cross-site post is refused before it reaches the form.
    let response = owner
        .post(app.url("/settings/organization"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("name", "Evil")])
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(name_of(&app, &owner).await, "Acme");

    // Success redirects to the page, which says so once.
    let response = post_rename_form(&app, &owner, "  Acme Platform ").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/settings")
    );
    let (_, html) = page(&app, &owner, "/settings").await;
    assert!(html.contains("Organization renamed."), "{html}");
    assert!(html.contains("<dd>Acme Platform</dd>"), "{html}");
    assert!(html.contains("value=\"Acme Platform\""), "{html}");
    let (_, html) = page(&app, &owner, "/settings").await;
    assert!(!html.contains("Organization renamed."), "{html}");
    assert_eq!(name_of(&app, &owner).await, "Acme Platform");

    // The password form on the same page is unaffected.
    let response = owner
        .post(app.url("/settings/password"))
        .form(&[
            ("current_password", PASSWORD),
            ("new_password", "another long phrase"),
            ("confirm", "another long phrase"),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

/// The ids of the signed-in user and of the organization they act in.
async fn ids(app: &TestApp, client: &Client) -> (UserId, OrganizationId, String) {
    let (_, me) = json_of(app.get(client, "/api/v1/auth/me").await).await;
    let user = uuid::Uuid::parse_str(me["user"]["id"].as_str().expect("id")).expect("uuid");
    let (_, org) = json_of(app.get(client, "/api/v1/organization").await).await;
    let id = uuid::Uuid::parse_str(org["id"].as_str().expect("org id")).expect("uuid");
    let name = org["name"].as_str().expect("name").to_owned();
    (UserId(user), OrganizationId(id), name)
}

async fn owners_delete_an_organization_and_everything_in_it(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.user("owner@example.com").await;
    let (owner_id, doomed, name) = ids(&app, &owner).await;
    let (status, target) =
        common::create(&app, &owner, json!({"url": "https://example.com/"})).await;
    assert_eq!(status, StatusCode::CREATED, "{target}");
    let target = target["id"].as_str().expect("id").to_owned();
    let delete = |client: &Client, confirm: &str| {
        client
            .post(app.url("/api/v1/organization/delete"))
            .json(&json!({ "confirm": confirm }))
            .send()
    };

    // Their only organization: refused, nothing goes.
    let answer = delete(&owner, &name).await.expect("delete");
    assert_eq!(answer.status(), StatusCode::CONFLICT);

    // With a second organization (a colleague's, as admin), it may go, but
    // only when the name is repeated, and never by an admin.
    let colleague = app.user("colleague@example.com").await;
    let (colleague_id, other, _) = ids(&app, &colleague).await;
    app.database()
        .add_membership(owner_id, other, Role::Admin, Utc::now())
        .await;
    app.database()
        .add_membership(colleague_id, doomed, Role::Admin, Utc::now())
        .await;
    let (status, error) = json_of(delete(&owner, "not its name").await.expect("delete")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["field"], "confirm");
    let switch = app
        .client_put(
            &colleague,
            "/api/v1/organizations/current",
            json!({"organization_id": doomed.0}),
        )
        .await;
    assert_eq!(switch.status(), StatusCode::OK);
    let answer = delete(&colleague, &name).await.expect("delete");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN, "an admin");
    let answer = delete(&owner, &name).await.expect("delete");
    assert_eq!(answer.status(), StatusCode::NO_CONTENT);

    // Gone with its targets; both sessions now act in the remaining one.
    for client in [&owner, &colleague] {
        let (_, org, _) = ids(&app, client).await;
        assert_eq!(org, other);
        let (status, _) = json_of(app.get(client, format!("/api/v1/targets/{target}")).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    assert!(app
        .store
        .target(
            doomed,
            pharos_domain::ids::TargetId(uuid::Uuid::parse_str(&target).expect("uuid"))
        )
        .await
        .expect("read")
        .is_none());
}

pharos_storage::on_both_backends!(
    owners_delete_an_organization_and_everything_in_it,
    shows_the_organization_and_its_members,
    renames_the_organization,
    bad_names_change_nothing,
    other_tenants_are_never_seen_or_renamed,
    only_owners_rename,
    settings_form_renames_and_shows_errors_by_the_field,
);
