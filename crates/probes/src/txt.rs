//! TXT look-ups for proving control of a domain (a status page's custom
//! domain: `_pharos-challenge.<host>` must hold the page's token). The
//! system's DNS servers by default; a given server for tests (and for
//! operators who want the proof asked of one resolver). Asked afresh every
//! time: no cache, no hosts file, so a record just added is seen.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfigGroup, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::proto::rr::RecordType;
use hickory_resolver::TokioResolver;

pub type TxtFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<String>, String>> + Send + 'a>>;

/// Reads a name's TXT records, each as its strings joined.
pub trait TxtLookup: Send + Sync + 'static {
    fn txt<'a>(&'a self, name: &'a str) -> TxtFuture<'a>;
}

/// TXT records through hickory, from the system's servers or one server.
pub struct DnsTxt {
    server: Option<SocketAddr>,
    timeout: Duration,
}

impl DnsTxt {
    /// Asks the servers of the system's configuration.
    pub fn system() -> Self {
        Self {
            server: None,
            timeout: Duration::from_secs(5),
        }
    }

    /// Asks only `server` (tests run one on 127.0.0.1).
    pub fn server(server: SocketAddr) -> Self {
        Self {
            server: Some(server),
            timeout: Duration::from_secs(5),
        }
    }

    fn resolver(&self) -> Result<TokioResolver, String> {
        let (config, mut opts) = match self.server {
            Some(server) => (
                ResolverConfig::from_parts(
                    None,
                    Vec::new(),
                    NameServerConfigGroup::from_ips_clear(&[server.ip()], server.port(), true),
                ),
                ResolverOpts::default(),
            ),
            None => hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| format!("the system DNS configuration is unreadable: {e}"))?,
        };
        opts.cache_size = 0;
        opts.use_hosts_file = ResolveHosts::Never;
        opts.attempts = 2;
        opts.timeout = self.timeout;
        Ok(
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
                .with_options(opts)
                .build(),
        )
    }
}

impl TxtLookup for DnsTxt {
    fn txt<'a>(&'a self, name: &'a str) -> TxtFuture<'a> {
        Box::pin(async move {
            let resolver = self.resolver()?;
            // Absolute, so search domains never turn it into another name.
            let absolute = format!("{}.", name.trim_end_matches('.'));
            match resolver.lookup(absolute.as_str(), RecordType::TXT).await {
                Ok(lookup) => Ok(lookup
                    .iter()
                    .filter_map(|data| match data {
                        RData::TXT(txt) => Some(
                            txt.txt_data()
                                .iter()
                                .map(|part| String::from_utf8_lossy(part).into_owned())
                                .collect::<String>(),
                        ),
                        _ => None,
                    })
                    .collect()),
                Err(e) if e.is_no_records_found() => Ok(Vec::new()),
                Err(e) => Err(format!("the TXT look-up of {name} failed: {e}")),
            }
        })
    }
}
