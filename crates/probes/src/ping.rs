//! ICMP echo checks.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use pharos_domain::check::ErrorClass;
use socket2::{Domain, Protocol, Socket, Type};
use surge_ping::{Client, Config, PingIdentifier, PingSequence, SurgeError, ICMP};
use tokio::time::Instant;

use crate::guard;
use crate::outcome::{Fail, Judged, PingStats, Trace};
use crate::prober::ProbeContext;
use crate::settings::PingSocket;
use pharos_domain::check_spec::PingCheck;

/// The longest wait for one echo reply when the timeout allows more.
const MAX_WAIT_PER_ECHO: Duration = Duration::from_secs(2);
/// Pause between echo requests, as a courtesy to the target.
const SPACING: Duration = Duration::from_millis(100);
const PAYLOAD: [u8; 56] = [0x50; 56];

/// Identifiers tell concurrent checks' replies apart on raw sockets.
fn next_ident() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let seed = (std::process::id() as u16).wrapping_mul(31);
    NEXT.fetch_add(1, Ordering::Relaxed).wrapping_add(seed)
}

pub(crate) async fn check(ctx: &ProbeContext, spec: &PingCheck, trace: &mut Trace) -> Judged {
    let host = pharos_domain::check_spec::parse_host(&spec.host)
        .map_err(|e| Fail::new(ErrorClass::Protocol, format!("invalid check: {e}")))?;
    let addrs = guard::resolve(ctx.resolver.as_ref(), &ctx.settings.policy, &host, trace).await?;
    let ip = *addrs
        .first()
        .ok_or_else(|| Fail::new(ErrorClass::Dns, format!("{host} has no addresses")))?;
    trace.details.addresses = vec![ip];
    let client = open_client(ctx.settings.ping_socket, ip)?;
    let mut pinger = client.pinger(ip, PingIdentifier(next_ident())).await;

    let count = spec.count.max(1);
    let mut stats = PingStats::default();
    let mut rtts: Vec<Duration> = Vec::new();
    let mut first_error: Option<String> = None;
    for seq in 0..count {
        let left = trace.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let remaining = u32::from(count - seq);
        pinger.timeout((left / remaining).min(MAX_WAIT_PER_ECHO));
        stats.sent += 1;
        match pinger.ping(PingSequence(u16::from(seq)), &PAYLOAD).await {
            Ok((_, rtt)) => rtts.push(rtt),
            Err(SurgeError::Timeout { .. }) => {}
            Err(e) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
        if seq + 1 < count {
            let pause = SPACING.min(trace.deadline.saturating_duration_since(Instant::now()));
            tokio::time::sleep(pause).await;
        }
    }

    stats.received = u32::try_from(rtts.len()).unwrap_or(u32::MAX);
    let as_ms = |d: Duration| d.as_secs_f64() * 1000.0;
    if !rtts.is_empty() {
        let total: Duration = rtts.iter().sum();
        let avg = total / stats.received.max(1);
        stats.min_ms = rtts.iter().min().copied().map(as_ms);
        stats.max_ms = rtts.iter().max().copied().map(as_ms);
        stats.avg_ms = Some(as_ms(avg));
        // For ping the latency worth reporting is the round trip.
        trace.latency_override = Some(crate::outcome::ms(avg));
    }
    let (sent, received) = (stats.sent, stats.received);
    trace.details.ping = Some(stats);
    if received == 0 {
        let why = first_error.map_or_else(String::new, |e| format!(" ({e})"));
        return Err(Fail::new(
            ErrorClass::Unreachable,
            format!("no reply from {ip} to {sent} echo requests{why}"),
        ));
    }
    if received < sent {
        return Ok(Some(Fail::new(
            ErrorClass::Unreachable,
            format!(
                "{} of {sent} echo requests to {ip} were lost",
                sent - received
            ),
        )));
    }
    Ok(None)
}

/// Which ICMP socket this process may open for echo requests to an
/// address of `ip`'s family: the first kind `mode` allows that opens, or
/// what is missing for each (`pharos doctor` reports it before start).
pub fn icmp_socket_kind(mode: PingSocket, ip: IpAddr) -> Result<Type, String> {
    let (domain, protocol, sysctl) = match ip {
        IpAddr::V4(_) => (Domain::IPV4, Protocol::ICMPV4, "net.ipv4.ping_group_range"),
        IpAddr::V6(_) => (
            Domain::IPV6,
            Protocol::ICMPV6,
            "net.ipv4.ping_group_range (it covers IPv6 too)",
        ),
    };
    let kinds: &[Type] = match mode {
        PingSocket::Auto => &[Type::RAW, Type::DGRAM],
        PingSocket::Raw => &[Type::RAW],
        PingSocket::Datagram => &[Type::DGRAM],
    };
    let mut problems = Vec::new();
    for &sock_type in kinds {
        // Probe the kind ourselves: surge-ping silently falls back to the
        // other kind, and we want to honour the setting and name the cause.
        match Socket::new(domain, sock_type, Some(protocol)) {
            Ok(_probe) => return Ok(sock_type),
            Err(e) if sock_type == Type::RAW => {
                problems.push(format!("a raw ICMP socket needs root or CAP_NET_RAW ({e})"))
            }
            Err(e) => problems.push(format!(
                "an unprivileged ping socket needs this process's group in {sysctl} ({e})"
            )),
        }
    }
    Err(problems.join("; "))
}

/// Opens an ICMP client on the socket kinds `mode` allows, saying exactly
/// which permission is missing when none can be opened.
fn open_client(mode: PingSocket, ip: IpAddr) -> Result<Client, Fail> {
    let cannot = |why: String| {
        Fail::new(
            ErrorClass::Io,
            format!("cannot send ICMP echo requests: {why}"),
        )
    };
    let sock_type = icmp_socket_kind(mode, ip).map_err(cannot)?;
    let kind = match ip {
        IpAddr::V4(_) => ICMP::V4,
        IpAddr::V6(_) => ICMP::V6,
    };
    let config = Config::builder()
        .kind(kind)
        .sock_type_hint(sock_type)
        .build();
    Client::new(&config).map_err(|e| cannot(format!("opening the ICMP socket failed: {e}")))
}
