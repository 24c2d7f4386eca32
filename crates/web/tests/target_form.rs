//! The add/edit target form as a browser without JavaScript uses it: every
//! kind's settings post, save, and come back on the edit page unchanged;
//! errors show by the field that caused them; "Check now" runs what the
//! form describes. On both backends.

mod common;

use common::{create, json_of, TestApp};
use pharos_storage::testing::Backend;
use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

/// A browser-like client that shows redirects instead of following them,
/// registered and logged in.
async fn signed_in(app: &TestApp, email: &str) -> Client {
    let client = app.browser();
    for (path, body) in [
        (
            "/api/v1/auth/register",
            json!({"email": email, "password": PASSWORD}),
        ),
        (
            "/api/v1/auth/login",
            json!({"email": email, "password": PASSWORD}),
        ),
    ] {
        let response = app.post_json(&client, path, body).await;
        assert!(response.status().is_success(), "{path}");
    }
    client
}

async fn post_form(
    app: &TestApp,
    client: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let response = client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .expect("send");
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location, response.text().await.expect("body"))
}

/// Adds a target through the form; returns its id.
async fn add(app: &TestApp, client: &Client, form: &[(&str, &str)]) -> String {
    let (status, location, html) = post_form(app, client, "/targets/new", form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{form:?}: {html}");
    location
        .strip_prefix("/targets/")
        .expect("redirect to the detail page")
        .to_owned()
}

/// The target as the JSON API shows it.
async fn api_target(app: &TestApp, client: &Client, id: &str) -> Value {
    let (status, target) = json_of(app.get(client, format!("/api/v1/targets/{id}")).await).await;
    assert_eq!(status, StatusCode::OK, "{target}");
    target
}

fn unescape(raw: &str) -> String {
    raw.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// What the form would post as it is drawn: every named input (ticked
/// checkboxes only), each select's chosen option, each textarea. Buttons
/// are left out, so posting it back means "Save".
fn form_values(html: &str) -> Vec<(String, String)> {
    let form = &html[html.find("class=\"target-form\"").expect("the target form")..];
    let form = &form[..form.find("</form>").expect("form end")];
    let mut values = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        let end = rest.find('>').expect("tag end");
        let tag = &rest[..=end];
        if tag.starts_with("<input ") {
            let name = attribute(tag, "name").expect("input name");
            let value = unescape(attribute(tag, "value").unwrap_or_default());
            let checkbox = attribute(tag, "type") == Some("checkbox");
            if !checkbox || tag.contains(" checked") {
                values.push((name.to_owned(), value));
            }
        } else if tag.starts_with("<select ") {
            let name = attribute(tag, "name").expect("select name");
            let options = &rest[..rest.find("</select>").expect("select end")];
            let chosen = options
                .split("<option ")
                .skip(1)
                .find(|o| o.contains(" selected"))
                .or_else(|| options.split("<option ").nth(1))
                .expect("an option");
            let value = unescape(attribute(&format!(" {chosen}"), "value").expect("value"));
            values.push((name.to_owned(), value));
        } else if tag.starts_with("<textarea ") {
            let name = attribute(tag, "name").expect("textarea name");
            let body = &rest[end + 1..];
            let body = &body[..body.find("</textarea>").expect("textarea end")];
            let body = body.strip_prefix('\n').unwrap_or(body);
            values.push((name.to_owned(), unescape(body)));
        }
        rest = &rest[1..];
    }
    values
}

fn value_of<'a>(values: &'a [(String, String)], name: &str) -> &'a str {
    values
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Opens the edit page and posts it back untouched; the target must not
/// change in any way the API shows.
async fn edit_round_trip(app: &TestApp, client: &Client, id: &str) -> Vec<(String, String)> {
    let before = api_target(app, client, id).await;
    let response = app.get(client, format!("/targets/{id}/edit")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("body");
    let values = form_values(&html);
    // Browsers post a textarea's line breaks as CRLF.
    let posted: Vec<(String, String)> = values
        .iter()
        .map(|(n, v)| match n.as_str() {
            "body" | "headers" => (n.clone(), v.replace('\n', "\r\n")),
            _ => (n.clone(), v.clone()),
        })
        .collect();
    let borrowed: Vec<(&str, &str)> = posted
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let path = format!("/targets/{id}/edit");
    let (status, location, html) = post_form(app, client, &path, &borrowed).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{values:?}: {html}");
    assert_eq!(location, format!("/targets/{id}"));
    let after = api_target(app, client, id).await;
    for key in [
        "kind",
        "name",
        "url",
        "check",
        "interval_seconds",
        "timeout_seconds",
        "grace_seconds",
    ] {
        assert_eq!(
            after[key], before[key],
            "{key} changed: {before} -> {after}"
        );
    }
    values
}

async fn every_kind_saves_and_edits_without_losing_settings(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = signed_in(&app, "kinds@example.com").await;

    // HTTP, every setting the form has.
    let id = add(
        &app,
        &client,
        &[
            ("kind", "http"),
            ("name", "API health"),
            ("url", "https://example.com/health"),
            ("method", "POST"),
            ("expected_status", "200, 201-204"),
            ("keyword", "fail"),
            ("keyword_absent", "on"),
            ("json_path", "status.db"),
            ("json_expected", "true"),
            ("degraded_latency_ms", "750"),
            ("max_redirects", "2"),
            ("headers", "Authorization: Bearer abc\r\nX-Trace: 1"),
            ("body", "{\"ping\": \"pong\"}"),
            ("ignore_tls_errors", "on"),
            ("interval_seconds", "60"),
            ("timeout_seconds", "5"),
            // Other kinds' fields are posted too (all fieldsets are in the
            // page) and ignored.
            ("tcp_host", "ignored.example"),
            ("tcp_port", "1"),
            ("dns_name", "ignored.example"),
        ],
    )
    .await;
    let target = api_target(&app, &client, &id).await;
    assert_eq!(
        target["check"],
        json!({
            "kind": "http",
            "url": "https://example.com/health",
            "method": "POST",
            "headers": [
                {"name": "Authorization", "value": "Bearer abc"},
                {"name": "X-Trace", "value": "1"}
            ],
            "body": "{\"ping\": \"pong\"}",
            "verify_tls": false,
            "expected_status": ["200", "201-204"],
            "keyword": "fail",
            "keyword_absent": true,
            "json_path": "status.db",
            "json_expected": true,
            "degraded_latency_ms": 750,
            "max_redirects": 2
        }),
        "{target}"
    );
    assert_eq!(target["name"], "API health");
    assert_eq!(target["interval_seconds"], 60);
    let values = edit_round_trip(&app, &client, &id).await;
    assert_eq!(value_of(&values, "kind"), "http");
    assert_eq!(value_of(&values, "method"), "POST");
    assert_eq!(value_of(&values, "keyword_absent"), "on");
    assert_eq!(value_of(&values, "ignore_tls_errors"), "on");

    // Clearing the optional settings on the edit page clears them.
    let path = format!("/targets/{id}/edit");
    let (status, _, html) = post_form(
        &app,
        &client,
        &path,
        &[
            ("kind", "http"),
            ("name", ""),
            ("url", "https://example.com/health"),
            ("method", "GET"),
            ("expected_status", ""),
            ("keyword", ""),
            ("json_path", ""),
            ("json_expected", ""),
            ("degraded_latency_ms", ""),
            ("max_redirects", ""),
            ("headers", ""),
            ("body", ""),
            ("interval_seconds", "60"),
            ("timeout_seconds", "5"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let target = api_target(&app, &client, &id).await;
    assert_eq!(
        target["check"],
        json!({
            "kind": "http",
            "url": "https://example.com/health",
            "method": "GET",
            "verify_tls": true,
            "keyword_absent": false
        }),
        "{target}"
    );
    assert!(target["name"].is_null(), "{target}");

    // A JSON string that reads as another JSON value keeps its type.
    let id = add(
        &app,
        &client,
        &[
            ("kind", "http"),
            ("url", "https://example.com/"),
            ("json_path", "/version"),
            ("json_expected", "\"42\""),
        ],
    )
    .await;
    assert_eq!(
        api_target(&app, &client, &id).await["check"]["json_expected"],
        "42"
    );
    let values = edit_round_trip(&app, &client, &id).await;
    assert_eq!(value_of(&values, "json_expected"), "\"42\"");

    // TCP, ping, DNS, TLS and heartbeat.
    let cases: [(&[(&str, &str)], Value); 5] = [
        (
            &[
                ("kind", "tcp"),
                ("tcp_host", "example.com"),
                ("tcp_port", "5432"),
            ],
            json!({"kind": "tcp", "host": "example.com", "port": 5432}),
        ),
        (
            &[
                ("kind", "ping"),
                ("ping_host", "example.com"),
                ("ping_count", "5"),
            ],
            json!({"kind": "ping", "host": "example.com", "count": 5}),
        ),
        (
            &[
                ("kind", "dns"),
                ("name", "Mail records"),
                ("dns_name", "example.com"),
                ("dns_record_type", "MX"),
                ("dns_server", "1.1.1.1:53"),
                ("dns_expected", "10 mx.example.com"),
            ],
            json!({"kind": "dns", "host": "example.com", "record_type": "MX", "server": "1.1.1.1:53", "expected": "10 mx.example.com"}),
        ),
        (
            &[
                ("kind", "tls"),
                ("tls_host", "example.com"),
                ("tls_port", "8443"),
                ("tls_warn_days", "30"),
            ],
            json!({"kind": "tls", "host": "example.com", "port": 8443, "warn_days": 30}),
        ),
        (
            &[
                ("kind", "heartbeat"),
                ("interval_seconds", "3600"),
                ("grace_seconds", "120"),
            ],
            Value::Null,
        ),
    ];
    for (form, check) in cases {
        let id = add(&app, &client, form).await;
        let target = api_target(&app, &client, &id).await;
        assert_eq!(target["check"], check, "{form:?}: {target}");
        let values = edit_round_trip(&app, &client, &id).await;
        assert_eq!(value_of(&values, "kind"), form[0].1, "{values:?}");
    }
    let id = add(
        &app,
        &client,
        &[
            ("kind", "heartbeat"),
            ("interval_seconds", "3600"),
            ("grace_seconds", "120"),
        ],
    )
    .await;
    assert_eq!(api_target(&app, &client, &id).await["grace_seconds"], 120);

    // A DNS target made through the API opens as DNS on the edit page and
    // saves back as it was.
    let (status, made) = create(
        &app,
        &client,
        json!({"kind": "dns", "name": "Apex", "host": "example.org", "record_type": "AAAA", "expected": "2001:db8::1"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].as_str().expect("id");
    let values = edit_round_trip(&app, &client, id).await;
    assert_eq!(value_of(&values, "kind"), "dns");
    assert_eq!(value_of(&values, "name"), "Apex");
    assert_eq!(value_of(&values, "dns_name"), "example.org");
    assert_eq!(value_of(&values, "dns_record_type"), "AAAA");
    assert_eq!(value_of(&values, "dns_expected"), "2001:db8::1");

    // Changing the kind on the edit page replaces the settings.
    let path = format!("/targets/{id}/edit");
    let (status, _, html) = post_form(
        &app,
        &client,
        &path,
        &[
            ("kind", "tls"),
            ("name", "Apex"),
            ("tls_host", "example.org"),
            ("tls_port", ""),
            ("tls_warn_days", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert_eq!(
        api_target(&app, &client, id).await["check"],
        json!({"kind": "tls", "host": "example.org", "port": 443, "warn_days": 14})
    );
}

/// A form, the field its error must show by, and a word of the message.
type RefusalCase<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

/// Posts a form that must be refused; returns the page.
async fn refused(app: &TestApp, client: &Client, path: &str, form: &[(&str, &str)]) -> String {
    let (status, _, html) = post_form(app, client, path, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {html}");
    html
}

/// The field `name` is marked invalid and its message is by it; no other
/// field is.
fn assert_error_on(html: &str, name: &str, word: &str, form: &[(&str, &str)]) {
    let marker = format!("id=\"e-{name}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{form:?}: no error by {name}: {html}"));
    let message = &html[at..at + html[at..].find("</p>").expect("end")];
    assert!(
        message.contains(word),
        "{form:?}: {message:?} should mention {word:?}"
    );
    assert!(
        html.contains(&format!("aria-describedby=\"e-{name}")),
        "{form:?}: {name} points at its message"
    );
    assert_eq!(
        html.matches("aria-invalid=\"true\"").count(),
        1,
        "{form:?}: only {name} is invalid: {html}"
    );
}

async fn errors_show_by_the_field_of_each_kind(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = signed_in(&app, "errors@example.com").await;
    let url = ("url", "https://example.com/");
    let cases: &[RefusalCase] = &[
        (
            &[("kind", "http"), ("url", "ftp://example.com/")],
            "url",
            "http",
        ),
        (
            &[("kind", "http"), url, ("method", "DELETE")],
            "method",
            "DELETE",
        ),
        (
            &[("kind", "http"), url, ("method", "HEAD"), ("keyword", "ok")],
            "method",
            "HEAD",
        ),
        (
            &[("kind", "http"), url, ("expected_status", "200, 99")],
            "expected_status",
            "99",
        ),
        (
            &[("kind", "http"), url, ("json_expected", "1")],
            "json_path",
            "path",
        ),
        (
            &[("kind", "http"), url, ("json_path", "a..b")],
            "json_path",
            "invalid",
        ),
        (
            &[("kind", "http"), url, ("headers", "no colon here")],
            "headers",
            "Name: value",
        ),
        (
            &[("kind", "http"), url, ("headers", "Content-Length: 5")],
            "headers",
            "content-length",
        ),
        (&[("kind", "http"), url, ("body", "x")], "body", "POST"),
        (
            &[("kind", "http"), url, ("degraded_latency_ms", "-5")],
            "degraded_latency_ms",
            "-5",
        ),
        (
            &[("kind", "http"), url, ("max_redirects", "fast")],
            "max_redirects",
            "whole number",
        ),
        (
            &[
                ("kind", "tcp"),
                ("tcp_host", "example.com"),
                ("tcp_port", "0"),
            ],
            "tcp_port",
            "port 0",
        ),
        (
            &[
                ("kind", "tcp"),
                ("tcp_host", "example.com"),
                ("tcp_port", "70000"),
            ],
            "tcp_port",
            "70000",
        ),
        (
            &[
                ("kind", "tcp"),
                ("tcp_host", "example.com"),
                ("tcp_port", ""),
            ],
            "tcp_port",
            "port",
        ),
        (
            &[
                ("kind", "tcp"),
                ("tcp_host", "10.0.0.1"),
                ("tcp_port", "22"),
            ],
            "tcp_host",
            "private",
        ),
        (
            &[
                ("kind", "ping"),
                ("ping_host", "example.com"),
                ("ping_count", "50"),
            ],
            "ping_count",
            "between",
        ),
        (
            &[("kind", "ping"), ("ping_host", "metadata.google.internal")],
            "ping_host",
            "internal",
        ),
        (
            &[("kind", "dns"), ("dns_name", "not a name")],
            "dns_name",
            "DNS name",
        ),
        (&[("kind", "dns"), ("dns_name", "")], "dns_name", "DNS name"),
        (
            &[
                ("kind", "dns"),
                ("dns_name", "example.com"),
                ("dns_server", "dns.example"),
            ],
            "dns_server",
            "IP address",
        ),
        (
            &[
                ("kind", "dns"),
                ("dns_name", "example.com"),
                ("dns_server", "169.254.169.254"),
            ],
            "dns_server",
            "link-local",
        ),
        (
            &[
                ("kind", "dns"),
                ("dns_name", "example.com"),
                ("dns_record_type", "SRV"),
            ],
            "dns_record_type",
            "SRV",
        ),
        (
            &[
                ("kind", "tls"),
                ("tls_host", "example.com"),
                ("tls_port", "0"),
            ],
            "tls_port",
            "port 0",
        ),
        (
            &[
                ("kind", "tls"),
                ("tls_host", "example.com"),
                ("tls_warn_days", "-1"),
            ],
            "tls_warn_days",
            "-1",
        ),
        (&[("kind", "tls"), ("tls_host", "")], "tls_host", "empty"),
        (
            &[("kind", "heartbeat"), ("grace_seconds", "-1")],
            "grace_seconds",
            "between",
        ),
        (&[("kind", "smtp")], "kind", "one of"),
        (
            &[
                ("kind", "http"),
                url,
                ("interval_seconds", "30"),
                ("timeout_seconds", "30"),
            ],
            "timeout_seconds",
            "shorter",
        ),
    ];
    for (form, field, word) in cases {
        let html = refused(&app, &client, "/targets/new", form).await;
        assert_error_on(&html, field, word, form);
    }
    // The kind select is described like the other fields.
    let html = refused(&app, &client, "/targets/new", &[("kind", "smtp")]).await;
    assert!(
        html.contains(
            "<select id=\"f-kind\" name=\"kind\" aria-invalid=\"true\" aria-describedby=\"e-kind h-kind\">"
        ),
        "{html}"
    );

    // On the edit page too, and a heartbeat cannot become a check.
    let id = add(
        &app,
        &client,
        &[("kind", "heartbeat"), ("interval_seconds", "600")],
    )
    .await;
    let path = format!("/targets/{id}/edit");
    let form = [
        ("kind", "tcp"),
        ("tcp_host", "example.com"),
        ("tcp_port", "22"),
    ];
    let html = refused(&app, &client, &path, &form).await;
    assert_error_on(&html, "kind", "heartbeat", &form);
    let id = add(
        &app,
        &client,
        &[("kind", "dns"), ("dns_name", "example.com")],
    )
    .await;
    let path = format!("/targets/{id}/edit");
    let form = [
        ("kind", "dns"),
        ("dns_name", "example.com"),
        ("dns_server", "nope"),
    ];
    let html = refused(&app, &client, &path, &form).await;
    assert_error_on(&html, "dns_server", "IP address", &form);
    assert!(html.contains("value=\"nope\""), "what was typed is kept");
}

/// An error with no field on the form is listed at the top of the form.
async fn errors_without_a_field_are_listed_on_top(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| {
        c.limits.target_creations_per_minute_per_organization = 1;
    })
    .await
    else {
        return;
    };
    let client = signed_in(&app, "busy@example.com").await;
    let form = [
        ("kind", "tcp"),
        ("tcp_host", "example.com"),
        ("tcp_port", "22"),
    ];
    add(&app, &client, &form).await;
    let (status, _, html) = post_form(&app, &client, "/targets/new", &form).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{html}");
    let top = html
        .find("class=\"error form-error\" role=\"alert\"")
        .expect("the list");
    assert!(html[top..].contains("too many"), "{html}");
    assert!(!html.contains("aria-invalid=\"true\""), "{html}");
}

/// A tiny DNS server on 127.0.0.1 answering every A question with
/// 192.0.2.10, and every other type with no records.
async fn local_dns() -> std::net::SocketAddr {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = socket.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((len, peer)) = socket.recv_from(&mut buf).await {
            let query = &buf[..len];
            if len < 12 {
                continue;
            }
            // The question: labels up to the root, then type and class.
            let mut end = 12;
            while end < len && query[end] != 0 {
                end += usize::from(query[end]) + 1;
            }
            let question_end = end + 5;
            if question_end > len {
                continue;
            }
            let is_a = query[end + 1..end + 3] == [0, 1];
            let mut reply = Vec::with_capacity(question_end + 16);
            reply.extend_from_slice(&query[..2]);
            reply.extend_from_slice(&[0x81 | (query[2] & 0x01), 0x80]);
            reply.extend_from_slice(&[0, 1, 0, u8::from(is_a), 0, 0, 0, 0]);
            reply.extend_from_slice(&query[12..question_end]);
            if is_a {
                reply
                    .extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 10]);
            }
            let _ = socket.send_to(&reply, peer).await;
        }
    });
    address
}

/// A TCP port on 127.0.0.1 that accepts connections.
async fn local_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            drop(socket);
        }
    });
    port
}

/// The verdict the page shows for "Check now", or `None` without one.
fn shown_result(html: &str) -> Option<&'static str> {
    let at = html.find("id=\"check-result-h\"")?;
    ["st-up", "st-degraded", "st-down"]
        .into_iter()
        .find(|s| html[at..].contains(s))
}

async fn check_now_runs_tcp_and_dns_from_the_form(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| c.allow_private_targets = true).await else {
        return;
    };
    let client = signed_in(&app, "check@example.com").await;
    let port = local_port().await.to_string();
    let dns = local_dns().await.to_string();

    let (status, _, html) = post_form(
        &app,
        &client,
        "/targets/new",
        &[
            ("kind", "tcp"),
            ("tcp_host", "127.0.0.1"),
            ("tcp_port", &port),
            ("timeout_seconds", "3"),
            ("action", "check"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(shown_result(&html), Some("st-up"), "{html}");
    assert!(
        html.contains(&format!("value=\"{port}\"")),
        "the form is kept"
    );

    let dns_form = |expected: &'static str| {
        vec![
            ("kind", "dns"),
            ("dns_name", "www.pharos.test"),
            ("dns_record_type", "A"),
            ("dns_server", dns.as_str()),
            ("dns_expected", expected),
            ("timeout_seconds", "3"),
            ("action", "check"),
        ]
    };
    let (status, _, html) = post_form(&app, &client, "/targets/new", &dns_form("192.0.2.10")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(shown_result(&html), Some("st-up"), "{html}");
    let (status, _, html) = post_form(&app, &client, "/targets/new", &dns_form("192.0.2.99")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(shown_result(&html), Some("st-down"), "{html}");
    let (_, listed) = json_of(app.get(&client, "/api/v1/targets").await).await;
    assert_eq!(
        listed["items"].as_array().expect("items").len(),
        0,
        "nothing saved"
    );

    // On the edit page it checks what saving would store, and saves nothing.
    let (status, made) = create(
        &app,
        &client,
        json!({"kind": "dns", "host": "www.pharos.test", "server": dns, "expected": "192.0.2.10", "timeout_seconds": 3}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].as_str().expect("id");
    let path = format!("/targets/{id}/edit");
    let mut form = dns_form("192.0.2.99");
    form.retain(|(name, _)| *name != "timeout_seconds");
    let (status, _, html) = post_form(&app, &client, &path, &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(shown_result(&html), Some("st-down"), "{html}");
    assert_eq!(
        api_target(&app, &client, id).await["check"]["expected"],
        "192.0.2.10",
        "check now saved nothing"
    );
    let (status, _, html) = post_form(&app, &client, &path, &dns_form("192.0.2.10")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(shown_result(&html), Some("st-up"), "{html}");
    // Field errors come back by the field, with no result.
    let form = [
        ("kind", "tcp"),
        ("tcp_host", "127.0.0.1"),
        ("tcp_port", "0"),
        ("action", "check"),
    ];
    let html = refused(&app, &client, &path, &form).await;
    assert_error_on(&html, "tcp_port", "port 0", &form);
    assert_eq!(shown_result(&html), None);
}

/// Saving the form unchanged keeps what is compared byte for byte: a
/// body's LF line breaks (browsers post CRLF) and the spaces around a
/// keyword or an expected JSON string.
async fn saving_keeps_bodies_and_keywords_exact(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = signed_in(&app, "exact@example.com").await;
    let (status, target) = json_of(
        app.post_json(
            &client,
            "/api/v1/targets",
            serde_json::json!({
                "url": "https://exact.example.com/",
                "method": "POST",
                "body": "{\n  \"probe\": true\n}\n",
                "keyword": " OK ",
                "json_path": "status",
                "json_expected": "  padded ",
                "headers": [{"name": "X-One", "value": "1"}, {"name": "X-Two", "value": "2"}],
            }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{target}");
    let id = target["id"].as_str().expect("id").to_owned();
    edit_round_trip(&app, &client, &id).await;
    let after = api_target(&app, &client, &id).await;
    assert_eq!(
        after["check"]["body"], "{\n  \"probe\": true\n}\n",
        "{after}"
    );
    assert_eq!(after["check"]["keyword"], " OK ", "{after}");
    assert_eq!(after["check"]["json_expected"], "  padded ", "{after}");
}

/// The rarer HTTP settings are folded away, but never while one of them
/// is set or refused: nothing set is out of sight.
async fn more_http_settings_open_when_used(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = signed_in(&app, "more@example.com").await;
    let closed = "<details class=\"more\">";
    let open = "<details class=\"more\" open>";
    let html = app
        .get(&client, "/targets/new")
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains(closed), "{html}");
    let plain = add(
        &app,
        &client,
        &[("kind", "http"), ("url", "https://plain.example.com/")],
    )
    .await;
    let html = app
        .get(&client, format!("/targets/{plain}/edit"))
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains(closed), "{html}");
    let with_headers = add(
        &app,
        &client,
        &[
            ("kind", "http"),
            ("url", "https://headers.example.com/"),
            ("headers", "X-Probe: pharos"),
        ],
    )
    .await;
    let html = app
        .get(&client, format!("/targets/{with_headers}/edit"))
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains(open), "{html}");
    let form = [
        ("kind", "http"),
        ("url", "https://redirects.example.com/"),
        ("max_redirects", "999"),
    ];
    let html = refused(&app, &client, "/targets/new", &form).await;
    assert!(html.contains(open), "{html}");
    assert_error_on(&html, "max_redirects", "", &form);
}

pharos_storage::on_both_backends!(
    every_kind_saves_and_edits_without_losing_settings,
    more_http_settings_open_when_used,
    saving_keeps_bodies_and_keywords_exact,
    errors_show_by_the_field_of_each_kind,
    errors_without_a_field_are_listed_on_top,
    check_now_runs_tcp_and_dns_from_the_form,
);
