//! Configuration: every setting is an environment variable and a flag
//! (listed in docs/CONFIGURATION.md); secrets come from the environment only.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use base64::Engine;
use clap::{ArgAction, Args, ValueEnum};
use rand::RngCore;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

/// Settings every command that opens the database shares.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://path` or `postgres://...`; default: a SQLite file in the data directory.
    #[arg(long, env = "PHAROS_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Where the default SQLite database (and a development secret key) live.
    #[arg(long, env = "PHAROS_DATA_DIR", default_value = "./pharos-data")]
    pub data_dir: PathBuf,
    /// Seconds between two runs of each periodic job (retention, the
    /// session sweep, event pruning), across all replicas.
    #[arg(long, env = "PHAROS_JOB_INTERVAL_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub job_interval_seconds: u64,
}

impl DatabaseArgs {
    /// The database URL, creating the data directory for the default file.
    pub fn url(&self) -> anyhow::Result<String> {
        if self.database_url.is_none() {
            std::fs::create_dir_all(&self.data_dir).with_context(|| {
                format!("creating the data directory {}", self.data_dir.display())
            })?;
        }
        Ok(self.configured_url())
    }

    /// The database URL, touching nothing (`pharos doctor`).
    pub fn configured_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("pharos.db").display()),
        }
    }
}

/// The file a `sqlite:` URL names, without its query; `None` for any
/// other database.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    Some(PathBuf::from(path))
}

/// Settings of the checks, for workers and `pharos check`.
#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// Let targets be private, loopback or internal addresses (self-hosters
    /// watching their own network). Off by default: it opens Pharos to SSRF.
    #[arg(long, env = "PHAROS_ALLOW_PRIVATE_TARGETS", action = ArgAction::Set, default_value_t = false)]
    pub allow_private_targets: bool,
}

/// Settings of the workers.
#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// Checks in flight at once per worker process.
    #[arg(long, env = "PHAROS_WORKER_CONCURRENCY", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub worker_concurrency: u32,
    /// Seconds a claimed check is held before another worker may take it over.
    #[arg(long, env = "PHAROS_LEASE_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(5..=3600))]
    pub lease_seconds: u64,
    /// Checks in flight at once for one organization.
    #[arg(long, env = "PHAROS_ORGANIZATION_CONCURRENCY", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub organization_concurrency: u32,
    /// Checks in flight at once against one host.
    #[arg(long, env = "PHAROS_HOST_CONCURRENCY", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub host_concurrency: u32,
    /// Failures in a row before a target is down (each after a quick re-check).
    #[arg(long, env = "PHAROS_CONFIRM_FAILURES", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub confirm_failures: u32,
    /// Seconds before an unconfirmed failure is checked again.
    #[arg(long, env = "PHAROS_RETRY_SECONDS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub retry_seconds: u64,
    /// Days raw check results are kept.
    #[arg(long, env = "PHAROS_RAW_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub raw_retention_days: u32,
    /// Days hourly and daily roll-ups are kept (400 at least).
    #[arg(long, env = "PHAROS_ROLLUP_RETENTION_DAYS", default_value_t = 400, value_parser = clap::value_parser!(u32).range(400..=36500))]
    pub rollup_retention_days: u32,
    /// Serve Prometheus metrics on this address (a worker, or `serve`,
    /// which then keeps /metrics off the web port).
    #[arg(long, env = "PHAROS_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

/// Settings of the instance that the web server and the workers share.
#[derive(Debug, Clone, Args)]
pub struct InstanceArgs {
    /// `development` or `production`. Production refuses a missing or weak secret key.
    #[arg(
        long = "env",
        env = "PHAROS_ENV",
        value_enum,
        default_value = "development"
    )]
    pub environment: Environment,
    /// The URL users reach Pharos at (e.g. https://status.example.com). An
    /// https URL turns on Secure, __Host- cookies; alerts link to it.
    #[arg(long, env = "PHAROS_PUBLIC_URL")]
    pub public_url: Option<url::Url>,
}

impl InstanceArgs {
    /// The public URL for links, without a trailing slash.
    pub fn link_base(&self, listen: Option<SocketAddr>) -> String {
        let base = match (&self.public_url, listen) {
            (Some(url), _) => url.to_string(),
            (None, Some(address)) => format!("http://{address}"),
            (None, None) => "http://localhost:8080".to_owned(),
        };
        base.trim_end_matches('/').to_owned()
    }
}

/// Settings of alert delivery (the sender in workers, "Send test" on the
/// web). The SMTP server comes from `PHAROS_SMTP_*` (docs/CONFIGURATION.md).
#[derive(Debug, Clone, Args)]
pub struct AlertArgs {
    /// Seconds each delivery attempt may take (connect, send, answer).
    #[arg(long, env = "PHAROS_ALERT_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub alert_timeout_seconds: u64,
    /// Tries per notification, the first included.
    #[arg(long, env = "PHAROS_ALERT_MAX_ATTEMPTS", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub alert_max_attempts: u32,
    /// Seconds before the first retry; each later wait doubles (±20 %).
    #[arg(long, env = "PHAROS_ALERT_RETRY_BASE_SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub alert_retry_base_seconds: u64,
    /// Seconds a sender holds a claimed notification; another takes it
    /// over after (a killed process). More than twice the timeout plus 5.
    #[arg(long, env = "PHAROS_ALERT_LEASE_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..=3600))]
    pub alert_lease_seconds: u64,
    /// Deliveries in flight at once per worker process, over all channels.
    #[arg(long, env = "PHAROS_ALERT_CONCURRENCY", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub alert_concurrency: u32,
}

/// Settings of the web server.
#[derive(Debug, Clone, Args)]
pub struct WebArgs {
    /// Address to listen on.
    #[arg(long, env = "PHAROS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Pharos is behind a proxy that sets X-Forwarded-For (used for rate limits).
    #[arg(long, env = "PHAROS_TRUST_FORWARDED_FOR", action = ArgAction::Set, default_value_t = false)]
    pub trust_forwarded_for: bool,
    /// Login attempts allowed per minute per client address.
    #[arg(long, env = "PHAROS_LOGIN_LIMIT_PER_CLIENT", default_value_t = 20)]
    pub login_limit_per_client: u32,
    /// Login attempts allowed per minute per account.
    #[arg(long, env = "PHAROS_LOGIN_LIMIT_PER_ACCOUNT", default_value_t = 10)]
    pub login_limit_per_account: u32,
    /// Registrations allowed per hour per client address.
    #[arg(
        long,
        env = "PHAROS_REGISTRATION_LIMIT_PER_CLIENT",
        default_value_t = 10
    )]
    pub registration_limit_per_client: u32,
    /// Target creations allowed per minute per organization.
    #[arg(long, env = "PHAROS_TARGET_CREATION_LIMIT", default_value_t = 60)]
    pub target_creation_limit: u32,
    /// Requests to the public routes (status pages, badges, public JSON)
    /// allowed per minute per client address, apart from the dashboard's
    /// limits.
    #[arg(long, env = "PHAROS_PUBLIC_LIMIT_PER_CLIENT", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..))]
    pub public_limit_per_client: u32,
    /// Hours a session may sit unused before it ends.
    #[arg(long, env = "PHAROS_SESSION_IDLE_HOURS", default_value_t = 168, value_parser = clap::value_parser!(u64).range(1..=8760))]
    pub session_idle_hours: u64,
    /// Seconds between SIGTERM and closing the listener, while /readyz
    /// answers 503 and requests are still served: the time a load balancer
    /// needs to stop sending new ones (Kubernetes: a few seconds).
    #[arg(long, env = "PHAROS_DRAIN_DELAY_SECONDS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60))]
    pub drain_delay_seconds: u64,
    /// Days a session lasts at most.
    #[arg(long, env = "PHAROS_SESSION_MAX_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=365))]
    pub session_max_days: u64,
    /// Minutes a password reset link works.
    #[arg(long, env = "PHAROS_PASSWORD_RESET_MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u32).range(5..=1440))]
    pub password_reset_minutes: u32,
    /// Accounts must confirm their email address before adding channels
    /// or inviting anyone.
    #[arg(long, env = "PHAROS_REQUIRE_EMAIL_VERIFICATION", action = ArgAction::Set, default_value_t = false)]
    pub require_email_verification: bool,
    /// Also serve the agent endpoint (`/agent/v1`) on this address, for
    /// agents to reach apart from the dashboard. Off by default: agents
    /// use the web port.
    #[arg(long, env = "PHAROS_AGENT_LISTEN")]
    pub agent_listen: Option<SocketAddr>,
    /// Seconds without a heartbeat before an agent is offline (an event,
    /// and its targets are judged by their other locations).
    #[arg(long, env = "PHAROS_AGENT_OFFLINE_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    pub agent_offline_seconds: u64,
    /// The shortest check interval a target may ask for, in seconds (10 at
    /// the lowest: each check of a 10 s target costs as much as one of a
    /// 300 s target, thirty times as often).
    #[arg(long, env = "PHAROS_MIN_INTERVAL_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(10..=86_400))]
    pub min_interval_seconds: u32,
    /// Failures in a row from one agent before its location counts as
    /// down (agents re-check at their next slot, not sooner).
    #[arg(long, env = "PHAROS_AGENT_CONFIRM_FAILURES", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub agent_confirm_failures: u32,
}

/// `pharos agent`: checks targets from another machine.
#[derive(Debug, Clone, Args)]
pub struct AgentArgs {
    /// The Pharos server's address (its agent endpoint is under /agent/v1).
    #[arg(long, env = "PHAROS_SERVER_URL")]
    pub server: url::Url,
    /// The organization's shared secret for agents (Settings > Agents).
    #[arg(long, env = "PHAROS_AGENT_SECRET", hide_env_values = true)]
    pub secret: String,
    /// Where the agent keeps its UUID and its buffered results.
    #[arg(long, env = "PHAROS_DATA_DIR", default_value = "./data")]
    pub data_dir: std::path::PathBuf,
    /// The location's name shown on the server (default: the host name).
    #[arg(long, env = "PHAROS_AGENT_NAME")]
    pub name: Option<String>,
    /// Let the agent check private, loopback and internal addresses (on by
    /// default: watching a private network is a reason to run an agent).
    #[arg(long, env = "PHAROS_AGENT_ALLOW_PRIVATE_TARGETS", action = ArgAction::Set, default_value_t = true)]
    pub allow_private_targets: bool,
    /// Results kept while the server cannot be reached; past it the oldest
    /// are dropped (and counted).
    #[arg(long, env = "PHAROS_AGENT_BUFFER", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub buffer: u64,
    /// Checks in flight at once.
    #[arg(long, env = "PHAROS_AGENT_CONCURRENCY", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub concurrency: u64,
    /// Seconds between pulls of the assigned checks.
    #[arg(long, env = "PHAROS_AGENT_REFRESH_SECONDS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub refresh_seconds: u64,
}

impl WebArgs {
    pub fn session_idle(&self) -> Duration {
        Duration::from_secs(self.session_idle_hours * 3600)
    }

    pub fn session_absolute(&self) -> Duration {
        Duration::from_secs(self.session_max_days * 86_400)
    }
}

const MIN_SECRET_BYTES: usize = 32;

/// Reads the secret key from `PHAROS_SECRET_KEY` or the file named by
/// `PHAROS_SECRET_KEY_FILE` (container secrets). In development a missing
/// key is generated once and kept in the data directory; in production a
/// missing or weak key stops start-up.
pub fn secret_key(environment: Environment, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    match (configured_secret_key()?, environment) {
        (Some(key), _) => {
            if let Some(weakness) = weakness(&key) {
                if environment == Environment::Production {
                    bail!("PHAROS_SECRET_KEY is too weak: {weakness}. Generate one with: openssl rand -base64 48");
                }
                tracing::warn!(
                    "PHAROS_SECRET_KEY is weak ({weakness}); production would refuse it"
                );
            }
            Ok(key.into_bytes())
        }
        (None, Environment::Production) => {
            bail!("PHAROS_SECRET_KEY (or PHAROS_SECRET_KEY_FILE) is required in production. Generate one with: openssl rand -base64 48")
        }
        (None, Environment::Development) => development_key(data_dir),
    }
}

/// The key `PHAROS_SECRET_KEY` or `PHAROS_SECRET_KEY_FILE` gives, if any.
pub fn configured_secret_key() -> anyhow::Result<Option<String>> {
    Ok(
        match (
            std::env::var("PHAROS_SECRET_KEY"),
            std::env::var("PHAROS_SECRET_KEY_FILE"),
        ) {
            (Ok(_), Ok(_)) => bail!("set PHAROS_SECRET_KEY or PHAROS_SECRET_KEY_FILE, not both"),
            (Ok(key), Err(_)) => Some(key),
            (Err(_), Ok(path)) => Some(
                std::fs::read_to_string(&path)
                    .with_context(|| format!("reading PHAROS_SECRET_KEY_FILE {path}"))?
                    .trim_end_matches(['\r', '\n'])
                    .to_owned(),
            ),
            (Err(_), Err(_)) => None,
        },
    )
}

/// What makes a secret key weak, if anything.
pub fn weakness(key: &str) -> Option<&'static str> {
    let distinct = key.chars().collect::<std::collections::HashSet<_>>().len();
    if key.len() < MIN_SECRET_BYTES {
        Some("shorter than 32 bytes")
    } else if distinct < 10 {
        Some("too few distinct characters")
    } else {
        None
    }
}

/// Where development keeps the key it generated.
pub fn development_key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("secret_key")
}

/// A random key kept in `<data_dir>/secret_key`, so development sessions
/// survive restarts without any setup.
fn development_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = development_key_path(data_dir);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if weakness(existing.trim()).is_none() {
            return Ok(existing.trim().as_bytes().to_vec());
        }
    }
    let mut bytes = [0u8; 48];
    rand::thread_rng().fill_bytes(&mut bytes);
    let key = base64::engine::general_purpose::STANDARD.encode(bytes);
    std::fs::create_dir_all(data_dir)?;
    write_private(&path, &key).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a development secret key");
    Ok(key.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_keys_are_named() {
        assert!(weakness("short").is_some());
        assert!(weakness(&"a".repeat(64)).is_some());
        assert!(weakness("kQ8v2N5x1LmZ0pR7sT3wY9bC4dF6gH8jK2").is_none());
    }
}
