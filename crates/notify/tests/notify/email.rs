//! Email for real: rendered, sent by the transport over STARTTLS to the
//! test SMTP server, and read back as MIME.

use std::time::Duration;

use mailparse::{parse_mail, MailHeaderMap, ParsedMail};
use pharos_domain::ChannelKind;
use pharos_notify::channels::render;
use pharos_notify::notice::{HistoryPoint, NoticeKind};
use pharos_notify::transport::{SmtpSettings, SmtpTls, Transport, TransportSettings};
use serde_json::json;

use crate::support::*;
use pharos_notify::testing::SmtpServer;

fn smtp_settings(server: &SmtpServer) -> SmtpSettings {
    SmtpSettings {
        host: "localhost".to_owned(),
        port: server.port,
        username: Some("pharos".to_owned()),
        password: Some(pharos_notify::channels::Secret::new("smtp-password")),
        tls: SmtpTls::Starttls,
        from: "Pharos <alerts@pharos.example.com>"
            .parse()
            .expect("mailbox"),
        extra_root_certificate_pem: Some(server.ca_pem.clone()),
    }
}

fn mail_transport(smtp: Option<SmtpSettings>) -> Transport {
    Transport::new(TransportSettings {
        allow_private: true,
        timeout: Duration::from_secs(5),
        smtp,
    })
    .expect("a transport")
}

fn part<'a>(mail: &'a ParsedMail<'a>, mime: &str) -> String {
    mail.subparts
        .iter()
        .find(|p| p.ctype.mimetype == mime)
        .unwrap_or_else(|| panic!("a {mime} part"))
        .get_body()
        .expect("a decodable body")
}

#[tokio::test]
async fn email_goes_over_starttls_with_subject_recipients_and_both_parts() {
    let server = SmtpServer::start().await;
    let transport = mail_transport(Some(smtp_settings(&server)));
    let config = parse(
        ChannelKind::Email,
        json!({"to": ["ops@example.com", "oncall@example.com"], "include_history": true}),
    );
    let mut down = notice(NoticeKind::Down);
    down.history = Some(vec![
        HistoryPoint {
            checked_at: at(9, 0),
            verdict: "up",
            latency_ms: Some(120),
        },
        HistoryPoint {
            checked_at: at(9, 30),
            verdict: "up",
            latency_ms: Some(130),
        },
        HistoryPoint {
            checked_at: at(10, 0),
            verdict: "down",
            latency_ms: None,
        },
    ]);
    let delivered = transport
        .deliver(&rendered(&config, &down, "n-email"))
        .await
        .expect("delivered");
    assert_eq!(delivered.status, 250);

    let received = server.received();
    assert_eq!(received.len(), 1);
    let message = &received[0];
    assert_eq!(message.mail_from, "alerts@pharos.example.com");
    assert_eq!(
        message.recipients,
        ["ops@example.com", "oncall@example.com"]
    );
    assert_eq!(message.user.as_deref(), Some("pharos"));

    let mail = parse_mail(&message.data).expect("MIME");
    assert_eq!(
        mail.headers.get_first_value("Subject").as_deref(),
        Some("DOWN - Checkout API - local - http")
    );
    let to = mail.headers.get_first_value("To").expect("To");
    assert!(
        to.contains("ops@example.com") && to.contains("oncall@example.com"),
        "{to}"
    );
    assert_eq!(mail.ctype.mimetype, "multipart/alternative");

    let text = part(&mail, "text/plain");
    assert!(
        text.contains("Checkout API is down since 2026-11-03 10:00:00 UTC"),
        "{text}"
    );
    assert!(text.contains("Status code: 503"), "{text}");
    assert!(
        text.contains("Last error: expected a 2xx status, got 503"),
        "{text}"
    );
    assert!(text.contains(&target_link()), "{text}");
    assert!(
        text.contains("Last 24 hours: 66.67% up (2 of 3 checks"),
        "{text}"
    );
    assert!(text.contains("2026-11-03 10:00:00 UTC  down"), "{text}");

    let html = part(&mail, "text/html");
    assert!(
        html.contains(&format!("<a href=\"{}\">", target_link())),
        "{html}"
    );
    assert!(
        html.contains(
            "<th style=\"text-align:left;padding:2px 12px 2px 0\">Status code</th><td>503</td>"
        ),
        "{html}"
    );
    assert!(html.contains("Changes in the last 24 hours"), "{html}");

    // Up and certificate subjects, through the same server.
    for (kind, subject) in [
        (NoticeKind::Up, "UP - Checkout API - local - http"),
        (
            NoticeKind::Degraded,
            "DEGRADED - Checkout API - local - http",
        ),
        (
            NoticeKind::CertificateExpiring { days_left: 7 },
            "CERTIFICATE - Checkout API - local - http (7 days left)",
        ),
    ] {
        let delivery = render(&config, &notice(kind), &ctx("n")).expect("renders");
        transport.deliver(&delivery).await.expect("delivered");
        let last = server.received().pop().expect("received");
        let mail = parse_mail(&last.data).expect("MIME");
        assert_eq!(
            mail.headers.get_first_value("Subject").as_deref(),
            Some(subject)
        );
    }
}

#[tokio::test]
async fn history_is_left_out_unless_the_channel_asks() {
    let config = parse(ChannelKind::Email, json!({"to": ["ops@example.com"]}));
    let mut down = notice(NoticeKind::Down);
    down.history = Some(vec![HistoryPoint {
        checked_at: at(9, 0),
        verdict: "up",
        latency_ms: None,
    }]);
    let pharos_notify::delivery::Delivery::Email(email) = rendered(&config, &down, "n") else {
        panic!("an email");
    };
    assert!(!email.text.contains("Last 24 hours"));
    assert!(!email.html.contains("Changes in the last 24 hours"));
}

#[tokio::test]
async fn a_server_that_does_not_trust_us_is_a_permanent_tls_failure() {
    let server = SmtpServer::start().await;
    let mut settings = smtp_settings(&server);
    // Without the test CA the certificate is untrusted.
    settings.extra_root_certificate_pem = None;
    let transport = mail_transport(Some(settings));
    let config = parse(ChannelKind::Email, json!({"to": ["ops@example.com"]}));
    let err = transport
        .deliver(&rendered(&config, &notice(NoticeKind::Down), "n"))
        .await
        .expect_err("refused");
    assert!(!err.is_retryable(), "{err:?}");
    assert!(server.received().is_empty());
    assert!(!err.message().contains("smtp-password"));
}

#[tokio::test]
async fn email_without_smtp_is_a_permanent_error_saying_so() {
    let config = parse(ChannelKind::Email, json!({"to": ["ops@example.com"]}));
    let err = mail_transport(None)
        .deliver(&rendered(&config, &notice(NoticeKind::Down), "n"))
        .await
        .expect_err("not configured");
    assert!(!err.is_retryable());
    assert!(err.message().contains("not configured"), "{err}");
}

#[tokio::test]
async fn the_operators_smtp_host_is_trusted_while_tenant_urls_stay_guarded() {
    // The SMTP server comes from the operator's environment, not from a
    // tenant: a relay on localhost or the private network is the common
    // case and must work with private targets refused.
    let server = SmtpServer::start().await;
    let transport = Transport::new(TransportSettings {
        allow_private: false,
        timeout: Duration::from_secs(5),
        smtp: Some(smtp_settings(&server)),
    })
    .expect("a transport");
    let config = parse(ChannelKind::Email, json!({"to": ["ops@example.com"]}));
    let delivered = transport
        .deliver(&rendered(&config, &notice(NoticeKind::Down), "n"))
        .await
        .expect("the operator's loopback relay takes the mail");
    assert_eq!(delivered.status, 250);
    assert_eq!(server.received().len(), 1);

    // The same transport still refuses a tenant's webhook to loopback.
    let webhook = parse(
        ChannelKind::Webhook,
        json!({"url": format!("http://127.0.0.1:{}/hook", server.port)}),
    );
    let err = transport
        .deliver(&rendered(&webhook, &notice(NoticeKind::Down), "w"))
        .await
        .expect_err("refused");
    assert!(!err.is_retryable(), "{err:?}");
}
