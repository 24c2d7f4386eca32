//! `serve`, `web` and `worker`: the long-running roles.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use pharos_app::RateLimitSettings;
use pharos_domain::alert::RetryPolicy;
use pharos_domain::job::Job;
use pharos_domain::status::Confirmation;
use pharos_domain::AddressPolicy;
use pharos_notify::sender::SenderConfig;
use pharos_notify::transport::{Transport, TransportSettings};
use pharos_probes::{ProbeSettings, Prober};
use pharos_scheduler::{JobsConfig, RetentionConfig, WorkerConfig};
use pharos_web::auth::SessionConfig;
use pharos_web::state::Draining;
use pharos_web::{AppState, MetricsAccess, WebConfig};
use tokio_util::sync::CancellationToken;

use crate::config::{
    secret_key, AlertArgs, DatabaseArgs, InstanceArgs, ProbeArgs, WebArgs, WorkerArgs,
};

pub fn probe_settings(probes: &ProbeArgs) -> ProbeSettings {
    let policy = if probes.allow_private_targets {
        AddressPolicy::allow_all()
    } else {
        AddressPolicy::strict()
    };
    ProbeSettings::with_policy(policy)
}

/// Runs the web server, the workers, or both, until SIGTERM or Ctrl-C.
pub async fn serve(
    database: DatabaseArgs,
    instance: InstanceArgs,
    alerts: AlertArgs,
    web: Option<WebArgs>,
    worker: Option<WorkerArgs>,
    probes: ProbeArgs,
) -> anyhow::Result<()> {
    // Listen for SIGTERM before anything else, so a signal that arrives
    // during start-up stops Pharos cleanly instead of killing it.
    let terminated = termination()?;
    let url = database.url()?;
    let store = pharos_storage::connect(&url)
        .await
        .with_context(|| format!("opening the database {}", pharos_storage::redact(&url)))?;
    store.migrate().await.context("applying migrations")?;
    tracing::info!(database = store.backend(), "database ready");

    // The instance secret keys session hashes (web) and seals channel
    // secrets (web and the alert sender in workers alike).
    let secret = secret_key(instance.environment, &database.data_dir)?;
    // The web port is bound first, so links name the address it got
    // (`127.0.0.1:0` in tests) when no public URL is set.
    let web_listener = match &web {
        Some(web) => Some(
            tokio::net::TcpListener::bind(web.listen)
                .await
                .with_context(|| format!("listening on {}", web.listen))?,
        ),
        None => None,
    };
    let bound = web_listener
        .as_ref()
        .map(tokio::net::TcpListener::local_addr)
        .transpose()?;
    let link_base = instance.link_base(bound);
    let smtp = pharos_notify::transport::SmtpSettings::from_lookup(|name| std::env::var(name).ok())
        .context("reading the SMTP settings")?;
    let alert_timeout = Duration::from_secs(alerts.alert_timeout_seconds);
    let alert_lease = Duration::from_secs(alerts.alert_lease_seconds);
    if alert_lease <= alert_timeout * 2 + Duration::from_secs(5) {
        anyhow::bail!(
            "PHAROS_ALERT_LEASE_SECONDS ({}) must be more than twice PHAROS_ALERT_TIMEOUT_SECONDS ({}) plus 5",
            alerts.alert_lease_seconds,
            alerts.alert_timeout_seconds
        );
    }
    let transport = Arc::new(
        Transport::new(TransportSettings {
            allow_private: probes.allow_private_targets,
            timeout: alert_timeout,
            smtp,
        })
        .context("setting up alert delivery")?,
    );

    let shutdown = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();

    let metrics = install_metrics_recorder();
    // Each role adds the periodic jobs it has the settings for.
    let mut jobs = JobsConfig {
        jobs: Vec::new(),
        every: Duration::from_secs(database.job_interval_seconds),
        ..JobsConfig::default()
    };

    // With a metrics address of its own (`serve`, `worker`), /metrics is
    // served there and not on the public web port.
    let metrics_elsewhere = worker.as_ref().is_some_and(|w| w.metrics_listen.is_some());
    let has_workers = worker.is_some();
    if let Some(worker) = worker {
        let prober = Prober::new(probe_settings(&probes)).context("setting up the prober")?;
        let config = WorkerConfig {
            concurrency: worker.worker_concurrency as usize,
            per_organization: worker.organization_concurrency as usize,
            per_host: worker.host_concurrency as usize,
            lease: Duration::from_secs(worker.lease_seconds),
            confirmation: Confirmation {
                failures_to_confirm: worker.confirm_failures,
            },
            retry_after: Duration::from_secs(worker.retry_seconds),
            ..WorkerConfig::default()
        };
        jobs.runner = config.worker_id.clone();
        jobs.jobs.extend([Job::Retention, Job::EventPruning]);
        jobs.retention = RetentionConfig {
            raw_days: worker.raw_retention_days,
            rollup_days: worker.rollup_retention_days,
        };
        let sender = SenderConfig {
            sender_id: config.worker_id.clone(),
            public_url: link_base.clone(),
            attempt_timeout: alert_timeout,
            lease: alert_lease,
            concurrency: alerts.alert_concurrency as usize,
            retry: RetryPolicy {
                base: Duration::from_secs(alerts.alert_retry_base_seconds),
                max_attempts: alerts.alert_max_attempts,
                ..RetryPolicy::default()
            },
            ..SenderConfig::default()
        };
        {
            let store = store.clone();
            let shutdown = shutdown.clone();
            tasks.spawn(async move {
                pharos_scheduler::run_worker(store, prober, config, shutdown).await;
                Ok(())
            });
        }
        {
            let store = store.clone();
            let shutdown = shutdown.clone();
            let transport = Arc::clone(&transport);
            let sealer: Arc<dyn pharos_notify::sender::ChannelSecrets> =
                Arc::new(pharos_app::Sealer::new(&secret));
            tasks.spawn(async move {
                pharos_notify::sender::run_sender(store, transport, sealer, sender, shutdown).await;
                Ok(())
            });
        }
        {
            // Status page subscribers' mail, queued when an incident is
            // published, delivered here and never in the request.
            let app = pharos_app::App::new(
                store.clone(),
                pharos_app::AppSettings {
                    public_url: link_base.clone(),
                    ..pharos_app::AppSettings::default()
                },
                &secret,
            )
            .with_transport(Some(Arc::clone(&transport)));
            let shutdown = shutdown.clone();
            tasks.spawn(async move {
                pharos_app::subscribers::run(app, Duration::from_secs(2), async move {
                    shutdown.cancelled().await
                })
                .await;
                Ok(())
            });
        }
        if let (Some(address), Some(handle)) = (worker.metrics_listen, metrics.clone()) {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("listening for metrics on {address}"))?;
            let shutdown = shutdown.clone();
            tasks.spawn(async move {
                let app = axum::Router::new().route(
                    "/metrics",
                    axum::routing::get(move || std::future::ready(handle.render())),
                );
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move { shutdown.cancelled().await })
                    .await
                    .context("serving metrics")
            });
        }
    }

    let draining = Draining::default();
    let drain_delay = web.as_ref().map_or(Duration::ZERO, |w| {
        Duration::from_secs(w.drain_delay_seconds)
    });
    if let Some(web) = web {
        jobs.jobs.push(Job::SessionSweep);
        jobs.session_idle = web.session_idle();
        // "Check now" on the target form runs under the workers' settings.
        let prober = Prober::new(probe_settings(&probes)).context("setting up the prober")?;
        let Some(listener) = web_listener else {
            anyhow::bail!("the web listener was not bound");
        };
        let address = listener.local_addr()?;
        let state = AppState::new(
            store.clone(),
            web_config(
                &web,
                &instance,
                &probes,
                secret.clone(),
                metrics_elsewhere,
                link_base.clone(),
            )?,
        )
        .with_metrics(metrics.clone())
        .with_prober(Some(prober))
        .with_agent_confirmation(web.agent_confirm_failures)
        .with_min_interval(web.min_interval_seconds)
        .with_draining(draining.clone())
        .with_transport(Some(Arc::clone(&transport)));
        let shown = instance
            .public_url
            .as_ref()
            .map(|u| u.to_string())
            .unwrap_or_else(|| format!("http://{address}/"));
        println!("Pharos is running at {shown}");
        if let Some(address) = web.agent_listen {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("listening for agents on {address}"))?;
            let router = pharos_web::agent_router(state.clone())
                .into_make_service_with_connect_info::<std::net::SocketAddr>();
            let shutdown = shutdown.clone();
            tasks.spawn(async move {
                axum::serve(listener, router)
                    .with_graceful_shutdown(async move { shutdown.cancelled().await })
                    .await
                    .context("serving the agent endpoint")
            });
        }
        {
            // Agents silent past the setting are marked offline (once,
            // by whichever web replica gets there first). Not before this
            // process has listened for that long itself: agents could not
            // reach a server that was down, and a restart after an outage
            // would otherwise find every agent silent at once and write an
            // offline and an online event for each of their targets.
            let app = state.app.clone();
            let silence = Duration::from_secs(web.agent_offline_seconds);
            let shutdown = shutdown.clone();
            tasks.spawn(async move {
                let mut tick = tokio::time::interval_at(
                    tokio::time::Instant::now() + silence,
                    Duration::from_secs(5),
                );
                loop {
                    tokio::select! {
                        () = shutdown.cancelled() => return Ok(()),
                        _ = tick.tick() => {
                            if let Err(e) = pharos_app::agents::sweep_offline(&app, silence).await {
                                tracing::warn!(error = %e, "cannot look for offline agents");
                            }
                        }
                    }
                }
            });
        }
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            pharos_web::serve(listener, state, async move { shutdown.cancelled().await })
                .await
                .context("serving HTTP")
        });
    }

    {
        let store = store.clone();
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            pharos_scheduler::run_jobs(store, jobs, shutdown).await;
            Ok(())
        });
    }

    if metrics.is_some() {
        let store = store.clone();
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            sample_database(store, has_workers, shutdown).await;
            Ok(())
        });
    }

    tokio::select! {
        () = terminated => {
            if drain_delay.is_zero() {
                tracing::info!("shutting down");
            } else {
                // Still serving, but no longer ready: load balancers take
                // this replica out before its listener closes.
                draining.start();
                tracing::info!(delay_seconds = drain_delay.as_secs(), "draining: /readyz answers 503, then shutting down");
                tokio::time::sleep(drain_delay).await;
                tracing::info!("shutting down");
            }
        }
        Some(finished) = tasks.join_next() => {
            shutdown.cancel();
            finished.context("a task panicked")??;
        }
    }
    shutdown.cancel();
    // Everything must be down within 15 s of SIGTERM.
    let drained = tokio::time::timeout(Duration::from_secs(14), async {
        while let Some(finished) = tasks.join_next().await {
            if let Err(e) = finished {
                tracing::error!(error = %e, "a task failed while stopping");
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!("some tasks did not stop in time");
    }
    Ok(())
}

fn web_config(
    web: &WebArgs,
    instance: &InstanceArgs,
    probes: &ProbeArgs,
    secret: Vec<u8>,
    metrics_elsewhere: bool,
    link_base: String,
) -> anyhow::Result<WebConfig> {
    let metrics_access = match (metrics_elsewhere, metrics_token()?) {
        (true, _) => MetricsAccess::Elsewhere,
        (false, Some(token)) => MetricsAccess::Token(token),
        (false, None) => MetricsAccess::Public,
    };
    let public_origin = instance
        .public_url
        .as_ref()
        .map(|u| u.origin().ascii_serialization());
    let secure_cookies = instance
        .public_url
        .as_ref()
        .is_some_and(|u| u.scheme() == "https");
    Ok(WebConfig {
        session: SessionConfig {
            secret,
            secure_cookies,
            idle_timeout: web.session_idle(),
            absolute_timeout: web.session_absolute(),
        },
        limits: RateLimitSettings {
            logins_per_minute_per_client: web.login_limit_per_client,
            logins_per_minute_per_account: web.login_limit_per_account,
            registrations_per_hour_per_client: web.registration_limit_per_client,
            target_creations_per_minute_per_organization: web.target_creation_limit,
            public_requests_per_minute_per_client: web.public_limit_per_client,
            ..RateLimitSettings::default()
        },
        allow_private_targets: probes.allow_private_targets,
        trust_forwarded_for: web.trust_forwarded_for,
        public_origin,
        max_body_bytes: 64 * 1024,
        metrics_access,
        link_base: Some(link_base),
        password_reset_minutes: web.password_reset_minutes,
        require_email_verification: web.require_email_verification,
    })
}

/// `PHAROS_METRICS_TOKEN` (or `_FILE`): the bearer token /metrics asks
/// for on the web port. Environment only, like every secret.
pub(crate) fn metrics_token() -> anyhow::Result<Option<String>> {
    let token = match (
        std::env::var("PHAROS_METRICS_TOKEN"),
        std::env::var("PHAROS_METRICS_TOKEN_FILE"),
    ) {
        (Ok(_), Ok(_)) => {
            anyhow::bail!("set PHAROS_METRICS_TOKEN or PHAROS_METRICS_TOKEN_FILE, not both")
        }
        (Ok(token), Err(_)) => token,
        (Err(_), Ok(path)) => std::fs::read_to_string(&path)
            .with_context(|| format!("reading PHAROS_METRICS_TOKEN_FILE {path}"))?,
        (Err(_), Err(_)) => return Ok(None),
    };
    let token = token.trim().to_owned();
    if token.len() < 16 {
        anyhow::bail!("PHAROS_METRICS_TOKEN must be at least 16 characters");
    }
    Ok(Some(token))
}

/// Records metrics in-process for /metrics. Failing to install (a second
/// recorder in tests) only costs the metrics.
fn install_metrics_recorder() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    // Durations as real histograms (Prometheus can aggregate them across
    // replicas, unlike summaries): from 5 ms to a minute.
    const SECONDS: &[f64] = &[
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    ];
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS);
    let handle = match builder.and_then(PrometheusBuilder::install_recorder) {
        Ok(handle) => handle,
        Err(e) => {
            tracing::warn!(error = %e, "metrics are disabled");
            return None;
        }
    };
    metrics::describe_gauge!(
        "pharos_build_info",
        "The running version of Pharos (always 1)."
    );
    metrics::gauge!("pharos_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    metrics::describe_gauge!(
        "pharos_database_connections",
        "Open database connections by pool, in use or idle."
    );
    metrics::describe_gauge!(
        "pharos_targets_due",
        "Due targets across the cluster: waiting for a worker, or claimed by one (workers report it)."
    );
    metrics::describe_gauge!(
        "pharos_database_connections_max",
        "The most connections each database pool opens."
    );
    pharos_scheduler::describe_metrics();
    pharos_notify::sender::describe_metrics();
    pharos_web::http_metrics::describe_metrics();
    Some(handle)
}

/// Keeps the database gauges current (every few seconds is what a scrape
/// can see anyway): pool use, and in worker processes the cluster's due
/// work.
async fn sample_database(
    store: std::sync::Arc<dyn pharos_storage::Store>,
    due_work: bool,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shutdown.cancelled() => return,
        }
        for pool in store.pool_use() {
            let in_use = pool.open.saturating_sub(pool.idle);
            metrics::gauge!("pharos_database_connections", "pool" => pool.pool, "state" => "in_use")
                .set(f64::from(in_use));
            metrics::gauge!("pharos_database_connections", "pool" => pool.pool, "state" => "idle")
                .set(f64::from(pool.idle));
            metrics::gauge!("pharos_database_connections_max", "pool" => pool.pool)
                .set(f64::from(pool.max));
        }
        if due_work {
            match store.due_work(chrono::Utc::now()).await {
                Ok(due) => {
                    metrics::gauge!("pharos_targets_due", "state" => "waiting")
                        .set(due.waiting as f64);
                    metrics::gauge!("pharos_targets_due", "state" => "claimed")
                        .set(due.claimed as f64);
                }
                Err(e) => tracing::debug!(error = %e, "could not count due work"),
            }
        }
    }
}

/// Resolves on SIGTERM (orchestrators) or Ctrl-C (people). The handlers
/// are installed when this is called, not when the future is first polled.
pub(crate) fn termination() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    let ctrl_c = tokio::signal::ctrl_c();
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
    })
}
