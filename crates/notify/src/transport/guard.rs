//! The SSRF rule for outgoing notifications: the same table of blocked
//! addresses and internal names as checks (`pharos_domain`), applied to
//! webhook URLs, service base URLs and the SMTP host.
//!
//! An IP-literal URL never reaches a resolver, so its address is judged
//! before sending ([`check_url_host`]); a name is resolved once by
//! [`GuardedResolver`] inside reqwest's connector, which refuses the name if
//! any of its addresses is blocked and otherwise hands reqwest only the
//! addresses it judged. Redirects are never followed (a 3xx could point
//! anywhere), and proxies are off (a proxy would connect for us).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use pharos_domain::hostname::internal_name_reason;
use pharos_domain::AddressPolicy;
use pharos_probes::{Resolve, ResolveError};
use url::{Host, Url};

/// Why a destination was not contacted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum GuardError {
    /// The rule refuses it: a permanent failure.
    #[error("{0}")]
    Refused(String),
    /// The name did not resolve (now): worth another try.
    #[error("{0}")]
    Dns(String),
}

/// Judges a URL's host before any request: an IP literal here, a name's
/// internal-ness (`localhost`, `*.internal`) before it is resolved.
pub(crate) fn check_url_host(policy: &AddressPolicy, url: &Url) -> Result<(), GuardError> {
    match url.host() {
        None => Err(GuardError::Refused("the URL has no host".to_owned())),
        Some(Host::Ipv4(ip)) => check_ip(policy, IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => check_ip(policy, IpAddr::V6(ip)),
        Some(Host::Domain(name)) => check_name(policy, name),
    }
}

fn check_ip(policy: &AddressPolicy, ip: IpAddr) -> Result<(), GuardError> {
    match policy.check(ip) {
        Some(reason) => Err(GuardError::Refused(format!(
            "{ip} is {reason}; refused (private addresses are not allowed)"
        ))),
        None => Ok(()),
    }
}

fn check_name(policy: &AddressPolicy, name: &str) -> Result<(), GuardError> {
    if policy.allow_private {
        return Ok(());
    }
    match internal_name_reason(name) {
        Some(reason) => Err(GuardError::Refused(format!(
            "{name} is {reason}; refused (private addresses are not allowed)"
        ))),
        None => Ok(()),
    }
}

/// The addresses `host` (a name or an IP literal) may be contacted on.
pub(crate) async fn allowed_addresses(
    resolver: &dyn Resolve,
    policy: &AddressPolicy,
    host: &str,
) -> Result<Vec<IpAddr>, GuardError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        check_ip(policy, ip)?;
        return Ok(vec![ip]);
    }
    check_name(policy, host)?;
    let found = resolver.lookup(host).await.map_err(|e| match e {
        ResolveError::NotFound(_) => GuardError::Dns(format!("{host} does not resolve")),
        ResolveError::Failed(e) => GuardError::Dns(format!("DNS lookup of {host} failed: {e}")),
    })?;
    let mut unique: Vec<IpAddr> = Vec::with_capacity(found.len());
    for ip in found {
        // One blocked answer refuses the name: a name that resolves to a
        // public and a private address is a rebinding attempt, not a
        // choice.
        if let Some(reason) = policy.check(ip) {
            return Err(GuardError::Refused(format!(
                "{host} resolves to {ip}, which is {reason}; refused (private addresses are not allowed)"
            )));
        }
        if !unique.contains(&ip) {
            unique.push(ip);
        }
    }
    if unique.is_empty() {
        return Err(GuardError::Dns(format!("{host} has no addresses")));
    }
    Ok(unique)
}

/// reqwest's resolver, through the guard.
pub(crate) struct GuardedResolver {
    pub resolver: Arc<dyn Resolve>,
    pub policy: AddressPolicy,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let resolver = Arc::clone(&self.resolver);
        let policy = self.policy.clone();
        Box::pin(async move {
            let addrs = allowed_addresses(resolver.as_ref(), &policy, name.as_str()).await?;
            // reqwest sets the URL's port on each address.
            let addrs: reqwest::dns::Addrs =
                Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pharos_probes::StaticResolver;

    #[tokio::test]
    async fn names_are_judged_by_every_address_they_resolve_to() {
        let resolver = StaticResolver::new()
            .with("public.example", ["93.184.215.14".parse().expect("ip")])
            .with(
                "rebind.example",
                [
                    "93.184.215.14".parse().expect("ip"),
                    "10.0.0.1".parse().expect("ip"),
                ],
            );
        let strict = AddressPolicy::strict();
        assert!(allowed_addresses(&resolver, &strict, "public.example")
            .await
            .is_ok());
        assert!(matches!(
            allowed_addresses(&resolver, &strict, "rebind.example").await,
            Err(GuardError::Refused(_))
        ));
        assert!(matches!(
            allowed_addresses(&resolver, &strict, "localhost").await,
            Err(GuardError::Refused(_))
        ));
        assert!(matches!(
            allowed_addresses(&resolver, &strict, "[::1]").await,
            Err(GuardError::Refused(_))
        ));
        assert!(matches!(
            allowed_addresses(&resolver, &strict, "missing.example").await,
            Err(GuardError::Dns(_))
        ));
        let open = AddressPolicy::allow_all();
        assert!(allowed_addresses(&resolver, &open, "rebind.example")
            .await
            .is_ok());
    }

    #[test]
    fn ip_literal_urls_are_judged_before_sending() {
        let strict = AddressPolicy::strict();
        for url in [
            "http://127.0.0.1:8080/x",
            "http://[::1]/",
            "http://169.254.169.254/latest",
            "http://0x7f.1/",
            "http://localhost/",
        ] {
            let url = Url::parse(url).expect("url");
            assert!(check_url_host(&strict, &url).is_err(), "{url}");
        }
        let public = Url::parse("https://hooks.slack.com/services/x").expect("url");
        assert!(check_url_host(&strict, &public).is_ok());
    }
}
