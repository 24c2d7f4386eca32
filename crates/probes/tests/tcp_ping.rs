//! TCP and ICMP checks on loopback.

mod common;

use std::time::Duration;

use common::*;
use pharos_domain::check::{ErrorClass, Verdict};
use pharos_probes::{CheckSpec, PingCheck, PingSocket, TcpCheck};

const T: Duration = Duration::from_secs(3);

#[tokio::test]
async fn an_open_port_is_up_and_a_closed_one_refused() {
    let server = serve(|stream| async move { drop(stream) }).await;
    let open = CheckSpec::Tcp(TcpCheck {
        host: PUBLIC.into(),
        port: server.port(),
    });
    let outcome = run(&prober(), &open, T).await;
    assert_up(&outcome);
    assert!(outcome.timings.connect_ms.is_some());

    let listener = tokio::net::TcpListener::bind((ip(PUBLIC), 0))
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let closed = CheckSpec::Tcp(TcpCheck {
        host: PUBLIC.into(),
        port,
    });
    assert_down(&run(&prober(), &closed, T).await, ErrorClass::Refused);
}

#[tokio::test]
async fn a_tcp_check_by_name_times_dns() {
    let server = serve(|stream| async move { drop(stream) }).await;
    let resolver = pharos_probes::StaticResolver::new().with("db.example", [ip(PUBLIC)]);
    let spec = CheckSpec::Tcp(TcpCheck {
        host: "db.example".into(),
        port: server.port(),
    });
    let outcome = run(&prober_with(settings(), resolver), &spec, T).await;
    assert_up(&outcome);
    assert!(outcome.timings.dns_ms.is_some());
}

fn ping(count: u8) -> CheckSpec {
    CheckSpec::Ping(PingCheck {
        host: PUBLIC.into(),
        count,
    })
}

/// Whether this process may open any ICMP socket (root, CAP_NET_RAW or
/// ping_group_range); CI sandboxes sometimes allow none.
fn icmp_allowed() -> bool {
    use socket2::{Domain, Protocol, Socket, Type};
    [Type::RAW, Type::DGRAM]
        .into_iter()
        .any(|t| Socket::new(Domain::IPV4, t, Some(Protocol::ICMPV4)).is_ok())
}

#[tokio::test]
async fn ping_to_loopback_is_up_with_round_trips() {
    let report = prober().run_detailed(&ping(3), T).await;
    if !icmp_allowed() {
        // Without any ICMP socket the failure must say what is missing.
        assert_down(&report.outcome, ErrorClass::Io);
        let message = report.outcome.failure.expect("f").message;
        assert!(message.contains("CAP_NET_RAW") && message.contains("ping_group_range"));
        return;
    }
    assert_up(&report.outcome);
    let stats = report.details.ping.expect("stats");
    assert_eq!((stats.sent, stats.received), (3, 3));
    assert!(stats.avg_ms.is_some());
}

#[tokio::test]
async fn an_unprivileged_ping_socket_works_or_says_what_is_missing() {
    let mut settings = settings();
    settings.ping_socket = PingSocket::Datagram;
    let outcome = run(&prober_with(settings, Default::default()), &ping(1), T).await;
    match outcome.verdict {
        Verdict::Up => {}
        _ => {
            let failure = outcome.failure.expect("failure");
            assert_eq!(failure.class, ErrorClass::Io);
            assert!(
                failure.message.contains("net.ipv4.ping_group_range"),
                "{}",
                failure.message
            );
        }
    }
}

#[tokio::test]
async fn a_raw_socket_works_or_says_what_is_missing() {
    let mut settings = settings();
    settings.ping_socket = PingSocket::Raw;
    let outcome = run(&prober_with(settings, Default::default()), &ping(1), T).await;
    if outcome.verdict != Verdict::Up {
        let failure = outcome.failure.expect("failure");
        assert_eq!(failure.class, ErrorClass::Io);
        assert!(
            failure.message.contains("CAP_NET_RAW"),
            "{}",
            failure.message
        );
    }
}
