//! Custom domains on both backends: a page's host name is verified
//! through a TXT record read from a DNS server the test runs on
//! 127.0.0.1; once verified, that host serves the page at `/`, its
//! history, feeds and its targets' badges, and never the dashboard, the
//! API, `/login` or another page, and sets no cookie.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::{create, json_of, TestApp};
use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordType};
use pharos_storage::testing::Backend;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use tokio::net::UdpSocket;

type Zone = Arc<Mutex<HashMap<String, Vec<String>>>>;

/// Answers TXT questions from `zone` (lowercase names with a final dot);
/// anything else is NXDOMAIN.
async fn dns_server(zone: Zone) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let addr = socket.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok((len, peer)) = socket.recv_from(&mut buf).await {
            let Ok(request) = Message::from_vec(&buf[..len]) else {
                continue;
            };
            let mut reply = Message::new();
            reply
                .set_id(request.id())
                .set_message_type(MessageType::Response)
                .set_op_code(request.op_code())
                .set_recursion_desired(request.recursion_desired())
                .set_recursion_available(true)
                .set_authoritative(true);
            for query in request.queries() {
                reply.add_query(query.clone());
                let name = query.name().to_ascii().to_ascii_lowercase();
                let records = zone.lock().expect("zone").get(&name).cloned();
                match (records, query.query_type()) {
                    (Some(values), RecordType::TXT) => {
                        for value in values {
                            reply.add_answer(Record::from_rdata(
                                query.name().clone(),
                                60,
                                RData::TXT(TXT::new(vec![value])),
                            ));
                        }
                    }
                    (Some(_), _) => {}
                    (None, _) => {
                        reply.set_response_code(ResponseCode::NXDomain);
                    }
                }
            }
            if let Ok(bytes) = reply.to_vec() {
                let _ = socket.send_to(&bytes, peer).await;
            }
        }
    });
    addr
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

async fn page(app: &TestApp, owner: &Client, slug: &str, targets: &[&str]) -> String {
    let (status, page) = send(
        app,
        owner,
        Method::POST,
        "/api/v1/status-pages",
        Some(json!({"title": format!("{slug} status"), "slug": slug,
                    "sections": [{"name": "All", "target_ids": targets}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    page["id"].as_str().expect("id").to_owned()
}

async fn badged_target(app: &TestApp, owner: &Client, name: &str) -> (String, String) {
    let (status, made) = create(
        app,
        owner,
        json!({"url": format!("https://{name}.example.com/"), "name": name}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].as_str().expect("id").to_owned();
    let (_, view) = json_of(
        app.client_patch(
            owner,
            &format!("/api/v1/targets/{id}"),
            json!({"badge": true}),
        )
        .await,
    )
    .await;
    let url = view["badge_urls"]["status"]
        .as_str()
        .expect("badge")
        .to_owned();
    let path = url[url.find("/badge/").expect("path")..].to_owned();
    (id, path)
}

/// GET `path` with `Host: host`, no cookies.
async fn on_host(app: &TestApp, host: &str, method: Method, path: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .request(method, app.url(path))
        .header("host", host)
        .send()
        .await
        .expect("send")
}

/// A server at `https://pharos.example.com` whose TXT look-ups go to a
/// DNS server of the test's, answering from the zone returned.
async fn app_with_dns(backend: Backend) -> Option<(TestApp, Zone)> {
    let zone: Zone = Arc::default();
    let dns = dns_server(zone.clone()).await;
    let app = TestApp::spawn_adjusted(
        backend,
        |c| c.link_base = Some("https://pharos.example.com".to_owned()),
        None,
        move |state| state.with_txt_lookup(Arc::new(pharos_probes::txt::DnsTxt::server(dns))),
    )
    .await?;
    Some((app, zone))
}

async fn a_verified_domain_serves_only_its_page(backend: Backend) {
    let Some((app, zone)) = app_with_dns(backend).await else {
        return;
    };
    let owner = app.user("domains@example.com").await;
    let (shop, shop_badge) = badged_target(&app, &owner, "shop").await;
    let (other, other_badge) = badged_target(&app, &owner, "backoffice").await;
    let id = page(&app, &owner, "shop", &[&shop]).await;
    page(&app, &owner, "internal", &[&other]).await;
    let base = format!("/api/v1/status-pages/{id}/custom-domain");

    // Refused names, by field.
    for bad in [
        "localhost",
        "1.2.3.4",
        "pharos.example.com",
        "a b.example.com",
    ] {
        let (status, body) =
            send(&app, &owner, Method::PUT, &base, Some(json!({"host": bad}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["error"]["field"], "custom_domain", "{body}");
    }
    let (status, domain) = send(
        &app,
        &owner,
        Method::PUT,
        &base,
        Some(json!({"host": "Status.Shop.TEST"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{domain}");
    assert_eq!(domain["host"], "status.shop.test");
    assert_eq!(domain["verified"], false);
    assert_eq!(
        domain["txt_record"]["name"],
        "_pharos-challenge.status.shop.test"
    );
    let token = domain["txt_record"]["value"]
        .as_str()
        .expect("token")
        .to_owned();

    // Unverified: the host is nothing special yet.
    let before = on_host(&app, "status.shop.test", Method::GET, "/").await;
    assert_ne!(before.status(), StatusCode::OK);

    // No record yet, then a wrong one: refused, saying so.
    let verify = format!("{base}/verify");
    let (status, body) = send(&app, &owner, Method::POST, &verify, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("no TXT record"));
    zone.lock().expect("zone").insert(
        "_pharos-challenge.status.shop.test.".to_owned(),
        vec!["not-the-token".to_owned()],
    );
    let (status, body) = send(&app, &owner, Method::POST, &verify, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    zone.lock().expect("zone").insert(
        "_pharos-challenge.status.shop.test.".to_owned(),
        vec![token.clone()],
    );
    let (status, body) = send(&app, &owner, Method::POST, &verify, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["verified"], true);

    // The page's own public routes, on its host.
    for path in [
        "/",
        "/history",
        "/feed.rss",
        "/feed.atom",
        "/status/shop",
        shop_badge.as_str(),
    ] {
        let r = on_host(&app, "status.shop.test:443", Method::GET, path).await;
        let status = r.status();
        assert!(
            r.headers().get("set-cookie").is_none(),
            "{path} sets no cookie"
        );
        let body = r.text().await.expect("body");
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        if path == "/" {
            assert!(body.contains("shop status"), "{body}");
        }
    }
    // Nothing else: not the dashboard, the API, sign-in, another page or
    // another page's badge.
    for (method, path) in [
        (Method::GET, "/login"),
        (Method::POST, "/login"),
        (Method::GET, "/register"),
        (Method::GET, "/settings"),
        (Method::GET, "/api/v1/targets"),
        (Method::GET, "/api/v1/auth/me"),
        (Method::POST, "/api/v1/auth/login"),
        (Method::GET, "/api/public/status"),
        (Method::GET, "/status/internal"),
        (Method::GET, "/status/internal/feed.rss"),
        (Method::GET, "/api/public/status-pages/internal"),
        (Method::GET, &format!("/targets/{shop}")),
        (Method::GET, other_badge.as_str()),
    ] {
        let r = on_host(&app, "status.shop.test", method.clone(), path).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
        assert!(
            r.headers().get("set-cookie").is_none(),
            "{path} sets no cookie"
        );
        let body = r.text().await.expect("body");
        assert!(!body.contains("backoffice"), "{path}: {body}");
    }
    // The instance's own host still serves everything.
    let r = on_host(&app, "pharos.example.com", Method::GET, "/login").await;
    assert_eq!(r.status(), StatusCode::OK);

    // Removed: the host is nothing special again.
    let (status, body) = send(&app, &owner, Method::DELETE, &base, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["host"].is_null());
    let r = on_host(&app, "status.shop.test", Method::GET, "/feed.rss").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = on_host(&app, "status.shop.test", Method::GET, "/login").await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the dashboard again, as on any unknown host"
    );

    // Another organization cannot touch the page's domain.
    let mallory = app.user("mallory@example.com").await;
    let (status, _) = send(
        &app,
        &mallory,
        Method::PUT,
        &base,
        Some(json!({"host": "evil.example.org"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The same through the dashboard, without JavaScript: the owner sets a
/// host on `/status-pages/{id}/domain`, sees the TXT record to publish,
/// is told on the page when it is not there yet, verifies it once it is,
/// and removes it; another organization finds nothing. (The role rule,
/// owners and admins only, is the use case's, tested with the API.)
async fn the_dashboard_sets_verifies_and_removes_a_domain(backend: Backend) {
    let Some((app, zone)) = app_with_dns(backend).await else {
        return;
    };
    let owner = app.user("pages@example.com").await;
    let (shop, _) = badged_target(&app, &owner, "shop").await;
    let id = page(&app, &owner, "shop", &[&shop]).await;
    let path = format!("/status-pages/{id}/domain");
    let get = |client: Client, path: String| {
        let app = &app;
        async move {
            let r = app.get(&client, path).await;
            (r.status(), r.text().await.expect("body"))
        }
    };
    let post = |client: Client, path: String, form: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let r = client
                .post(app.url(&path))
                .form(&form)
                .send()
                .await
                .expect("send");
            (r.status(), r.text().await.expect("body"))
        }
    };

    let (status, html) = get(owner.clone(), path.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Set a domain"), "{html}");
    let (_, edit) = get(owner.clone(), format!("/status-pages/{id}")).await;
    assert!(
        edit.contains(&format!("href=\"{path}\"")),
        "linked from the page's editor"
    );

    // A refused name is shown on the host field, the value kept.
    let (status, html) = post(
        owner.clone(),
        path.clone(),
        vec![("host", "localhost".into())],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("value=\"localhost\""), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");

    // Saved (the client follows the redirect back to the page).
    let (status, html) = post(
        owner.clone(),
        path.clone(),
        vec![("host", "status.shop.test".into())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Domain saved"), "{html}");
    assert!(
        html.contains("_pharos-challenge.status.shop.test"),
        "{html}"
    );
    assert!(html.contains("Not verified yet"), "{html}");
    let (_, domain) = send(
        &app,
        &owner,
        Method::GET,
        &format!("/api/v1/status-pages/{id}/custom-domain"),
        None,
    )
    .await;
    let token = domain["txt_record"]["value"]
        .as_str()
        .expect("token")
        .to_owned();
    assert!(html.contains(&token), "the value to publish is shown");

    // Checked before the record exists: the page says what was found.
    let verify = format!("{path}/verify");
    let (status, html) = post(owner.clone(), verify.clone(), vec![]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("no TXT record"), "{html}");
    zone.lock().expect("zone").insert(
        "_pharos-challenge.status.shop.test.".to_owned(),
        vec![token],
    );
    let (status, html) = post(owner.clone(), verify, vec![]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Domain verified"), "{html}");
    assert!(html.contains("Verified</span>"), "{html}");
    let served = on_host(&app, "status.shop.test", Method::GET, "/").await;
    assert_eq!(served.status(), StatusCode::OK);

    // Another organization finds nothing.
    let stranger = app.user("stranger@example.com").await;
    let (status, _) = get(stranger.clone(), path.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(stranger, format!("{path}/delete"), vec![]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Removed: nothing is served there any more.
    let (status, html) = post(owner.clone(), format!("{path}/delete"), vec![]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Domain removed"), "{html}");
    assert!(html.contains("Set a domain"), "{html}");
    let gone = on_host(&app, "status.shop.test", Method::GET, "/feed.rss").await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

pharos_storage::on_both_backends!(
    a_verified_domain_serves_only_its_page,
    the_dashboard_sets_verifies_and_removes_a_domain,
);
