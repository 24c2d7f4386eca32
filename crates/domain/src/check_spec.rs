//! What to check: one variant per probed kind, stored as JSON beside a
//! target. Probes run these; storage, the API, the form and the CLI read
//! them.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::target_kind::TargetKind;

/// A check as the scheduler stores and runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CheckSpec {
    Http(HttpCheck),
    Tcp(TcpCheck),
    Ping(PingCheck),
    Dns(DnsCheck),
    Tls(TlsCheck),
}

impl CheckSpec {
    /// The kind, as the `kind` tag names it.
    pub fn kind(&self) -> TargetKind {
        match self {
            CheckSpec::Http(_) => TargetKind::Http,
            CheckSpec::Tcp(_) => TargetKind::Tcp,
            CheckSpec::Ping(_) => TargetKind::Ping,
            CheckSpec::Dns(_) => TargetKind::Dns,
            CheckSpec::Tls(_) => TargetKind::Tls,
        }
    }

    /// A short human label of what is checked.
    pub fn target_label(&self) -> String {
        match self {
            CheckSpec::Http(c) => c.url.clone(),
            CheckSpec::Tcp(c) => host_port_label(&c.host, c.port),
            CheckSpec::Ping(c) => c.host.clone(),
            CheckSpec::Dns(c) => format!("{} {}", c.name, c.record_type),
            CheckSpec::Tls(c) => host_port_label(&c.host, c.port),
        }
    }

    /// Rejects a check that can never run, so forms and the CLI can say why
    /// up front instead of recording a down result forever.
    pub fn validate(&self) -> Result<(), SpecError> {
        match self {
            CheckSpec::Http(c) => c.validate(),
            CheckSpec::Tcp(c) => {
                validate_host(&c.host)?;
                nonzero_port(c.port)
            }
            CheckSpec::Ping(c) => {
                validate_host(&c.host)?;
                if c.count == 0 || c.count > PingCheck::MAX_COUNT {
                    return Err(SpecError::at(
                        "count",
                        format!("ping count must be between 1 and {}", PingCheck::MAX_COUNT),
                    ));
                }
                Ok(())
            }
            CheckSpec::Dns(c) => c.validate(),
            CheckSpec::Tls(c) => {
                validate_host(&c.host)?;
                nonzero_port(c.port)
            }
        }
    }
}

fn host_port_label(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Why a check specification cannot run, and the setting at fault when
/// one is (named as in the stored settings), so a form can show the
/// message by that field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SpecError {
    message: String,
    field: Option<&'static str>,
}

impl SpecError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            field: None,
        }
    }

    /// A problem with one setting.
    pub fn at(field: &'static str, message: impl Into<String>) -> Self {
        Self::new(message).on(field)
    }

    /// The same problem, blamed on `field` unless a field is already named.
    pub fn on(mut self, field: &'static str) -> Self {
        self.field.get_or_insert(field);
        self
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The setting at fault, when one is.
    pub fn field(&self) -> Option<&'static str> {
        self.field
    }
}

/// HTTP methods a check may use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    #[default]
    Get,
    Head,
    Post,
    Put,
}

impl HttpMethod {
    /// Every method a check may use, as forms and documents list them.
    pub const ALL: [HttpMethod; 4] = [
        HttpMethod::Get,
        HttpMethod::Head,
        HttpMethod::Post,
        HttpMethod::Put,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Head => "HEAD",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
        }
    }
}

impl FromStr for HttpMethod {
    type Err = SpecError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.to_ascii_uppercase().as_str() {
            "GET" => Ok(HttpMethod::Get),
            "HEAD" => Ok(HttpMethod::Head),
            "POST" => Ok(HttpMethod::Post),
            "PUT" => Ok(HttpMethod::Put),
            _ => Err(SpecError::new(format!(
                "method {raw:?} is not one of GET, HEAD, POST, PUT"
            ))),
        }
    }
}

/// One request header a user adds to an HTTP check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// An inclusive range of status codes; a single code is a range of one.
/// Stored as `"200"` or `"200-299"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRange {
    pub min: u16,
    pub max: u16,
}

impl StatusRange {
    /// Any 2xx or 3xx answer: the default rule.
    pub const DEFAULT: StatusRange = StatusRange { min: 200, max: 399 };

    pub fn contains(self, status: u16) -> bool {
        (self.min..=self.max).contains(&status)
    }

    /// Parses a comma-separated list such as `200,301-302`.
    pub fn parse_list(raw: &str) -> Result<Vec<StatusRange>, SpecError> {
        raw.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(str::parse)
            .collect()
    }
}

impl FromStr for StatusRange {
    type Err = SpecError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let code = |s: &str| -> Result<u16, SpecError> {
            s.trim()
                .parse::<u16>()
                .ok()
                .filter(|c| (100..=599).contains(c))
                .ok_or_else(|| SpecError::new(format!("{raw:?} is not a status code (100-599)")))
        };
        let (min, max) = match raw.split_once('-') {
            Some((a, b)) => (code(a)?, code(b)?),
            None => {
                let c = code(raw)?;
                (c, c)
            }
        };
        if min > max {
            return Err(SpecError::new(format!("status range {raw:?} is backwards")));
        }
        Ok(StatusRange { min, max })
    }
}

impl fmt::Display for StatusRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}-{}", self.min, self.max)
        }
    }
}

impl Serialize for StatusRange {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StatusRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

fn yes() -> bool {
    true
}

/// An HTTP(S) check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpCheck {
    pub url: String,
    #[serde(default)]
    pub method: HttpMethod,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<HttpHeader>,
    /// Sent with POST and PUT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Off only by an explicit per-target choice; the certificate is still
    /// read and recorded.
    #[serde(default = "yes")]
    pub verify_tls: bool,
    /// Empty means the default: any 2xx or 3xx.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expected_status: Vec<StatusRange>,
    /// Text the body must contain (or, with `keyword_absent`, must not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword: Option<String>,
    #[serde(default)]
    pub keyword_absent: bool,
    /// `a.b[0].c`, or a JSON Pointer such as `/a/b/0/c`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
    /// Without it, the path only has to exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_expected: Option<serde_json::Value>,
    /// Slower than this is degraded, not down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded_latency_ms: Option<u32>,
    /// Overrides the prober's default limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_redirects: Option<u8>,
}

impl HttpCheck {
    /// A plain GET of `url` with every default.
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            method: HttpMethod::Get,
            headers: Vec::new(),
            body: None,
            verify_tls: true,
            expected_status: Vec::new(),
            keyword: None,
            keyword_absent: false,
            json_path: None,
            json_expected: None,
            degraded_latency_ms: None,
            max_redirects: None,
        }
    }

    /// Whether an assertion needs the response body.
    pub fn needs_body(&self) -> bool {
        self.keyword.is_some() || self.json_path.is_some()
    }

    fn validate(&self) -> Result<(), SpecError> {
        parse_http_url(&self.url).map_err(|e| e.on("url"))?;
        for header in &self.headers {
            validate_header(header).map_err(|e| e.on("headers"))?;
        }
        if self.body.is_some() && !matches!(self.method, HttpMethod::Post | HttpMethod::Put) {
            return Err(SpecError::at("body", "a request body needs POST or PUT"));
        }
        if self.method == HttpMethod::Head && self.needs_body() {
            return Err(SpecError::at(
                "method",
                "HEAD has no body: keyword and JSON assertions need GET",
            ));
        }
        if self.keyword.as_deref() == Some("") {
            return Err(SpecError::at("keyword", "the keyword must not be empty"));
        }
        if self.json_expected.is_some() && self.json_path.is_none() {
            return Err(SpecError::at(
                "json_path",
                "an expected JSON value needs a JSON path",
            ));
        }
        if let Some(path) = &self.json_path {
            crate::json_path::parse_json_path(path).map_err(|e| e.on("json_path"))?;
        }
        Ok(())
    }
}

/// Parses a check URL: http or https, a host, and no user-info (credentials
/// in URLs leak into logs and redirects).
pub fn parse_http_url(raw: &str) -> Result<Url, SpecError> {
    let url = Url::parse(raw).map_err(|e| SpecError::new(format!("invalid URL {raw:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(SpecError::new(format!(
            "only http and https URLs can be checked, not {}",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(SpecError::new(
            "URLs with a user name or password are refused",
        ));
    }
    if url.host().is_none() {
        return Err(SpecError::new("the URL has no host"));
    }
    Ok(url)
}

/// Headers that would let a user desynchronise the request framing or the
/// connection handling that the prober owns.
const RESERVED_HEADERS: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
];

/// The rules HTTP itself sets (RFC 9110: a name is a token; a value has no
/// control characters but tab), checked here so a form refuses a header
/// that the HTTP client would refuse at every check.
fn validate_header(header: &HttpHeader) -> Result<(), SpecError> {
    let is_tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if header.name.is_empty() || !header.name.bytes().all(is_tchar) {
        return Err(SpecError::new(format!(
            "{:?} is not a valid header name",
            header.name
        )));
    }
    let name = header.name.to_ascii_lowercase();
    if RESERVED_HEADERS.contains(&name.as_str()) {
        return Err(SpecError::new(format!(
            "the {name} header is set by Pharos itself"
        )));
    }
    if !header
        .value
        .bytes()
        .all(|b| (b >= 0x20 && b != 0x7f) || b == b'\t')
    {
        return Err(SpecError::new(format!(
            "the value of header {} is not valid",
            header.name
        )));
    }
    Ok(())
}

/// Connect to a TCP port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpCheck {
    pub host: String,
    pub port: u16,
}

fn three() -> u8 {
    3
}

/// ICMP echo requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PingCheck {
    pub host: String,
    #[serde(default = "three")]
    pub count: u8,
}

impl PingCheck {
    pub const MAX_COUNT: u8 = 20;
}

/// DNS record types a check can ask for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DnsRecordType {
    #[default]
    A,
    Aaaa,
    Cname,
    Mx,
    Txt,
    Ns,
}

impl DnsRecordType {
    /// Every record type a check may query, as forms and documents list them.
    pub const ALL: [DnsRecordType; 6] = [
        DnsRecordType::A,
        DnsRecordType::Aaaa,
        DnsRecordType::Cname,
        DnsRecordType::Mx,
        DnsRecordType::Txt,
        DnsRecordType::Ns,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DnsRecordType::A => "A",
            DnsRecordType::Aaaa => "AAAA",
            DnsRecordType::Cname => "CNAME",
            DnsRecordType::Mx => "MX",
            DnsRecordType::Txt => "TXT",
            DnsRecordType::Ns => "NS",
        }
    }
}

impl fmt::Display for DnsRecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DnsRecordType {
    type Err = SpecError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.to_ascii_uppercase().as_str() {
            "A" => Ok(DnsRecordType::A),
            "AAAA" => Ok(DnsRecordType::Aaaa),
            "CNAME" => Ok(DnsRecordType::Cname),
            "MX" => Ok(DnsRecordType::Mx),
            "TXT" => Ok(DnsRecordType::Txt),
            "NS" => Ok(DnsRecordType::Ns),
            _ => Err(SpecError::new(format!(
                "record type {raw:?} is not one of A, AAAA, CNAME, MX, TXT, NS"
            ))),
        }
    }
}

/// Resolve one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsCheck {
    pub name: String,
    #[serde(default)]
    pub record_type: DnsRecordType,
    /// `ip` or `ip:port` (`[v6]:port`); the system resolver when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// One of the answers must equal this (names compare without case or
    /// trailing dot; MX matches either `10 mx.example.com` or the host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
}

impl DnsCheck {
    fn validate(&self) -> Result<(), SpecError> {
        let name = self.name.trim_end_matches('.');
        if name.is_empty() || name.len() > 253 || name.chars().any(|c| c.is_whitespace()) {
            return Err(SpecError::at(
                "name",
                format!("{:?} is not a DNS name", self.name),
            ));
        }
        if let Some(server) = &self.server {
            parse_dns_server(server).map_err(|e| e.on("server"))?;
        }
        Ok(())
    }
}

/// Parses a DNS server given as an IP address with an optional port. Names
/// are refused: resolving the resolver would need a resolver.
pub fn parse_dns_server(raw: &str) -> Result<SocketAddr, SpecError> {
    let raw = raw.trim();
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    if let Ok(ip) = raw
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Ok(SocketAddr::new(ip, 53));
    }
    raw.parse::<SocketAddr>().map_err(|_| {
        SpecError::new(format!(
            "DNS server {raw:?} must be an IP address, optionally with :port"
        ))
    })
}

fn fourteen() -> u32 {
    14
}

fn https_port() -> u16 {
    443
}

/// Read a server's TLS certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsCheck {
    pub host: String,
    #[serde(default = "https_port")]
    pub port: u16,
    /// Fewer days than this until expiry is degraded.
    #[serde(default = "fourteen")]
    pub warn_days: u32,
}

fn nonzero_port(port: u16) -> Result<(), SpecError> {
    if port == 0 {
        return Err(SpecError::at("port", "port 0 cannot be checked"));
    }
    Ok(())
}

/// Parses a host as the URL parser would, so `0x7f.1`, `2130706433` and
/// `[::1]` become the address they spell before anything judges them.
pub fn parse_host(raw: &str) -> Result<url::Host<String>, SpecError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(SpecError::new("the host is empty"));
    }
    if let Ok(v6) = raw.parse::<std::net::Ipv6Addr>() {
        return Ok(url::Host::Ipv6(v6));
    }
    url::Host::parse(raw).map_err(|e| SpecError::new(format!("invalid host {raw:?}: {e}")))
}

fn validate_host(host: &str) -> Result<(), SpecError> {
    parse_host(host).map(|_| ()).map_err(|e| e.on("host"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_round_trip_as_tagged_json() {
        let spec = CheckSpec::Http(HttpCheck {
            expected_status: vec![
                "200".parse().expect("code"),
                "301-302".parse().expect("range"),
            ],
            ..HttpCheck::get("https://example.com/")
        });
        let json = serde_json::to_value(&spec).expect("json");
        assert_eq!(json["kind"], "http");
        assert_eq!(json["expected_status"][1], "301-302");
        let back: CheckSpec = serde_json::from_value(json).expect("back");
        assert_eq!(back, spec);

        let tls: CheckSpec =
            serde_json::from_str(r#"{"kind":"tls","host":"example.com"}"#).expect("tls");
        assert_eq!(
            tls,
            CheckSpec::Tls(TlsCheck {
                host: "example.com".into(),
                port: 443,
                warn_days: 14
            })
        );
        let dns: CheckSpec =
            serde_json::from_str(r#"{"kind":"dns","name":"example.com","record_type":"MX"}"#)
                .expect("dns");
        assert!(matches!(
            dns,
            CheckSpec::Dns(DnsCheck {
                record_type: DnsRecordType::Mx,
                ..
            })
        ));
    }

    #[test]
    fn status_lists_parse_and_reject_nonsense() {
        let list = StatusRange::parse_list("200, 301-302").expect("list");
        assert_eq!(list.len(), 2);
        assert!(list[1].contains(302));
        assert!(StatusRange::parse_list("99").is_err());
        assert!(StatusRange::parse_list("300-200").is_err());
        assert!(StatusRange::parse_list("abc").is_err());
    }

    #[test]
    fn invalid_specs_are_refused_with_a_reason() {
        let bad = |spec: CheckSpec| spec.validate().expect_err("should be refused").to_string();
        assert!(bad(CheckSpec::Http(HttpCheck::get("ftp://x.example/"))).contains("http"));
        assert!(bad(CheckSpec::Http(HttpCheck::get("http://u:p@x.example/"))).contains("user"));
        let mut with_header = HttpCheck::get("http://x.example/");
        with_header.headers.push(HttpHeader {
            name: "Content-Length".into(),
            value: "5".into(),
        });
        assert!(bad(CheckSpec::Http(with_header)).contains("content-length"));
        let mut head = HttpCheck::get("http://x.example/");
        head.method = HttpMethod::Head;
        head.keyword = Some("ok".into());
        assert!(bad(CheckSpec::Http(head)).contains("HEAD"));
        assert!(bad(CheckSpec::Tcp(TcpCheck {
            host: "x.example".into(),
            port: 0
        }))
        .contains("port"));
        assert!(bad(CheckSpec::Dns(DnsCheck {
            name: "example.com".into(),
            record_type: DnsRecordType::A,
            server: Some("dns.example".into()),
            expected: None
        }))
        .contains("IP address"));
    }

    #[test]
    fn refusals_name_the_setting_at_fault() {
        let field = |spec: CheckSpec| spec.validate().expect_err("should be refused").field();
        assert_eq!(
            field(CheckSpec::Tcp(TcpCheck {
                host: "x.example".into(),
                port: 0
            })),
            Some("port")
        );
        assert_eq!(
            field(CheckSpec::Tls(TlsCheck {
                host: "".into(),
                port: 443,
                warn_days: 14
            })),
            Some("host")
        );
        assert_eq!(
            field(CheckSpec::Ping(PingCheck {
                host: "x.example".into(),
                count: 0
            })),
            Some("count")
        );
        let mut http = HttpCheck::get("http://x.example/");
        http.json_path = Some("a..b".into());
        assert_eq!(field(CheckSpec::Http(http)), Some("json_path"));
        let mut http = HttpCheck::get("http://x.example/");
        http.body = Some("{}".into());
        assert_eq!(field(CheckSpec::Http(http)), Some("body"));
        assert_eq!(
            field(CheckSpec::Http(HttpCheck::get("gopher://x.example/"))),
            Some("url")
        );
        assert_eq!(
            field(CheckSpec::Dns(DnsCheck {
                name: "a b".into(),
                record_type: DnsRecordType::A,
                server: None,
                expected: None
            })),
            Some("name")
        );
        assert_eq!(
            field(CheckSpec::Dns(DnsCheck {
                name: "example.com".into(),
                record_type: DnsRecordType::A,
                server: Some("not an ip".into()),
                expected: None
            })),
            Some("server")
        );
    }

    #[test]
    fn dns_servers_parse_with_and_without_port() {
        assert_eq!(
            parse_dns_server("1.1.1.1").expect("v4"),
            "1.1.1.1:53".parse().expect("addr")
        );
        assert_eq!(
            parse_dns_server("127.0.0.1:5353").expect("v4 port"),
            "127.0.0.1:5353".parse().expect("addr")
        );
        assert_eq!(
            parse_dns_server("[2606:4700::1111]:853").expect("v6 port"),
            "[2606:4700::1111]:853".parse().expect("addr")
        );
        assert_eq!(
            parse_dns_server("2606:4700::1111").expect("v6"),
            "[2606:4700::1111]:53".parse().expect("addr")
        );
    }
}
