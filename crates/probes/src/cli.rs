//! `pharos check`: run one check now and print what it found.

use std::fmt::Write as _;
use std::time::Duration;

use pharos_domain::check::Verdict;
use pharos_domain::TargetKind;
use serde::Serialize;

use crate::outcome::ProbeReport;
use crate::prober::Prober;
use crate::settings::ProbeSettings;
use pharos_domain::check_spec::{
    CheckSpec, DnsCheck, HttpCheck, HttpHeader, PingCheck, SpecError, StatusRange, TcpCheck,
    TlsCheck,
};

/// Exit code when the target is up.
pub const EXIT_UP: i32 = 0;
/// Exit code when the target is down or degraded.
pub const EXIT_DOWN: i32 = 1;
/// Exit code for a usage error (bad URL, bad option).
pub const EXIT_USAGE: i32 = 2;

/// `--kind`: one of the probed kinds, listed from `TargetKind` itself.
fn probed_kind() -> impl clap::builder::TypedValueParser<Value = TargetKind> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(TargetKind::PROBED.map(TargetKind::as_str))
        .try_map(|name| name.parse::<TargetKind>())
}

/// Arguments of `pharos check`.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// A URL (http), host:port (tcp, tls), a host (ping) or a name (dns).
    pub target: String,
    /// What to check.
    #[arg(long, value_parser = probed_kind(), default_value = "http")]
    pub kind: TargetKind,
    /// Seconds the check may take.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,

    /// HTTP method: GET, HEAD, POST or PUT.
    #[arg(long, help_heading = "HTTP")]
    pub method: Option<String>,
    /// A request header, `Name: value`; repeatable.
    #[arg(long = "header", value_name = "NAME: VALUE", help_heading = "HTTP")]
    pub headers: Vec<String>,
    /// Request body (POST and PUT).
    #[arg(long, help_heading = "HTTP")]
    pub body: Option<String>,
    /// Do not verify the TLS certificate (it is still shown).
    #[arg(long, help_heading = "HTTP")]
    pub insecure: bool,
    /// Expected status codes, such as `200,301-302` (default 2xx and 3xx).
    #[arg(long, value_name = "CODES", help_heading = "HTTP")]
    pub expect_status: Option<String>,
    /// Text the body must contain.
    #[arg(long, help_heading = "HTTP")]
    pub keyword: Option<String>,
    /// The keyword must be absent instead.
    #[arg(long, requires = "keyword", help_heading = "HTTP")]
    pub keyword_absent: bool,
    /// JSON path (`a.b[0]` or `/a/b/0`) that must exist in the body.
    #[arg(long, help_heading = "HTTP")]
    pub json_path: Option<String>,
    /// Value expected at --json-path (JSON, or plain text for a string).
    #[arg(long, requires = "json_path", help_heading = "HTTP")]
    pub json_value: Option<String>,
    /// Slower than this many milliseconds is degraded.
    #[arg(long, value_name = "MS", help_heading = "HTTP")]
    pub degraded_ms: Option<u32>,
    /// Redirects to follow.
    #[arg(long, help_heading = "HTTP")]
    pub max_redirects: Option<u8>,

    /// Port, when the target does not name one (tcp, tls).
    #[arg(long, help_heading = "TCP and TLS")]
    pub port: Option<u16>,
    /// Days before expiry that count as degraded (tls).
    #[arg(long, default_value_t = 14, help_heading = "TCP and TLS")]
    pub warn_days: u32,

    /// Echo requests to send (ping).
    #[arg(long, default_value_t = 3, help_heading = "Ping")]
    pub count: u8,

    /// Record type: A, AAAA, CNAME, MX, TXT or NS (dns).
    #[arg(long, default_value = "A", help_heading = "DNS")]
    pub record: String,
    /// DNS server, `ip` or `ip:port` (default: the system's).
    #[arg(long, help_heading = "DNS")]
    pub server: Option<String>,
    /// A value one of the answers must equal (dns).
    #[arg(long, help_heading = "DNS")]
    pub expect: Option<String>,
}

/// Turns the arguments into a check and its timeout.
pub fn build_spec(args: &CheckArgs) -> Result<(CheckSpec, Duration), SpecError> {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 300.0) {
        return Err(SpecError::new(
            "--timeout must be between 0 and 300 seconds",
        ));
    }
    let timeout = Duration::from_secs_f64(args.timeout);
    let target = args.target.trim();
    if target.is_empty() {
        return Err(SpecError::new("the target is empty"));
    }
    let spec = match args.kind {
        TargetKind::Http => CheckSpec::Http(http_spec(args, target)?),
        TargetKind::Tcp => {
            let (host, port) = host_and_port(target, args.port, None)?;
            CheckSpec::Tcp(TcpCheck { host, port })
        }
        TargetKind::Tls => {
            let (host, port) = host_and_port(target, args.port, Some(443))?;
            CheckSpec::Tls(TlsCheck {
                host,
                port,
                warn_days: args.warn_days,
            })
        }
        TargetKind::Ping => {
            let host = match host_and_port(target, None, Some(0)) {
                Ok((host, _)) => host,
                Err(e) => return Err(e),
            };
            CheckSpec::Ping(PingCheck {
                host,
                count: args.count,
            })
        }
        TargetKind::Dns => CheckSpec::Dns(DnsCheck {
            name: target.to_owned(),
            record_type: args.record.parse()?,
            server: args.server.clone(),
            expected: args.expect.clone(),
        }),
        TargetKind::Heartbeat => {
            return Err(SpecError::new(
                "a heartbeat is checked by its pings; there is nothing to run",
            ))
        }
    };
    spec.validate()?;
    Ok((spec, timeout))
}

fn http_spec(args: &CheckArgs, target: &str) -> Result<HttpCheck, SpecError> {
    // Like a browser's address bar: a bare host means https.
    let url = if target.contains("://") {
        target.to_owned()
    } else {
        format!("https://{target}")
    };
    let mut check = HttpCheck::get(url);
    if let Some(method) = &args.method {
        check.method = method.parse()?;
    } else if args.body.is_some() {
        check.method = pharos_domain::check_spec::HttpMethod::Post;
    }
    for raw in &args.headers {
        let (name, value) = raw
            .split_once(':')
            .ok_or_else(|| SpecError::new(format!("header {raw:?} must be `Name: value`")))?;
        check.headers.push(HttpHeader {
            name: name.trim().to_owned(),
            value: value.trim().to_owned(),
        });
    }
    check.body = args.body.clone();
    check.verify_tls = !args.insecure;
    if let Some(codes) = &args.expect_status {
        check.expected_status = StatusRange::parse_list(codes)?;
    }
    check.keyword = args.keyword.clone();
    check.keyword_absent = args.keyword_absent;
    check.json_path = args.json_path.clone();
    check.json_expected = args.json_value.as_ref().map(|raw| {
        serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.clone()))
    });
    check.degraded_latency_ms = args.degraded_ms;
    check.max_redirects = args.max_redirects;
    Ok(check)
}

/// Splits `host:port`, `[v6]:port`, a bare host or a URL. `default_port`
/// of `None` means a port is required.
fn host_and_port(
    target: &str,
    port_flag: Option<u16>,
    default_port: Option<u16>,
) -> Result<(String, u16), SpecError> {
    let need_port = || SpecError::new(format!("{target:?} needs a port: host:port or --port"));
    if target.contains("://") {
        let url = url::Url::parse(target)
            .map_err(|e| SpecError::new(format!("invalid URL {target:?}: {e}")))?;
        let host = url
            .host_str()
            .ok_or_else(|| SpecError::new(format!("{target:?} has no host")))?;
        let port = port_flag
            .or(url.port_or_known_default())
            .or(default_port)
            .ok_or_else(need_port)?;
        return Ok((host.trim_matches(['[', ']']).to_owned(), port));
    }
    // A bare IPv6 address has colons but no port.
    if target.parse::<std::net::Ipv6Addr>().is_ok() {
        let port = port_flag.or(default_port).ok_or_else(need_port)?;
        return Ok((target.to_owned(), port));
    }
    if let Some(rest) = target.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| SpecError::new(format!("{target:?} has an unclosed [")))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(parse_port(p)?),
            None if after.is_empty() => None,
            None => return Err(SpecError::new(format!("{target:?} is not host:port"))),
        };
        let port = port_flag.or(port).or(default_port).ok_or_else(need_port)?;
        return Ok((host.to_owned(), port));
    }
    match target.rsplit_once(':') {
        Some((host, p)) => {
            let port = parse_port(p)?;
            Ok((host.to_owned(), port_flag.unwrap_or(port)))
        }
        None => {
            let port = port_flag.or(default_port).ok_or_else(need_port)?;
            Ok((target.to_owned(), port))
        }
    }
}

fn parse_port(raw: &str) -> Result<u16, SpecError> {
    raw.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| SpecError::new(format!("{raw:?} is not a port")))
}

#[derive(Serialize)]
struct JsonResult<'a> {
    target: String,
    kind: TargetKind,
    #[serde(flatten)]
    report: &'a ProbeReport,
}

/// Runs `pharos check` and returns the process exit code.
pub async fn run(args: CheckArgs, settings: ProbeSettings) -> i32 {
    let (spec, timeout) = match build_spec(&args) {
        Ok(built) => built,
        Err(e) => {
            eprintln!("pharos check: {e}");
            return EXIT_USAGE;
        }
    };
    let prober = match Prober::new(settings) {
        Ok(prober) => prober,
        Err(e) => {
            eprintln!("pharos check: {e}");
            return EXIT_USAGE;
        }
    };
    let report = prober.run_detailed(&spec, timeout).await;
    if args.json {
        let out = JsonResult {
            target: spec.target_label(),
            kind: spec.kind(),
            report: &report,
        };
        match serde_json::to_string_pretty(&out) {
            Ok(text) => write_stdout(&format!("{text}\n")),
            Err(e) => {
                eprintln!("pharos check: could not encode the result: {e}");
                return EXIT_DOWN;
            }
        }
    } else {
        write_stdout(&render_human(&spec, &report));
    }
    exit_code(report.outcome.verdict)
}

/// Prints without panicking when the reader has gone (`pharos check | head`).
fn write_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// 0 when up; 1 when down or degraded.
pub fn exit_code(verdict: Verdict) -> i32 {
    match verdict {
        Verdict::Up => EXIT_UP,
        Verdict::Degraded | Verdict::Down => EXIT_DOWN,
    }
}

/// The human report: a verdict line, then one line per phase, like
/// `curl -w` with Pharos's judgement added.
pub fn render_human(spec: &CheckSpec, report: &ProbeReport) -> String {
    let o = &report.outcome;
    let d = &report.details;
    let mut out = String::new();
    let verdict = match o.verdict {
        Verdict::Up => "UP",
        Verdict::Degraded => "DEGRADED",
        Verdict::Down => "DOWN",
    };
    let status = o.status_code.map(|s| format!(" {s}")).unwrap_or_default();
    let _ = writeln!(
        out,
        "{verdict} {} {}{status} in {} ms",
        spec.kind(),
        spec.target_label(),
        o.latency_ms
    );
    let mut line = |label: &str, value: String| {
        let _ = writeln!(out, "  {label:<13}{value}");
    };
    if let Some(f) = &o.failure {
        line("reason", format!("{}: {}", f.class.as_str(), f.message));
    }
    let t = &o.timings;
    for (label, value) in [
        ("dns", t.dns_ms),
        ("connect", t.connect_ms),
        ("tls", t.tls_ms),
        ("first byte", t.first_byte_ms),
    ] {
        if let Some(ms) = value {
            line(label, format!("{ms:>6} ms"));
        }
    }
    line("total", format!("{:>6} ms", o.latency_ms));
    if !d.addresses.is_empty() {
        let list: Vec<String> = d.addresses.iter().map(ToString::to_string).collect();
        line("address", list.join(", "));
    }
    if d.redirects > 0 {
        if let Some(url) = &d.final_url {
            line("redirects", format!("{} -> {url}", d.redirects));
        }
    }
    if let Some(c) = &d.certificate {
        let expiry = match (c.not_after, c.days_left) {
            (Some(at), Some(days)) => format!("expires {} ({days} days)", at.format("%Y-%m-%d")),
            _ => "expiry unknown".to_owned(),
        };
        line("certificate", expiry);
        line("  subject", c.subject.clone());
        line("  issuer", c.issuer.clone());
        line(
            "  valid",
            match &c.problem {
                None => "yes".to_owned(),
                Some(p) => format!("no: {p}"),
            },
        );
    }
    if !d.dns_answers.is_empty() {
        line("answers", d.dns_answers.join(", "));
    }
    if let Some(p) = &d.ping {
        let rtt = match (p.min_ms, p.avg_ms, p.max_ms) {
            (Some(min), Some(avg), Some(max)) => {
                format!(", rtt min/avg/max {min:.2}/{avg:.2}/{max:.2} ms")
            }
            _ => String::new(),
        };
        line("ping", format!("{}/{} replies{rtt}", p.received, p.sent));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: CheckArgs,
    }

    fn args(argv: &[&str]) -> CheckArgs {
        let mut full = vec!["pharos-check"];
        full.extend_from_slice(argv);
        Cli::try_parse_from(full).expect("arguments parse").args
    }

    #[test]
    fn targets_become_specs() {
        let (spec, timeout) =
            build_spec(&args(&["example.com/health", "--timeout", "2.5"])).expect("http");
        assert_eq!(timeout, Duration::from_millis(2500));
        assert!(matches!(&spec, CheckSpec::Http(c) if c.url == "https://example.com/health"));

        let (spec, _) = build_spec(&args(&["db.example.com:5432", "--kind", "tcp"])).expect("tcp");
        assert_eq!(
            spec,
            CheckSpec::Tcp(TcpCheck {
                host: "db.example.com".into(),
                port: 5432
            })
        );
        let (spec, _) = build_spec(&args(&["[2001:db8::1]:443", "--kind", "tls"])).expect("tls");
        assert!(matches!(&spec, CheckSpec::Tls(c) if c.host == "2001:db8::1" && c.port == 443));
        let (spec, _) = build_spec(&args(&["https://example.com", "--kind", "tls"])).expect("url");
        assert!(matches!(&spec, CheckSpec::Tls(c) if c.host == "example.com" && c.port == 443));
        let (spec, _) =
            build_spec(&args(&["example.com", "--kind", "dns", "--record", "mx"])).expect("dns");
        assert!(matches!(&spec, CheckSpec::Dns(c) if c.record_type == crate::DnsRecordType::Mx));
        let (spec, _) = build_spec(&args(&["2001:db8::1", "--kind", "ping"])).expect("ping v6");
        assert!(matches!(&spec, CheckSpec::Ping(c) if c.host == "2001:db8::1"));
    }

    #[test]
    fn usage_errors_are_refused() {
        for argv in [
            vec!["ftp://example.com/"],
            vec!["http://user:pw@example.com/"],
            vec!["example.com", "--kind", "tcp"],
            vec!["example.com:99999", "--kind", "tcp"],
            vec!["example.com", "--timeout", "0"],
            vec!["example.com", "--kind", "dns", "--record", "SRV"],
            vec!["example.com", "--header", "no-colon"],
            vec!["example.com", "--method", "DELETE"],
        ] {
            assert!(build_spec(&args(&argv)).is_err(), "{argv:?}");
        }
    }

    #[test]
    fn json_value_is_json_or_text() {
        let (spec, _) = build_spec(&args(&[
            "http://x.example/",
            "--json-path",
            "a",
            "--json-value",
            "3",
        ]))
        .expect("number");
        assert!(
            matches!(&spec, CheckSpec::Http(c) if c.json_expected == Some(serde_json::json!(3)))
        );
        let (spec, _) = build_spec(&args(&[
            "http://x.example/",
            "--json-path",
            "a",
            "--json-value",
            "ok",
        ]))
        .expect("text");
        assert!(
            matches!(&spec, CheckSpec::Http(c) if c.json_expected == Some(serde_json::json!("ok")))
        );
    }
}
