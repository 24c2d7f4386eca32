//! DNS checks: ask for one record, from the system resolver or a given server.

use hickory_resolver::config::{NameServerConfigGroup, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::TokioResolver;
use pharos_domain::check::ErrorClass;
use tokio::time::Instant;

use crate::outcome::{add_ms, Fail, Judged, Trace};
use crate::prober::ProbeContext;
use pharos_domain::check_spec::{parse_dns_server, DnsCheck, DnsRecordType};

pub(crate) async fn check(ctx: &ProbeContext, spec: &DnsCheck, trace: &mut Trace) -> Judged {
    let (config, mut opts) = match &spec.server {
        Some(raw) => {
            let server = parse_dns_server(raw)
                .map_err(|e| Fail::new(ErrorClass::Protocol, format!("invalid check: {e}")))?;
            // The server is an outbound target like any other.
            if let Some(reason) = ctx.settings.policy.check(server.ip()) {
                return Err(Fail::new(
                    ErrorClass::BlockedAddress,
                    format!("DNS server {} is {reason}; refused", server.ip()),
                ));
            }
            trace.details.addresses = vec![server.ip()];
            let servers =
                NameServerConfigGroup::from_ips_clear(&[server.ip()], server.port(), true);
            (
                ResolverConfig::from_parts(None, Vec::new(), servers),
                ResolverOpts::default(),
            )
        }
        None => hickory_resolver::system_conf::read_system_conf().map_err(|e| {
            Fail::new(
                ErrorClass::Dns,
                format!("the system DNS configuration is unreadable: {e}"),
            )
        })?,
    };
    // Each check asks the servers now: no cache, no hosts file.
    opts.cache_size = 0;
    opts.use_hosts_file = ResolveHosts::Never;
    opts.attempts = 1;
    opts.timeout = trace.deadline.saturating_duration_since(Instant::now());
    let resolver = TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
        .with_options(opts)
        .build();

    let wanted = record_type(spec.record_type);
    // Absolute, so search domains never turn it into another name.
    let name = format!("{}.", spec.name.trim_end_matches('.'));
    let started = Instant::now();
    let result = trace.within(resolver.lookup(name.as_str(), wanted)).await;
    add_ms(&mut trace.timings.dns_ms, started.elapsed());
    let shown = spec.name.trim_end_matches('.');
    let lookup = match result {
        None => {
            return Err(Fail::new(
                ErrorClass::Dns,
                format!("the {} lookup of {shown} timed out", spec.record_type),
            ))
        }
        Some(Err(e)) if e.is_nx_domain() => {
            return Err(Fail::new(
                ErrorClass::Dns,
                format!("{shown} does not exist (NXDOMAIN)"),
            ))
        }
        Some(Err(e)) if e.is_no_records_found() => {
            return Err(Fail::new(
                ErrorClass::Dns,
                format!("{shown} has no {} records", spec.record_type),
            ))
        }
        Some(Err(e)) => {
            return Err(Fail::new(
                ErrorClass::Dns,
                format!("the {} lookup of {shown} failed: {e}", spec.record_type),
            ))
        }
        Some(Ok(lookup)) => lookup,
    };
    let answers: Vec<String> = lookup.iter().filter_map(|r| render(r, wanted)).collect();
    trace.details.dns_answers = answers.clone();
    if answers.is_empty() {
        return Err(Fail::new(
            ErrorClass::Dns,
            format!("{shown} has no {} records", spec.record_type),
        ));
    }
    if let Some(expected) = &spec.expected {
        if !answers
            .iter()
            .any(|a| matches(spec.record_type, a, expected))
        {
            return Err(Fail::new(
                ErrorClass::Dns,
                format!(
                    "expected {} {expected:?}, got {}",
                    spec.record_type,
                    answers.join(", ")
                ),
            ));
        }
    }
    Ok(None)
}

fn record_type(t: DnsRecordType) -> RecordType {
    match t {
        DnsRecordType::A => RecordType::A,
        DnsRecordType::Aaaa => RecordType::AAAA,
        DnsRecordType::Cname => RecordType::CNAME,
        DnsRecordType::Mx => RecordType::MX,
        DnsRecordType::Txt => RecordType::TXT,
        DnsRecordType::Ns => RecordType::NS,
    }
}

fn name_text(name: &hickory_resolver::Name) -> String {
    name.to_string().trim_end_matches('.').to_ascii_lowercase()
}

/// One answer as text, if it is of the type asked for.
fn render(data: &RData, wanted: RecordType) -> Option<String> {
    if data.record_type() != wanted {
        return None;
    }
    Some(match data {
        RData::A(a) => a.0.to_string(),
        RData::AAAA(a) => a.0.to_string(),
        RData::CNAME(c) => name_text(&c.0),
        RData::NS(n) => name_text(&n.0),
        RData::MX(mx) => format!("{} {}", mx.preference(), name_text(mx.exchange())),
        RData::TXT(txt) => txt
            .txt_data()
            .iter()
            .map(|part| String::from_utf8_lossy(part))
            .collect::<String>(),
        _ => return None,
    })
}

/// Whether an answer is the expected value: addresses by value, names
/// without case or trailing dot, MX by `pref host` or host alone, TXT exactly.
fn matches(kind: DnsRecordType, answer: &str, expected: &str) -> bool {
    let expected = expected.trim();
    match kind {
        DnsRecordType::A | DnsRecordType::Aaaa => {
            match (
                answer.parse::<std::net::IpAddr>(),
                expected.parse::<std::net::IpAddr>(),
            ) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            }
        }
        DnsRecordType::Txt => answer == expected,
        DnsRecordType::Cname | DnsRecordType::Ns => {
            answer == expected.trim_end_matches('.').to_ascii_lowercase()
        }
        DnsRecordType::Mx => {
            let expected = expected.trim_end_matches('.').to_ascii_lowercase();
            let host = answer.split_once(' ').map_or(answer, |(_, h)| h);
            answer == expected || host == expected
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_values_compare_loosely_where_dns_does() {
        assert!(matches(DnsRecordType::A, "192.0.2.1", " 192.0.2.1 "));
        assert!(matches(
            DnsRecordType::Aaaa,
            "2001:db8::1",
            "2001:0db8:0::1"
        ));
        assert!(matches(
            DnsRecordType::Cname,
            "target.example",
            "Target.Example."
        ));
        assert!(matches(DnsRecordType::Mx, "10 mx.example", "mx.example."));
        assert!(matches(DnsRecordType::Mx, "10 mx.example", "10 mx.example"));
        assert!(!matches(
            DnsRecordType::Mx,
            "10 mx.example",
            "20 mx.example"
        ));
        assert!(!matches(DnsRecordType::Txt, "v=spf1 -all", "v=spf1"));
    }
}
