//! Password reset and email verification on both backends, through the
//! real server and a real STARTTLS SMTP server on 127.0.0.1: the links
//! arrive by mail, built from the configured public URL; each works once;
//! a reset ends every session; "forgot password" answers the same for an
//! address with no account; verification gates channels when required.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{json_of, TestApp};
use pharos_domain::user::AccountTokenPurpose;
use pharos_notify::testing::SmtpServer;
use pharos_notify::transport::{Transport, TransportSettings};
use pharos_storage::testing::Backend;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const PUBLIC_URL: &str = "https://pharos.example.com";
const PASSWORD: &str = "correct horse battery";

async fn spawn(
    backend: Backend,
    server: &SmtpServer,
    require_verification: bool,
) -> Option<TestApp> {
    let transport = Transport::new(TransportSettings {
        allow_private: false,
        timeout: Duration::from_secs(5),
        smtp: Some(common::smtp_settings(server)),
    })
    .expect("transport");
    TestApp::spawn_full(
        backend,
        |c| {
            c.link_base = Some(PUBLIC_URL.to_owned());
            c.require_email_verification = require_verification;
        },
        Some(Arc::new(transport)),
    )
    .await
}

/// The text part of each mail with this subject, as received so far.
fn mails(server: &SmtpServer, subject: &str) -> Vec<(Vec<String>, String)> {
    use mailparse::MailHeaderMap;
    server
        .received()
        .iter()
        .filter_map(|m| {
            let mail = mailparse::parse_mail(&m.data).ok()?;
            (mail.headers.get_first_value("Subject").as_deref() == Some(subject)).then(|| {
                let text = mail
                    .subparts
                    .iter()
                    .find(|p| p.ctype.mimetype == "text/plain")
                    .and_then(|p| p.get_body().ok())
                    .unwrap_or_default();
                (m.recipients.clone(), text)
            })
        })
        .collect()
}

async fn wait_for_mail(
    server: &SmtpServer,
    subject: &str,
    count: usize,
) -> Vec<(Vec<String>, String)> {
    let start = Instant::now();
    loop {
        let found = mails(server, subject);
        if found.len() >= count {
            return found;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no mail {subject:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The token of the link to `path` in a mail's text.
fn token_in(text: &str, path: &str) -> String {
    let prefix = format!("{PUBLIC_URL}{path}?token=");
    let start = text
        .find(&prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"))
        + prefix.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    json_of(app.post_json(client, path, body).await).await
}

async fn login(app: &TestApp, email: &str, password: &str) -> (StatusCode, Client) {
    let client = app.client();
    let (status, _) = post(
        app,
        &client,
        "/api/v1/auth/login",
        json!({"email": email, "password": password}),
    )
    .await;
    (status, client)
}

async fn a_password_is_reset_once_by_mail_and_every_session_ends(backend: Backend) {
    let server = SmtpServer::start().await;
    let Some(app) = spawn(backend, &server, false).await else {
        return;
    };
    let first = app.user("reset@example.com").await;
    let (_, second) = login(&app, "reset@example.com", PASSWORD).await;
    let anonymous = app.client();

    // The same answer for an account and for an address with none.
    let (status, known) = post(
        &app,
        &anonymous,
        "/api/v1/auth/forgot-password",
        json!({"email": "Reset@Example.com"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{known}");
    let (status, unknown) = post(
        &app,
        &anonymous,
        "/api/v1/auth/forgot-password",
        json!({"email": "nobody@example.com"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(known, unknown);
    let (status, error) = post(
        &app,
        &anonymous,
        "/api/v1/auth/forgot-password",
        json!({"email": "not an address"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["field"], "email");

    let sent = wait_for_mail(&server, "Reset your Pharos password", 1).await;
    // Only the account got one (give a mail to nobody@ time to show).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mails(&server, "Reset your Pharos password").len(), 1);
    assert_eq!(sent[0].0, ["reset@example.com"]);
    // Built from the public URL, never from the request's Host.
    let token = token_in(&sent[0].1, "/reset-password");
    assert!(!sent[0].1.contains(&app.base), "{}", sent[0].1);
    assert!(sent[0].1.contains("within 60 minutes"), "{}", sent[0].1);

    let (status, validity) = post(
        &app,
        &anonymous,
        "/api/v1/auth/verify-reset-token",
        json!({"token": token}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(validity["valid"], true);
    let (_, validity) = post(
        &app,
        &anonymous,
        "/api/v1/auth/verify-reset-token",
        json!({"token": "made-up"}),
    )
    .await;
    assert_eq!(validity["valid"], false);

    let (status, error) = post(
        &app,
        &anonymous,
        "/api/v1/auth/reset-password",
        json!({"token": token, "password": "short"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["field"], "password");
    let answer = app
        .post_json(
            &anonymous,
            "/api/v1/auth/reset-password",
            json!({"token": token, "password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::NO_CONTENT);

    // Every session ended; the old password is gone, the new one works.
    for client in [&first, &second] {
        let (status, _) = json_of(app.get(client, "/api/v1/auth/me").await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login(&app, "reset@example.com", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "reset@example.com", "a brand new passphrase")
            .await
            .0,
        StatusCode::OK
    );

    // The link works once.
    let (_, validity) = post(
        &app,
        &anonymous,
        "/api/v1/auth/verify-reset-token",
        json!({"token": token}),
    )
    .await;
    assert_eq!(validity["valid"], false);
    let (status, error) = post(
        &app,
        &anonymous,
        "/api/v1/auth/reset-password",
        json!({"token": token, "password": "yet another passphrase"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["field"], "token");
    assert_eq!(
        login(&app, "reset@example.com", "a brand new passphrase")
            .await
            .0,
        StatusCode::OK
    );

    // A second request voids the first link.
    post(
        &app,
        &anonymous,
        "/api/v1/auth/forgot-password",
        json!({"email": "reset@example.com"}),
    )
    .await;
    let older = token_in(
        &wait_for_mail(&server, "Reset your Pharos password", 2).await[1].1,
        "/reset-password",
    );
    post(
        &app,
        &anonymous,
        "/api/v1/auth/forgot-password",
        json!({"email": "reset@example.com"}),
    )
    .await;
    let newer = token_in(
        &wait_for_mail(&server, "Reset your Pharos password", 3).await[2].1,
        "/reset-password",
    );
    let (_, validity) = post(
        &app,
        &anonymous,
        "/api/v1/auth/verify-reset-token",
        json!({"token": older}),
    )
    .await;
    assert_eq!(validity["valid"], false);
    let (_, validity) = post(
        &app,
        &anonymous,
        "/api/v1/auth/verify-reset-token",
        json!({"token": newer}),
    )
    .await;
    assert_eq!(validity["valid"], true);
    // Three an hour per address, with an account or without: the fourth
    // is refused alike.
    let (status, _) = post(
        &app,
        &anonymous,
        "/api/v1/auth/forgot-password",
        json!({"email": "reset@example.com"}),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    for _ in 0..2 {
        let (status, _) = post(
            &app,
            &anonymous,
            "/api/v1/auth/forgot-password",
            json!({"email": "nobody@example.com"}),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let (status, _) = post(
        &app,
        &anonymous,
        "/api/v1/auth/forgot-password",
        json!({"email": "nobody@example.com"}),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

async fn an_expired_reset_link_is_refused(backend: Backend) {
    let server = SmtpServer::start().await;
    let Some(app) = spawn(backend, &server, false).await else {
        return;
    };
    let client = app.user("late@example.com").await;
    let (_, me) = json_of(app.get(&client, "/api/v1/auth/me").await).await;
    let user = pharos_domain::ids::UserId(
        uuid::Uuid::parse_str(me["user"]["id"].as_str().expect("id")).expect("uuid"),
    );
    let hasher = pharos_app::TokenHasher::new(&common::test_config().session.secret);
    let now = chrono::Utc::now();
    app.store
        .issue_account_token(
            user,
            AccountTokenPurpose::PasswordReset,
            &hasher.hash("an-expired-token"),
            now - chrono::Duration::hours(2),
            now - chrono::Duration::minutes(1),
        )
        .await
        .expect("issue");
    let anonymous = app.client();
    let (_, validity) = post(
        &app,
        &anonymous,
        "/api/v1/auth/verify-reset-token",
        json!({"token": "an-expired-token"}),
    )
    .await;
    assert_eq!(validity["valid"], false);
    let (status, error) = post(
        &app,
        &anonymous,
        "/api/v1/auth/reset-password",
        json!({"token": "an-expired-token", "password": "a brand new passphrase"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["field"], "token");
    let (status, _) = json_of(app.get(&client, "/api/v1/auth/me").await).await;
    assert_eq!(status, StatusCode::OK, "nothing changed");
    // The pages say so too.
    let page = anonymous
        .get(app.url("/reset-password?token=an-expired-token"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.text().await.expect("body").contains("has expired"));
}

async fn an_address_is_verified_by_its_link_and_gates_channels_when_required(backend: Backend) {
    let server = SmtpServer::start().await;
    let Some(app) = spawn(backend, &server, true).await else {
        return;
    };
    let client = app.user("new@example.com").await;
    let sent = wait_for_mail(&server, "Confirm your email address for Pharos", 1).await;
    assert_eq!(sent[0].0, ["new@example.com"]);
    let first = token_in(&sent[0].1, "/verify-email");
    let (_, me) = json_of(app.get(&client, "/api/v1/auth/me").await).await;
    assert_eq!(me["user"]["email_verified"], false);

    // Unverified: signed in and reading, but no channels yet.
    let channel =
        json!({"kind": "webhook", "name": "x", "config": {"url": "https://hooks.example.com/x"}});
    let (status, error) = post(&app, &client, "/api/v1/channels", channel.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("confirm your email"),
        "{error}"
    );

    // Asking again voids the first link.
    let (status, answer) = post(&app, &client, "/api/v1/auth/verify-email/resend", json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let second = token_in(
        &wait_for_mail(&server, "Confirm your email address for Pharos", 2).await[1].1,
        "/verify-email",
    );
    let (status, error) = post(
        &app,
        &client,
        "/api/v1/auth/verify-email",
        json!({"token": first}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["field"], "token");

    // The page shows a button; its POST confirms (no session needed).
    let visitor = app.client();
    let page = visitor
        .get(app.url(&format!("/verify-email?token={second}")))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .expect("body")
        .contains("Confirm my address"));
    let (_, me) = json_of(app.get(&client, "/api/v1/auth/me").await).await;
    assert_eq!(
        me["user"]["email_verified"], false,
        "opening the link changes nothing"
    );
    let confirmed = visitor
        .post(app.url("/verify-email"))
        .form(&[("token", second.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert!(confirmed
        .text()
        .await
        .expect("body")
        .contains("Your email address is confirmed."));

    let (_, me) = json_of(app.get(&client, "/api/v1/auth/me").await).await;
    assert_eq!(me["user"]["email_verified"], true);
    let (status, made) = post(&app, &client, "/api/v1/channels", channel).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (status, error) = post(
        &app,
        &client,
        "/api/v1/auth/verify-email",
        json!({"token": second}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "used once: {error}"
    );
    let (_, answer) = post(&app, &client, "/api/v1/auth/verify-email/resend", json!({})).await;
    assert_eq!(answer["message"], "Your address is verified already.");
}

async fn the_reset_pages_work_without_script(backend: Backend) {
    let server = SmtpServer::start().await;
    let Some(app) = spawn(backend, &server, false).await else {
        return;
    };
    let _ = app.user("pages@example.com").await;
    let visitor = app.client();
    let login = visitor.get(app.url("/login")).send().await.expect("login");
    assert!(login
        .text()
        .await
        .expect("body")
        .contains("href=\"/forgot-password\""));
    let asked = visitor
        .post(app.url("/forgot-password"))
        .form(&[("email", "pages@example.com")])
        .send()
        .await
        .expect("post");
    assert_eq!(asked.status(), StatusCode::OK);
    assert!(asked
        .text()
        .await
        .expect("body")
        .contains("a link to choose a new password is on its way"));
    let token = token_in(
        &wait_for_mail(&server, "Reset your Pharos password", 1).await[0].1,
        "/reset-password",
    );
    let form = visitor
        .get(app.url(&format!("/reset-password?token={token}")))
        .send()
        .await
        .expect("form");
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.expect("body").contains("Set password"));
    let mismatch = visitor
        .post(app.url("/reset-password"))
        .form(&[
            ("token", token.as_str()),
            ("password", "a brand new passphrase"),
            ("confirm", "something else"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done = visitor
        .post(app.url("/reset-password"))
        .form(&[
            ("token", token.as_str()),
            ("password", "a brand new passphrase"),
            ("confirm", "a brand new passphrase"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done
        .text()
        .await
        .expect("body")
        .contains("Your new password is set"));
    assert_eq!(
        login_status(&app, "pages@example.com", "a brand new passphrase").await,
        StatusCode::OK
    );
}

async fn login_status(app: &TestApp, email: &str, password: &str) -> StatusCode {
    login(app, email, password).await.0
}

pharos_storage::on_both_backends!(
    a_password_is_reset_once_by_mail_and_every_session_ends,
    an_expired_reset_link_is_refused,
    an_address_is_verified_by_its_link_and_gates_channels_when_required,
    the_reset_pages_work_without_script,
);
