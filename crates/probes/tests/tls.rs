//! TLS certificate checks and HTTPS, against certificates made here: a test
//! CA, a valid leaf, one expiring soon, an expired one, a wrong name and a
//! self-signed one.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, Utc};
use common::*;
use pharos_domain::check::{ErrorClass, Verdict};
use pharos_probes::{CheckSpec, HttpCheck, Prober, StaticResolver, TlsCheck};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::AsyncWriteExt;
use tokio_rustls::TlsAcceptor;

const T: Duration = Duration::from_secs(3);
const NAME: &str = "good.example";

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

/// Year, month and day, `days_from_now` days from today.
fn ymd(days_from_now: i64) -> (i32, u8, u8) {
    let d = Utc::now() + chrono::Duration::days(days_from_now);
    (d.year(), d.month() as u8, d.day() as u8)
}

fn ca() -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "Pharos Test CA");
    let (y, m, d) = ymd(-30);
    params.not_before = rcgen::date_time_ymd(y, m, d);
    let (y, m, d) = ymd(3650);
    params.not_after = rcgen::date_time_ymd(y, m, d);
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("ca");
    Ca { cert, key }
}

/// A leaf for `names`, valid from `from` to `until` days from now, signed by
/// `ca` or self-signed.
fn leaf(names: &[&str], from: i64, until: i64, ca: Option<&Ca>) -> (Vec<u8>, Vec<u8>) {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "test leaf");
    let (y, m, d) = ymd(from);
    params.not_before = rcgen::date_time_ymd(y, m, d);
    let (y, m, d) = ymd(until);
    params.not_after = rcgen::date_time_ymd(y, m, d);
    let key = KeyPair::generate().expect("key");
    let cert = match ca {
        Some(ca) => params.signed_by(&key, &ca.cert, &ca.key).expect("signed"),
        None => params.self_signed(&key).expect("self-signed"),
    };
    (cert.der().to_vec(), key.serialize_der())
}

/// An HTTPS server presenting `cert` that answers every request with 200.
async fn tls_server(cert: Vec<u8>, key: Vec<u8>) -> Server {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    serve(move |tcp| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(mut tls) = acceptor.accept(tcp).await else {
                return;
            };
            let _ = read_request(&mut tls).await;
            let _ = tls.write_all(&response("200 OK", &[], b"secure")).await;
            let _ = tls.shutdown().await;
        }
    })
    .await
}

fn prober_trusting(ca: &Ca) -> Prober {
    let mut settings = settings();
    settings.extra_root_certs = vec![ca.cert.der().to_vec()];
    let resolver = StaticResolver::new()
        .with(NAME, [ip(PUBLIC)])
        .with("other.example", [ip(PUBLIC)]);
    prober_with(settings, resolver)
}

fn tls_check(host: &str, port: u16) -> CheckSpec {
    CheckSpec::Tls(TlsCheck {
        host: host.into(),
        port,
        warn_days: 14,
    })
}

fn https(host: &str, port: u16, verify: bool) -> CheckSpec {
    let mut check = HttpCheck::get(format!("https://{host}:{port}/"));
    check.verify_tls = verify;
    check.keyword = Some("secure".into());
    CheckSpec::Http(check)
}

#[tokio::test]
async fn a_valid_certificate_from_a_trusted_ca_is_up() {
    let ca = ca();
    let (cert, key) = leaf(&[NAME, PUBLIC], -1, 90, Some(&ca));
    let server = tls_server(cert, key).await;
    let prober = prober_trusting(&ca);

    let report = prober
        .run_detailed(&tls_check(NAME, server.port()), T)
        .await;
    assert_up(&report.outcome);
    let info = report.details.certificate.expect("certificate recorded");
    assert!(info.valid && info.name_matches);
    assert!(
        (88..=90).contains(&info.days_left.expect("days")),
        "{info:?}"
    );
    assert!(info.issuer.contains("Pharos Test CA"), "{info:?}");
    assert!(report.outcome.certificate_expires_at.is_some());
    assert!(report.outcome.timings.tls_ms.is_some());

    // The same certificate by IP address (it carries an IP SAN).
    assert_up(&run(&prober, &tls_check(PUBLIC, server.port()), T).await);

    let outcome = run(&prober, &https(NAME, server.port(), true), T).await;
    assert_up(&outcome);
    assert!(outcome.certificate_expires_at.is_some());
    assert!(outcome.timings.tls_ms.is_some() && outcome.timings.dns_ms.is_some());
}

#[tokio::test]
async fn a_certificate_expiring_soon_is_degraded() {
    let ca = ca();
    let (cert, key) = leaf(&[NAME], -60, 5, Some(&ca));
    let server = tls_server(cert, key).await;
    let outcome = run(&prober_trusting(&ca), &tls_check(NAME, server.port()), T).await;
    assert_eq!(outcome.verdict, Verdict::Degraded, "{outcome:?}");
    let failure = outcome.failure.expect("reason");
    assert_eq!(failure.class, ErrorClass::Certificate);
    assert!(
        failure.message.contains("expires in"),
        "{}",
        failure.message
    );

    let relaxed = CheckSpec::Tls(TlsCheck {
        host: NAME.into(),
        port: server.port(),
        warn_days: 2,
    });
    assert_up(&run(&prober_trusting(&ca), &relaxed, T).await);
}

#[tokio::test]
async fn an_expired_certificate_is_down_but_recorded() {
    let ca = ca();
    let (cert, key) = leaf(&[NAME], -400, -10, Some(&ca));
    let server = tls_server(cert, key).await;
    let prober = prober_trusting(&ca);

    let report = prober
        .run_detailed(&tls_check(NAME, server.port()), T)
        .await;
    assert_down(&report.outcome, ErrorClass::Certificate);
    assert!(report
        .outcome
        .failure
        .expect("f")
        .message
        .contains("expired"));
    let info = report.details.certificate.expect("recorded");
    assert!(info.days_left.expect("days") < 0);
    assert!(report.outcome.certificate_expires_at.expect("expiry") < Utc::now());

    // HTTPS with verification refuses to send the request...
    let outcome = run(&prober, &https(NAME, server.port(), true), T).await;
    assert_down(&outcome, ErrorClass::Certificate);
    assert!(outcome.certificate_expires_at.is_some());
    // ...and with verification off it goes ahead, still recording the expiry.
    let outcome = run(&prober, &https(NAME, server.port(), false), T).await;
    assert_up(&outcome);
    assert!(outcome.certificate_expires_at.expect("expiry") < Utc::now());
}

#[tokio::test]
async fn a_wrong_name_is_down() {
    let ca = ca();
    let (cert, key) = leaf(&["other.example"], -1, 90, Some(&ca));
    let server = tls_server(cert, key).await;
    let prober = prober_trusting(&ca);
    let report = prober
        .run_detailed(&tls_check(NAME, server.port()), T)
        .await;
    assert_down(&report.outcome, ErrorClass::Certificate);
    let message = report.outcome.failure.expect("f").message;
    assert!(message.contains("not valid for good.example"), "{message}");
    assert!(!report.details.certificate.expect("info").name_matches);
    assert_down(
        &run(&prober, &https(NAME, server.port(), true), T).await,
        ErrorClass::Certificate,
    );
    assert_up(&run(&prober, &tls_check("other.example", server.port()), T).await);
}

#[tokio::test]
async fn a_self_signed_certificate_is_down() {
    let (cert, key) = leaf(&[NAME], -1, 90, None);
    let server = tls_server(cert, key).await;
    let resolver = StaticResolver::new().with(NAME, [ip(PUBLIC)]);
    let prober = prober_with(settings(), resolver);
    let report = prober
        .run_detailed(&tls_check(NAME, server.port()), T)
        .await;
    assert_down(&report.outcome, ErrorClass::Certificate);
    let message = report.outcome.failure.expect("f").message;
    assert!(message.contains("self-signed"), "{message}");
    let info = report.details.certificate.expect("info");
    assert!(info.name_matches && !info.valid);

    assert_down(
        &run(&prober, &https(NAME, server.port(), true), T).await,
        ErrorClass::Certificate,
    );
    assert_up(&run(&prober, &https(NAME, server.port(), false), T).await);
}

#[tokio::test]
async fn a_plain_http_server_on_a_tls_port_is_a_tls_error() {
    // Answers the ClientHello with plain HTTP, as a misconfigured port would.
    let server = serve(|mut stream| async move {
        let _ = stream
            .write_all(&response("400 Bad Request", &[], b"plain http"))
            .await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let outcome = run(&prober(), &tls_check(PUBLIC, server.port()), T).await;
    assert_down(&outcome, ErrorClass::Tls);
}
