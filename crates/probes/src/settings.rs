//! Limits and policy shared by every check a prober runs.

use pharos_domain::AddressPolicy;

/// Which ICMP socket a ping check opens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PingSocket {
    /// A raw socket (root or CAP_NET_RAW), else an unprivileged ping socket.
    #[default]
    Auto,
    Raw,
    /// Unprivileged `SOCK_DGRAM` ping socket (`net.ipv4.ping_group_range`).
    Datagram,
}

/// Settings every check runs under: the workers and `pharos check` use the
/// same values, so a check from the command line behaves like a scheduled one.
#[derive(Debug, Clone)]
pub struct ProbeSettings {
    /// Which addresses may be contacted at all.
    pub policy: AddressPolicy,
    /// Most body bytes read (and, after decoding, kept) for assertions.
    pub max_body_bytes: usize,
    /// Redirects followed unless a check says otherwise.
    pub max_redirects: u8,
    /// Largest response head accepted (status line and headers). hyper
    /// cannot go below 8 KiB, so smaller values act as 8 KiB.
    pub max_header_bytes: usize,
    pub user_agent: String,
    /// Extra trusted roots (DER), on top of the bundled web PKI roots.
    pub extra_root_certs: Vec<Vec<u8>>,
    pub ping_socket: PingSocket,
}

impl ProbeSettings {
    pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
    pub const DEFAULT_MAX_HEADER_BYTES: usize = 64 * 1024;

    /// The defaults with another address policy.
    pub fn with_policy(policy: AddressPolicy) -> Self {
        Self {
            policy,
            ..Self::default()
        }
    }
}

impl Default for ProbeSettings {
    fn default() -> Self {
        Self {
            policy: AddressPolicy::strict(),
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            max_redirects: 5,
            max_header_bytes: Self::DEFAULT_MAX_HEADER_BYTES,
            user_agent: concat!("Pharos/", env!("CARGO_PKG_VERSION"), " (uptime monitor)")
                .to_owned(),
            extra_root_certs: Vec::new(),
            ping_socket: PingSocket::Auto,
        }
    }
}
