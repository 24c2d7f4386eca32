//! HTTP checks against local servers.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use pharos_domain::check::{ErrorClass, Verdict};
use pharos_probes::{CheckSpec, HttpCheck, HttpHeader, HttpMethod, StatusRange};
use tokio::io::AsyncWriteExt;

const T: Duration = Duration::from_secs(3);

fn get(url: String) -> HttpCheck {
    HttpCheck::get(url)
}

#[tokio::test]
async fn a_2xx_answer_is_up_with_phase_timings() {
    let server = canned("200 OK", &[], b"hello").await;
    let outcome = run(&prober(), &CheckSpec::Http(get(server.url("/"))), T).await;
    assert_up(&outcome);
    assert_eq!(outcome.status_code, Some(200));
    assert!(outcome.timings.connect_ms.is_some());
    assert!(outcome.timings.first_byte_ms.is_some());
    // An IP literal needs no lookup, and plain HTTP has no handshake.
    assert_eq!(outcome.timings.dns_ms, None);
    assert_eq!(outcome.timings.tls_ms, None);
}

#[tokio::test]
async fn a_name_is_resolved_and_timed() {
    let server = canned("204 No Content", &[], b"").await;
    let resolver = pharos_probes::StaticResolver::new().with("site.example", [ip(PUBLIC)]);
    let prober = prober_with(settings(), resolver);
    let url = format!("http://site.example:{}/", server.port());
    let outcome = run(&prober, &CheckSpec::Http(get(url)), T).await;
    assert_up(&outcome);
    assert!(outcome.timings.dns_ms.is_some());
}

#[tokio::test]
async fn status_rules_default_to_2xx_3xx_and_can_be_configured() {
    let server = canned("503 Service Unavailable", &[], b"").await;
    let outcome = run(&prober(), &CheckSpec::Http(get(server.url("/"))), T).await;
    assert_down(&outcome, ErrorClass::Status);
    assert_eq!(outcome.status_code, Some(503));

    let mut expect_503 = get(server.url("/"));
    expect_503.expected_status = vec![StatusRange { min: 500, max: 503 }];
    assert_up(&run(&prober(), &CheckSpec::Http(expect_503), T).await);

    let ok = canned("200 OK", &[], b"").await;
    let mut expect_404 = get(ok.url("/"));
    expect_404.expected_status = StatusRange::parse_list("404").expect("list");
    assert_down(
        &run(&prober(), &CheckSpec::Http(expect_404), T).await,
        ErrorClass::Status,
    );

    // A 3xx without following counts as up by default.
    let moved = canned("301 Moved Permanently", &[("Location", "/elsewhere")], b"").await;
    let mut no_follow = get(moved.url("/"));
    no_follow.max_redirects = Some(0);
    let outcome = run(&prober(), &CheckSpec::Http(no_follow), T).await;
    assert_up(&outcome);
    assert_eq!(outcome.status_code, Some(301));
}

#[tokio::test]
async fn head_falls_back_to_get_on_405_and_501() {
    for refusal in ["405 Method Not Allowed", "501 Not Implemented"] {
        let methods = Arc::new(Mutex::new(Vec::new()));
        let seen = methods.clone();
        let server = serve(move |mut stream| {
            let seen = seen.clone();
            async move {
                let (head, _) = read_request(&mut stream).await;
                let method = head.split(' ').next().unwrap_or("").to_owned();
                let reply = if method == "HEAD" {
                    response(refusal, &[], b"")
                } else {
                    response("200 OK", &[], b"fine")
                };
                seen.lock().expect("lock").push(method);
                let _ = stream.write_all(&reply).await;
            }
        })
        .await;
        let mut check = get(server.url("/"));
        check.method = HttpMethod::Head;
        let outcome = run(&prober(), &CheckSpec::Http(check), T).await;
        assert_up(&outcome);
        assert_eq!(outcome.status_code, Some(200));
        assert_eq!(*methods.lock().expect("lock"), vec!["HEAD", "GET"]);
    }
}

#[tokio::test]
async fn keyword_present_and_absent() {
    let server = canned("200 OK", &[], b"<h1>All systems operational</h1>").await;
    let with = |keyword: &str, absent: bool| {
        let mut check = get(server.url("/"));
        check.keyword = Some(keyword.to_owned());
        check.keyword_absent = absent;
        CheckSpec::Http(check)
    };
    assert_up(&run(&prober(), &with("operational", false), T).await);
    assert_down(
        &run(&prober(), &with("outage", false), T).await,
        ErrorClass::Keyword,
    );
    assert_up(&run(&prober(), &with("outage", true), T).await);
    assert_down(
        &run(&prober(), &with("operational", true), T).await,
        ErrorClass::Keyword,
    );
}

#[tokio::test]
async fn json_path_assertions() {
    let server = canned(
        "200 OK",
        &[("Content-Type", "application/json")],
        br#"{"status":"ok","checks":[{"name":"db","healthy":true}]}"#,
    )
    .await;
    let with = |path: &str, expected: Option<serde_json::Value>| {
        let mut check = get(server.url("/health"));
        check.json_path = Some(path.to_owned());
        check.json_expected = expected;
        CheckSpec::Http(check)
    };
    assert_up(&run(&prober(), &with("status", Some("ok".into())), T).await);
    assert_up(&run(&prober(), &with("checks[0].healthy", Some(true.into())), T).await);
    assert_up(&run(&prober(), &with("/checks/0/name", None), T).await);
    assert_down(
        &run(&prober(), &with("status", Some("down".into())), T).await,
        ErrorClass::Json,
    );
    assert_down(
        &run(&prober(), &with("missing", None), T).await,
        ErrorClass::Json,
    );

    let html = canned("200 OK", &[], b"<html></html>").await;
    let mut check = get(html.url("/"));
    check.json_path = Some("status".into());
    assert_down(
        &run(&prober(), &CheckSpec::Http(check), T).await,
        ErrorClass::Json,
    );
}

#[tokio::test]
async fn slow_answers_are_degraded_not_down() {
    let server = serve(|mut stream| async move {
        let _ = read_request(&mut stream).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = stream.write_all(&response("200 OK", &[], b"slow")).await;
    })
    .await;
    let mut check = get(server.url("/"));
    check.degraded_latency_ms = Some(100);
    let outcome = run(&prober(), &CheckSpec::Http(check.clone()), T).await;
    assert_eq!(outcome.verdict, Verdict::Degraded, "{outcome:?}");
    assert!(outcome.is_up());
    assert_eq!(
        outcome.failure.as_ref().map(|f| f.class),
        Some(ErrorClass::Latency)
    );

    check.degraded_latency_ms = Some(5_000);
    assert_up(&run(&prober(), &CheckSpec::Http(check), T).await);
}

/// A server where `/hop/N` redirects to `/hop/N-1` and `/hop/0` answers 200.
async fn redirect_chain() -> common::Server {
    serve(|mut stream| async move {
        let (head, _) = read_request(&mut stream).await;
        let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
        let n: u32 = path.trim_start_matches("/hop/").parse().unwrap_or(0);
        let reply = if n == 0 {
            response("200 OK", &[], b"arrived")
        } else {
            let next = format!("/hop/{}", n - 1);
            response("302 Found", &[("Location", next.as_str())], b"")
        };
        let _ = stream.write_all(&reply).await;
    })
    .await
}

#[tokio::test]
async fn redirects_are_followed_up_to_the_limit() {
    let server = redirect_chain().await;
    let mut check = get(server.url("/hop/5"));
    check.keyword = Some("arrived".into());
    let report = prober()
        .run_detailed(&CheckSpec::Http(check.clone()), T)
        .await;
    assert_up(&report.outcome);
    assert_eq!(report.details.redirects, 5);
    assert_eq!(report.details.final_url, Some(server.url("/hop/0")));

    let mut too_many = get(server.url("/hop/6"));
    too_many.keyword = Some("arrived".into());
    assert_down(
        &run(&prober(), &CheckSpec::Http(too_many), T).await,
        ErrorClass::Redirects,
    );

    check.max_redirects = Some(2);
    assert_down(
        &run(&prober(), &CheckSpec::Http(check), T).await,
        ErrorClass::Redirects,
    );
}

#[tokio::test]
async fn post_sends_body_and_custom_headers() {
    let seen = Arc::new(Mutex::new(None));
    let store = seen.clone();
    let server = serve(move |mut stream| {
        let store = store.clone();
        async move {
            let (head, body) = read_request(&mut stream).await;
            *store.lock().expect("lock") = Some((head, body));
            let _ = stream.write_all(&response("201 Created", &[], b"")).await;
        }
    })
    .await;
    let mut check = get(server.url("/api?x=1"));
    check.method = HttpMethod::Post;
    check.body = Some(r#"{"ping":true}"#.into());
    check.headers = vec![
        HttpHeader {
            name: "Content-Type".into(),
            value: "application/json".into(),
        },
        HttpHeader {
            name: "X-Token".into(),
            value: "secret".into(),
        },
    ];
    assert_up(&run(&prober(), &CheckSpec::Http(check), T).await);
    let (head, body) = seen.lock().expect("lock").clone().expect("a request");
    assert!(head.starts_with("POST /api?x=1 HTTP/1.1\r\n"), "{head}");
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("x-token: secret"), "{head}");
    assert!(lower.contains("accept-encoding: identity"), "{head}");
    assert!(lower.contains("user-agent: pharos/"), "{head}");
    assert_eq!(body, br#"{"ping":true}"#);
}

#[tokio::test]
async fn a_closed_port_is_refused() {
    let listener = tokio::net::TcpListener::bind((ip(PUBLIC), 0))
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let outcome = run(
        &prober(),
        &CheckSpec::Http(get(format!("http://127.0.0.1:{port}/"))),
        T,
    )
    .await;
    assert_down(&outcome, ErrorClass::Refused);
}

#[tokio::test]
async fn an_unknown_name_is_a_dns_failure() {
    let outcome = run(
        &prober(),
        &CheckSpec::Http(get("http://nowhere.example/".into())),
        T,
    )
    .await;
    assert_down(&outcome, ErrorClass::Dns);
}

#[tokio::test]
async fn an_invalid_spec_is_down_not_a_panic() {
    let outcome = run(&prober(), &CheckSpec::Http(get("not a url".into())), T).await;
    assert_down(&outcome, ErrorClass::Protocol);
}

#[tokio::test]
async fn an_absurd_timeout_does_not_overflow() {
    let server = canned("200 OK", &[], b"").await;
    let outcome = prober()
        .run(&CheckSpec::Http(get(server.url("/"))), Duration::MAX)
        .await;
    assert_up(&outcome);
    // A zero timeout ends at once (up or down, whichever the first poll
    // decides) without panicking.
    run(
        &prober(),
        &CheckSpec::Http(get(server.url("/"))),
        Duration::ZERO,
    )
    .await;
}
