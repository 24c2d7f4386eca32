//! The network checks of Pharos: HTTP(S), TCP, ICMP ping, DNS and TLS
//! certificates, each behind the SSRF guard and bounded in time and memory.
//!
//! The shape of a check: `guard` resolves the host once and refuses any
//! blocked address; `connector` connects only to the addresses it returned,
//! timing each phase; the kind's module judges what came back; and `outcome`
//! turns that into a [`pharos_domain::check::CheckOutcome`]. Entry point:
//! [`Prober::run`].

pub mod cli;
mod connector;
mod dns;
mod guard;
mod http;
mod outcome;
mod ping;
mod prober;
pub mod resolver;
mod settings;
mod tcp;
mod tls;
pub mod txt;

pub use outcome::{PingStats, ProbeDetails, ProbeReport};
/// The check settings live in `pharos_domain::check_spec`; probes run them.
pub use pharos_domain::check_spec::{
    CheckSpec, DnsCheck, DnsRecordType, HttpCheck, HttpHeader, HttpMethod, PingCheck, SpecError,
    StatusRange, TcpCheck, TlsCheck,
};
pub use ping::icmp_socket_kind;
pub use prober::{Prober, SetupError, TIMEOUT_MARGIN};
pub use resolver::{Resolve, ResolveError, StaticResolver, SystemResolver};
pub use settings::{PingSocket, ProbeSettings};
/// Socket kinds, for reading [`icmp_socket_kind`]'s answer.
pub use socket2::Type as SocketType;
pub use tls::CertificateInfo;
