//! Status page email subscribers (issue #12) on both backends, through the
//! real server and a real STARTTLS SMTP server on 127.0.0.1: a visitor
//! subscribes with the page's form, confirms with the mailed link, hears
//! of a published incident and its update (once each, never of a draft),
//! and leaves with the signed link of a mail, after which nothing more
//! arrives; an unconfirmed address gets nothing but its confirm mail; a
//! tampered unsubscribe link is refused. Webhook subscribers, added by a
//! page's owner, receive signed incidents on a local HTTP receiver; only
//! owners and admins of the page's organization see or remove
//! subscribers. Deliveries are made by the workers' pass
//! (`subscribers::deliver_due`), as `pharos run` does.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{create, json_of, TestApp};
use pharos_app::{App, AppSettings};
use pharos_notify::testing::SmtpServer;
use pharos_notify::transport::{Transport, TransportSettings};
use pharos_storage::testing::Backend;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

const PUBLIC_URL: &str = "https://pharos.example.com";
const READER: &str = "reader@example.com";
const LAZY: &str = "lazy@example.com";

struct Mail {
    recipients: Vec<String>,
    subject: String,
    text: String,
    list_unsubscribe: Option<String>,
    list_unsubscribe_post: Option<String>,
}

fn mails(server: &SmtpServer) -> Vec<Mail> {
    use mailparse::MailHeaderMap;
    server
        .received()
        .iter()
        .filter_map(|m| {
            let mail = mailparse::parse_mail(&m.data).ok()?;
            let text = mail
                .subparts
                .iter()
                .find(|p| p.ctype.mimetype == "text/plain")
                .and_then(|p| p.get_body().ok())
                .unwrap_or_default();
            Some(Mail {
                recipients: m.recipients.clone(),
                subject: mail.headers.get_first_value("Subject").unwrap_or_default(),
                text,
                list_unsubscribe: mail.headers.get_first_value("List-Unsubscribe"),
                list_unsubscribe_post: mail.headers.get_first_value("List-Unsubscribe-Post"),
            })
        })
        .collect()
}

fn mails_to(server: &SmtpServer, to: &str) -> Vec<Mail> {
    mails(server)
        .into_iter()
        .filter(|m| m.recipients.iter().any(|r| r == to))
        .collect()
}

/// Waits until `to` has `count` mails (confirm mails go out on a task of
/// their own, after the answer).
async fn wait_for(server: &SmtpServer, to: &str, count: usize) -> Vec<Mail> {
    let start = Instant::now();
    loop {
        let found = mails_to(server, to);
        if found.len() >= count {
            return found;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{to} has {} mails, not {count}",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The first link in `text` that starts with `prefix`.
fn link_in(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"));
    text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect()
}

/// The path of one of our public links.
fn path_of(link: &str) -> &str {
    link.strip_prefix(PUBLIC_URL)
        .expect("a link on the public URL")
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

async fn form(app: &TestApp, path: &str, body: &str) -> (StatusCode, String) {
    let response = Client::new()
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .expect("send");
    (response.status(), response.text().await.expect("body"))
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = Client::new().get(app.url(path)).send().await.expect("send");
    (response.status(), response.text().await.expect("body"))
}

async fn an_email_subscription_end_to_end(backend: Backend) {
    let server = SmtpServer::start().await;
    let transport = Arc::new(
        Transport::new(TransportSettings {
            allow_private: false,
            timeout: Duration::from_secs(5),
            smtp: Some(common::smtp_settings(&server)),
        })
        .expect("transport"),
    );
    let Some(app) = TestApp::spawn_full(
        backend,
        |c| c.link_base = Some(PUBLIC_URL.to_owned()),
        Some(Arc::clone(&transport)),
    )
    .await
    else {
        return;
    };
    // The workers' side, as `pharos run` builds it: the same store,
    // secret and public URL.
    let workers = App::new(
        app.store.clone(),
        AppSettings {
            public_url: PUBLIC_URL.to_owned(),
            ..AppSettings::default()
        },
        &common::test_config().session.secret,
    )
    .with_transport(Some(Arc::clone(&transport)));

    let owner = app.user("owner@example.com").await;
    let (status, target) = create(
        &app,
        &owner,
        json!({"url": "https://example.com", "name": "Web"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{target}");
    let (status, page) = send(
        &app,
        &owner,
        Method::POST,
        "/api/v1/status-pages",
        Some(json!({"title": "Acme status", "slug": "acme",
            "sections": [{"name": "Core", "target_ids": [target["id"]]}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    let page_id = page["id"].as_str().expect("id").to_owned();

    // The page offers the form, and its CSP lets the form post.
    let (status, html) = get(&app, "/status/acme").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("action=\"/status/acme/subscribe\""), "{html}");

    // A bad address is refused by field; an unknown page is a 404.
    let (status, body) = form(&app, "/status/acme/subscribe", "email=not-an-address").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = form(&app, "/status/nope/subscribe", "email=a%40example.com").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    for who in [READER, LAZY] {
        let (status, body) = form(&app, "/status/acme/subscribe", &format!("email={who}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("Check your inbox"), "{body}");
    }
    let confirm_mail = wait_for(&server, READER, 1).await.remove(0);
    assert_eq!(
        confirm_mail.subject,
        "Confirm your subscription to Acme status"
    );
    wait_for(&server, LAZY, 1).await;
    let confirm = link_in(
        &confirm_mail.text,
        &format!("{PUBLIC_URL}/status/acme/confirm/"),
    );
    let (status, body) = get(&app, path_of(&confirm)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("You are subscribed"), "{body}");
    // The link works once, and only on its own page.
    let (status, _) = get(&app, path_of(&confirm)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A draft reaches nobody; a published incident and its update reach
    // the confirmed subscriber once each.
    let incidents = format!("/api/v1/status-pages/{page_id}/incidents");
    let (status, draft) = send(
        &app,
        &owner,
        Method::POST,
        &incidents,
        Some(json!({"title": "Quiet draft", "draft": true, "message": "not yet"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let (status, incident) = send(
        &app,
        &owner,
        Method::POST,
        &incidents,
        Some(json!({"title": "Database slow", "status": "investigating", "message": "Looking into it"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{incident}");
    let incident_path = format!("{incidents}/{}", incident["id"].as_str().expect("id"));
    assert_eq!(
        pharos_app::subscribers::deliver_due(&workers)
            .await
            .expect("pass"),
        1
    );
    let first = wait_for(&server, READER, 2).await.remove(1);
    assert_eq!(first.subject, "[Acme status] Database slow: Investigating");
    assert!(first.text.contains("Looking into it"), "{}", first.text);

    let (status, changed) = send(
        &app,
        &owner,
        Method::PATCH,
        &incident_path,
        Some(json!({"status": "identified", "message": "Found the slow query"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    // A title change is no news: nothing new is queued.
    let (status, _) = send(
        &app,
        &owner,
        Method::PATCH,
        &incident_path,
        Some(json!({"title": "Database slow!"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        pharos_app::subscribers::deliver_due(&workers)
            .await
            .expect("pass"),
        1
    );
    assert_eq!(
        pharos_app::subscribers::deliver_due(&workers)
            .await
            .expect("pass"),
        0
    );
    let to_reader = mails_to(&server, READER);
    assert_eq!(to_reader.len(), 3, "a confirm mail and two announcements");
    let update = &to_reader[2];
    assert!(
        update.subject.ends_with(": Identified"),
        "{}",
        update.subject
    );
    assert!(
        update.text.contains("Found the slow query"),
        "{}",
        update.text
    );
    assert!(mails(&server)
        .iter()
        .all(|m| !m.subject.contains("Quiet draft")));
    assert_eq!(mails_to(&server, LAZY).len(), 1, "only its confirm mail");

    // Every announcement carries the signed link, as a header too.
    let unsubscribe = link_in(
        &update.text,
        &format!("{PUBLIC_URL}/status/acme/unsubscribe/"),
    );
    assert_eq!(
        update.list_unsubscribe.as_deref(),
        Some(format!("<{unsubscribe}>").as_str())
    );
    assert_eq!(
        update.list_unsubscribe_post.as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let path = path_of(&unsubscribe).to_owned();

    // A tampered signature, or the signature on another id, is refused.
    let (prefix, signature) = path.rsplit_once('/').expect("signature");
    let mut forged = signature.as_bytes().to_vec();
    forged[0] = if forged[0] == b'A' { b'B' } else { b'A' };
    let forged = format!("{prefix}/{}", String::from_utf8(forged).expect("ascii"));
    let other_id = format!(
        "/status/acme/unsubscribe/{}/{signature}",
        uuid::Uuid::now_v7()
    );
    for bad in [&forged, &other_id] {
        let (status, _) = get(&app, bad).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{bad}");
        let (status, _) = form(&app, bad, "List-Unsubscribe=One-Click").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{bad}");
    }
    // Opening the link asks first (a mail scanner unsubscribes nobody).
    let (status, body) = get(&app, &path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("Unsubscribe?") && body.contains("method=\"post\""),
        "{body}"
    );
    pharos_app::subscribers::deliver_due(&workers)
        .await
        .expect("pass");
    // The one-click POST a mail program sends.
    let (status, body) = form(&app, &path, "List-Unsubscribe=One-Click").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("You are unsubscribed"), "{body}");

    let (status, _) = send(
        &app,
        &owner,
        Method::PATCH,
        &incident_path,
        Some(json!({"status": "resolved", "message": "Fixed"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        pharos_app::subscribers::deliver_due(&workers)
            .await
            .expect("pass"),
        0
    );
    assert_eq!(mails_to(&server, READER).len(), 3, "nothing after leaving");
    // The link of a subscriber who left says so.
    let (status, body) = get(&app, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("You are unsubscribed"), "{body}");
}

/// What the local receiver got: headers and the raw body.
type Seen = Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, Vec<u8>)>>>;

async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/hook?key=abc",
        listener.local_addr().expect("addr")
    );
    let state = Arc::clone(&seen);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let state = Arc::clone(&state);
                async move {
                    state.lock().expect("lock").push((headers, body.to_vec()));
                    StatusCode::NO_CONTENT
                }
            },
        ),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn webhook_subscribers_get_signed_incidents_and_only_managers_see_them(backend: Backend) {
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    // The receiver is on 127.0.0.1: only tests relax the SSRF rule.
    let transport = Arc::new(
        Transport::new(TransportSettings {
            allow_private: true,
            timeout: Duration::from_secs(5),
            smtp: None,
        })
        .expect("transport"),
    );
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let workers = App::new(
        app.store.clone(),
        AppSettings::default(),
        &common::test_config().session.secret,
    )
    .with_transport(Some(Arc::clone(&transport)));
    let owner = app.user("owner@example.com").await;
    let stranger = app.user("stranger@example.com").await;
    let (status, page) = send(
        &app,
        &owner,
        Method::POST,
        "/api/v1/status-pages",
        Some(json!({"title": "Acme status", "slug": "acme", "sections": []})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    let page_id = page["id"].as_str().expect("id").to_owned();
    let subscribers = format!("/api/v1/status-pages/{page_id}/subscribers");

    // Bad URLs are refused by field.
    for bad in ["ftp://example.com/x", "not a url", ""] {
        let (status, body) = send(
            &app,
            &owner,
            Method::POST,
            &subscribers,
            Some(json!({"url": bad})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["error"]["field"], "url", "{body}");
    }
    let (url, seen) = receiver().await;
    let (status, added) = send(
        &app,
        &owner,
        Method::POST,
        &subscribers,
        Some(json!({"url": url})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let secret = added["signing_secret"].as_str().expect("secret").to_owned();
    let subscriber_id = added["id"].as_str().expect("id").to_owned();
    assert_eq!(added["kind"], "webhook");
    assert_eq!(added["confirmed"], true);
    // The list shows the origin, never the path or its key.
    assert!(
        !added["address"]
            .as_str()
            .expect("address")
            .contains("key=abc"),
        "{added}"
    );
    let (status, again) = send(
        &app,
        &owner,
        Method::POST,
        &subscribers,
        Some(json!({"url": url})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");

    // Someone else's organization sees nothing and removes nothing.
    let (status, _) = send(&app, &stranger, Method::GET, &subscribers, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        &app,
        &stranger,
        Method::POST,
        &subscribers,
        Some(json!({"url": url})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let one = format!("{subscribers}/{subscriber_id}");
    let (status, _) = send(&app, &stranger, Method::DELETE, &one, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, listed) = send(&app, &owner, Method::GET, &subscribers, None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(
        listed["items"].as_array().expect("items").len(),
        1,
        "{listed}"
    );
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown once"
    );

    let (status, incident) = send(
        &app,
        &owner,
        Method::POST,
        &format!("/api/v1/status-pages/{page_id}/incidents"),
        Some(json!({"title": "Payments down", "message": "Card payments fail"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{incident}");
    assert_eq!(
        pharos_app::subscribers::deliver_due(&workers)
            .await
            .expect("pass"),
        1
    );
    let got = seen.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    let (headers, body) = &got[0];
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name}"))
            .to_owned()
    };
    let timestamp = header("x-pharos-timestamp");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(header("x-pharos-signature"), format!("sha256={expected}"));
    assert_eq!(header("x-pharos-event"), "status_page.incident");
    let payload: Value = serde_json::from_slice(body).expect("json");
    assert_eq!(payload["incident"]["title"], "Payments down", "{payload}");
    assert_eq!(
        payload["incident"]["message"], "Card payments fail",
        "{payload}"
    );
    assert_eq!(payload["page"]["slug"], "acme", "{payload}");

    // The dashboard page lists it for the owner, and not for a stranger.
    let dashboard = format!("/status-pages/{page_id}/subscribers");
    let response = owner.get(app.url(&dashboard)).send().await.expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("body");
    assert!(
        html.contains("Webhook") && html.contains("http://127.0.0.1"),
        "{html}"
    );
    assert!(
        !html.contains("key=abc") && !html.contains(&secret),
        "{html}"
    );
    let response = stranger
        .get(app.url(&dashboard))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = stranger
        .post(app.url(&format!("{dashboard}/{subscriber_id}/delete")))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // A webhook added with the dashboard's form shows its secret once.
    let response = owner
        .post(app.url(&dashboard))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("url=https%3A%2F%2Fhooks.example.com%2Fstatus")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::CREATED);
    let html = response.text().await.expect("body");
    assert!(
        html.contains("Signing secret") && html.contains("https://hooks.example.com"),
        "{html}"
    );
    let response = owner
        .post(app.url(&dashboard))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("url=ftp%3A%2F%2Fexample.com")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // And removed with the dashboard's button (so no test mail leaves
    // 127.0.0.1).
    let (_, listed) = send(&app, &owner, Method::GET, &subscribers, None).await;
    let added_here = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["address"] == "https://hooks.example.com")
        .and_then(|s| s["id"].as_str())
        .expect("the dashboard's webhook")
        .to_owned();
    let response = owner
        .post(app.url(&format!("{dashboard}/{added_here}/delete")))
        .send()
        .await
        .expect("send");
    assert!(response.status().is_success(), "{}", response.status());
    let html = response.text().await.expect("body");
    assert!(html.contains("Subscriber removed"), "{html}");

    // Removed, it hears nothing more.
    let (status, _) = send(&app, &owner, Method::DELETE, &one, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(&app, &owner, Method::DELETE, &one, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        &app,
        &owner,
        Method::PATCH,
        &format!(
            "/api/v1/status-pages/{page_id}/incidents/{}",
            incident["id"].as_str().expect("id")
        ),
        Some(json!({"status": "resolved", "message": "Fixed"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        pharos_app::subscribers::deliver_due(&workers)
            .await
            .expect("pass"),
        0
    );
    assert_eq!(seen.lock().expect("lock").len(), 1);
}

pharos_storage::on_both_backends!(
    an_email_subscription_end_to_end,
    webhook_subscribers_get_signed_incidents_and_only_managers_see_them,
);
