//! The SSRF guard: every address a check connects to comes from here.
//!
//! A name is resolved exactly once; if any of its addresses is blocked the
//! check is refused, otherwise the caller connects only to the addresses
//! returned, so a second (rebinding) answer can never be used.

use std::net::IpAddr;

use pharos_domain::check::ErrorClass;
use pharos_domain::hostname::internal_name_reason;
use pharos_domain::AddressPolicy;
use tokio::time::Instant;
use url::Host;

use crate::outcome::{add_ms, Fail, Trace};
use crate::resolver::{Resolve, ResolveError};

/// The addresses `host` may be contacted on, or why it may not.
pub(crate) async fn resolve(
    resolver: &dyn Resolve,
    policy: &AddressPolicy,
    host: &Host<String>,
    trace: &mut Trace,
) -> Result<Vec<IpAddr>, Fail> {
    let addrs = match host {
        Host::Ipv4(ip) => vec![IpAddr::V4(*ip)],
        Host::Ipv6(ip) => vec![IpAddr::V6(*ip)],
        Host::Domain(name) => {
            if !policy.allow_private {
                if let Some(reason) = internal_name_reason(name) {
                    return Err(Fail::new(
                        ErrorClass::BlockedAddress,
                        format!("{name} is {reason}, which Pharos does not check"),
                    ));
                }
            }
            let started = Instant::now();
            let found = trace.within(resolver.lookup(name)).await;
            add_ms(&mut trace.timings.dns_ms, started.elapsed());
            match found {
                None => {
                    return Err(Fail::new(
                        ErrorClass::Dns,
                        format!("DNS lookup of {name} timed out"),
                    ))
                }
                Some(Err(ResolveError::NotFound(_))) => {
                    return Err(Fail::new(
                        ErrorClass::Dns,
                        format!("{name} does not resolve"),
                    ))
                }
                Some(Err(ResolveError::Failed(e))) => {
                    return Err(Fail::new(
                        ErrorClass::Dns,
                        format!("DNS lookup of {name} failed: {e}"),
                    ))
                }
                Some(Ok(addrs)) => addrs,
            }
        }
    };
    let mut unique: Vec<IpAddr> = Vec::with_capacity(addrs.len());
    for ip in addrs {
        if let Some(reason) = policy.check(ip) {
            return Err(Fail::new(
                ErrorClass::BlockedAddress,
                match host {
                    Host::Domain(name) => {
                        format!("{name} resolves to {ip}, which is {reason}; refused")
                    }
                    _ => format!("{ip} is {reason}; refused"),
                },
            ));
        }
        if !unique.contains(&ip) {
            unique.push(ip);
        }
    }
    if unique.is_empty() {
        return Err(Fail::new(
            ErrorClass::Dns,
            format!("{host} has no addresses"),
        ));
    }
    trace.details.addresses = unique.clone();
    Ok(unique)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pharos_domain::check_spec::parse_host;

    #[test]
    fn hosts_parse_like_urls() {
        assert_eq!(
            parse_host("0x7f.1").expect("hex"),
            Host::<String>::Ipv4("127.0.0.1".parse().expect("ip"))
        );
        assert_eq!(
            parse_host("2130706433").expect("decimal"),
            Host::<String>::Ipv4("127.0.0.1".parse().expect("ip"))
        );
        assert_eq!(
            parse_host("::1").expect("bare v6"),
            Host::<String>::Ipv6("::1".parse().expect("ip"))
        );
        assert_eq!(
            parse_host("[::1]").expect("bracketed v6"),
            Host::<String>::Ipv6("::1".parse().expect("ip"))
        );
        assert_eq!(
            parse_host("Example.COM").expect("name"),
            Host::Domain("example.com".to_owned())
        );
        assert!(parse_host("").is_err());
        assert!(parse_host("a b").is_err());
    }
}
