//! `pharos doctor`: reads the configuration the way `serve` would and
//! says, one line each, what is wrong or risky before Pharos starts. It
//! changes nothing: no database file is created, no key generated, no
//! migration applied.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use pharos_notify::transport::{SmtpSettings, SmtpTls};
use pharos_probes::{PingSocket, SocketType};
use tokio::io::AsyncReadExt;

use crate::config::{
    configured_secret_key, development_key_path, sqlite_file, weakness, DatabaseArgs, Environment,
    InstanceArgs, ProbeArgs, WebArgs,
};

/// How long doctor waits for the database or the SMTP server.
const NETWORK_TIMEOUT: Duration = Duration::from_secs(5);
/// Clock difference with the database above which leases and schedules
/// drift visibly.
const CLOCK_SKEW_WARNING: chrono::Duration = chrono::Duration::seconds(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Ok,
    Warn,
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Ok => "ok   ",
            Level::Warn => "warn ",
            Level::Error => "error",
        })
    }
}

struct Finding {
    level: Level,
    topic: &'static str,
    message: String,
}

#[derive(Default)]
struct Report(Vec<Finding>);

impl Report {
    fn add(&mut self, level: Level, topic: &'static str, message: impl Into<String>) {
        self.0.push(Finding {
            level,
            topic,
            message: message.into(),
        });
    }

    fn worst(&self) -> Level {
        self.0.iter().map(|f| f.level).max().unwrap_or(Level::Ok)
    }
}

/// Prints every finding and answers whether none is an error.
pub async fn run(
    database: DatabaseArgs,
    instance: InstanceArgs,
    web: WebArgs,
    probes: ProbeArgs,
) -> bool {
    let mut report = Report::default();
    secret_key(&mut report, &instance, &database);
    public_url(&mut report, &instance, &web);
    private_targets(&mut report, &probes);
    metrics(&mut report);
    database_state(&mut report, &database).await;
    icmp(&mut report);
    smtp(&mut report).await;
    for finding in &report.0 {
        println!("{} {}: {}", finding.level, finding.topic, finding.message);
    }
    let errors = report.0.iter().filter(|f| f.level == Level::Error).count();
    let warnings = report.0.iter().filter(|f| f.level == Level::Warn).count();
    println!("{errors} error(s), {warnings} warning(s)");
    report.worst() < Level::Error
}

fn secret_key(report: &mut Report, instance: &InstanceArgs, database: &DatabaseArgs) {
    const TOPIC: &str = "secret key";
    let production = instance.environment == Environment::Production;
    match configured_secret_key() {
        Err(e) => report.add(Level::Error, TOPIC, format!("{e:#}")),
        Ok(Some(key)) => match weakness(&key) {
            Some(why) if production => report.add(
                Level::Error,
                TOPIC,
                format!("too weak ({why}); production refuses it. Generate one with: openssl rand -base64 48"),
            ),
            Some(why) => report.add(
                Level::Warn,
                TOPIC,
                format!("weak ({why}); production would refuse it"),
            ),
            None => report.add(Level::Ok, TOPIC, "set and strong"),
        },
        Ok(None) if production => report.add(
            Level::Error,
            TOPIC,
            "PHAROS_SECRET_KEY (or PHAROS_SECRET_KEY_FILE) is required in production",
        ),
        Ok(None) => {
            let path = development_key_path(&database.data_dir);
            let message = if path.exists() {
                format!("development key kept in {}", path.display())
            } else {
                format!("none yet: development generates one in {}", path.display())
            };
            report.add(
                Level::Warn,
                TOPIC,
                format!("{message}; set PHAROS_SECRET_KEY before going to production"),
            );
        }
    }
}

fn public_url(report: &mut Report, instance: &InstanceArgs, web: &WebArgs) {
    const TOPIC: &str = "public URL";
    let production = instance.environment == Environment::Production;
    match &instance.public_url {
        None if production => report.add(
            Level::Warn,
            TOPIC,
            "PHAROS_PUBLIC_URL is not set: links in alerts point nowhere, cookies are not Secure and cross-site requests are judged by the Host header",
        ),
        None => report.add(
            Level::Ok,
            TOPIC,
            format!("not set; development serves http://{}/", web.listen),
        ),
        Some(url) if url.scheme() == "https" => report.add(
            Level::Ok,
            TOPIC,
            format!("{url}: Secure, __Host- cookies"),
        ),
        Some(url) if production => report.add(
            Level::Warn,
            TOPIC,
            format!("{url} is not https: session cookies travel in clear and are not Secure"),
        ),
        Some(url) => report.add(
            Level::Ok,
            TOPIC,
            format!("{url} (plain http: fine for development)"),
        ),
    }
    if web.trust_forwarded_for {
        report.add(
            Level::Warn,
            "proxy",
            "PHAROS_TRUST_FORWARDED_FOR is on: only run so behind a proxy that overwrites X-Forwarded-For, or clients choose their own rate-limit address",
        );
    }
}

fn private_targets(report: &mut Report, probes: &ProbeArgs) {
    if probes.allow_private_targets {
        report.add(
            Level::Warn,
            "private targets",
            "allowed: any user can make Pharos reach loopback, private and cloud-metadata addresses (SSRF); keep it for single-team self-hosting",
        );
    } else {
        report.add(
            Level::Ok,
            "private targets",
            "refused (the SSRF guard is on)",
        );
    }
}

fn metrics(report: &mut Report) {
    const TOPIC: &str = "metrics";
    match crate::commands::run::metrics_token() {
        Err(e) => report.add(Level::Error, TOPIC, format!("{e:#}")),
        Ok(Some(_)) => report.add(Level::Ok, TOPIC, "/metrics asks for a bearer token"),
        Ok(None) if std::env::var_os("PHAROS_METRICS_LISTEN").is_some() => report.add(
            Level::Ok,
            TOPIC,
            "served on PHAROS_METRICS_LISTEN, off the web port",
        ),
        Ok(None) => report.add(
            Level::Warn,
            TOPIC,
            "/metrics is public on the web port: set PHAROS_METRICS_TOKEN or PHAROS_METRICS_LISTEN when the port is reachable from outside",
        ),
    }
}

async fn database_state(report: &mut Report, database: &DatabaseArgs) {
    const TOPIC: &str = "database";
    let url = database.configured_url();
    let shown = pharos_storage::redact(&url);
    if let Some(path) = sqlite_file(&url) {
        if !path.exists() {
            report.add(
                Level::Ok,
                TOPIC,
                format!("{shown} does not exist yet: `pharos serve` creates and migrates it"),
            );
            return;
        }
    }
    let store = match tokio::time::timeout(NETWORK_TIMEOUT, pharos_storage::connect(&url)).await {
        Err(_) => {
            report.add(
                Level::Error,
                TOPIC,
                format!("{shown} did not answer within {NETWORK_TIMEOUT:?}"),
            );
            return;
        }
        Ok(Err(e)) => {
            report.add(Level::Error, TOPIC, format!("cannot open {shown}: {e}"));
            return;
        }
        Ok(Ok(store)) => store,
    };
    let status = match store.migration_status().await {
        Ok(status) => status,
        Err(e) => {
            report.add(Level::Error, TOPIC, format!("{shown} does not answer: {e}"));
            return;
        }
    };
    let pending = status.pending();
    let unknown = status.unknown();
    if !unknown.is_empty() {
        report.add(
            Level::Error,
            TOPIC,
            format!(
                "{shown} has migrations this build does not know ({unknown:?}): a newer Pharos migrated it; run that version"
            ),
        );
    } else if pending.is_empty() {
        report.add(
            Level::Ok,
            TOPIC,
            format!(
                "{} at {shown}: reachable, all {} migrations applied",
                store.backend(),
                status.known.len()
            ),
        );
    } else {
        let names: Vec<String> = pending
            .iter()
            .map(|(version, description)| format!("{version:04} {description}"))
            .collect();
        report.add(
            Level::Error,
            TOPIC,
            format!(
                "{} at {shown}: {} of {} migrations pending ({}): run `pharos migrate`",
                store.backend(),
                pending.len(),
                status.known.len(),
                names.join(", ")
            ),
        );
    }
    match store.database_clock().await {
        Ok(None) => {}
        Ok(Some(theirs)) => {
            let skew = chrono::Utc::now() - theirs;
            let millis = skew.num_milliseconds();
            if skew.abs() > CLOCK_SKEW_WARNING {
                report.add(
                    Level::Warn,
                    "clock",
                    format!("this machine's clock is {millis} ms off the database's: leases and schedules follow the database, logs and pages this machine; run NTP on both"),
                );
            } else {
                report.add(
                    Level::Ok,
                    "clock",
                    format!("within {} ms of the database's", millis.abs()),
                );
            }
        }
        Err(e) => report.add(
            Level::Warn,
            "clock",
            format!("could not read the database's clock: {e}"),
        ),
    }
}

fn icmp(report: &mut Report) {
    const TOPIC: &str = "ping checks";
    match pharos_probes::icmp_socket_kind(PingSocket::Auto, IpAddr::V4(Ipv4Addr::LOCALHOST)) {
        Ok(kind) if kind == SocketType::RAW => {
            report.add(Level::Ok, TOPIC, "raw ICMP sockets allowed")
        }
        Ok(_) => report.add(Level::Ok, TOPIC, "unprivileged ping sockets allowed"),
        Err(why) => report.add(
            Level::Warn,
            TOPIC,
            format!("ping targets will fail: {why}. Grant CAP_NET_RAW or widen net.ipv4.ping_group_range"),
        ),
    }
}

/// With `PHAROS_SMTP_HOST` set, the settings parse as the mailer reads
/// them and the server answers with its greeting.
async fn smtp(report: &mut Report) {
    const TOPIC: &str = "smtp";
    let settings = match SmtpSettings::from_lookup(|name| std::env::var(name).ok()) {
        Ok(Some(settings)) => settings,
        Ok(None) => {
            report.add(
                Level::Warn,
                TOPIC,
                "PHAROS_SMTP_HOST is not set: email alerts and invitations cannot be sent",
            );
            return;
        }
        Err(e) => {
            report.add(Level::Error, TOPIC, e.to_string());
            return;
        }
    };
    let (host, port, tls) = (settings.host.as_str(), settings.port, settings.tls);
    let greeting = tokio::time::timeout(NETWORK_TIMEOUT, async {
        let mut stream = tokio::net::TcpStream::connect((host, port)).await?;
        if tls == SmtpTls::Tls {
            // Implicit TLS: the greeting comes after the handshake, which
            // the mailer makes; reaching the port is what is checked here.
            return Ok::<_, std::io::Error>(None);
        }
        let mut buffer = [0u8; 512];
        let read = stream.read(&mut buffer).await?;
        Ok(Some(String::from_utf8_lossy(&buffer[..read]).into_owned()))
    })
    .await;
    match greeting {
        Err(_) => report.add(
            Level::Error,
            TOPIC,
            format!("{host}:{port} did not answer within {NETWORK_TIMEOUT:?}"),
        ),
        Ok(Err(e)) => report.add(
            Level::Error,
            TOPIC,
            format!("cannot reach {host}:{port}: {e}"),
        ),
        Ok(Ok(None)) => report.add(
            Level::Ok,
            TOPIC,
            format!("{host}:{port} accepts connections (implicit TLS)"),
        ),
        Ok(Ok(Some(line))) if line.starts_with("220") => {
            report.add(Level::Ok, TOPIC, format!("{host}:{port} answers ({tls:?})"))
        }
        Ok(Ok(Some(line))) => report.add(
            Level::Error,
            TOPIC,
            format!(
                "{host}:{port} is not an SMTP server ready for mail (it said {:?})",
                line.lines().next().unwrap_or("")
            ),
        ),
    }
}
