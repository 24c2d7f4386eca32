//! DNS checks against a small UDP DNS server started by the test.

mod common;

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use pharos_domain::check::ErrorClass;
use pharos_probes::{CheckSpec, DnsCheck, DnsRecordType};
use tokio::net::UdpSocket;

const T: Duration = Duration::from_secs(3);

fn name(s: &str) -> Name {
    Name::from_str(s).expect("name")
}

/// The zone the test server answers from.
fn zone(query: &Name, kind: RecordType) -> Option<Vec<RData>> {
    let q = query.to_ascii().to_ascii_lowercase();
    let records = match (q.as_str(), kind) {
        ("www.pharos.test.", RecordType::A) => vec![
            RData::A(A("192.0.2.10".parse().expect("v4"))),
            RData::A(A("192.0.2.11".parse().expect("v4"))),
        ],
        ("www.pharos.test.", RecordType::AAAA) => {
            vec![RData::AAAA(AAAA("2001:db8::10".parse().expect("v6")))]
        }
        ("alias.pharos.test.", RecordType::CNAME) => {
            vec![RData::CNAME(CNAME(name("www.pharos.test.")))]
        }
        ("pharos.test.", RecordType::MX) => vec![
            RData::MX(MX::new(10, name("mx1.pharos.test."))),
            RData::MX(MX::new(20, name("mx2.pharos.test."))),
        ],
        ("pharos.test.", RecordType::TXT) => {
            vec![RData::TXT(TXT::new(vec!["v=spf1 ".into(), "-all".into()]))]
        }
        ("pharos.test.", RecordType::NS) => vec![
            RData::NS(NS(name("ns1.pharos.test."))),
            RData::NS(NS(name("ns2.pharos.test."))),
        ],
        (q, _) if q.ends_with("pharos.test.") => Vec::new(),
        _ => return None,
    };
    Some(records)
}

struct DnsServer {
    addr: SocketAddr,
    queries: Arc<AtomicUsize>,
}

/// Answers from [`zone`]; names outside it are NXDOMAIN. With `silent` it
/// reads queries and never answers.
async fn dns_server(silent: bool) -> DnsServer {
    let socket = UdpSocket::bind((ip(PUBLIC), 0)).await.expect("bind");
    let addr = socket.local_addr().expect("addr");
    let queries = Arc::new(AtomicUsize::new(0));
    let count = queries.clone();
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok((len, peer)) = socket.recv_from(&mut buf).await {
            count.fetch_add(1, Ordering::SeqCst);
            if silent {
                continue;
            }
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
                match zone(query.name(), query.query_type()) {
                    Some(records) => {
                        for rdata in records {
                            reply.add_answer(Record::from_rdata(query.name().clone(), 60, rdata));
                        }
                    }
                    None => {
                        reply.set_response_code(ResponseCode::NXDomain);
                    }
                }
            }
            if let Ok(bytes) = reply.to_vec() {
                let _ = socket.send_to(&bytes, peer).await;
            }
        }
    });
    DnsServer { addr, queries }
}

fn dns(server: &DnsServer, name: &str, kind: DnsRecordType, expected: Option<&str>) -> CheckSpec {
    CheckSpec::Dns(DnsCheck {
        name: name.into(),
        record_type: kind,
        server: Some(server.addr.to_string()),
        expected: expected.map(str::to_owned),
    })
}

#[tokio::test]
async fn every_record_type_resolves_with_its_answers() {
    let server = dns_server(false).await;
    let prober = prober();
    let cases = [
        (
            "www.pharos.test",
            DnsRecordType::A,
            vec!["192.0.2.10", "192.0.2.11"],
        ),
        ("www.pharos.test", DnsRecordType::Aaaa, vec!["2001:db8::10"]),
        (
            "alias.pharos.test",
            DnsRecordType::Cname,
            vec!["www.pharos.test"],
        ),
        (
            "pharos.test",
            DnsRecordType::Mx,
            vec!["10 mx1.pharos.test", "20 mx2.pharos.test"],
        ),
        ("pharos.test", DnsRecordType::Txt, vec!["v=spf1 -all"]),
        (
            "pharos.test",
            DnsRecordType::Ns,
            vec!["ns1.pharos.test", "ns2.pharos.test"],
        ),
    ];
    for (name, kind, answers) in cases {
        let report = prober
            .run_detailed(&dns(&server, name, kind, None), T)
            .await;
        assert_up(&report.outcome);
        let mut got = report.details.dns_answers.clone();
        got.sort();
        assert_eq!(got, answers, "{name} {kind}");
        assert!(report.outcome.timings.dns_ms.is_some());
    }
}

#[tokio::test]
async fn expected_values_must_match_an_answer() {
    let server = dns_server(false).await;
    let prober = prober();
    for (name, kind, expected) in [
        ("www.pharos.test", DnsRecordType::A, "192.0.2.11"),
        ("www.pharos.test", DnsRecordType::Aaaa, "2001:0db8::0010"),
        (
            "alias.pharos.test",
            DnsRecordType::Cname,
            "WWW.pharos.test.",
        ),
        ("pharos.test", DnsRecordType::Mx, "mx2.pharos.test"),
        ("pharos.test", DnsRecordType::Mx, "10 mx1.pharos.test"),
        ("pharos.test", DnsRecordType::Txt, "v=spf1 -all"),
        ("pharos.test", DnsRecordType::Ns, "ns2.pharos.test"),
    ] {
        assert_up(&run(&prober, &dns(&server, name, kind, Some(expected)), T).await);
    }
    for (name, kind, expected) in [
        ("www.pharos.test", DnsRecordType::A, "192.0.2.99"),
        ("pharos.test", DnsRecordType::Mx, "20 mx1.pharos.test"),
        ("pharos.test", DnsRecordType::Txt, "v=spf1"),
    ] {
        let outcome = run(&prober, &dns(&server, name, kind, Some(expected)), T).await;
        assert_down(&outcome, ErrorClass::Dns);
        assert!(outcome.failure.expect("f").message.contains("expected"));
    }
}

#[tokio::test]
async fn missing_names_and_records_are_dns_failures() {
    let server = dns_server(false).await;
    let prober = prober();
    let outcome = run(
        &prober,
        &dns(&server, "nope.example", DnsRecordType::A, None),
        T,
    )
    .await;
    assert_down(&outcome, ErrorClass::Dns);
    assert!(outcome.failure.expect("f").message.contains("NXDOMAIN"));
    let outcome = run(
        &prober,
        &dns(&server, "pharos.test", DnsRecordType::A, None),
        T,
    )
    .await;
    assert_down(&outcome, ErrorClass::Dns);
    assert!(outcome.failure.expect("f").message.contains("no A records"));
}

#[tokio::test]
async fn a_silent_server_times_out_within_the_bound() {
    let server = dns_server(true).await;
    let outcome = run(
        &prober(),
        &dns(&server, "www.pharos.test", DnsRecordType::A, None),
        Duration::from_secs(2),
    )
    .await;
    assert_down(&outcome, ErrorClass::Dns);
    assert!(server.queries.load(Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn a_server_on_a_blocked_address_is_never_asked() {
    let server = dns_server(false).await;
    let spec = CheckSpec::Dns(DnsCheck {
        name: "www.pharos.test".into(),
        record_type: DnsRecordType::A,
        server: Some(format!("{BLOCKED}:{}", server.addr.port())),
        expected: None,
    });
    assert_down(&run(&prober(), &spec, T).await, ErrorClass::BlockedAddress);
    assert_eq!(server.queries.load(Ordering::SeqCst), 0);
}
