//! Teams (issue #13): invitations through a real SMTP server, members and
//! their roles, every write route of the API and the pages against every
//! role, and switching organizations. Through the real server, on both
//! backends.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use common::{json_of, TestApp};
use pharos_domain::ids::{OrganizationId, UserId};
use pharos_domain::organization::Role;
use pharos_notify::testing::SmtpServer;
use pharos_notify::transport::{Transport, TransportSettings};
use pharos_storage::testing::Backend;
use reqwest::header::LOCATION;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";
const PUBLIC: &str = "https://pharos.example.com";

/// A server whose public URL is `PUBLIC` (so links never follow the
/// request's Host), mailing through `smtp` when given.
async fn spawn(backend: Backend, smtp: Option<&SmtpServer>) -> Option<TestApp> {
    let transport = smtp.map(|server| {
        Arc::new(
            Transport::new(TransportSettings {
                allow_private: false,
                timeout: Duration::from_secs(5),
                smtp: Some(common::smtp_settings(server)),
            })
            .expect("transport"),
        )
    });
    TestApp::spawn_full(
        backend,
        |config| {
            config.public_origin = Some(PUBLIC.to_owned());
            // "Check now" in the role table checks a closed local port.
            config.allow_private_targets = true;
        },
        transport,
    )
    .await
}

/// Registers (with an organization of their own) and logs in; a client
/// that shows redirects rather than following them.
async fn sign_up(app: &TestApp, email: &str, organization: &str) -> Client {
    app.sign_up(app.browser(), email, Some(organization)).await
}

/// The caller's user id and the organization they act in now.
async fn who(app: &TestApp, client: &Client) -> (UserId, OrganizationId) {
    let (status, mine) = json_of(app.get(client, "/api/v1/organizations").await).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let current = mine
        .as_array()
        .expect("a list")
        .iter()
        .find(|o| o["current"] == true)
        .unwrap_or_else(|| panic!("one is current: {mine}"));
    let (_, me) = json_of(app.get(client, "/api/v1/auth/me").await).await;
    (
        UserId(uuid(&me["user"]["id"])),
        OrganizationId(uuid(&current["id"])),
    )
}

fn uuid(value: &Value) -> uuid::Uuid {
    uuid::Uuid::parse_str(value.as_str().unwrap_or_default())
        .unwrap_or_else(|_| panic!("a uuid: {value}"))
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

/// Invites `email` as `role` through the API; the answer.
async fn invite(app: &TestApp, inviter: &Client, email: &str, role: &str) -> (StatusCode, Value) {
    send(
        app,
        inviter,
        Method::POST,
        "/api/v1/organization/invitations",
        Some(json!({"email": email, "role": role})),
    )
    .await
}

/// The token of an accept link of the exact format.
fn token_of(link: &str) -> String {
    let prefix = format!("{PUBLIC}/invitations/accept?token=");
    let token = link
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{link} starts with {prefix}"));
    assert_eq!(token.len(), 43, "{link}");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{link}"
    );
    token.to_owned()
}

async fn accept(app: &TestApp, client: &Client, token: &str) -> (StatusCode, Value) {
    send(
        app,
        client,
        Method::POST,
        "/api/v1/invitations/accept",
        Some(json!({"token": token})),
    )
    .await
}

/// Someone who signs up on their own and joins `inviter`'s organization
/// as `role` through an invitation: its link comes back when there is no
/// SMTP server, else in the mail `smtp` receives.
async fn join_by(
    app: &TestApp,
    inviter: &Client,
    email: &str,
    role: &str,
    smtp: Option<&SmtpServer>,
) -> Client {
    let client = sign_up(app, email, "Own").await;
    let before = smtp.map_or(0, |s| invitation_mails(s).len());
    let (status, sent) = invite(app, inviter, email, role).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let token = match smtp {
        None => token_of(sent["accept_url"].as_str().expect("a link to share")),
        Some(server) => {
            wait_for_mail(server, before + 1).await;
            let mail = &invitation_mails(server)[before];
            assert_eq!(mail.recipients, [email]);
            token_of(&link_in(&mail.data))
        }
    };
    let (status, joined) = accept(app, &client, &token).await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    assert_eq!(joined["role"], role);
    assert_eq!(joined["current"], true);
    client
}

async fn join(app: &TestApp, inviter: &Client, email: &str, role: &str) -> Client {
    join_by(app, inviter, email, role, None).await
}

fn mail_text(data: &[u8]) -> String {
    let mail = mailparse::parse_mail(data).expect("MIME");
    mail.subparts
        .iter()
        .find(|p| p.ctype.mimetype == "text/plain")
        .expect("a text part")
        .get_body()
        .expect("a decodable body")
}

/// The accept link in a mail's text.
fn link_in(data: &[u8]) -> String {
    let text = mail_text(data);
    text.split_whitespace()
        .find(|w| w.starts_with(PUBLIC))
        .unwrap_or_else(|| panic!("a link in {text}"))
        .to_owned()
}

/// The mail the server received, less the address confirmations every
/// new account is sent.
fn invitation_mails(server: &SmtpServer) -> Vec<pharos_notify::testing::Received> {
    use mailparse::MailHeaderMap;
    server
        .received()
        .into_iter()
        .filter(|m| {
            mailparse::parse_mail(&m.data)
                .ok()
                .and_then(|mail| mail.headers.get_first_value("Subject"))
                .is_none_or(|s| s != "Confirm your email address for Pharos")
        })
        .collect()
}

async fn wait_for_mail(server: &SmtpServer, count: usize) {
    for _ in 0..100 {
        if invitation_mails(server).len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{count} mails did not arrive");
}

async fn form(
    app: &TestApp,
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(path))
        .header("origin", &app.base)
        .header("sec-fetch-site", "same-origin")
        .form(fields)
        .send()
        .await
        .expect("send")
}

async fn invitations_go_out_by_mail_and_their_links_work_once(backend: Backend) {
    let server = SmtpServer::start().await;
    let Some(app) = spawn(backend, Some(&server)).await else {
        return;
    };
    let owner = sign_up(&app, "owner@example.com", "Acme <Ops>").await;
    let (_, acme) = who(&app, &owner).await;

    // A new person: the mail arrives, with a link of the exact format.
    let (status, sent) = invite(&app, &owner, "  New@Example.com ", "admin").await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["email_sent"], true);
    assert!(sent.get("accept_url").is_none(), "{sent}");
    assert_eq!(sent["invitation"]["email"], "new@example.com");
    assert_eq!(sent["invitation"]["role"], "admin");
    assert_eq!(sent["invitation"]["expired"], false);
    let expires = chrono::DateTime::parse_from_rfc3339(
        sent["invitation"]["expires_at"].as_str().expect("a time"),
    )
    .expect("a time");
    let days = (expires.with_timezone(&Utc) - Utc::now()).num_hours();
    assert!((167..=168).contains(&days), "{sent}");
    wait_for_mail(&server, 1).await;
    let mail = &invitation_mails(&server)[0];
    assert_eq!(mail.recipients, ["new@example.com"]);
    let parsed = mailparse::parse_mail(&mail.data).expect("MIME");
    use mailparse::MailHeaderMap;
    assert_eq!(
        parsed.headers.get_first_value("Subject").as_deref(),
        Some("Join Acme <Ops> on Pharos")
    );
    assert!(mail_text(&mail.data).contains("owner@example.com invited you"));
    let link = link_in(&mail.data);
    let token = token_of(&link);

    // The accept page (not signed in) offers signing up and logging in.
    let visitor = app.browser();
    let response = visitor
        .get(app.url(&format!("/invitations/accept?token={token}")))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("body");
    assert!(html.contains("Join Acme &#60;Ops&#62;"), "{html}");
    assert!(html.contains("new@example.com"), "{html}");
    assert!(
        html.contains("action=\"/invitations/accept/register\""),
        "{html}"
    );
    assert!(
        html.contains("action=\"/invitations/accept/login\""),
        "{html}"
    );

    // Signing up through it: the account joins Acme, and only Acme.
    let response = form(
        &app,
        &visitor,
        "/invitations/accept/register",
        &[
            ("token", &token),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/");
    let (status, mine) = json_of(app.get(&visitor, "/api/v1/organizations").await).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(
        mine,
        json!([{"id": acme.0.to_string(), "name": "Acme <Ops>", "role": "admin", "current": true}])
    );
    // The link was used: a second time is refused, on the page and the API.
    let response = visitor
        .get(app.url(&format!("/invitations/accept?token={token}")))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response
        .text()
        .await
        .expect("body")
        .contains("was used, revoked"));
    let (status, body) = accept(&app, &visitor, &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let invited_again = form(
        &app,
        &app.browser(),
        "/invitations/accept/register",
        &[
            ("token", &token),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ],
    )
    .await;
    assert_eq!(invited_again.status(), StatusCode::NOT_FOUND);

    // Someone with an account: accepts by the API, signed in.
    let existing = sign_up(&app, "bob@example.com", "Bob's").await;
    let (_, bobs) = who(&app, &existing).await;
    let (status, _) = invite(&app, &owner, "bob@example.com", "viewer").await;
    assert_eq!(status, StatusCode::CREATED);
    wait_for_mail(&server, 2).await;
    let bob_token = token_of(&link_in(&invitation_mails(&server)[1].data));
    // Another signed-in person cannot use Bob's link.
    let (status, body) = accept(&app, &visitor, &bob_token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, joined) = accept(&app, &existing, &bob_token).await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    assert_eq!(joined["id"], acme.0.to_string());
    assert_eq!(joined["role"], "viewer");
    let (status, body) = accept(&app, &existing, &bob_token).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "used twice: {body}");
    let (_, mine) = json_of(app.get(&existing, "/api/v1/organizations").await).await;
    let ids: Vec<_> = mine
        .as_array()
        .expect("list")
        .iter()
        .map(|o| uuid(&o["id"]))
        .collect();
    assert_eq!(ids, [bobs.0, acme.0]);

    // Someone with an account logs in on the accept page and joins.
    let carol = sign_up(&app, "carol@example.com", "Carol's").await;
    drop(carol);
    invite(&app, &owner, "carol@example.com", "member").await;
    wait_for_mail(&server, 3).await;
    let carol_token = token_of(&link_in(&invitation_mails(&server)[2].data));
    let browser = app.browser();
    let wrong = form(
        &app,
        &browser,
        "/invitations/accept/login",
        &[
            ("token", &carol_token),
            ("login_password", "not the password"),
        ],
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let response = form(
        &app,
        &browser,
        "/invitations/accept/login",
        &[("token", &carol_token), ("login_password", PASSWORD)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, now_in) = who(&app, &browser).await;
    assert_eq!(now_in, acme);

    // Expired: refused (410), and listed as expired until resent.
    invite(&app, &owner, "late@example.com", "member").await;
    wait_for_mail(&server, 4).await;
    let late_token = token_of(&link_in(&invitation_mails(&server)[3].data));
    app.database().expire_invitations("late@example.com").await;
    let late = sign_up(&app, "late@example.com", "Late's").await;
    let (status, body) = accept(&app, &late, &late_token).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert_eq!(body["error"]["code"], "gone");
    let response = app
        .browser()
        .get(app.url(&format!("/invitations/accept?token={late_token}")))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(response.text().await.expect("body").contains("expired"));
    let (_, pending) = send(
        &app,
        &owner,
        Method::GET,
        "/api/v1/organization/invitations",
        None,
    )
    .await;
    let late_row = pending
        .as_array()
        .expect("list")
        .iter()
        .find(|i| i["email"] == "late@example.com")
        .cloned()
        .expect("listed");
    assert_eq!(late_row["expired"], true);

    // Resending gives a new link; the old one is dead.
    let (status, resent) = send(
        &app,
        &owner,
        Method::POST,
        &format!(
            "/api/v1/organization/invitations/{}/resend",
            late_row["id"].as_str().expect("id")
        ),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{resent}");
    assert_eq!(resent["invitation"]["expired"], false);
    wait_for_mail(&server, 5).await;
    let fresh = token_of(&link_in(&invitation_mails(&server)[4].data));
    assert_ne!(fresh, late_token);
    let (status, _) = accept(&app, &late, &late_token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = accept(&app, &late, &fresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Revoked: the link is dead.
    let (_, sent) = invite(&app, &owner, "gone@example.com", "member").await;
    wait_for_mail(&server, 6).await;
    let gone_token = token_of(&link_in(&invitation_mails(&server)[5].data));
    let gone_id = sent["invitation"]["id"].as_str().expect("id").to_owned();
    // Another organization's owner cannot see, resend or revoke it.
    let mallory = sign_up(&app, "mallory@example.com", "Mallory Ltd").await;
    for (method, path) in [
        (
            Method::DELETE,
            format!("/api/v1/organization/invitations/{gone_id}"),
        ),
        (
            Method::POST,
            format!("/api/v1/organization/invitations/{gone_id}/resend"),
        ),
    ] {
        let (status, body) = send(&app, &mallory, method, &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let (_, theirs) = send(
        &app,
        &mallory,
        Method::GET,
        "/api/v1/organization/invitations",
        None,
    )
    .await;
    assert_eq!(theirs, json!([]));
    let response = form(
        &app,
        &mallory,
        &format!("/settings/invitations/{gone_id}/revoke"),
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (status, _) = send(
        &app,
        &owner,
        Method::DELETE,
        &format!("/api/v1/organization/invitations/{gone_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let gone = sign_up(&app, "gone@example.com", "Gone's").await;
    let (status, _) = accept(&app, &gone, &gone_token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        &app,
        &owner,
        Method::DELETE,
        &format!("/api/v1/organization/invitations/{gone_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "revoked once");

    // Members and pending invitations cannot be invited twice; bad input
    // is named by the field.
    let (status, _) = invite(&app, &owner, "bob@example.com", "member").await;
    assert_eq!(status, StatusCode::CONFLICT);
    invite(&app, &owner, "twice@example.com", "member").await;
    let (status, _) = invite(&app, &owner, "twice@example.com", "viewer").await;
    assert_eq!(status, StatusCode::CONFLICT);
    for (body, field) in [
        (json!({"email": "nope", "role": "member"}), "email"),
        (json!({"email": "x@example.com", "role": "boss"}), "role"),
        (
            json!({"email": "x@example.com", "role": "member", "x": 1}),
            "x",
        ),
    ] {
        let (status, answer) = send(
            &app,
            &owner,
            Method::POST,
            "/api/v1/organization/invitations",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
    }
    let (status, _) = accept(&app, &owner, "not-a-token").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = accept(&app, &owner, &"x".repeat(500)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn without_smtp_the_link_is_handed_to_the_inviter(backend: Backend) {
    let Some(app) = spawn(backend, None).await else {
        return;
    };
    let owner = sign_up(&app, "owner@example.com", "Acme").await;
    let (status, sent) = invite(&app, &owner, "new@example.com", "member").await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["email_sent"], false);
    assert!(
        sent["email_error"].as_str().expect("why").contains("SMTP"),
        "{sent}"
    );
    token_of(sent["accept_url"].as_str().expect("the link"));

    // The page shows the link to pass on, and lists the invitation.
    let response = form(
        &app,
        &owner,
        "/settings/members",
        &[("email", "page@example.com"), ("role", "viewer")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("body");
    let start = html
        .find("id=\"invitation-link\">")
        .expect("the link shown")
        + "id=\"invitation-link\">".len();
    let link = &html[start..start + html[start..].find('<').expect("end")];
    let token = token_of(link);
    assert!(html.contains("no email was sent"), "{html}");
    let (_, page) = json_of(app.get(&owner, "/settings/members").await).await;
    let page = page.as_str().expect("html").to_owned();
    assert!(
        page.contains("page@example.com") && page.contains("new@example.com"),
        "{page}"
    );

    // A bad form comes back by the field, with what was typed.
    let response = form(
        &app,
        &owner,
        "/settings/members",
        &[("email", "not-an-email"), ("role", "viewer")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("body");
    assert!(html.contains("id=\"e-email\""), "{html}");
    assert!(html.contains("value=\"not-an-email\""), "{html}");

    // The link works: the new person signs up and joins as a viewer.
    let person = app.browser();
    let mismatch = form(
        &app,
        &person,
        "/invitations/accept/register",
        &[
            ("token", &token),
            ("password", PASSWORD),
            ("confirm", "something else"),
        ],
    )
    .await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = form(
        &app,
        &person,
        "/invitations/accept/register",
        &[
            ("token", &token),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, members) = send(
        &app,
        &owner,
        Method::GET,
        "/api/v1/organization/members",
        None,
    )
    .await;
    let roles: Vec<_> = members
        .as_array()
        .expect("list")
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap_or_default().to_owned(),
                m["role"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("owner@example.com".to_owned(), "owner".to_owned()),
            ("page@example.com".to_owned(), "viewer".to_owned())
        ]
    );
}

async fn the_last_owner_stays_and_tenants_stay_apart(backend: Backend) {
    let Some(app) = spawn(backend, None).await else {
        return;
    };
    let owner = sign_up(&app, "owner@example.com", "Acme").await;
    let (owner_id, acme) = who(&app, &owner).await;
    let member_path = format!("/api/v1/organization/members/{}", owner_id.0);
    // The last owner can neither be demoted nor leave.
    let (status, body) = send(
        &app,
        &owner,
        Method::PATCH,
        &member_path,
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = send(&app, &owner, Method::DELETE, &member_path, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let response = form(
        &app,
        &owner,
        &format!("/settings/members/{}/remove", owner_id.0),
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(response
        .text()
        .await
        .expect("body")
        .contains("last owner cannot leave"));

    // With a second owner, one may step down, and then leave.
    let second = join(&app, &owner, "second@example.com", "owner").await;
    let (second_id, _) = who(&app, &second).await;
    let second_path = format!("/api/v1/organization/members/{}", second_id.0);
    let (status, body) = send(
        &app,
        &second,
        Method::PATCH,
        &second_path,
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "admin");
    // The first is the last owner again: the admin cannot touch them,
    // and they can still neither step down nor leave.
    let (status, _) = send(
        &app,
        &second,
        Method::PATCH,
        &member_path,
        Some(json!({"role": "member"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(&app, &second, Method::DELETE, &member_path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(
        &app,
        &owner,
        Method::PATCH,
        &member_path,
        Some(json!({"role": "member"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = send(&app, &second, Method::DELETE, &second_path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "anyone may leave");
    // Having left, they act in their own organization again.
    let (_, now_in) = who(&app, &second).await;
    assert_ne!(now_in, acme);
    let (_, mine) = json_of(app.get(&second, "/api/v1/organizations").await).await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
    let (_, listed) = send(
        &app,
        &owner,
        Method::GET,
        "/api/v1/organization/members",
        None,
    )
    .await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let third = join(&app, &owner, "third@example.com", "member").await;
    drop(third);

    // Another organization's members are never listed nor reachable.
    let mallory = sign_up(&app, "mallory@example.com", "Mallory Ltd").await;
    let (_, listed) = send(
        &app,
        &mallory,
        Method::GET,
        "/api/v1/organization/members",
        None,
    )
    .await;
    let emails: Vec<_> = listed
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["email"].clone())
        .collect();
    assert_eq!(emails, [json!("mallory@example.com")]);
    for (method, body) in [
        (Method::PATCH, Some(json!({"role": "viewer"}))),
        (Method::DELETE, None),
    ] {
        let (status, _) = send(&app, &mallory, method, &member_path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = send(
        &app,
        &mallory,
        Method::DELETE,
        "/api/v1/organization/members/not-a-uuid",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, html) = json_of(app.get(&mallory, "/settings/members").await).await;
    let html = html.as_str().unwrap_or_default().to_owned();
    assert!(html.contains("mallory@example.com"), "{html}");
    assert!(
        !html.contains("owner@example.com") && !html.contains("third@example.com"),
        "{html}"
    );
}

async fn switching_organizations_changes_where_everything_acts(backend: Backend) {
    let Some(app) = spawn(backend, None).await else {
        return;
    };
    let alice = sign_up(&app, "alice@example.com", "Alice Inc").await;
    let (_, alices) = who(&app, &alice).await;
    let bob = sign_up(&app, "bob@example.com", "Bob Co").await;
    let (_, bobs) = who(&app, &bob).await;
    let (status, _) = send(
        &app,
        &bob,
        Method::POST,
        "/api/v1/targets",
        Some(json!({"url": "https://bob.example.com/", "name": "bob's site"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = send(
        &app,
        &alice,
        Method::POST,
        "/api/v1/targets",
        Some(json!({"url": "https://alice.example.com/", "name": "alice's site"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // Alice joins Bob Co as a member; accepting switched her there.
    let (_, sent) = invite(&app, &bob, "alice@example.com", "member").await;
    let token = token_of(sent["accept_url"].as_str().expect("link"));
    let (status, _) = accept(&app, &alice, &token).await;
    assert_eq!(status, StatusCode::OK);
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .expect("list")
            .iter()
            .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let (_, targets) = send(&app, &alice, Method::GET, "/api/v1/targets", None).await;
    assert_eq!(names(&targets), ["bob's site"]);
    let (_, mine) = json_of(app.get(&alice, "/api/v1/organizations").await).await;
    assert_eq!(
        mine,
        json!([
            {"id": alices.0.to_string(), "name": "Alice Inc", "role": "owner", "current": false},
            {"id": bobs.0.to_string(), "name": "Bob Co", "role": "member", "current": true}
        ])
    );
    // In Bob Co she is a member: no renaming.
    let (status, _) = send(
        &app,
        &alice,
        Method::PATCH,
        "/api/v1/organization",
        Some(json!({"name": "Mine"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Back to her own, by the API: everything acts there.
    let (status, chosen) = send(
        &app,
        &alice,
        Method::PUT,
        "/api/v1/organizations/current",
        Some(json!({"organization_id": alices.0})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{chosen}");
    assert_eq!(chosen["role"], "owner");
    let (_, targets) = send(&app, &alice, Method::GET, "/api/v1/targets", None).await;
    assert_eq!(names(&targets), ["alice's site"]);
    let (_, html) = json_of(app.get(&alice, "/").await).await;
    let html = html.as_str().expect("html").to_owned();
    assert!(
        html.contains("alice&#39;s site") || html.contains("alice's site"),
        "{html}"
    );
    assert!(!html.contains("bob&#39;s site") && !html.contains("bob's site"));
    // The header offers the switch, as a form that needs no script.
    assert!(html.contains("action=\"/organizations/switch\""), "{html}");
    assert!(
        html.contains(&format!(
            "<option value=\"{}\" selected>Alice Inc</option>",
            alices.0
        )),
        "{html}"
    );

    // By the header's form: the pages act in Bob Co.
    let response = form(
        &app,
        &alice,
        "/organizations/switch",
        &[("organization_id", &bobs.0.to_string())],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = json_of(app.get(&alice, "/").await).await;
    let html = html.as_str().expect("html").to_owned();
    assert!(html.contains("<span class=\"org\">Bob Co</span>"), "{html}");
    assert!(
        html.contains("bob&#39;s site") || html.contains("bob's site"),
        "{html}"
    );
    let (_, targets) = send(&app, &alice, Method::GET, "/api/v1/targets", None).await;
    assert_eq!(names(&targets), ["bob's site"]);

    // Nobody switches into an organization they are not in.
    let carol = sign_up(&app, "carol@example.com", "Carol's").await;
    let (_, carols) = who(&app, &carol).await;
    let (status, _) = send(
        &app,
        &carol,
        Method::PUT,
        "/api/v1/organizations/current",
        Some(json!({"organization_id": bobs.0})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = form(
        &app,
        &carol,
        "/organizations/switch",
        &[("organization_id", &bobs.0.to_string())],
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = form(
        &app,
        &carol,
        "/organizations/switch",
        &[("organization_id", "junk")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (status, _) = send(
        &app,
        &carol,
        Method::PUT,
        "/api/v1/organizations/current",
        Some(json!({"organization_id": uuid::Uuid::now_v7()})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(who(&app, &carol).await.1, carols);
    let (_, targets) = send(&app, &carol, Method::GET, "/api/v1/targets", None).await;
    assert_eq!(targets["items"], json!([]));

    // Removed from the organization she chose, she falls back to her own.
    let (alice_id, _) = who(&app, &alice).await;
    let (status, _) = send(
        &app,
        &bob,
        Method::DELETE,
        &format!("/api/v1/organization/members/{}", alice_id.0),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(who(&app, &alice).await.1, alices);
    let (_, targets) = send(&app, &alice, Method::GET, "/api/v1/targets", None).await;
    assert_eq!(names(&targets), ["alice's site"]);
}

/// Every write route, as (who may: the least role), prepared afresh by the
/// owner before each attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Write {
    CreateTarget,
    UpdateTarget,
    PauseTarget,
    ResumeTarget,
    DeleteTarget,
    CheckNow,
    SetTargetAlerts,
    ResetTargetAlerts,
    CreateMaintenance,
    UpdateMaintenance,
    DeleteMaintenance,
    CreateChannel,
    UpdateChannel,
    TestChannel,
    DeleteChannel,
    SetAlertDefaults,
    Invite(Role),
    Resend(Role),
    Revoke(Role),
    ChangeRole(Role, Role),
    Remove(Role),
    Rename,
    CreateApiKey,
    RevokeApiKey,
}

impl Write {
    const ALL: [Write; 32] = [
        Write::CreateTarget,
        Write::UpdateTarget,
        Write::PauseTarget,
        Write::ResumeTarget,
        Write::DeleteTarget,
        Write::CheckNow,
        Write::SetTargetAlerts,
        Write::ResetTargetAlerts,
        Write::CreateMaintenance,
        Write::UpdateMaintenance,
        Write::DeleteMaintenance,
        Write::CreateChannel,
        Write::UpdateChannel,
        Write::TestChannel,
        Write::DeleteChannel,
        Write::SetAlertDefaults,
        Write::Invite(Role::Member),
        Write::Invite(Role::Owner),
        Write::Resend(Role::Viewer),
        Write::Resend(Role::Owner),
        Write::Revoke(Role::Admin),
        Write::Revoke(Role::Owner),
        Write::ChangeRole(Role::Member, Role::Viewer),
        Write::ChangeRole(Role::Viewer, Role::Admin),
        Write::ChangeRole(Role::Member, Role::Owner),
        Write::ChangeRole(Role::Owner, Role::Member),
        Write::Remove(Role::Member),
        Write::Remove(Role::Admin),
        Write::Remove(Role::Owner),
        Write::Rename,
        Write::CreateApiKey,
        Write::RevokeApiKey,
    ];

    /// The least role that may.
    fn least(self) -> Role {
        match self {
            Write::CreateTarget
            | Write::UpdateTarget
            | Write::PauseTarget
            | Write::ResumeTarget
            | Write::DeleteTarget
            | Write::CheckNow
            | Write::SetTargetAlerts
            | Write::ResetTargetAlerts
            | Write::CreateMaintenance
            | Write::UpdateMaintenance
            | Write::DeleteMaintenance => Role::Member,
            Write::CreateChannel
            | Write::UpdateChannel
            | Write::TestChannel
            | Write::DeleteChannel
            | Write::SetAlertDefaults
            | Write::CreateApiKey
            | Write::RevokeApiKey => Role::Admin,
            Write::Invite(r) | Write::Resend(r) | Write::Revoke(r) | Write::Remove(r) => {
                if r == Role::Owner {
                    Role::Owner
                } else {
                    Role::Admin
                }
            }
            Write::ChangeRole(from, to) => {
                if from == Role::Owner || to == Role::Owner {
                    Role::Owner
                } else {
                    Role::Admin
                }
            }
            Write::Rename => Role::Owner,
        }
    }
}

fn rank(role: Role) -> u8 {
    match role {
        Role::Viewer => 0,
        Role::Member => 1,
        Role::Admin => 2,
        Role::Owner => 3,
    }
}

/// What the owner made for one attempt.
struct Fixture {
    target: String,
    maintenance: String,
    channel: String,
    invitation: String,
    subject: String,
    /// Made only for the write that revokes it (an organization holds at
    /// most 100 keys).
    api_key: Option<String>,
}

impl Fixture {
    fn api_key(&self) -> &str {
        self.api_key.as_deref().expect("a key made for this write")
    }
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

async fn fixture(app: &TestApp, owner: &Client, org: OrganizationId, write: Write) -> Fixture {
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let id = |v: &Value| {
        v["id"]
            .as_str()
            .unwrap_or_else(|| panic!("an id: {v}"))
            .to_owned()
    };
    let (status, target) = send(
        app,
        owner,
        Method::POST,
        "/api/v1/targets",
        Some(json!({"url": format!("https://t{n}.example.com/")})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{target}");
    let (status, window) = send(
        app,
        owner,
        Method::POST,
        "/api/v1/maintenance",
        Some(maintenance_body(&format!("w{n}"))),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{window}");
    let (status, channel) = send(app, owner, Method::POST, "/api/v1/channels", Some(json!({"kind": "email", "name": format!("c{n}"), "config": {"to": ["ops@example.com"]}}))).await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let invited_role = match write {
        Write::Resend(r) | Write::Revoke(r) => r,
        _ => Role::Member,
    };
    let (status, invitation) = invite(
        app,
        owner,
        &format!("invited{n}@example.com"),
        invited_role.as_str(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{invitation}");
    // A member to change or remove, written straight into the database
    // (faster than a sign-up each; the API path is proven elsewhere).
    let subject_role = match write {
        Write::ChangeRole(from, _) => from,
        Write::Remove(r) => r,
        _ => Role::Member,
    };
    let (user, _) =
        pharos_storage::testing::account(&*app.store, &format!("subject{n}@example.com")).await;
    app.database()
        .add_membership(user.id, org, subject_role, Utc::now())
        .await;
    let api_key = if write == Write::RevokeApiKey {
        let (status, key) = send(
            app,
            owner,
            Method::POST,
            "/api/v1/api-keys",
            Some(json!({"name": format!("k{n}"), "role": "viewer"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{key}");
        Some(id(&key))
    } else {
        None
    };
    Fixture {
        api_key,
        target: id(&target),
        maintenance: id(&window),
        channel: id(&channel),
        invitation: id(&invitation["invitation"]),
        subject: user.id.0.to_string(),
    }
}

fn maintenance_body(name: &str) -> Value {
    json!({"name": name, "all_targets": true,
           "schedule": {"kind": "weekly", "weekdays": ["sun"], "start_time": "02:00",
                        "duration_minutes": 60, "time_zone": "Europe/Berlin"}})
}

/// The API request of `write` against `f`.
fn api_request(write: Write, f: &Fixture) -> (Method, String, Option<Value>) {
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    match write {
        Write::CreateTarget => (
            Method::POST,
            "/api/v1/targets".into(),
            Some(json!({"url": "https://new.example.com/"})),
        ),
        Write::UpdateTarget => (
            Method::PATCH,
            format!("/api/v1/targets/{}", f.target),
            Some(json!({"name": "renamed"})),
        ),
        Write::PauseTarget => (
            Method::POST,
            format!("/api/v1/targets/{}/pause", f.target),
            None,
        ),
        Write::ResumeTarget => (
            Method::POST,
            format!("/api/v1/targets/{}/resume", f.target),
            None,
        ),
        Write::DeleteTarget => (
            Method::DELETE,
            format!("/api/v1/targets/{}", f.target),
            None,
        ),
        Write::CheckNow => (
            Method::POST,
            "/api/v1/targets/check".into(),
            Some(json!({"url": "http://127.0.0.1:9/"})),
        ),
        Write::SetTargetAlerts => (
            Method::PUT,
            format!("/api/v1/targets/{}/alerts", f.target),
            Some(json!({"on_restored": false})),
        ),
        Write::ResetTargetAlerts => (
            Method::DELETE,
            format!("/api/v1/targets/{}/alerts", f.target),
            None,
        ),
        Write::CreateMaintenance => (
            Method::POST,
            "/api/v1/maintenance".into(),
            Some(maintenance_body("new")),
        ),
        Write::UpdateMaintenance => (
            Method::PATCH,
            format!("/api/v1/maintenance/{}", f.maintenance),
            Some(maintenance_body("changed")),
        ),
        Write::DeleteMaintenance => (
            Method::DELETE,
            format!("/api/v1/maintenance/{}", f.maintenance),
            None,
        ),
        Write::CreateChannel => (
            Method::POST,
            "/api/v1/channels".into(),
            Some(json!({"kind": "email", "name": "new", "config": {"to": ["a@example.com"]}})),
        ),
        Write::UpdateChannel => (
            Method::PATCH,
            format!("/api/v1/channels/{}", f.channel),
            Some(json!({"name": "renamed"})),
        ),
        Write::TestChannel => (
            Method::POST,
            format!("/api/v1/channels/{}/test", f.channel),
            None,
        ),
        Write::DeleteChannel => (
            Method::DELETE,
            format!("/api/v1/channels/{}", f.channel),
            None,
        ),
        Write::SetAlertDefaults => (
            Method::PUT,
            "/api/v1/organization/alerts".into(),
            Some(json!({"alert_type": "none"})),
        ),
        Write::Invite(role) => (
            Method::POST,
            "/api/v1/organization/invitations".into(),
            Some(json!({"email": format!("new{n}@example.com"), "role": role.as_str()})),
        ),
        Write::Resend(_) => (
            Method::POST,
            format!("/api/v1/organization/invitations/{}/resend", f.invitation),
            None,
        ),
        Write::Revoke(_) => (
            Method::DELETE,
            format!("/api/v1/organization/invitations/{}", f.invitation),
            None,
        ),
        Write::ChangeRole(_, to) => (
            Method::PATCH,
            format!("/api/v1/organization/members/{}", f.subject),
            Some(json!({"role": to.as_str()})),
        ),
        Write::Remove(_) => (
            Method::DELETE,
            format!("/api/v1/organization/members/{}", f.subject),
            None,
        ),
        Write::Rename => (
            Method::PATCH,
            "/api/v1/organization".into(),
            Some(json!({"name": format!("Acme {n}")})),
        ),
        Write::CreateApiKey => (
            Method::POST,
            "/api/v1/api-keys".into(),
            Some(json!({"name": format!("key {n}"), "role": "viewer"})),
        ),
        Write::RevokeApiKey => (
            Method::DELETE,
            format!("/api/v1/api-keys/{}", f.api_key()),
            None,
        ),
    }
}

/// The page form of `write` against `f`: its path and fields.
fn page_request(write: Write, f: &Fixture) -> (String, Vec<(&'static str, String)>) {
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    match write {
        Write::CreateTarget => (
            "/targets/new".into(),
            vec![
                ("kind", "http".into()),
                ("url", "https://new.example.com/".into()),
                ("interval_seconds", "60".into()),
                ("timeout_seconds", "10".into()),
            ],
        ),
        Write::UpdateTarget => (
            format!("/targets/{}/edit", f.target),
            vec![
                ("kind", "http".into()),
                ("url", "https://changed.example.com/".into()),
                ("interval_seconds", "60".into()),
                ("timeout_seconds", "10".into()),
            ],
        ),
        Write::PauseTarget => (format!("/targets/{}/pause", f.target), vec![]),
        Write::ResumeTarget => (format!("/targets/{}/resume", f.target), vec![]),
        Write::DeleteTarget => (format!("/targets/{}/delete", f.target), vec![]),
        Write::CheckNow => (
            "/targets/new".into(),
            vec![
                ("kind", "http".into()),
                ("url", "http://127.0.0.1:9/".into()),
                ("interval_seconds", "60".into()),
                ("timeout_seconds", "2".into()),
                ("action", "check".into()),
            ],
        ),
        Write::SetTargetAlerts => (
            format!("/targets/{}/alerts", f.target),
            vec![("alert_type", "once".into())],
        ),
        Write::ResetTargetAlerts => (format!("/targets/{}/alerts/reset", f.target), vec![]),
        Write::CreateMaintenance => (
            "/maintenance".into(),
            vec![
                ("name", "page window".into()),
                ("kind", "weekly".into()),
                ("weekdays", "sun".into()),
                ("start_time", "02:00".into()),
                ("duration_minutes", "60".into()),
                ("time_zone", "Europe/Berlin".into()),
                ("all_targets", "on".into()),
            ],
        ),
        Write::UpdateMaintenance => (
            format!("/maintenance/{}/edit", f.maintenance),
            vec![
                ("name", "page window 2".into()),
                ("kind", "weekly".into()),
                ("weekdays", "mon".into()),
                ("start_time", "02:00".into()),
                ("duration_minutes", "60".into()),
                ("time_zone", "Europe/Berlin".into()),
                ("all_targets", "on".into()),
            ],
        ),
        Write::DeleteMaintenance => (format!("/maintenance/{}/delete", f.maintenance), vec![]),
        Write::CreateChannel => (
            "/channels".into(),
            vec![
                ("kind", "email".into()),
                ("name", "page channel".into()),
                ("config.to", "a@example.com".into()),
            ],
        ),
        Write::UpdateChannel => (
            format!("/channels/{}/edit", f.channel),
            vec![
                ("kind", "email".into()),
                ("name", "renamed".into()),
                ("config.to", "b@example.com".into()),
            ],
        ),
        Write::TestChannel => (format!("/channels/{}/test", f.channel), vec![]),
        Write::DeleteChannel => (format!("/channels/{}/delete", f.channel), vec![]),
        Write::SetAlertDefaults => (
            "/settings/alerts".into(),
            vec![("alert_type", "once".into())],
        ),
        Write::Invite(role) => (
            "/settings/members".into(),
            vec![
                ("email", format!("page{n}@example.com")),
                ("role", role.as_str().into()),
            ],
        ),
        Write::Resend(_) => (
            format!("/settings/invitations/{}/resend", f.invitation),
            vec![],
        ),
        Write::Revoke(_) => (
            format!("/settings/invitations/{}/revoke", f.invitation),
            vec![],
        ),
        Write::ChangeRole(_, to) => (
            format!("/settings/members/{}/role", f.subject),
            vec![("role", to.as_str().into())],
        ),
        Write::Remove(_) => (format!("/settings/members/{}/remove", f.subject), vec![]),
        Write::Rename => (
            "/settings/organization".into(),
            vec![("name", format!("Acme page {n}"))],
        ),
        Write::CreateApiKey => (
            "/settings/api-keys".into(),
            vec![
                ("name", format!("page key {n}")),
                ("role", "viewer".into()),
                ("expires_at", String::new()),
            ],
        ),
        Write::RevokeApiKey => (format!("/settings/api-keys/{}/revoke", f.api_key()), vec![]),
    }
}

async fn every_write_route_follows_the_roles(backend: Backend) {
    let server = SmtpServer::start().await;
    let Some(app) = spawn(backend, Some(&server)).await else {
        return;
    };
    let owner = sign_up(&app, "owner@example.com", "Acme").await;
    let (_, org) = who(&app, &owner).await;
    let mut actors = Vec::new();
    for role in Role::ALL {
        let email = format!("as-{}@example.com", role.as_str());
        actors.push((
            role,
            join_by(&app, &owner, &email, role.as_str(), Some(&server)).await,
        ));
    }
    let mut checked = 0;
    for (role, actor) in &actors {
        for write in Write::ALL {
            let allowed = rank(*role) >= rank(write.least());
            // The API.
            let f = fixture(&app, &owner, org, write).await;
            let (method, path, body) = api_request(write, &f);
            let (status, answer) = send(&app, actor, method.clone(), &path, body).await;
            if allowed {
                assert!(
                    status.is_success(),
                    "{role:?} {write:?} {method} {path}: {status} {answer}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role:?} {write:?} {method} {path}: {answer}"
                );
                assert_eq!(answer["error"]["code"], "forbidden");
            }
            // The page's form.
            let f = fixture(&app, &owner, org, write).await;
            let (path, fields) = page_request(write, &f);
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let response = form(&app, actor, &path, &fields).await;
            let status = response.status();
            let html = response.text().await.expect("body");
            if allowed {
                assert!(
                    status.is_success() || status == StatusCode::SEE_OTHER,
                    "{role:?} {write:?} POST {path}: {status} {html}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role:?} {write:?} POST {path}: {html}"
                );
            }
            checked += 2;
        }
    }
    assert_eq!(checked, 4 * Write::ALL.len() * 2);
}

pharos_storage::on_both_backends!(
    invitations_go_out_by_mail_and_their_links_work_once,
    without_smtp_the_link_is_handed_to_the_inviter,
    the_last_owner_stays_and_tenants_stay_apart,
    switching_organizations_changes_where_everything_acts,
    every_write_route_follows_the_roles,
);
