//! One worker: claim due targets, check them, hand results to the writer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use pharos_domain::check::{CheckFailure, CheckOutcome, ErrorClass, PhaseTimings, Verdict};
use pharos_domain::event::watch_certificate;
use pharos_domain::ids::OrganizationId;
use pharos_domain::status::{settle, CheckRules, Confirmation, ResultOrigin};
use pharos_domain::TargetCheck;
use pharos_probes::Prober;
use pharos_storage::models::{
    CertificateUpdate, Check, CheckRecord, ClaimedTarget, StatusUpdate, Target,
};
use pharos_storage::prelude::*;
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::maintenance::SharedCalendar;
use crate::presence::Presence;
use crate::writer::run_writer;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Names this worker's leases (host and process id by default).
    pub worker_id: String,
    /// Checks in flight at once.
    pub concurrency: usize,
    /// Checks in flight at once for one organization.
    pub per_organization: usize,
    /// Checks in flight at once against one host.
    pub per_host: usize,
    /// How long a claim is held before another worker may take it over.
    pub lease: Duration,
    /// How long to wait before asking again when nothing is due.
    pub idle_poll: Duration,
    /// How long in-flight checks may run on after shutdown is asked for.
    pub drain_timeout: Duration,
    /// Failures in a row before a target is down.
    pub confirmation: Confirmation,
    /// How soon an unconfirmed failure is checked again.
    pub retry_after: Duration,
    /// Results kept while the database is unreachable.
    pub result_buffer: usize,
    /// How often the maintenance windows are read again (a window made
    /// or ended takes effect within this).
    pub maintenance_refresh: Duration,
    /// How often this worker's presence (last poll, last claim) is written
    /// for the instance's public status.
    pub presence_interval: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            worker_id: format!("worker-{}-{}", hostname(), std::process::id()),
            concurrency: 256,
            per_organization: 64,
            per_host: 16,
            lease: Duration::from_secs(30),
            idle_poll: Duration::from_millis(100),
            drain_timeout: Duration::from_secs(10),
            confirmation: Confirmation::default(),
            retry_after: Duration::from_secs(20),
            result_buffer: 100_000,
            maintenance_refresh: Duration::from_secs(2),
            presence_interval: Duration::from_secs(5),
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "local".to_owned())
}

/// Checks in flight per organization and per host, for the fairness caps.
#[derive(Default)]
struct InFlight {
    organizations: HashMap<OrganizationId, usize>,
    hosts: HashMap<String, usize>,
}

impl InFlight {
    fn try_start(
        &mut self,
        org: OrganizationId,
        host: &str,
        config: &WorkerConfig,
    ) -> Result<(), &'static str> {
        if self.organizations.get(&org).copied().unwrap_or(0) >= config.per_organization {
            return Err("organization_cap");
        }
        if self.hosts.get(host).copied().unwrap_or(0) >= config.per_host {
            return Err("host_cap");
        }
        *self.organizations.entry(org).or_default() += 1;
        *self.hosts.entry(host.to_owned()).or_default() += 1;
        Ok(())
    }

    fn finish(&mut self, org: OrganizationId, host: &str) {
        if let Some(n) = self.organizations.get_mut(&org) {
            *n -= 1;
            if *n == 0 {
                self.organizations.remove(&org);
            }
        }
        if let Some(n) = self.hosts.get_mut(host) {
            *n -= 1;
            if *n == 0 {
                self.hosts.remove(host);
            }
        }
    }
}

/// Runs until `shutdown` is cancelled; then stops claiming, lets in-flight
/// checks finish (up to `drain_timeout`) and writes every result.
pub async fn run_worker(
    store: Arc<dyn Store>,
    prober: Prober,
    config: WorkerConfig,
    shutdown: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(config.concurrency));
    let (results, inbox) = mpsc::channel::<CheckRecord>(config.concurrency * 4);
    let writer = tokio::spawn(run_writer(
        store.clone(),
        inbox,
        config.result_buffer,
        Duration::from_secs(3),
    ));
    let in_flight = Arc::new(Mutex::new(InFlight::default()));
    let calendar = SharedCalendar::default();
    calendar.reload(&*store).await;
    tokio::spawn(calendar.clone().keep_fresh(
        store.clone(),
        config.maintenance_refresh,
        shutdown.clone(),
    ));
    let presence = Arc::new(Presence::default());
    tokio::spawn(crate::presence::keep_writing(
        store.clone(),
        presence.clone(),
        config.worker_id.clone(),
        config.presence_interval,
        shutdown.clone(),
    ));
    let lease = chrono::Duration::from_std(config.lease).unwrap_or(chrono::Duration::seconds(30));
    let config = Arc::new(config);
    tracing::info!(worker = %config.worker_id, concurrency = config.concurrency, "worker started");

    while !shutdown.is_cancelled() {
        if permits.available_permits() == 0 {
            // Wait for a check to finish before claiming more.
            tokio::select! {
                permit = permits.clone().acquire_owned() => drop(permit),
                () = shutdown.cancelled() => break,
            }
            continue;
        }
        let limit = u32::try_from(permits.available_permits()).unwrap_or(u32::MAX);
        let polled_at = Utc::now();
        let claimed = match store
            .claim_due_targets(&config.worker_id, polled_at, lease, limit)
            .await
        {
            Ok(claimed) => {
                presence.polled(polled_at, !claimed.is_empty());
                claimed
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not claim due targets");
                Vec::new()
            }
        };
        metrics::counter!("pharos_targets_claimed_total").increment(claimed.len() as u64);
        if claimed.is_empty() {
            tokio::select! {
                () = tokio::time::sleep(config.idle_poll) => {}
                () = shutdown.cancelled() => break,
            }
            continue;
        }
        let mut deferred = Vec::new();
        for claim in claimed {
            let host = host_key(&claim.target);
            let org = claim.target.organization_id;
            let started = in_flight
                .lock()
                .map_or(Err("poisoned"), |mut f| f.try_start(org, &host, &config));
            if let Err(reason) = started {
                metrics::counter!("pharos_work_delayed_total", "reason" => reason).increment(1);
                deferred.push((
                    claim.target.id,
                    claim.lease_epoch,
                    Utc::now() + chrono::Duration::seconds(1),
                ));
                continue;
            }
            let lateness = (Utc::now() - claim.due_at).num_milliseconds().max(0) as f64 / 1000.0;
            metrics::histogram!("pharos_check_lateness_seconds").record(lateness);
            if lateness > 5.0 {
                metrics::counter!("pharos_work_delayed_total", "reason" => "overdue").increment(1);
            }
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let prober = prober.clone();
            let results = results.clone();
            let in_flight = in_flight.clone();
            let config = config.clone();
            let calendar = calendar.clone();
            tokio::spawn(async move {
                let record = check(&prober, claim, &config, &calendar).await;
                // The writer outlives every sender, so this only fails at exit.
                let _ = results.send(record).await;
                if let Ok(mut f) = in_flight.lock() {
                    f.finish(org, &host);
                }
                drop(permit);
            });
        }
        if !deferred.is_empty() {
            if let Err(e) = store.release_claims(&deferred).await {
                tracing::warn!(error = %e, "could not release deferred claims; their leases will expire");
            }
        }
    }

    tracing::info!(worker = %config.worker_id, "worker stopping: draining in-flight checks");
    let total = u32::try_from(config.concurrency).unwrap_or(u32::MAX);
    if tokio::time::timeout(config.drain_timeout, permits.acquire_many(total))
        .await
        .is_err()
    {
        tracing::warn!("in-flight checks did not finish in time; their leases will expire");
    }
    drop(results);
    let _ = writer.await;
    tracing::info!(worker = %config.worker_id, "worker stopped");
}

/// The host a target's checks go to, for the per-host cap.
fn host_key(target: &Target) -> String {
    url::Url::parse(&target.url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| target.url.clone())
}

async fn check(
    prober: &Prober,
    claim: ClaimedTarget,
    config: &WorkerConfig,
    calendar: &SharedCalendar,
) -> CheckRecord {
    let target = &claim.target;
    let outcome = match &target.check {
        // Claimed means its deadline passed without a ping.
        TargetCheck::Heartbeat => missed_heartbeat(target),
        TargetCheck::Probe(spec) => {
            prober
                .run(spec, Duration::from_secs(u64::from(target.timeout_seconds)))
                .await
        }
    };
    let kind = target.kind().as_str();
    metrics::counter!("pharos_checks_total", "kind" => kind, "verdict" => outcome.verdict.as_str())
        .increment(1);
    metrics::histogram!("pharos_check_duration_seconds", "kind" => kind)
        .record(f64::from(outcome.latency_ms) / 1000.0);
    let origin = match target.check {
        TargetCheck::Heartbeat => ResultOrigin::HeartbeatMissed,
        TargetCheck::Probe(_) => ResultOrigin::Probe,
    };
    let rules = CheckRules {
        confirmation: config.confirmation,
        retry_after: chrono::Duration::from_std(config.retry_after)
            .unwrap_or(chrono::Duration::seconds(20)),
    };
    let now = Utc::now();
    let held = calendar
        .current()
        .covers(target.organization_id, target.id, now);
    let settled = settle(target.standing(held), origin, outcome.verdict, rules, now);
    // In maintenance nothing is told: a certificate entering a warning
    // window is noticed by the first check after it.
    let certificate = if held {
        CertificateUpdate {
            window: target.certificate_window,
            warning: None,
        }
    } else {
        let watch = watch_certificate(
            target.certificate_window,
            outcome.certificate_expires_at,
            now,
        );
        CertificateUpdate {
            window: watch.window,
            warning: watch
                .entered
                .zip(outcome.certificate_expires_at)
                .map(|(window, expires_at)| (expires_at, window)),
        }
    };
    let mut check = Check::from_outcome(target.id, &outcome);
    check.in_maintenance = held;
    CheckRecord {
        organization_id: target.organization_id,
        check,
        lease_epoch: claim.lease_epoch,
        next_due_at: settled.next_due_at,
        status: StatusUpdate::from(settled),
        certificate,
    }
}

fn missed_heartbeat(target: &Target) -> CheckOutcome {
    let grace = target.grace_seconds.unwrap_or(0);
    failed_now(
        ErrorClass::Heartbeat,
        format!(
            "no ping within the period of {} s plus {grace} s grace",
            target.interval_seconds
        ),
    )
}

fn failed_now(class: ErrorClass, message: String) -> CheckOutcome {
    CheckOutcome {
        started_at: Utc::now(),
        latency_ms: 0,
        verdict: Verdict::Down,
        status_code: None,
        timings: PhaseTimings::default(),
        failure: Some(CheckFailure { class, message }),
        certificate_expires_at: None,
    }
}
