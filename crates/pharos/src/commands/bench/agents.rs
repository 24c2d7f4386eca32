//! `pharos bench agents`: one server and many agents, all real processes
//! on this machine. It seeds an organization whose agents are allowed
//! beforehand (their UUIDs written into their data directories and into
//! the organization's allowed list, so each is admitted with no manual
//! step), starts `pharos serve` and N `pharos agent` processes, gives
//! each agent its own targets against the local farm, and measures, over
//! a window after warm-up: checks stored through the agent endpoint,
//! duplicate and missed slots (the scheduler bench's grid analysis), the
//! server's CPU per 1,000 checks and peak memory, the agents' CPU and
//! memory, and the agent endpoint's latency from the server's own
//! Prometheus histogram.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::Utc;
use clap::Args;
use pharos_domain::ids::{AgentId, OrganizationId, TargetId};
use pharos_domain::quorum::Quorum;
use pharos_domain::TargetCheck;
use pharos_storage::models::{
    AgentAdmission, AgentIntroduction, AgentSettingsChange, NewTarget, TargetLocations,
};

use super::{
    analyse, create_database, seed_account, start_farm, stop_all, tempdir, BenchProcess, Window,
};

#[derive(Debug, Clone, Args)]
pub struct AgentsBenchArgs {
    /// Agent processes to start (each allowed beforehand: at most the
    /// organization's 1,000 allowed UUIDs).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub agents: u32,
    /// Targets each agent checks; every target is checked by one agent.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub targets_per_agent: u32,
    /// Check interval of every target, in seconds.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub interval: u32,
    /// How long the agents check their targets, in seconds (the first
    /// interval, 30 s at least, is warm-up).
    #[arg(long, default_value_t = 240)]
    pub duration: u64,
    /// `sqlite` (a fresh file) or a PostgreSQL server URL, on which a fresh
    /// database is created and dropped afterwards.
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// HTTP servers in the local farm the targets point at.
    #[arg(long, default_value_t = 4)]
    pub farm_servers: u32,
}

/// Warm-up after the last agent is admitted: an agent pulls its
/// assignments at once and runs every slot from the first after its pull;
/// one interval (30 s at least) lets the start settle.
fn warm_up(interval_seconds: u32) -> chrono::Duration {
    chrono::Duration::seconds(i64::from(interval_seconds.max(30)))
}

/// How long the agents may take to be admitted: the admission limit
/// (30 at once per client address, then one every 2 s) paces agents that
/// all start together from one address.
const ADMISSION_LIMIT: Duration = Duration::from_secs(180);

/// Organization-wide `set_target_locations` calls in flight while seeding.
const SEEDING_TASKS: usize = 8;

pub async fn run(args: AgentsBenchArgs) -> anyhow::Result<()> {
    let warm_up = warm_up(args.interval);
    if (args.duration as i64) < warm_up.num_seconds() + 20 {
        bail!(
            "--duration must exceed the warm-up ({} s) by at least 20 s to measure anything",
            warm_up.num_seconds()
        );
    }
    let db = create_database(&args.database, "bench-agents").await?;
    let result = run_with(&args, &db.url).await;
    db.remove().await;
    result
}

/// The load average over the last minute, as `uptime` shows it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// A port free on 127.0.0.1 a moment ago.
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Waits until the server answers `/readyz` with 200.
async fn wait_ready(
    http: &reqwest::Client,
    base: &str,
    server: &mut BenchProcess,
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if let Ok(response) = http.get(format!("{base}/readyz")).send().await {
            if response.status().is_success() {
                return Ok(());
            }
        }
        if server.exited() {
            bail!("the server exited at start (its log is above)");
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the server was not ready within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn scrape(http: &reqwest::Client, base: &str) -> anyhow::Result<prometheus::Scrape> {
    let response = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .context("reading the server's /metrics")?;
    if !response.status().is_success() {
        bail!("the server's /metrics answered {}", response.status());
    }
    Ok(prometheus::Scrape::parse(&response.text().await?))
}

/// Waits until every agent has admitted itself: the server answered
/// `/agent/v1/admit` with a token `count` times.
async fn wait_admitted(
    http: &reqwest::Client,
    base: &str,
    count: u32,
    server: &mut BenchProcess,
    agents: &mut [BenchProcess],
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let admitted = whole(scrape(http, base).await?.sum(
            "pharos_http_requests_total",
            &[("route", "/agent/v1/admit"), ("status", "200")],
        ));
        if admitted >= u64::from(count) {
            return Ok(());
        }
        if server.exited() {
            bail!("the server exited (its log is above)");
        }
        if let Some(i) = agents.iter_mut().position(BenchProcess::exited) {
            bail!("agent {i} exited (its log is above)");
        }
        if started.elapsed() > ADMISSION_LIMIT {
            bail!(
                "{admitted} of {count} agents were admitted within {} s",
                ADMISSION_LIMIT.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Seeds `targets_per_agent` HTTP targets for each agent, each checked by
/// that agent alone. Their first checks spread over the first interval by
/// themselves: an agent runs each target on its grid, whose offset inside
/// the interval comes from the target's id (`pharos_domain::schedule`).
async fn seed_targets(
    store: &Arc<dyn pharos_storage::Store>,
    org: OrganizationId,
    user: pharos_domain::ids::UserId,
    agents: &[AgentId],
    args: &AgentsBenchArgs,
    farm: &[std::net::SocketAddr],
) -> anyhow::Result<()> {
    let now = Utc::now();
    let total = agents.len() * args.targets_per_agent as usize;
    let urls: Vec<String> = (0..total)
        .map(|i| format!("http://{}/t{i}", farm[i % farm.len()]))
        .collect();
    for chunk in urls.chunks(2_000) {
        let batch: Vec<NewTarget<'_>> = chunk
            .iter()
            .map(|url| {
                NewTarget::due_now(
                    user,
                    TargetCheck::http_get(url.clone()),
                    args.interval,
                    5,
                    now,
                )
            })
            .collect();
        store.create_targets(org, &batch).await?;
    }
    let targets: Vec<TargetId> = store.targets(org).await?.iter().map(|t| t.id).collect();
    if targets.len() != total {
        bail!("seeded {} targets, found {}", total, targets.len());
    }
    // Target i goes to agent i / targets_per_agent.
    let pairs: Vec<(TargetId, AgentId)> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| (*t, agents[i / args.targets_per_agent as usize]))
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for share in pairs.chunks(pairs.len().div_ceil(SEEDING_TASKS)) {
        let share = share.to_vec();
        let store = store.clone();
        tasks.spawn(async move {
            for (target, agent) in share {
                let set = store
                    .set_target_locations(
                        org,
                        target,
                        TargetLocations {
                            check_local: false,
                            agents: &[agent],
                            quorum: Some(Quorum::DEFAULT),
                        },
                    )
                    .await?;
                if !set {
                    bail!("target {target} could not be assigned to agent {agent}");
                }
            }
            Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.context("a seeding task failed")??;
    }
    Ok(())
}

/// A counter's value as a whole count (an empty sum of floats is -0).
fn whole(count: f64) -> u64 {
    count.max(0.0).round() as u64
}

/// CPU seconds of the processes, together.
fn cpu_of(processes: &[BenchProcess]) -> f64 {
    processes.iter().map(BenchProcess::cpu_seconds).sum()
}

/// The agent routes whose latency is reported, with a label for each.
const AGENT_ROUTES: &[(&str, &str)] = &[
    ("/agent/v1/results", "push results"),
    ("/agent/v1/assignments", "pull assignments"),
    ("/agent/v1/heartbeat", "heartbeat"),
];

async fn run_with(args: &AgentsBenchArgs, url: &str) -> anyhow::Result<()> {
    let store = pharos_storage::connect(url).await?;
    store.migrate().await?;
    let farm = start_farm(args.farm_servers).await?;
    let data = tempdir::Dir(
        std::env::temp_dir().join(format!("pharos-bench-agents-{}-data", std::process::id())),
    );
    std::fs::create_dir_all(&data.0)?;

    let now = Utc::now();
    let (user, org) = seed_account(&*store, now).await?;
    // The server's instance key, so the bench can store the shared
    // secret's keyed hash as the server computes it.
    let instance_key = pharos_app::tokens::new_token(48);
    let agent_secret = pharos_app::tokens::new_token(32);
    let mut agent_dirs: Vec<PathBuf> = Vec::new();
    let mut uuids = Vec::new();
    for i in 0..args.agents {
        let dir = data.0.join(format!("agent-{i}"));
        // The agent's own identity file, written as the agent would on
        // its first start.
        let (uuid, _) = pharos_agent::identity::load_or_create(&dir)?;
        agent_dirs.push(dir);
        uuids.push(uuid);
    }
    let secret_hash = pharos_app::TokenHasher::new(instance_key.as_bytes()).hash(&agent_secret);
    store
        .set_agent_settings(
            org.id,
            AgentSettingsChange {
                secret_hash: Some(&secret_hash),
                allowed_uuids: &uuids,
                now,
            },
        )
        .await?;

    // Each allowed agent registered as its first admission registers it
    // (approved, with a token nobody holds), so its id exists and its
    // targets are assigned before the server starts: seeding never
    // competes with the server (two SQLite writers lock each other out).
    // Each agent process still admits itself with the shared secret and
    // gets its own token.
    let hasher = pharos_app::TokenHasher::new(instance_key.as_bytes());
    let mut agent_ids = Vec::new();
    for (i, uuid) in uuids.iter().enumerate() {
        let unused_token = hasher.hash(&pharos_app::tokens::new_token(32));
        let admission = store
            .admit_agent(
                org.id,
                AgentIntroduction {
                    uuid: *uuid,
                    name: &format!("bench agent {i}"),
                    version: env!("CARGO_PKG_VERSION"),
                    now,
                },
                &unused_token,
                pharos_app::agents::MAX_PENDING,
            )
            .await?;
        match admission {
            AgentAdmission::Admitted(id) => agent_ids.push(id),
            other => bail!("agent {uuid} was not registered: {other:?}"),
        }
    }
    let total = args.agents * args.targets_per_agent;
    println!(
        "seeding {total} targets at {} s ({} per agent) against {} local servers...",
        args.interval,
        args.targets_per_agent,
        farm.len()
    );
    let seeding = Instant::now();
    seed_targets(&store, org.id, user.id, &agent_ids, args, &farm).await?;
    if url.starts_with("postgres") {
        // Autovacuum would have analyzed tables this size within a minute
        // or two; without it the planner knows nothing of 100,000 new rows.
        super::run_admin_sql(url, "ANALYZE").await?;
    }
    println!("seeded in {:.0} s", seeding.elapsed().as_secs_f64());

    let exe = std::env::current_exe().context("finding the pharos binary")?;
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let mut server = BenchProcess::spawn(
        tokio::process::Command::new(&exe)
            .arg("serve")
            .env("PHAROS_DATABASE_URL", url)
            .env("PHAROS_DATA_DIR", data.0.join("server"))
            .env("PHAROS_LISTEN", format!("127.0.0.1:{port}"))
            .env("PHAROS_SECRET_KEY", &instance_key)
            .env("PHAROS_LOG", "warn"),
        "the server",
    )?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    wait_ready(&http, &base, &mut server).await?;

    println!(
        "starting {} agents against {base} (load average {})...",
        args.agents,
        load_average()
    );
    let admitting = Instant::now();
    let mut agents = Vec::new();
    for (i, dir) in agent_dirs.iter().enumerate() {
        agents.push(BenchProcess::spawn(
            tokio::process::Command::new(&exe)
                .arg("agent")
                .env("PHAROS_SERVER_URL", &base)
                .env("PHAROS_AGENT_SECRET", &agent_secret)
                .env("PHAROS_DATA_DIR", dir)
                .env("PHAROS_AGENT_NAME", format!("bench agent {i}"))
                .env("PHAROS_AGENT_ALLOW_PRIVATE_TARGETS", "true")
                .env("PHAROS_LOG", "warn"),
            "an agent",
        )?);
    }
    wait_admitted(&http, &base, args.agents, &mut server, &mut agents).await?;
    let admitted_in = admitting.elapsed().as_secs_f64();
    // Each agent pulls its assignments as soon as it is admitted.
    let began = Utc::now();
    let started = Instant::now();
    println!(
        "all admitted in {admitted_in:.1} s; agents check for {} s...",
        args.duration
    );

    let warm_up = warm_up(args.interval);
    let window_start = Duration::from_secs(warm_up.num_seconds().unsigned_abs());
    tokio::time::sleep(window_start).await;
    let load_start = load_average();
    let at_start = scrape(&http, &base).await?;
    let server_cpu_start = server.cpu_seconds();
    let agents_cpu_start = cpu_of(&agents);
    let measuring = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.duration).saturating_sub(started.elapsed())).await;
    let at_end = scrape(&http, &base).await?;
    let server_cpu = server.cpu_seconds() - server_cpu_start;
    let agents_cpu = cpu_of(&agents) - agents_cpu_start;
    let measured = measuring.elapsed().as_secs_f64();
    let load_end = load_average();
    let ended = Utc::now();
    let server_rss = server.peak_rss_mb();
    let agent_rss: Vec<f64> = agents.iter().map(BenchProcess::peak_rss_mb).collect();
    let still_running = !server.exited() && !agents.iter_mut().any(BenchProcess::exited);
    stop_all(&mut agents).await;
    stop_all(std::slice::from_mut(&mut server)).await;
    if !still_running {
        bail!("the server or an agent exited during the run (see the log above)");
    }

    let window = Window::after(began, ended, warm_up)?;
    let report = analyse(&*store, args.interval, total, &window).await?;
    let delta =
        |name: &str, labels: &[(&str, &str)]| at_end.sum(name, labels) - at_start.sum(name, labels);
    let stored = delta("pharos_agent_results_total", &[("outcome", "stored")]);
    let duplicate = whole(delta(
        "pharos_agent_results_total",
        &[("outcome", "duplicate")],
    ));
    let refused = whole(delta(
        "pharos_agent_results_total",
        &[("outcome", "refused")],
    ));
    let dropped = whole(at_end.sum("pharos_agent_results_dropped_total", &[]));
    let server_checks = whole(at_end.sum("pharos_checks_total", &[]));
    let admissions = |status: &str| {
        whole(at_start.sum(
            "pharos_http_requests_total",
            &[("route", "/agent/v1/admit"), ("status", status)],
        ))
    };
    let mut statuses: HashMap<String, f64> = HashMap::new();
    for (route, _) in AGENT_ROUTES {
        for (status, count) in
            at_end.by_label("pharos_http_requests_total", &[("route", route)], "status")
        {
            let before = at_start.sum(
                "pharos_http_requests_total",
                &[("route", route), ("status", &status)],
            );
            *statuses.entry(status).or_default() += count - before;
        }
    }
    let requests = whole(statuses.values().sum());
    let mut statuses: Vec<(String, f64)> = statuses.into_iter().collect();
    statuses.sort_by(|a, b| a.0.cmp(&b.0));

    let goal = f64::from(total) / f64::from(args.interval);
    println!();
    println!("backend                  {}", store.backend());
    println!(
        "load average (1 min)     {load_start} at the window's start, {load_end} at its end (2 cores, shared)"
    );
    println!(
        "agents × targets         {} × {} at {} s (goal {goal:.0} checks/s)",
        args.agents, args.targets_per_agent, args.interval
    );
    println!(
        "admission                all {} agents in {admitted_in:.1} s ({} admitted, {} asked to wait by the rate limit)",
        args.agents,
        admissions("200"),
        admissions("429")
    );
    println!(
        "window measured          {:.0} s of slots (after {} s warm-up); {measured:.0} s of CPU and metrics",
        report.window_seconds,
        warm_up.num_seconds()
    );
    println!(
        "checks/s by slot         {:.0} (lateness p50/p99/max {:.3} / {:.3} / {:.3} s)",
        report.checks_per_second, report.lateness_p50, report.lateness_p99, report.lateness_max
    );
    println!(
        "checks/s stored          {:.0} through the agent endpoint ({duplicate} duplicate, {refused} refused, {dropped} dropped by agents)",
        stored / measured
    );
    println!("duplicate slots          {}", report.duplicates);
    println!("missed slots             {}", report.missed);
    println!("server's own checks      {server_checks} (must be 0: agents check every target)");
    let per_thousand = |cpu: f64| {
        if stored > 0.0 {
            cpu / stored * 1000.0
        } else {
            0.0
        }
    };
    println!(
        "server CPU               {server_cpu:.1} s ({:.0}% of one core), {:.3} s per 1,000 checks",
        server_cpu / measured * 100.0,
        per_thousand(server_cpu)
    );
    println!("server peak RSS          {server_rss:.0} MB");
    println!(
        "agents' CPU              {agents_cpu:.1} s ({:.0}% of one core, all {}), {:.3} s per 1,000 checks",
        agents_cpu / measured * 100.0,
        args.agents,
        per_thousand(agents_cpu)
    );
    println!(
        "agents' peak RSS         {:.0} MB the largest, {:.0} MB all together",
        agent_rss.iter().copied().fold(0.0, f64::max),
        agent_rss.iter().sum::<f64>()
    );
    let shown: Vec<String> = statuses
        .iter()
        .map(|(status, count)| format!("{} × {status}", whole(*count)))
        .collect();
    println!(
        "agent requests           {requests} in the window ({:.0}/s): {}",
        requests as f64 / measured,
        shown.join(", ")
    );
    let mut all = Vec::new();
    for (route, label) in AGENT_ROUTES {
        let buckets = at_end.buckets_since(
            &at_start,
            "pharos_http_request_duration_seconds",
            &[("route", route)],
        );
        all.push(buckets.clone());
        println!(
            "latency {label:<16} {}",
            prometheus::describe_latency(&buckets)
        );
    }
    println!(
        "latency all agent routes {}",
        prometheus::describe_latency(&prometheus::add_buckets(&all))
    );
    Ok(())
}

/// Reading the server's Prometheus text: counters summed over labels,
/// histogram buckets, and quantiles from bucket counts.
mod prometheus {
    use std::collections::HashMap;

    /// One sample: its labels and value.
    #[derive(Debug, Clone)]
    struct Sample {
        labels: Vec<(String, String)>,
        value: f64,
    }

    /// A `/metrics` text, by metric name.
    #[derive(Debug, Default)]
    pub struct Scrape {
        samples: HashMap<String, Vec<Sample>>,
    }

    /// Cumulative bucket counts: upper bound (`le`) and count, ascending,
    /// `+Inf` last.
    pub type Buckets = Vec<(f64, f64)>;

    fn parse_labels(text: &str) -> Vec<(String, String)> {
        let mut labels = Vec::new();
        let mut rest = text;
        while let Some((key, after)) = rest.split_once("=\"") {
            // Values with escaped quotes do not occur in Pharos's labels
            // (route templates, statuses, outcomes); an escaped quote
            // still ends the value at the right place.
            let mut end = 0;
            let bytes = after.as_bytes();
            while end < bytes.len()
                && !(bytes[end] == b'"' && (end == 0 || bytes[end - 1] != b'\\'))
            {
                end += 1;
            }
            labels.push((
                key.trim_start_matches(',').trim().to_owned(),
                after[..end].to_owned(),
            ));
            rest = after.get(end + 1..).unwrap_or("");
        }
        labels
    }

    impl Scrape {
        pub fn parse(text: &str) -> Self {
            let mut samples: HashMap<String, Vec<Sample>> = HashMap::new();
            for line in text.lines() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let Some((series, value)) = line.rsplit_once(' ') else {
                    continue;
                };
                let Ok(value) = value.parse::<f64>() else {
                    continue;
                };
                let (name, labels) = match series.split_once('{') {
                    Some((name, labels)) => (name, parse_labels(labels.trim_end_matches('}'))),
                    None => (series, Vec::new()),
                };
                samples
                    .entry(name.to_owned())
                    .or_default()
                    .push(Sample { labels, value });
            }
            Self { samples }
        }

        fn matching<'a>(
            &'a self,
            name: &str,
            labels: &'a [(&str, &str)],
        ) -> impl Iterator<Item = &'a Sample> + 'a {
            self.samples
                .get(name)
                .into_iter()
                .flatten()
                .filter(move |sample| {
                    labels.iter().all(|(key, value)| {
                        sample.labels.iter().any(|(k, v)| k == key && v == value)
                    })
                })
        }

        /// The sum of `name`'s samples that carry all of `labels`.
        pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
            self.matching(name, labels).map(|s| s.value).sum()
        }

        /// `name`'s samples that carry `labels`, summed by the value of
        /// label `by`.
        pub fn by_label(
            &self,
            name: &str,
            labels: &[(&str, &str)],
            by: &str,
        ) -> Vec<(String, f64)> {
            let mut sums: HashMap<String, f64> = HashMap::new();
            for sample in self.matching(name, labels) {
                if let Some((_, value)) = sample.labels.iter().find(|(k, _)| k == by) {
                    *sums.entry(value.clone()).or_default() += sample.value;
                }
            }
            let mut sums: Vec<(String, f64)> = sums.into_iter().collect();
            sums.sort_by(|a, b| a.0.cmp(&b.0));
            sums
        }

        /// Histogram `name`'s buckets (series carrying `labels`).
        fn buckets(&self, name: &str, labels: &[(&str, &str)]) -> Buckets {
            let mut buckets: Buckets = self
                .by_label(&format!("{name}_bucket"), labels, "le")
                .into_iter()
                .filter_map(|(le, count)| {
                    let bound = if le == "+Inf" {
                        f64::INFINITY
                    } else {
                        le.parse().ok()?
                    };
                    Some((bound, count))
                })
                .collect();
            buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
            buckets
        }

        /// The observations between `earlier` and this scrape.
        pub fn buckets_since(
            &self,
            earlier: &Scrape,
            name: &str,
            labels: &[(&str, &str)],
        ) -> Buckets {
            let before = earlier.buckets(name, labels);
            self.buckets(name, labels)
                .into_iter()
                .map(|(bound, count)| {
                    let then = before
                        .iter()
                        .find(|(b, _)| *b == bound)
                        .map_or(0.0, |(_, c)| *c);
                    (bound, count - then)
                })
                .collect()
        }
    }

    /// Bucket counts of several histograms with the same bounds, added.
    pub fn add_buckets(all: &[Buckets]) -> Buckets {
        let mut sum: Buckets = Vec::new();
        for buckets in all {
            for (bound, count) in buckets {
                match sum.iter_mut().find(|(b, _)| b == bound) {
                    Some((_, total)) => *total += count,
                    None => sum.push((*bound, *count)),
                }
            }
        }
        sum.sort_by(|a, b| a.0.total_cmp(&b.0));
        sum
    }

    /// The `q` quantile, interpolated inside its bucket as Prometheus's
    /// `histogram_quantile` does; `None` without observations. Past the
    /// last finite bound it is that bound (all that is known).
    pub fn quantile(buckets: &Buckets, q: f64) -> Option<f64> {
        let total = buckets.last()?.1;
        if total <= 0.0 {
            return None;
        }
        let rank = q * total;
        let mut lower = (0.0, 0.0);
        for &(bound, count) in buckets {
            if count >= rank {
                if bound.is_infinite() {
                    return Some(lower.0);
                }
                let within = count - lower.1;
                let share = if within > 0.0 {
                    (rank - lower.1) / within
                } else {
                    1.0
                };
                return Some(lower.0 + (bound - lower.0) * share);
            }
            lower = (bound, count);
        }
        Some(lower.0)
    }

    /// The bucket a quantile falls in, as `(lower, upper]`.
    fn bucket_of(buckets: &Buckets, q: f64) -> Option<(f64, f64)> {
        let total = buckets.last()?.1;
        let rank = q * total;
        let mut lower = 0.0;
        for &(bound, count) in buckets {
            if count >= rank {
                return Some((lower, bound));
            }
            lower = bound;
        }
        None
    }

    /// "p50 … / p99 … s (p99 in (a, b]), N requests".
    pub fn describe_latency(buckets: &Buckets) -> String {
        let count = buckets.last().map_or(0.0, |b| b.1).max(0.0).round() as u64;
        match (quantile(buckets, 0.5), quantile(buckets, 0.99)) {
            (Some(p50), Some(p99)) => {
                let range = bucket_of(buckets, 0.99)
                    .map(|(low, high)| format!(" (p99 bucket {low}–{high} s)"))
                    .unwrap_or_default();
                format!("p50 {p50:.4} s, p99 {p99:.4} s{range}, {count} requests")
            }
            _ => "no requests".to_owned(),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        const TEXT: &str = r#"# HELP pharos_http_requests_total HTTP requests answered.
# TYPE pharos_http_requests_total counter
pharos_http_requests_total{method="POST",route="/agent/v1/results",status="200"} 90
pharos_http_requests_total{method="POST",route="/agent/v1/results",status="429"} 10
pharos_http_requests_total{method="GET",route="/agent/v1/assignments",status="200"} 5
pharos_agent_results_dropped_total 3
pharos_http_request_duration_seconds_bucket{route="/agent/v1/results",le="0.005"} 50
pharos_http_request_duration_seconds_bucket{route="/agent/v1/results",le="0.01"} 90
pharos_http_request_duration_seconds_bucket{route="/agent/v1/results",le="0.025"} 100
pharos_http_request_duration_seconds_bucket{route="/agent/v1/results",le="+Inf"} 100
pharos_http_request_duration_seconds_sum{route="/agent/v1/results"} 0.7
pharos_http_request_duration_seconds_count{route="/agent/v1/results"} 100
"#;

        #[test]
        fn counters_are_summed_by_their_labels() {
            let scrape = Scrape::parse(TEXT);
            assert_eq!(scrape.sum("pharos_http_requests_total", &[]), 105.0);
            assert_eq!(
                scrape.sum(
                    "pharos_http_requests_total",
                    &[("route", "/agent/v1/results"), ("status", "429")]
                ),
                10.0
            );
            assert_eq!(scrape.sum("pharos_agent_results_dropped_total", &[]), 3.0);
            assert_eq!(scrape.sum("pharos_missing_total", &[]), 0.0);
            assert_eq!(
                scrape.by_label(
                    "pharos_http_requests_total",
                    &[("route", "/agent/v1/results")],
                    "status"
                ),
                vec![("200".to_owned(), 90.0), ("429".to_owned(), 10.0)]
            );
        }

        #[test]
        fn quantiles_interpolate_inside_their_bucket() {
            let scrape = Scrape::parse(TEXT);
            let buckets = scrape.buckets_since(
                &Scrape::default(),
                "pharos_http_request_duration_seconds",
                &[("route", "/agent/v1/results")],
            );
            assert_eq!(buckets.len(), 4);
            // Rank 50 of 100 is the top of the first bucket.
            assert!((quantile(&buckets, 0.5).expect("p50") - 0.005).abs() < 1e-12);
            // Rank 99: 9 of the 10 in (0.01, 0.025].
            let p99 = quantile(&buckets, 0.99).expect("p99");
            assert!((p99 - (0.01 + 0.015 * 0.9)).abs() < 1e-12, "{p99}");
            assert_eq!(bucket_of(&buckets, 0.99), Some((0.01, 0.025)));
        }

        #[test]
        fn a_window_counts_only_what_came_after_its_start() {
            let earlier = Scrape::parse(TEXT);
            let later = Scrape::parse(&TEXT.replace(r#"le="+Inf"} 100"#, r#"le="+Inf"} 110"#));
            let buckets = later.buckets_since(
                &earlier,
                "pharos_http_request_duration_seconds",
                &[("route", "/agent/v1/results")],
            );
            // Ten slow requests past the last bound: the p99 is that bound.
            assert_eq!(buckets.last(), Some(&(f64::INFINITY, 10.0)));
            assert_eq!(quantile(&buckets, 0.99), Some(0.025));
            assert_eq!(quantile(&Vec::new(), 0.99), None);
            let doubled = add_buckets(&[buckets.clone(), buckets]);
            assert_eq!(doubled.last(), Some(&(f64::INFINITY, 20.0)));
        }
    }
}
