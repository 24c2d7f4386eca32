//! The HTML pages over HTTP, as a browser without JavaScript uses them:
//! forms post, the server redirects, errors show by the field. On both
//! backends.

mod common;

use common::TestApp;
use pharos_storage::testing::Backend;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION,
};
use reqwest::{Client, StatusCode};

const PASSWORD: &str = "correct horse battery";

/// A browser-like client that shows redirects instead of following them.
fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn page(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
    let response = app.get(client, path).await;
    let status = response.status();
    (status, response.text().await.expect("body"))
}

async fn post_form(
    app: &TestApp,
    client: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .expect("send")
}

/// Registers and logs in through the forms; returns the browser.
async fn sign_up(app: &TestApp, email: &str) -> Client {
    let client = app.browser();
    let response = post_form(
        app,
        &client,
        "/register",
        &[
            ("organization", ""),
            ("email", email),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");
    let (_, login) = page(app, &client, "/login").await;
    assert!(login.contains("Your account was created"), "{login}");
    let response = post_form(
        app,
        &client,
        "/login",
        &[("email", email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    client
}

/// Adds an HTTP target through the form; returns its id.
async fn add_target(app: &TestApp, client: &Client, name: &str, url: &str) -> String {
    let response = post_form(
        app,
        client,
        "/targets/new",
        &[
            ("kind", "http"),
            ("name", name),
            ("url", url),
            ("interval_seconds", "300"),
            ("timeout_seconds", "10"),
        ],
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let to = location(&response);
    to.strip_prefix("/targets/")
        .expect("redirect to the detail page")
        .to_owned()
}

async fn visitors_are_sent_to_login(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.browser();
    for path in ["/", "/settings", "/targets/new", "/events"] {
        let response = app.get(&client, path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), "/login", "{path}");
    }
    let (status, login) = page(&app, &client, "/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(login.contains("<form method=\"post\" action=\"/login\""));
}

async fn register_login_and_empty_dashboard(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = sign_up(&app, "new@example.com").await;
    let (status, html) = page(&app, &client, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Nothing is watched yet"), "{html}");
    assert!(html.contains("href=\"/targets/new\""));
    assert!(html.contains("new@example.com"));
    // The flash message is shown once.
    let (_, again) = page(&app, &client, "/login").await;
    assert!(!again.contains("Your account was created"));

    let response = post_form(&app, &client, "/logout", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = app.get(&client, "/").await;
    assert_eq!(location(&response), "/login");
}

async fn form_errors_show_by_the_field(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.browser();
    let response = post_form(
        &app,
        &client,
        "/register",
        &[
            ("email", "short@example.com"),
            ("password", "short"),
            ("confirm", "short"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("body");
    assert!(html.contains("id=\"e-password\""), "{html}");
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(
        html.contains("value=\"short@example.com\""),
        "the email is kept"
    );

    let response = post_form(
        &app,
        &client,
        "/register",
        &[
            ("email", "x@example.com"),
            ("password", PASSWORD),
            ("confirm", "something else entirely"),
        ],
    )
    .await;
    let html = response.text().await.expect("body");
    assert!(html.contains("id=\"e-confirm\""), "{html}");

    let response = post_form(
        &app,
        &client,
        "/login",
        &[("email", "nobody@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response
        .text()
        .await
        .expect("body")
        .contains("invalid email or password"));

    let client = sign_up(&app, "owner@example.com").await;
    let response = post_form(
        &app,
        &client,
        "/targets/new",
        &[
            ("kind", "http"),
            ("url", "ftp://example.com/"),
            ("interval_seconds", "5"),
            ("timeout_seconds", "10"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("body");
    assert!(
        html.contains("id=\"e-url\"") || html.contains("id=\"e-interval_seconds\""),
        "{html}"
    );
    let response = post_form(
        &app,
        &client,
        "/targets/new",
        &[
            ("kind", "http"),
            ("url", "https://example.com/"),
            ("interval_seconds", "soon"),
        ],
    )
    .await;
    let html = response.text().await.expect("body");
    assert!(html.contains("id=\"e-interval_seconds\""), "{html}");
}

async fn user_text_is_escaped(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = sign_up(&app, "xss@example.com").await;
    let id = add_target(
        &app,
        &client,
        "<script>alert(1)</script>",
        "https://example.com/?q=<b>",
    )
    .await;
    for path in [
        "/".to_owned(),
        format!("/targets/{id}"),
        format!("/targets/{id}/edit"),
    ] {
        let (status, html) = page(&app, &client, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!html.contains("<script>alert(1)"), "{path}: {html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                || html.contains("&#60;script&#62;"),
            "{path}"
        );
    }
}

async fn pages_meet_the_security_headers(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = sign_up(&app, "csp@example.com").await;
    let id = add_target(&app, &client, "Site", "https://example.com/").await;
    for path in [
        "/login".to_owned(),
        "/register".to_owned(),
        "/".to_owned(),
        "/settings".to_owned(),
        "/targets/new".to_owned(),
        format!("/targets/{id}"),
        format!("/targets/{id}/edit"),
    ] {
        let response = app.get(&client, &path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let csp = response
            .headers()
            .get(CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(
            response
                .headers()
                .get("x-content-type-options")
                .and_then(|v| v.to_str().ok()),
            Some("nosniff")
        );
        assert!(response.headers().get("referrer-policy").is_some());
        assert_eq!(
            response
                .headers()
                .get(CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        let html = response.text().await.expect("body");
        // Under the CSP, inline scripts, styles and handlers would not run.
        assert!(
            !html.contains("<script>")
                && !html.contains("<style")
                && !html.contains(" style=")
                && !html.contains(" onclick="),
            "{path}"
        );
        assert!(html.contains("<script src=\"/assets/app.js?v="), "{path}");
    }
}

async fn cross_site_form_posts_are_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = sign_up(&app, "csrf@example.com").await;
    let response = client
        .post(app.url("/targets/new"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("kind", "http"), ("url", "https://example.com/")])
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = client
        .post(app.url("/logout"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

/// Every error a person can meet on a page route is an HTML page with the
/// security headers; the API keeps its JSON envelope.
async fn errors_are_pages_for_people(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = sign_up(&app, "errors@example.com").await;
    let html_error = |response: reqwest::Response, status: StatusCode, what: &'static str| async move {
        assert_eq!(response.status(), status, "{what}");
        let headers = response.headers().clone();
        assert!(
            headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html")),
            "{what}: {headers:?}"
        );
        let csp = headers
            .get(CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(headers.get("x-content-type-options").is_some(), "{what}");
        assert!(headers.get("referrer-policy").is_some(), "{what}");
        let html = response.text().await.expect("body");
        assert!(
            html.contains(&format!("Error {}", status.as_u16())),
            "{what}: {html}"
        );
        (headers, html)
    };
    // Unknown paths, and ids that are not ids.
    html_error(
        app.get(&client, "/no-such-page").await,
        StatusCode::NOT_FOUND,
        "unknown",
    )
    .await;
    html_error(
        app.get(&client, "/targets/not-a-uuid").await,
        StatusCode::NOT_FOUND,
        "bad id",
    )
    .await;
    let (_, html) = html_error(
        app.get(&client, "/targets/0190a0b0-0000-7000-8000-000000000000")
            .await,
        StatusCode::NOT_FOUND,
        "unknown id",
    )
    .await;
    assert!(html.contains("does not exist"), "{html}");
    // A malformed query and a malformed form body name the problem.
    let (_, html) = html_error(
        app.get(&client, "/?q=a&q=b").await,
        StatusCode::BAD_REQUEST,
        "query",
    )
    .await;
    assert!(html.contains("q"), "{html}");
    let response = client
        .post(app.url("/settings/password"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("send");
    let (_, html) = html_error(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "form body").await;
    assert!(html.contains("Content-Type"), "{html}");
    // A wrong method names what is allowed.
    let (headers, _) = html_error(
        app.get(&client, "/logout").await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method",
    )
    .await;
    assert!(headers.get("allow").is_some(), "{headers:?}");
    // Cross-site posts are refused with a page too.
    let response = client
        .post(app.url("/targets/new"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("kind", "http")])
        .send()
        .await
        .expect("send");
    html_error(response, StatusCode::FORBIDDEN, "cross-site").await;
    // The API and the machine paths keep their JSON.
    for path in [
        "/api/v1/no-such-route",
        "/api/v1/targets/not-a-uuid",
        "/ping/nope/nope",
    ] {
        let response = app.get(&client, path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
}

/// A heartbeat's ping URL carries its secret token, so it is printed
/// whole only from the configured public URL, never from the Host a
/// request names; otherwise it stays relative (the page's script adds the
/// browser's own origin).
async fn heartbeat_ping_url_never_trusts_the_host_header(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = sign_up(&app, "cron@example.com").await;
    let (status, target) = common::create(
        &app,
        &client,
        serde_json::json!({"name": "Backups", "kind": "heartbeat", "interval_seconds": 3600}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{target}");
    let id = target["id"].as_str().expect("id").to_owned();
    let token = target["ping_url"]
        .as_str()
        .and_then(|u| u.strip_prefix("/ping/"))
        .expect("ping url")
        .to_owned();
    let relative = format!("<code class=\"ping\" data-relative>/ping/{token}</code>");
    let (_, html) = page(&app, &client, &format!("/targets/{id}")).await;
    assert!(html.contains(&relative), "{html}");
    assert!(html.contains("PHAROS_PUBLIC_URL"), "{html}");
    let html = client
        .get(app.url(&format!("/targets/{id}")))
        .header("host", "attacker.example")
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("body");
    assert!(html.contains(&relative), "{html}");
    assert!(!html.contains("attacker.example"), "{html}");

    let Some(app) = TestApp::spawn_with(backend, |c| {
        c.public_origin = Some("https://status.example.org/".to_owned())
    })
    .await
    else {
        return;
    };
    let client = sign_up(&app, "cron2@example.com").await;
    let (_, target) = common::create(
        &app,
        &client,
        serde_json::json!({"kind": "heartbeat", "interval_seconds": 3600}),
    )
    .await;
    let id = target["id"].as_str().expect("id").to_owned();
    let (_, html) = page(&app, &client, &format!("/targets/{id}")).await;
    assert!(
        html.contains("<code class=\"ping\">https://status.example.org/ping/"),
        "{html}"
    );
    assert!(!html.contains("PHAROS_PUBLIC_URL"), "{html}");
}

async fn tenants_see_only_their_targets(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let alice = sign_up(&app, "alice@example.com").await;
    let id = add_target(
        &app,
        &alice,
        "Alice's secret shop",
        "https://alice.example.com/",
    )
    .await;
    let bob = sign_up(&app, "bob@example.com").await;
    let (_, html) = page(&app, &bob, "/").await;
    assert!(!html.contains("secret shop") && !html.contains(&id));
    for path in [format!("/targets/{id}"), format!("/targets/{id}/edit")] {
        let (status, _) = page(&app, &bob, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let response = post_form(&app, &bob, &format!("/targets/{id}/delete"), &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (status, html) = page(&app, &alice, &format!("/targets/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Alice&#39;s secret shop") || html.contains("Alice&#x27;s secret shop"),
        "{html}"
    );
}

async fn dashboard_search_filter_sort(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = sign_up(&app, "lists@example.com").await;
    add_target(&app, &client, "Zulu API", "https://zulu.example.com/").await;
    add_target(&app, &client, "Alpha site", "https://alpha.example.com/").await;
    let (_, html) = page(&app, &client, "/?sort=name").await;
    let (a, z) = (
        html.find("Alpha site").expect("alpha"),
        html.find("Zulu API").expect("zulu"),
    );
    assert!(a < z, "sorted by name");
    let (_, html) = page(&app, &client, "/?q=zulu").await;
    assert!(html.contains("Zulu API") && !html.contains("Alpha site"));
    let (_, html) = page(&app, &client, "/?state=down").await;
    assert!(html.contains("No target matches"), "{html}");
    let (_, html) = page(&app, &client, "/?state=pending").await;
    assert!(html.contains("Zulu API") && html.contains("Alpha site"));
    // Every state is shown with a word and an icon, and the strip has a
    // text alternative.
    assert!(html.contains("st-pending") && html.contains("Pending"));
    assert!(
        html.contains("role=\"img\" aria-label=\"Zulu API, last 24 hours: no checks yet\""),
        "{html}"
    );
    // Unknown values are ignored, not errors.
    let (status, _) = page(&app, &client, "/?state=%3Cx%3E&sort=nope").await;
    assert_eq!(status, StatusCode::OK);
}

async fn edit_pause_resume_delete(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = sign_up(&app, "editor@example.com").await;
    let id = add_target(&app, &client, "Before", "https://example.com/").await;
    let (_, html) = page(&app, &client, &format!("/targets/{id}/edit")).await;
    assert!(html.contains("value=\"Before\"") && html.contains("value=\"https://example.com/\""));
    let response = post_form(
        &app,
        &client,
        &format!("/targets/{id}/edit"),
        &[
            ("kind", "http"),
            ("name", "After"),
            ("url", "https://example.org/"),
            ("interval_seconds", "60"),
            ("timeout_seconds", "5"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&app, &client, &format!("/targets/{id}")).await;
    assert!(
        html.contains("After")
            && html.contains("https://example.org/")
            && html.contains("every 1 min"),
        "{html}"
    );
    assert!(html.contains("Target saved."));
    assert!(html.contains("Uptime 24 hours") && html.contains("Uptime 365 days"));
    assert!(html.contains("No incidents."));

    let response = post_form(&app, &client, &format!("/targets/{id}/pause"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&app, &client, &format!("/targets/{id}")).await;
    assert!(
        html.contains("st-paused") && html.contains("Resume checks"),
        "{html}"
    );
    let (_, html) = page(&app, &client, "/?state=paused").await;
    assert!(html.contains("After"));
    post_form(&app, &client, &format!("/targets/{id}/resume"), &[]).await;
    let (_, html) = page(&app, &client, &format!("/targets/{id}")).await;
    assert!(html.contains("Pause checks"));

    let response = post_form(&app, &client, &format!("/targets/{id}/delete"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    let (status, _) = page(&app, &client, &format!("/targets/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn settings_and_password(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = sign_up(&app, "settings@example.com").await;
    let (status, html) = page(&app, &client, "/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("settings@example.com") && html.contains("owner"));
    let response = post_form(
        &app,
        &client,
        "/settings/password",
        &[
            ("current_password", "wrong password here"),
            ("new_password", "another long phrase"),
            ("confirm", "another long phrase"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .expect("body")
        .contains("id=\"e-current_password\""));
    let response = post_form(
        &app,
        &client,
        "/settings/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "another long phrase"),
            ("confirm", "another long phrase"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&app, &client, "/settings").await;
    assert!(html.contains("Password changed"));
}

async fn assets_are_fingerprinted_and_cached(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.browser();
    let (_, html) = page(&app, &client, "/login").await;
    let start = html.find("/assets/app.css?v=").expect("css link");
    let href: String = html[start..].chars().take_while(|c| *c != '"').collect();
    let response = app.get(&client, &href).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("text/css; charset=utf-8")
    );
    let cache = response
        .headers()
        .get(CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cache.contains("immutable"), "{cache}");
    let etag = response.headers().get(ETAG).expect("etag").clone();
    let response = client
        .get(app.url(&href))
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    let (status, _) = page(&app, &client, "/assets/nope.css").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = page(&app, &client, "/assets/..%2FCargo.toml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn live_events_carry_only_the_callers_targets(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let alice = sign_up(&app, "live-a@example.com").await;
    let mine = add_target(&app, &alice, "Mine", "https://a.example.com/").await;
    let bob = sign_up(&app, "live-b@example.com").await;
    let theirs = add_target(&app, &bob, "Theirs", "https://b.example.com/").await;
    let mut response = app.get(&alice, "/events").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .starts_with("text/event-stream"));
    let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), response.chunk())
        .await
        .expect("an event within 5 s")
        .expect("read")
        .expect("a chunk");
    let text = String::from_utf8_lossy(&chunk);
    assert!(
        text.contains("event: status") && text.contains(&mine),
        "{text}"
    );
    assert!(!text.contains(&theirs));
}

/// Reads the event stream until a chunk holds `needle`, for up to 10 s.
async fn event_with(response: &mut reqwest::Response, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = String::new();
    while tokio::time::Instant::now() < deadline {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                seen.push_str(&String::from_utf8_lossy(&chunk));
                if let Some(at) = seen.find(needle) {
                    let start = seen[..at].rfind("event:").unwrap_or(0);
                    let end = seen[at..].find("\n\n").map_or(seen.len(), |e| at + e);
                    return seen[start..end].to_owned();
                }
            }
            _ => break,
        }
    }
    panic!("no event with {needle:?} within 10 s: {seen}");
}

/// Records an up check for each due target of `ids`, as a worker would:
/// pending targets become up.
async fn record_up_checks(app: &TestApp, ids: &[String]) {
    use pharos_domain::check::{PhaseTimings, Verdict};
    use pharos_domain::ids::CheckId;
    use pharos_domain::status::{apply, Confirmation};
    use pharos_storage::models::{Check, CheckRecord, StatusUpdate};

    let now = chrono::Utc::now() + chrono::Duration::seconds(1);
    let claims = app
        .store
        .claim_due_targets("test", now, chrono::Duration::seconds(30), 1000)
        .await
        .expect("claim");
    let records: Vec<CheckRecord> = claims
        .iter()
        .filter(|c| ids.contains(&c.target.id.0.to_string()))
        .map(|claim| CheckRecord {
            organization_id: claim.target.organization_id,
            check: Check {
                id: CheckId::new(),
                target_id: claim.target.id,
                checked_at: now,
                status_code: Some(200),
                latency_ms: Some(42),
                is_up: true,
                degraded: false,
                error_class: None,
                error: None,
                timings: PhaseTimings::default(),
                in_maintenance: false,
                location: pharos_domain::agent::Location::Local,
            },
            lease_epoch: claim.lease_epoch,
            certificate: Default::default(),
            next_due_at: now + chrono::Duration::minutes(5),
            status: StatusUpdate {
                previous: claim.target.state,
                transition: apply(claim.target.state, 0, Verdict::Up, Confirmation::default()),
                locations: Vec::new(),
            },
        })
        .collect();
    assert_eq!(records.len(), ids.len(), "every target was due");
    app.store.record_checks(&records).await.expect("record");
}

/// When a target's state changes, its live status carries the row's new
/// uptime and strip, so the row is whole without a reload.
async fn live_state_changes_redraw_the_strip(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = sign_up(&app, "strip@example.com").await;
    let id = add_target(&app, &client, "<b>Shop</b>", "https://shop.example.com/").await;
    let mut response = app.get(&client, "/events").await;
    event_with(&mut response, &id).await;
    record_up_checks(&app, std::slice::from_ref(&id)).await;

    let event = event_with(&mut response, "\"strip\"").await;
    let data: serde_json::Value = serde_json::from_str(
        event
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .expect("data line"),
    )
    .expect("json");
    assert_eq!(data["id"], id.as_str());
    assert_eq!(data["state"], "up");
    assert_eq!(data["uptime"], "100 %");
    let strip = data["strip"].as_str().expect("strip");
    assert_eq!(strip.matches("<rect ").count(), 24, "{strip}");
    assert_eq!(strip.matches("class=\"s-up\"").count(), 1, "{strip}");
    assert!(
        strip.contains("&lt;b&gt;Shop&lt;/b&gt;, last 24 hours"),
        "{strip}"
    );
    assert!(!strip.contains("<b>"));
}

/// Many state changes at once (an outage, a recovery): every row gets its
/// new state at once, and its strip within a few ticks, past the per-tick
/// bound of strip redraws.
async fn live_strips_catch_up_after_many_changes(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = sign_up(&app, "many@example.com").await;
    let mut ids = Vec::new();
    for i in 0..40 {
        let (status, target) = common::create(
            &app,
            &client,
            serde_json::json!({"name": format!("Site {i}"), "url": format!("https://s{i}.example.com/")}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{target}");
        ids.push(target["id"].as_str().expect("id").to_owned());
    }
    let mut response = app.get(&client, "/events").await;
    event_with(&mut response, &ids[39]).await;
    record_up_checks(&app, &ids).await;

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    let mut stream = String::new();
    let redrawn = |stream: &str| {
        stream
            .split("\n\n")
            .filter(|event| event.contains("\"strip\""))
            .filter_map(|event| ids.iter().find(|id| event.contains(id.as_str())))
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    while redrawn(&stream) < ids.len() {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(chunk))) => stream.push_str(&String::from_utf8_lossy(&chunk)),
            _ => break,
        }
    }
    assert_eq!(
        redrawn(&stream),
        ids.len(),
        "every row's strip is redrawn: {stream}"
    );
}

pharos_storage::on_both_backends!(
    visitors_are_sent_to_login,
    live_state_changes_redraw_the_strip,
    live_strips_catch_up_after_many_changes,
    register_login_and_empty_dashboard,
    form_errors_show_by_the_field,
    user_text_is_escaped,
    pages_meet_the_security_headers,
    cross_site_form_posts_are_refused,
    errors_are_pages_for_people,
    heartbeat_ping_url_never_trusts_the_host_header,
    tenants_see_only_their_targets,
    dashboard_search_filter_sort,
    edit_pause_resume_delete,
    settings_and_password,
    assets_are_fingerprinted_and_cached,
    live_events_carry_only_the_callers_targets,
);
