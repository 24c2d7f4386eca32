//! How attempts end: retryable or permanent, with the service's own
//! words (secret-free), and the address rule for outgoing requests.

use std::sync::Arc;
use std::time::Duration;

use pharos_domain::ChannelKind;
use pharos_notify::delivery::DeliveryError;
use pharos_notify::notice::NoticeKind;
use pharos_notify::transport::{Transport, TransportSettings};
use pharos_probes::StaticResolver;
use serde_json::json;

use crate::support::*;

async fn attempt(receiver: &Receiver, transport: &Transport) -> Result<u16, DeliveryError> {
    let config = parse(
        ChannelKind::Slack,
        json!({"url": receiver.url("/services/T0/B0/hook-key")}),
    );
    transport
        .deliver(&rendered(&config, &notice(NoticeKind::Down), "n"))
        .await
        .map(|d| d.status)
}

#[tokio::test]
async fn a_500_is_retryable_with_the_answer_in_the_message() {
    let receiver = Receiver::replying(Reply::status(500, "database on fire\n\n  try later")).await;
    let err = attempt(&receiver, &local_transport())
        .await
        .expect_err("fails");
    let DeliveryError::Retryable {
        message,
        status,
        retry_after,
    } = &err
    else {
        panic!("retryable: {err:?}");
    };
    assert_eq!(*status, Some(500));
    assert_eq!(*retry_after, None);
    assert!(
        message.contains("HTTP 500: database on fire try later"),
        "{message}"
    );
}

#[tokio::test]
async fn a_429_honours_retry_after() {
    let receiver =
        Receiver::replying(Reply::status(429, "slow down").with_header("retry-after", "7")).await;
    let err = attempt(&receiver, &local_transport())
        .await
        .expect_err("fails");
    assert_eq!(
        err,
        DeliveryError::Retryable {
            message: err.message().to_owned(),
            status: Some(429),
            retry_after: Some(Duration::from_secs(7)),
        }
    );
}

#[tokio::test]
async fn a_404_is_permanent() {
    let receiver = Receiver::replying(Reply::status(404, "no_such_hook")).await;
    let err = attempt(&receiver, &local_transport())
        .await
        .expect_err("fails");
    assert!(
        matches!(
            err,
            DeliveryError::Permanent {
                status: Some(404),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.message().contains("no_such_hook"));
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let receiver = Receiver::replying(
        Reply::status(302, "").with_header("location", "http://169.254.169.254/latest/meta-data"),
    )
    .await;
    let err = attempt(&receiver, &local_transport())
        .await
        .expect_err("fails");
    assert!(
        matches!(
            err,
            DeliveryError::Permanent {
                status: Some(302),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(receiver.requests().len(), 1);
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_as_retryable() {
    let receiver = Receiver::replying(Reply::ok("late").after(Duration::from_secs(30))).await;
    let started = std::time::Instant::now();
    let err = attempt(&receiver, &transport(true, Duration::from_millis(500)))
        .await
        .expect_err("times out");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.is_retryable(), "{err:?}");
    assert!(err.message().contains("no answer"), "{err}");
}

#[tokio::test]
async fn a_refused_connection_is_retryable() {
    // Bind and drop: nothing listens on the port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port();
    let config = parse(
        ChannelKind::Slack,
        json!({"url": format!("http://127.0.0.1:{port}/x")}),
    );
    let err = local_transport()
        .deliver(&rendered(&config, &notice(NoticeKind::Down), "n"))
        .await
        .expect_err("fails");
    assert!(err.is_retryable(), "{err:?}");
    assert!(err.message().contains("could not connect"), "{err}");
}

#[tokio::test]
async fn a_private_address_webhook_is_refused_unless_allowed() {
    let receiver = Receiver::start().await;
    let strict = transport(false, Duration::from_secs(5));
    let err = attempt(&receiver, &strict).await.expect_err("refused");
    assert!(
        matches!(err, DeliveryError::Permanent { status: None, .. }),
        "{err:?}"
    );
    assert!(err.message().contains("127.0.0.1"), "{err}");
    assert!(receiver.requests().is_empty(), "nothing was sent");

    // The same receiver by a name that resolves to it: refused by the
    // guarded resolver inside the connector.
    let port = receiver.base.rsplit(':').next().expect("port");
    let resolver =
        StaticResolver::new().with("hooks.evil.example", ["127.0.0.1".parse().expect("ip")]);
    let by_name = Transport::with_resolver(
        TransportSettings {
            allow_private: false,
            timeout: Duration::from_secs(5),
            smtp: None,
        },
        Arc::new(resolver),
    )
    .expect("a transport");
    let config = parse(
        ChannelKind::Webhook,
        json!({"url": format!("http://hooks.evil.example:{port}/in")}),
    );
    let err = by_name
        .deliver(&rendered(&config, &notice(NoticeKind::Down), "n"))
        .await
        .expect_err("refused");
    assert!(matches!(err, DeliveryError::Permanent { .. }), "{err:?}");
    assert!(err.message().contains("resolves to 127.0.0.1"), "{err}");
    assert!(receiver.requests().is_empty());

    for url in [
        "http://localhost/",
        "http://[::1]/",
        "http://169.254.169.254/",
    ] {
        let config = parse(ChannelKind::Slack, json!({"url": url}));
        let err = strict
            .deliver(&rendered(&config, &notice(NoticeKind::Down), "n"))
            .await
            .expect_err("refused");
        assert!(
            matches!(err, DeliveryError::Permanent { .. }),
            "{url}: {err:?}"
        );
    }

    assert_eq!(attempt(&receiver, &local_transport()).await, Ok(200));
}

#[tokio::test]
async fn failures_never_show_the_key_in_the_url_or_a_token() {
    // The service echoes the request path (as some do in error pages).
    let receiver = Receiver::replying(Reply::status(
        400,
        "bad request for /bot123456:SECRET-token/sendMessage",
    ))
    .await;
    let config = parse(
        ChannelKind::Telegram,
        json!({"bot_token": "123456:SECRET-token", "chat_id": 1, "api_url": receiver.base}),
    );
    let err = local_transport()
        .deliver(&rendered(&config, &notice(NoticeKind::Down), "n"))
        .await
        .expect_err("fails");
    assert!(!err.message().contains("SECRET"), "{err}");
    assert!(!format!("{err:?}").contains("SECRET"));

    // A timeout on a chat webhook: reqwest's own message would name the URL.
    let slow = Receiver::replying(Reply::ok("").after(Duration::from_secs(30))).await;
    let config = parse(
        ChannelKind::Slack,
        json!({"url": slow.url("/services/T0/B0/SECRET-hook")}),
    );
    let delivery = rendered(&config, &notice(NoticeKind::Down), "n");
    assert!(!format!("{delivery:?}").contains("SECRET"));
    let err = transport(true, Duration::from_millis(300))
        .deliver(&delivery)
        .await
        .expect_err("times out");
    assert!(!err.message().contains("SECRET"), "{err}");
}
