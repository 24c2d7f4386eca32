//! Name resolution behind a small trait, so tests (and the SSRF tests in
//! particular) can decide what a name resolves to.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use hickory_resolver::config::{LookupIpStrategy, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::TokioResolver;

/// Why a name did not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("no such host {0}")]
    NotFound(String),
    #[error("{0}")]
    Failed(String),
}

/// The future a [`Resolve`] implementation returns.
pub type LookupFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<IpAddr>, ResolveError>> + Send + 'a>>;

/// Turns a host name into addresses. Boxed futures keep it dyn-compatible:
/// a prober holds an `Arc<dyn Resolve>`.
pub trait Resolve: Send + Sync + 'static {
    fn lookup<'a>(&'a self, host: &'a str) -> LookupFuture<'a>;
}

/// The system's DNS configuration through hickory, without a cache: each
/// check sees what DNS says now.
pub struct SystemResolver {
    inner: Inner,
}

enum Inner {
    Hickory(Box<TokioResolver>),
    /// When `/etc/resolv.conf` cannot be read: the C library's resolver.
    Getaddrinfo,
}

impl SystemResolver {
    pub fn new() -> Self {
        let inner = match TokioResolver::builder(TokioConnectionProvider::default()) {
            Ok(mut builder) => {
                let opts: &mut ResolverOpts = builder.options_mut();
                opts.cache_size = 0;
                opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
                opts.attempts = 1;
                Inner::Hickory(Box::new(builder.build()))
            }
            Err(e) => {
                tracing::warn!(error = %e, "system DNS configuration unreadable; using getaddrinfo");
                Inner::Getaddrinfo
            }
        };
        Self { inner }
    }
}

impl Default for SystemResolver {
    fn default() -> Self {
        Self::new()
    }
}

impl Resolve for SystemResolver {
    fn lookup<'a>(&'a self, host: &'a str) -> LookupFuture<'a> {
        Box::pin(async move {
            match &self.inner {
                Inner::Hickory(resolver) => {
                    // A trailing dot keeps search domains out of it.
                    let fqdn = if host.ends_with('.') {
                        host.to_owned()
                    } else {
                        format!("{host}.")
                    };
                    match resolver.lookup_ip(fqdn.as_str()).await {
                        Ok(found) => Ok(found.iter().collect()),
                        Err(e) if e.is_nx_domain() || e.is_no_records_found() => {
                            Err(ResolveError::NotFound(host.to_owned()))
                        }
                        Err(e) => Err(ResolveError::Failed(e.to_string())),
                    }
                }
                Inner::Getaddrinfo => match tokio::net::lookup_host((host, 0)).await {
                    Ok(addrs) => Ok(addrs.map(|a| a.ip()).collect()),
                    Err(e) => Err(ResolveError::Failed(e.to_string())),
                },
            }
        })
    }
}

/// A fixed table of names, for tests: `evil.example` can resolve to
/// `127.0.0.2` without touching DNS. Unknown names are not found.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    names: HashMap<String, Vec<IpAddr>>,
}

impl StaticResolver {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the addresses of `host`.
    pub fn with(mut self, host: &str, addrs: impl IntoIterator<Item = IpAddr>) -> Self {
        self.insert(host, addrs);
        self
    }

    pub fn insert(&mut self, host: &str, addrs: impl IntoIterator<Item = IpAddr>) {
        self.names
            .insert(normalise(host), addrs.into_iter().collect());
    }
}

fn normalise(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

impl Resolve for StaticResolver {
    fn lookup<'a>(&'a self, host: &'a str) -> LookupFuture<'a> {
        let found = self.names.get(&normalise(host)).cloned();
        Box::pin(async move {
            match found {
                Some(addrs) if !addrs.is_empty() => Ok(addrs),
                _ => Err(ResolveError::NotFound(host.to_owned())),
            }
        })
    }
}
