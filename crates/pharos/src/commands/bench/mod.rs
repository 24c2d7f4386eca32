//! `pharos bench`: seeds N targets against a local farm of HTTP servers,
//! runs real `pharos worker` processes for a while, and reports what a
//! monitoring user cares about: checks per second, how late checks start,
//! duplicate and missed checks, worker CPU and memory, database growth.
//!
//! `pharos bench agents` ([`agents`]) does the same through the agent
//! endpoint: one `pharos serve` and many `pharos agent` processes. Both
//! share the database, farm, process and grid-analysis helpers here.

pub mod agents;

use pharos_domain::TargetCheck;
use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use pharos_domain::ids::TargetId;
use pharos_storage::models::{NewAccount, NewTarget};

/// Other benchmarks than the scheduler's (`pharos bench` alone).
#[derive(Debug, Clone, Subcommand)]
pub enum BenchMode {
    /// Measure the agent endpoint: one `pharos serve` and many `pharos agent`
    /// processes checking targets against a local farm.
    Agents(agents::AgentsBenchArgs),
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// How many targets to seed.
    #[arg(long, default_value_t = 10_000)]
    pub targets: u32,
    /// Check interval of every target, in seconds.
    #[arg(long, default_value_t = 60)]
    pub interval: u32,
    /// How long the workers run, in seconds (the first two and a half intervals are warm-up).
    #[arg(long, default_value_t = 180)]
    pub duration: u64,
    /// Worker processes to start.
    #[arg(long, default_value_t = 1)]
    pub workers: u32,
    /// `sqlite` (a fresh file) or a PostgreSQL server URL, on which a fresh
    /// database is created and dropped afterwards.
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// HTTP servers in the local farm the targets point at.
    #[arg(long, default_value_t = 4)]
    pub farm_servers: u32,
    /// Checks in flight per worker process.
    #[arg(long, default_value_t = 512)]
    pub concurrency: u32,
}

/// A database made for one run.
struct BenchDatabase {
    url: String,
    cleanup: Option<(String, String)>,
    _dir: Option<tempdir::Dir>,
}

impl BenchDatabase {
    /// Drops the PostgreSQL database made for the run (a SQLite file goes
    /// with its directory).
    async fn remove(self) {
        if let Some((admin, name)) = &self.cleanup {
            if let Err(e) = run_admin_sql(
                admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await
            {
                eprintln!("warning: could not drop the benchmark database {name}: {e}");
            }
        }
    }
}

mod tempdir {
    /// A directory removed when dropped.
    pub struct Dir(pub std::path::PathBuf);

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A fresh database for `spec` (`sqlite`, or a PostgreSQL server URL);
/// `name` tells runs of different benchmarks apart.
async fn create_database(spec: &str, name: &str) -> anyhow::Result<BenchDatabase> {
    if spec == "sqlite" {
        let dir = std::env::temp_dir().join(format!("pharos-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let url = format!("sqlite://{}", dir.join("bench.db").display());
        return Ok(BenchDatabase {
            url,
            cleanup: None,
            _dir: Some(tempdir::Dir(dir)),
        });
    }
    if !spec.starts_with("postgres") {
        bail!("--database takes `sqlite` or a postgres:// URL");
    }
    let name = format!("pharos_{}_{}", name.replace('-', "_"), std::process::id());
    run_admin_sql(spec, &format!("CREATE DATABASE {name}")).await?;
    let mut url = url::Url::parse(spec).context("parsing --database")?;
    url.set_path(&name);
    Ok(BenchDatabase {
        url: url.to_string(),
        cleanup: Some((spec.to_owned(), name)),
        _dir: None,
    })
}

/// Runs one statement on the admin database with psql (the binary carries
/// no general SQL client of its own).
/// The one account (and organization) a bench's targets belong to.
async fn seed_account(
    store: &dyn pharos_storage::Store,
    now: DateTime<Utc>,
) -> anyhow::Result<(
    pharos_storage::models::User,
    pharos_storage::models::Organization,
)> {
    Ok(store
        .create_account(NewAccount {
            email: "bench@example.com",
            password_hash: "-",
            organization_name: "Bench",
            now,
        })
        .await?)
}

async fn run_admin_sql(admin_url: &str, sql: &str) -> anyhow::Result<()> {
    let status = tokio::process::Command::new("psql")
        .arg(admin_url)
        .arg("-qc")
        .arg(sql)
        .status()
        .await
        .context("running psql (needed to create the benchmark database)")?;
    if !status.success() {
        bail!("psql failed: {sql}");
    }
    Ok(())
}

/// A tiny HTTP server answering 200 "ok" to everything.
async fn start_farm(servers: u32) -> anyhow::Result<Vec<std::net::SocketAddr>> {
    let mut addresses = Vec::new();
    for _ in 0..servers.max(1) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        addresses.push(listener.local_addr()?);
        let app = axum::Router::new().fallback(|| async { "ok" });
        tokio::spawn(async move { axum::serve(listener, app).await });
    }
    Ok(addresses)
}

/// A child process of a benchmark (worker, server or agent), killed if
/// the benchmark stops early.
struct BenchProcess {
    child: tokio::process::Child,
    pid: u32,
}

impl BenchProcess {
    fn spawn(command: &mut tokio::process::Command, what: &str) -> anyhow::Result<Self> {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {what}"))?;
        let pid = child.id().with_context(|| format!("{what} has no pid"))?;
        Ok(Self { child, pid })
    }

    /// CPU seconds used so far (0 once the process is gone).
    fn cpu_seconds(&self) -> f64 {
        cpu_seconds(self.pid).unwrap_or(0.0)
    }

    /// Peak resident memory so far, in MB.
    fn peak_rss_mb(&self) -> f64 {
        peak_rss_mb(self.pid).unwrap_or(0.0)
    }

    /// `true` once the process has exited.
    fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }
}

/// Stops processes with SIGTERM (each drains and writes what it has)
/// and waits up to 20 s for each.
async fn stop_all(processes: &mut [BenchProcess]) {
    for process in processes.iter() {
        let _ = tokio::process::Command::new("kill")
            .arg("-TERM")
            .arg(process.pid.to_string())
            .status()
            .await;
    }
    for process in processes.iter_mut() {
        let _ = tokio::time::timeout(Duration::from_secs(20), process.child.wait()).await;
    }
}

fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at ") ".
    let rest = stat.rsplit_once(") ")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// `pharos bench`, or the benchmark `mode` names.
pub async fn run(args: BenchArgs, mode: Option<BenchMode>) -> anyhow::Result<()> {
    match mode {
        None => run_scheduler(args).await,
        Some(BenchMode::Agents(args)) => agents::run(args).await,
    }
}

async fn run_scheduler(args: BenchArgs) -> anyhow::Result<()> {
    let db = create_database(&args.database, "bench").await?;
    let result = run_with(&args, &db.url).await;
    db.remove().await;
    result
}

async fn run_with(args: &BenchArgs, url: &str) -> anyhow::Result<()> {
    let store = pharos_storage::connect(url).await?;
    store.migrate().await?;
    let farm = start_farm(args.farm_servers).await?;

    println!(
        "seeding {} targets at {} s against {} local servers...",
        args.targets,
        args.interval,
        farm.len()
    );
    let now = Utc::now();
    let (user, org) = seed_account(&*store, now).await?;
    let urls: Vec<String> = (0..args.targets)
        .map(|i| format!("http://{}/t{i}", farm[i as usize % farm.len()]))
        .collect();
    // The first check of every target is spread over the first interval, as
    // it would be for targets created over time.
    let start_at = now + chrono::Duration::seconds(2);
    for chunk in urls.chunks(2_000).enumerate() {
        let (chunk_index, chunk) = chunk;
        let batch: Vec<NewTarget<'_>> = chunk
            .iter()
            .enumerate()
            .map(|(i, url)| {
                let n = (chunk_index * 2_000 + i) as i64;
                let spread = n * i64::from(args.interval) * 1000 / i64::from(args.targets.max(1));
                NewTarget {
                    created_by: user.id,
                    name: None,
                    interval_seconds: args.interval,
                    timeout_seconds: 5,
                    check: TargetCheck::http_get(url.to_owned()),
                    heartbeat_token: None,
                    grace_seconds: None,
                    first_due_at: start_at + chrono::Duration::milliseconds(spread),
                    now,
                }
            })
            .collect();
        store.create_targets(org.id, &batch).await?;
    }
    let bytes_before = store.database_bytes().await?;

    let exe = std::env::current_exe().context("finding the pharos binary")?;
    let mut workers = Vec::new();
    for i in 0..args.workers.max(1) {
        // PHAROS_BENCH_WORKER_WRAPPER runs each worker under another
        // program (`valgrind --tool=callgrind`): instruction counts per
        // check compare two builds where CPU seconds are too noisy.
        let wrapper = std::env::var("PHAROS_BENCH_WORKER_WRAPPER").unwrap_or_default();
        let mut words = wrapper.split_whitespace();
        let mut command = match words.next() {
            Some(program) => {
                let mut command = tokio::process::Command::new(program);
                command.args(words).arg(&exe);
                command
            }
            None => tokio::process::Command::new(&exe),
        };
        command
            .arg("worker")
            .env("PHAROS_DATABASE_URL", url)
            .env("PHAROS_ALLOW_PRIVATE_TARGETS", "true")
            .env("PHAROS_WORKER_CONCURRENCY", args.concurrency.to_string())
            .env(
                "PHAROS_ORGANIZATION_CONCURRENCY",
                args.concurrency.to_string(),
            )
            .env("PHAROS_HOST_CONCURRENCY", args.concurrency.to_string())
            .env("PHAROS_LOG", "warn")
            .env(
                "PHAROS_DATA_DIR",
                std::env::temp_dir().join(format!("pharos-bench-w{i}")),
            );
        workers.push(BenchProcess::spawn(&mut command, "a worker")?);
    }
    let began = Utc::now();
    let started = Instant::now();
    println!(
        "running {} worker(s) for {} s...",
        workers.len(),
        args.duration
    );
    let cpu_start: Vec<f64> = workers.iter().map(BenchProcess::cpu_seconds).collect();
    tokio::time::sleep(Duration::from_secs(args.duration)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let ended = Utc::now();
    let mut cpu = 0.0;
    let mut rss: f64 = 0.0;
    for (w, start) in workers.iter().zip(&cpu_start) {
        cpu += w.cpu_seconds() - start;
        rss = rss.max(w.peak_rss_mb());
    }
    stop_all(&mut workers).await;

    let window = Window::after(began, ended, scheduler_warm_up(args.interval))?;
    let report = analyse(&*store, args.interval, args.targets, &window).await?;
    let bytes_after = store.database_bytes().await?;
    let all_checks = store
        .check_times(
            began - chrono::Duration::hours(1),
            ended + chrono::Duration::hours(1),
        )
        .await?
        .len();
    let bytes_per_million = if all_checks > 0 {
        (bytes_after - bytes_before) as f64 / all_checks as f64 * 1e6 / (1024.0 * 1024.0)
    } else {
        0.0
    };
    let backend = store.backend();
    println!();
    println!("backend                  {backend}");
    println!(
        "targets × interval       {} × {} s (goal {:.0} checks/s)",
        args.targets,
        args.interval,
        f64::from(args.targets) / f64::from(args.interval)
    );
    println!("workers                  {}", args.workers);
    println!(
        "window measured          {:.0} s (after {} s warm-up)",
        report.window_seconds,
        scheduler_warm_up(args.interval).num_seconds()
    );
    println!("checks/s                 {:.0}", report.checks_per_second);
    println!(
        "lateness p50/p99/max     {:.3} / {:.3} / {:.3} s",
        report.lateness_p50, report.lateness_p99, report.lateness_max
    );
    println!("duplicate checks         {}", report.duplicates);
    println!("missed checks            {}", report.missed);
    println!(
        "worker CPU               {:.1} s over {:.0} s ({:.0}% of one core)",
        cpu,
        elapsed,
        cpu / elapsed * 100.0
    );
    println!("worker peak RSS          {:.0} MB", rss);
    println!(
        "database growth          {:.0} MB per million checks",
        bytes_per_million
    );
    Ok(())
}

struct Report {
    window_seconds: f64,
    checks_per_second: f64,
    lateness_p50: f64,
    lateness_p99: f64,
    lateness_max: f64,
    duplicates: u64,
    missed: u64,
}

/// Warm-up of the scheduler bench: first checks are spread over one
/// interval (plus the 2 s start delay), and a target joins its grid up to
/// one and a half intervals after its first check.
fn scheduler_warm_up(interval_seconds: u32) -> chrono::Duration {
    chrono::Duration::seconds(i64::from(interval_seconds) * 5 / 2 + 5)
}

/// The stretch of a run whose slots are judged.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// When the run began (to place a missed slot in it).
    began: DateTime<Utc>,
    /// First slot judged.
    from: DateTime<Utc>,
    /// Slots from here on are not judged (they may still be in flight).
    until: DateTime<Utc>,
    /// When the checkers were stopped.
    ended: DateTime<Utc>,
}

impl Window {
    /// From `warm_up` after `began` to 10 s before `ended`.
    fn after(
        began: DateTime<Utc>,
        ended: DateTime<Utc>,
        warm_up: chrono::Duration,
    ) -> anyhow::Result<Self> {
        // Both bounds are whole milliseconds, like the slots: with a
        // sub-millisecond `from`, a slot in the same millisecond was counted as
        // before the window by its check but inside it by the miss count, and
        // showed up as a miss (about one per 60,000 targets per run).
        let whole_ms = |at: DateTime<Utc>| {
            DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at)
        };
        let from = whole_ms(began + warm_up);
        // Slots near the end may still be in flight.
        let until = whole_ms(ended - chrono::Duration::seconds(10));
        if until <= from {
            bail!(
                "--duration must exceed the warm-up ({} s) by at least 20 s to measure anything",
                warm_up.num_seconds()
            );
        }
        Ok(Self {
            began,
            from,
            until,
            ended,
        })
    }

    fn seconds(&self) -> f64 {
        (self.until - self.from).num_milliseconds() as f64 / 1000.0
    }
}

/// Judges the run from the stored checks: each target's checks belong to
/// slots of its grid (see `pharos_domain::schedule::next_slot`); within the
/// measured window every slot must have exactly one check. `targets_seeded`
/// is how many targets the run had (one never checked missed every slot).
async fn analyse(
    store: &dyn pharos_storage::Store,
    interval_seconds: u32,
    targets_seeded: u32,
    window: &Window,
) -> anyhow::Result<Report> {
    let interval = chrono::Duration::seconds(i64::from(interval_seconds));
    let Window {
        began,
        from,
        until,
        ended,
    } = *window;
    let checks = store
        .check_times(from - interval, ended + chrono::Duration::seconds(30))
        .await?;
    let mut slots: HashMap<(TargetId, i64), u32> = HashMap::new();
    let mut lateness = Vec::new();
    let mut in_window = 0u64;
    for (target, at) in &checks {
        let slot = pharos_domain::schedule::next_slot(*target, interval_seconds, *at - interval);
        if slot < from || slot >= until {
            continue;
        }
        in_window += 1;
        *slots.entry((*target, slot.timestamp_millis())).or_default() += 1;
        lateness.push((*at - slot).num_milliseconds() as f64 / 1000.0);
    }
    let duplicates = slots.values().map(|n| u64::from(n.saturating_sub(1))).sum();
    // Every target has slots from `from` to `until`: count those unchecked.
    let targets: Vec<TargetId> = {
        let mut seen: Vec<TargetId> = checks.iter().map(|(t, _)| *t).collect();
        seen.sort();
        seen.dedup();
        seen
    };
    let mut missed = 0u64;
    let unseen = u64::from(targets_seeded).saturating_sub(targets.len() as u64);
    for target in &targets {
        let mut slot = pharos_domain::schedule::next_slot(
            *target,
            interval_seconds,
            from - chrono::Duration::milliseconds(1),
        );
        while slot < until {
            if !slots.contains_key(&(*target, slot.timestamp_millis())) {
                missed += 1;
                if missed <= 5 {
                    // Enough to investigate a miss: the slot and the
                    // target's checks around it.
                    let near: Vec<String> = checks
                        .iter()
                        .filter(|(t, at)| {
                            t == target
                                && (*at - slot).num_seconds().abs() <= 3 * interval.num_seconds()
                        })
                        .map(|(_, at)| {
                            format!("{:+.3}s", (*at - slot).num_milliseconds() as f64 / 1000.0)
                        })
                        .collect();
                    eprintln!(
                        "missed: target {target} slot {slot} ({:.0} s into the run); its checks around it: {}",
                        (slot - began).num_milliseconds() as f64 / 1000.0,
                        near.join(" ")
                    );
                }
            }
            slot += interval;
        }
    }
    // A target never checked at all missed every slot of the window.
    let per_target =
        ((until - from).num_milliseconds() / interval.num_milliseconds()).max(1) as u64;
    missed += unseen * per_target;
    lateness.sort_by(|a, b| a.total_cmp(b));
    let window_seconds = window.seconds();
    Ok(Report {
        window_seconds,
        checks_per_second: in_window as f64 / window_seconds,
        lateness_p50: percentile(&lateness, 0.5),
        lateness_p99: percentile(&lateness, 0.99),
        lateness_max: lateness.last().copied().unwrap_or(0.0),
        duplicates,
        missed,
    })
}
