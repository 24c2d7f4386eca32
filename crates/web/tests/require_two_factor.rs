//! Owners requiring two-factor sign-in of their organization, on both
//! backends through the real server: an owner without it cannot turn it
//! on; with it on, a member without it is held (the API answers 403
//! `two_factor_setup_required`, pages go to /settings/two-factor) until
//! they enrol; turning it off frees them; only owners change it.

mod common;

use common::{json_of, TestApp};
use pharos_storage::testing::Backend;
use reqwest::header::LOCATION;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};

const PASSWORD: &str = "correct horse battery";
const PUBLIC: &str = "https://pharos.example.com";
const HELD: &str = "two_factor_setup_required";

async fn spawn(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |config| {
        config.public_origin = Some(PUBLIC.to_owned());
    })
    .await
}

/// A browser-like client (redirects shown, not followed), signed in.
async fn sign_up(app: &TestApp, email: &str) -> Client {
    app.sign_up(app.browser(), email, None).await
}

async fn send(
    app: &TestApp,
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client.request(method, app.url(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    json_of(request.send().await.expect("send")).await
}

/// Someone with an account of their own who joins `owner`'s organization
/// as `role`; their session acts there.
async fn join(app: &TestApp, owner: &Client, email: &str, role: &str) -> Client {
    let client = sign_up(app, email).await;
    let (status, sent) = send(
        app,
        owner,
        Method::POST,
        "/api/v1/organization/invitations",
        Some(json!({"email": email, "role": role})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let link = sent["accept_url"].as_str().expect("a link");
    let token = link
        .strip_prefix(&format!("{PUBLIC}/invitations/accept?token="))
        .expect("the link's format");
    let (status, joined) = send(
        app,
        &client,
        Method::POST,
        "/api/v1/invitations/accept",
        Some(json!({"token": token})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    assert_eq!(joined["current"], true);
    client
}

/// Turns two-factor on for `client`'s account with a code made here, as
/// an authenticator app would.
async fn enrol(app: &TestApp, client: &Client) {
    let (status, enrolment) = send(
        app,
        client,
        Method::POST,
        "/api/v1/auth/two-factor/setup",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{enrolment}");
    let secret = Secret::Encoded(enrolment["secret"].as_str().expect("secret").to_owned())
        .to_bytes()
        .expect("base32");
    let phone = TOTP::new(Algorithm::SHA1, 6, 1, 30, secret, None, String::new()).expect("totp");
    let code = phone.generate_current().expect("code");
    let (status, body) = send(
        app,
        client,
        Method::POST,
        "/api/v1/auth/two-factor/enable",
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn require(app: &TestApp, client: &Client, on: bool) -> (StatusCode, Value) {
    send(
        app,
        client,
        Method::PATCH,
        "/api/v1/organization",
        Some(json!({"require_two_factor": on})),
    )
    .await
}

/// Whether `client` is held: the API's answer to an ordinary read.
async fn held(app: &TestApp, client: &Client) -> bool {
    let (status, body) = send(app, client, Method::GET, "/api/v1/targets", None).await;
    match status {
        StatusCode::OK => false,
        StatusCode::FORBIDDEN => {
            assert_eq!(body["error"]["code"], HELD, "{body}");
            true
        }
        other => panic!("{other}: {body}"),
    }
}

async fn owners_require_two_factor(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let owner = sign_up(&app, "owner@example.com").await;
    let admin = join(&app, &owner, "admin@example.com", "admin").await;
    let member = join(&app, &owner, "member@example.com", "member").await;
    let viewer = join(&app, &owner, "viewer@example.com", "viewer").await;

    // Not before the owner uses two-factor themselves.
    let (status, error) = require(&app, &owner, true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["field"], "require_two_factor");
    let (_, org) = send(&app, &owner, Method::GET, "/api/v1/organization", None).await;
    assert_eq!(org["require_two_factor"], false);
    enrol(&app, &owner).await;

    // Only owners, whatever their own two-factor.
    enrol(&app, &admin).await;
    for other in [&admin, &member, &viewer] {
        let (status, error) = require(&app, other, true).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
        assert_eq!(error["error"]["code"], "forbidden");
    }
    let (status, org) = require(&app, &owner, true).await;
    assert_eq!(status, StatusCode::OK, "{org}");
    assert_eq!(org["require_two_factor"], true);
    // The name stays, and a rename keeps the requirement.
    let (status, org) = send(
        &app,
        &owner,
        Method::PATCH,
        "/api/v1/organization",
        Some(json!({"name": "Lighthouse"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{org}");
    assert_eq!(
        (org["name"].as_str(), org["require_two_factor"].as_bool()),
        (Some("Lighthouse"), Some(true))
    );

    // A name is a string when given: null is refused by its field.
    let (status, error) = send(
        &app,
        &owner,
        Method::PATCH,
        "/api/v1/organization",
        Some(json!({"name": null})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["field"], "name");

    // The owner and the admin have two-factor: free. The member and the
    // viewer are held: every API route but enrolling, the organization
    // list and switch, and signing out answers 403.
    assert!(!held(&app, &owner).await);
    assert!(!held(&app, &admin).await);
    assert!(held(&app, &viewer).await);
    assert!(held(&app, &member).await);
    for (method, path, body) in [
        (Method::GET, "/api/v1/auth/me", None),
        (Method::GET, "/api/v1/organization", None),
        (Method::GET, "/api/v1/auth/sessions", None),
        (Method::GET, "/api/v1/events?after=0", None),
        (
            Method::POST,
            "/api/v1/targets",
            Some(json!({"url": "https://example.com/"})),
        ),
        (
            Method::POST,
            "/api/v1/auth/password",
            Some(json!({"current_password": PASSWORD, "new_password": "another long one"})),
        ),
    ] {
        let (status, error) = send(&app, &member, method.clone(), path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {error}");
        assert_eq!(error["error"]["code"], HELD, "{method} {path}");
    }
    let (status, two_factor) =
        send(&app, &member, Method::GET, "/api/v1/auth/two-factor", None).await;
    assert_eq!(status, StatusCode::OK, "{two_factor}");
    let (status, mine) = send(&app, &member, Method::GET, "/api/v1/organizations", None).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    // Acting in their own organization (which asks nothing), they are free;
    // back in the one that requires it, held again.
    let ids: Vec<(String, bool)> = mine
        .as_array()
        .expect("list")
        .iter()
        .map(|o| {
            (
                o["id"].as_str().expect("id").to_owned(),
                o["current"] == true,
            )
        })
        .collect();
    let own = ids
        .iter()
        .find(|(_, current)| !current)
        .expect("their own")
        .0
        .clone();
    let shared = ids
        .iter()
        .find(|(_, current)| *current)
        .expect("current")
        .0
        .clone();
    let switch = |id: String| {
        let (app, member) = (&app, &member);
        async move {
            let (status, body) = send(
                app,
                member,
                Method::PUT,
                "/api/v1/organizations/current",
                Some(json!({"organization_id": id})),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    };
    switch(own).await;
    assert!(!held(&app, &member).await);
    switch(shared).await;
    assert!(held(&app, &member).await);

    // Pages send them to /settings/two-factor, which tells them why.
    for path in ["/", "/settings", "/settings/sessions", "/incidents"] {
        let answer = app.get(&member, path).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(answer.headers()[LOCATION], "/settings/two-factor", "{path}");
    }
    let page = app.get(&member, "/settings/two-factor").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("body");
    assert!(
        html.contains("Lighthouse requires two-factor sign-in."),
        "{html}"
    );

    // Enrolling frees them at once.
    enrol(&app, &member).await;
    assert!(!held(&app, &member).await);
    assert_eq!(app.get(&member, "/").await.status(), StatusCode::OK);
    // And two-factor stays on while the organization requires it.
    let (status, error) = send(
        &app,
        &member,
        Method::POST,
        "/api/v1/auth/two-factor/disable",
        Some(json!({"current_password": PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");

    // Turning the requirement off frees the viewer too.
    let (status, org) = require(&app, &owner, false).await;
    assert_eq!(status, StatusCode::OK, "{org}");
    assert_eq!(org["require_two_factor"], false);
    assert!(!held(&app, &viewer).await);
    assert_eq!(app.get(&viewer, "/").await.status(), StatusCode::OK);
}

/// A held member can sign out, and enrols through the pages alone.
async fn a_held_member_enrols_on_the_page(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let owner = sign_up(&app, "owner@example.com").await;
    let member = join(&app, &owner, "member@example.com", "member").await;
    enrol(&app, &owner).await;
    assert_eq!(require(&app, &owner, true).await.0, StatusCode::OK);

    let answer = member
        .post(app.url("/settings/two-factor/setup"))
        .send()
        .await
        .expect("setup");
    assert_eq!(answer.status(), StatusCode::OK);
    let html = answer.text().await.expect("body");
    let secret = html
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the key on the page")
        .to_owned();
    let bytes = Secret::Encoded(secret).to_bytes().expect("base32");
    let phone = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new()).expect("totp");
    let answer = member
        .post(app.url("/settings/two-factor/enable"))
        .form(&[("code", phone.generate_current().expect("code"))])
        .send()
        .await
        .expect("enable");
    assert_eq!(answer.status(), StatusCode::OK);
    let html = answer.text().await.expect("body");
    assert!(html.contains("Your recovery codes"), "{html}");
    assert!(
        !html.contains("requires two-factor sign-in."),
        "no longer held: {html}"
    );
    assert_eq!(app.get(&member, "/").await.status(), StatusCode::OK);

    // Signing out stays open to someone held.
    let late = join(&app, &owner, "late@example.com", "viewer").await;
    assert!(held(&app, &late).await);
    let answer = late.post(app.url("/logout")).send().await.expect("logout");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()[LOCATION], "/login");
    assert_eq!(
        app.get(&late, "/api/v1/auth/two-factor").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// The owner's control on /settings: refused by its field without the
/// owner's own two-factor, saved with it; members see the state only.
async fn the_settings_control(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let owner = sign_up(&app, "owner@example.com").await;
    let admin = join(&app, &owner, "admin@example.com", "admin").await;
    let html = app
        .get(&owner, "/settings")
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("name=\"require_two_factor\""), "{html}");
    assert!(
        html.contains("Turn on two-factor sign-in for your own account first."),
        "{html}"
    );
    let answer = owner
        .post(app.url("/settings/organization/two-factor"))
        .form(&[("require_two_factor", "on")])
        .send()
        .await
        .expect("save");
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = answer.text().await.expect("body");
    assert!(html.contains("id=\"e-require_two_factor\""), "{html}");
    enrol(&app, &owner).await;
    let answer = owner
        .post(app.url("/settings/organization/two-factor"))
        .form(&[("require_two_factor", "on")])
        .send()
        .await
        .expect("save");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let html = app
        .get(&owner, "/settings")
        .await
        .text()
        .await
        .expect("body");
    assert!(
        html.contains("Members must now use two-factor sign-in"),
        "{html}"
    );
    assert!(html.contains("<strong>Required.</strong>"), "{html}");
    // An admin (with two-factor) sees the state, not the control, and a
    // post of the form is refused.
    enrol(&app, &admin).await;
    let html = app
        .get(&admin, "/settings")
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("<strong>Required.</strong>"), "{html}");
    assert!(!html.contains("name=\"require_two_factor\""), "{html}");
    let answer = admin
        .post(app.url("/settings/organization/two-factor"))
        .form::<[(&str, &str); 0]>(&[])
        .send()
        .await
        .expect("save");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    // Unticked and saved by the owner: off.
    let answer = owner
        .post(app.url("/settings/organization/two-factor"))
        .form::<[(&str, &str); 0]>(&[])
        .send()
        .await
        .expect("save");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let (_, org) = send(&app, &owner, Method::GET, "/api/v1/organization", None).await;
    assert_eq!(org["require_two_factor"], false);
}

/// The OpenAPI document tells every authenticated operation's 403 about
/// the hold, except the ones open while held.
async fn the_document_names_the_hold(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let (status, doc) = json_of(app.get(&app.client(), "/api/v1/openapi.json").await).await;
    assert_eq!(status, StatusCode::OK);
    let open = pharos_web::api::openapi::OPEN_WHILE_HELD;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            if operation.get("security").is_none() {
                continue;
            }
            let id = operation["operationId"].as_str().expect("an id");
            let forbidden = operation["responses"]["403"]["description"]
                .as_str()
                .unwrap_or("");
            let names_it = forbidden.contains(HELD);
            assert_eq!(
                names_it,
                !open.contains(&id),
                "{method} {path} ({id}): {forbidden}"
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");
}

pharos_storage::on_both_backends!(
    owners_require_two_factor,
    a_held_member_enrols_on_the_page,
    the_settings_control,
    the_document_names_the_hold,
);
