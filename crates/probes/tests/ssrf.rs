//! The SSRF guard: blocked addresses are refused before any connection, in
//! every spelling, behind names, and at redirect hops.

mod common;

use std::time::Duration;

use common::*;
use pharos_domain::check::ErrorClass;
use pharos_domain::AddressPolicy;
use pharos_probes::{
    CheckSpec, DnsCheck, DnsRecordType, HttpCheck, PingCheck, ProbeSettings, StaticResolver,
    TcpCheck, TlsCheck,
};
use tokio::io::AsyncWriteExt;

const T: Duration = Duration::from_secs(3);

async fn http_class(prober: &pharos_probes::Prober, url: &str) -> ErrorClass {
    let outcome = run(prober, &CheckSpec::Http(HttpCheck::get(url)), T).await;
    assert!(!outcome.is_up(), "{url} was checked: {outcome:?}");
    outcome.failure.expect("failure").class
}

#[tokio::test]
async fn ip_literals_in_every_blocked_range_and_spelling_are_refused() {
    let prober = prober();
    for url in [
        "http://127.0.0.2/",
        "http://127.1.2.3:8080/",
        "http://2130706434/", // 127.0.0.2 as one number
        "http://0x7f.0.0.2/", // hex
        "http://0177.0.0.2/", // octal
        "http://127.2/",      // short form
        "http://[::1]/",
        "http://[::ffff:127.0.0.2]/",
        "http://[::ffff:7f00:2]/",
        "http://[::]/",
        "http://0.0.0.0/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://198.18.0.1/",
        "http://192.0.2.1/",
        "http://198.51.100.1/",
        "http://203.0.113.1/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://255.255.255.255/",
        "http://192.0.0.8/",
        "http://[fd00:ec2::254]/",
        "http://[fc00::1]/",
        "http://[fe80::1]/",
        "http://[fec0::1]/",
        "http://[ff02::1]/",
        "http://[2001:db8::1]/",
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", // Teredo
        "http://[64:ff9b::a9fe:a9fe]/",                   // NAT64 of 169.254.169.254
        "http://[64:ff9b:1::1]/",
        "http://[2002:7f00:2::1]/",   // 6to4 of 127.0.0.2
        "http://[2002:c0a8:101::1]/", // 6to4 of 192.168.1.1
        "http://[100::1]/",
        "https://[::1]:8443/",
    ] {
        assert_eq!(
            http_class(&prober, url).await,
            ErrorClass::BlockedAddress,
            "{url}"
        );
    }
}

#[tokio::test]
async fn internal_names_are_refused_without_a_lookup() {
    let resolver = StaticResolver::new().with("localhost", [ip(PUBLIC)]);
    let prober = prober_with(settings(), resolver);
    for url in [
        "http://localhost/",
        "http://LOCALHOST./",
        "http://printer.local/",
        "http://metadata.google.internal/",
        "http://intranet/",
    ] {
        assert_eq!(
            http_class(&prober, url).await,
            ErrorClass::BlockedAddress,
            "{url}"
        );
    }
}

#[tokio::test]
async fn a_name_resolving_to_a_blocked_address_is_refused() {
    let decoy = serve_on(BLOCKED, |mut s| async move {
        let _ = read_request(&mut s).await;
        let _ = s.write_all(&response("200 OK", &[], b"secret")).await;
    })
    .await;
    let resolver = StaticResolver::new()
        .with("evil.example", [ip(BLOCKED)])
        .with("metadata.example", [ip("169.254.169.254")])
        .with("mapped.example", [ip("::ffff:127.0.0.2")]);
    let prober = prober_with(settings(), resolver);
    let port = decoy.port();
    for host in ["evil.example", "metadata.example", "mapped.example"] {
        let url = format!("http://{host}:{port}/");
        let outcome = run(&prober, &CheckSpec::Http(HttpCheck::get(url)), T).await;
        assert_down(&outcome, ErrorClass::BlockedAddress);
        assert!(outcome.timings.dns_ms.is_some());
        assert_eq!(outcome.timings.connect_ms, None, "no connection attempted");
    }
    assert_eq!(decoy.accepted(), 0);
}

#[tokio::test]
async fn one_bad_address_among_good_ones_refuses_the_whole_name() {
    let good = canned("200 OK", &[], b"ok").await;
    let resolver = StaticResolver::new().with("mixed.example", [ip(PUBLIC), ip(BLOCKED)]);
    let prober = prober_with(settings(), resolver);
    let url = format!("http://mixed.example:{}/", good.port());
    let outcome = run(&prober, &CheckSpec::Http(HttpCheck::get(url)), T).await;
    assert_down(&outcome, ErrorClass::BlockedAddress);
    assert!(outcome
        .failure
        .expect("failure")
        .message
        .contains("127.0.0.2"));
    assert_eq!(
        good.accepted(),
        0,
        "the good address was not contacted either"
    );
}

#[tokio::test]
async fn a_redirect_into_a_blocked_address_is_refused_at_the_hop() {
    let inside = serve_on(BLOCKED, |mut s| async move {
        let _ = read_request(&mut s).await;
        let _ = s.write_all(&response("200 OK", &[], b"internal")).await;
    })
    .await;
    let target = format!("http://{}/admin", inside.addr);
    let by_name = format!("http://evil.example:{}/admin", inside.port());
    let outside = serve(move |mut s| {
        let (target, by_name) = (target.clone(), by_name.clone());
        async move {
            let (head, _) = read_request(&mut s).await;
            let location = if head.contains("/by-name") {
                by_name
            } else {
                target
            };
            let _ = s
                .write_all(&response(
                    "302 Found",
                    &[("Location", location.as_str())],
                    b"",
                ))
                .await;
        }
    })
    .await;
    let resolver = StaticResolver::new().with("evil.example", [ip(BLOCKED)]);
    let prober = prober_with(settings(), resolver);
    for path in ["/", "/by-name"] {
        let outcome = run(
            &prober,
            &CheckSpec::Http(HttpCheck::get(outside.url(path))),
            T,
        )
        .await;
        assert_down(&outcome, ErrorClass::BlockedAddress);
        let message = outcome.failure.expect("failure").message;
        assert!(message.contains("after redirect 1"), "{message}");
    }
    assert_eq!(outside.accepted(), 2);
    assert_eq!(
        inside.accepted(),
        0,
        "the blocked server was never contacted"
    );
}

#[tokio::test]
async fn user_info_is_refused_in_urls_and_redirects() {
    let server = canned("200 OK", &[], b"").await;
    let url = format!("http://user:pass@{}/", server.addr);
    let outcome = run(&prober(), &CheckSpec::Http(HttpCheck::get(url)), T).await;
    assert_down(&outcome, ErrorClass::Protocol);
    assert_eq!(server.accepted(), 0);

    let redirecting = serve(|mut s| async move {
        let _ = read_request(&mut s).await;
        let location = "http://admin:admin@127.0.0.1:1/";
        let _ = s
            .write_all(&response("302 Found", &[("Location", location)], b""))
            .await;
    })
    .await;
    let outcome = run(
        &prober(),
        &CheckSpec::Http(HttpCheck::get(redirecting.url("/"))),
        T,
    )
    .await;
    assert_down(&outcome, ErrorClass::Redirects);
}

#[tokio::test]
async fn every_check_kind_goes_through_the_guard() {
    let resolver = StaticResolver::new().with("evil.example", [ip(BLOCKED)]);
    let prober = prober_with(settings(), resolver);
    let specs = [
        CheckSpec::Tcp(TcpCheck {
            host: BLOCKED.into(),
            port: 80,
        }),
        CheckSpec::Tcp(TcpCheck {
            host: "evil.example".into(),
            port: 80,
        }),
        CheckSpec::Tls(TlsCheck {
            host: "169.254.169.254".into(),
            port: 443,
            warn_days: 14,
        }),
        CheckSpec::Ping(PingCheck {
            host: "10.0.0.1".into(),
            count: 1,
        }),
        CheckSpec::Ping(PingCheck {
            host: "evil.example".into(),
            count: 1,
        }),
        CheckSpec::Dns(DnsCheck {
            name: "example.com".into(),
            record_type: DnsRecordType::A,
            server: Some("192.168.0.1".into()),
            expected: None,
        }),
    ];
    for spec in specs {
        let outcome = run(&prober, &spec, T).await;
        assert_down(&outcome, ErrorClass::BlockedAddress);
    }
}

#[tokio::test]
async fn allowing_private_targets_turns_the_guard_off() {
    let inside = canned("200 OK", &[], b"").await;
    let blocked_server = serve_on(BLOCKED, |mut s| async move {
        let _ = read_request(&mut s).await;
        let _ = s.write_all(&response("200 OK", &[], b"")).await;
    })
    .await;
    let prober = prober_with(
        ProbeSettings::with_policy(AddressPolicy::allow_all()),
        StaticResolver::new(),
    );
    assert_up(
        &run(
            &prober,
            &CheckSpec::Http(HttpCheck::get(blocked_server.url("/"))),
            T,
        )
        .await,
    );
    assert_up(
        &run(
            &prober,
            &CheckSpec::Http(HttpCheck::get(inside.url("/"))),
            T,
        )
        .await,
    );

    // The strict default blocks loopback entirely, 127.0.0.1 included.
    let strict = prober_with(ProbeSettings::default(), StaticResolver::new());
    let outcome = run(
        &strict,
        &CheckSpec::Http(HttpCheck::get(inside.url("/"))),
        T,
    )
    .await;
    assert_down(&outcome, ErrorClass::BlockedAddress);
}

#[tokio::test]
async fn proxy_variables_in_the_environment_are_ignored() {
    // A proxy would be a way around the guard; the connector never reads
    // these. (Rust 2021: set_var is safe; nothing else here reads them.)
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "all_proxy",
    ] {
        std::env::set_var(var, "http://127.0.0.1:9");
    }
    let server = canned("200 OK", &[], b"direct").await;
    let outcome = run(
        &prober(),
        &CheckSpec::Http(HttpCheck::get(server.url("/"))),
        T,
    )
    .await;
    assert_up(&outcome);
    assert_eq!(server.accepted(), 1);
}
