//! One channel's queue, delivered in order: each notification built,
//! rendered, sent and recorded; a retryable failure pauses the channel
//! and gives its queue back until the pause ends.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use pharos_domain::alert::AttemptOutcome;
use pharos_storage::models::{AttemptRecord, ChannelHealth, ClaimedNotification};
use rand::Rng;
use tokio::sync::mpsc;

use super::notice::{history_window, notice_of};
use super::Shared;
use crate::channels::{render, ChannelConfig, RenderContext};
use crate::delivery::{Delivered, DeliveryError};
use crate::notice::Notice;
use crate::transport::Transport;

/// A channel's task ends after this long with nothing to send.
const IDLE: Duration = Duration::from_secs(2);
/// A notification that cannot be attempted now (the database is away)
/// comes back this much later.
const SOON: chrono::Duration = chrono::Duration::seconds(5);

/// A claim waiting in its channel's queue, and when it was claimed.
pub(crate) struct Queued {
    pub claim: ClaimedNotification,
    pub claimed_at: Instant,
}

pub(crate) async fn run_channel(shared: Arc<Shared>, mut queue: mpsc::UnboundedReceiver<Queued>) {
    let mut paused_until: Option<DateTime<Utc>> = None;
    let mut closing = false;
    loop {
        let queued = if closing {
            match queue.try_recv() {
                Ok(queued) => queued,
                Err(_) => return,
            }
        } else {
            tokio::select! {
                next = queue.recv() => match next {
                    Some(queued) => queued,
                    None => return,
                },
                () = tokio::time::sleep(IDLE) => {
                    // No more sends get in; what got in is still handled.
                    queue.close();
                    closing = true;
                    continue;
                }
            }
        };
        handle(&shared, queued, &mut paused_until).await;
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn release(shared: &Shared, claim: &ClaimedNotification, due_at: DateTime<Utc>) {
    let released = shared
        .store
        .release_notifications(&[(claim.notification.id, claim.lease_epoch)], due_at)
        .await;
    if let Err(e) = released {
        // The lease runs out and another claim picks it up.
        tracing::warn!(error = %e, "giving a notification back failed");
    }
}

async fn handle(shared: &Shared, queued: Queued, paused_until: &mut Option<DateTime<Utc>>) {
    let Queued { claim, claimed_at } = queued;
    let now = Utc::now();
    if shared.shutdown.is_cancelled() {
        return release(shared, &claim, now).await;
    }
    if let Some(until) = *paused_until {
        if until > now {
            return release(shared, &claim, until).await;
        }
    }
    // Too little of the lease left to finish: another sender might take
    // it over mid-delivery, so give it back instead.
    let margin = shared.config.attempt_timeout * 2 + Duration::from_secs(5);
    if claimed_at.elapsed() + margin > shared.config.lease {
        return release(shared, &claim, now).await;
    }
    let Ok(_permit) = shared.permits.acquire().await else {
        return release(shared, &claim, now).await;
    };
    let started = Instant::now();
    let attempted_at = Utc::now();
    let result = match attempt(shared, &claim, attempted_at).await {
        Ok(result) => result,
        Err(e) => {
            tracing::warn!(error = %e, "a notification could not be prepared; trying again soon");
            return release(shared, &claim, Utc::now() + SOON).await;
        }
    };
    let duration = match &result {
        Ok(delivered) => delivered.duration,
        Err(_) => started.elapsed(),
    };
    let record = judge(shared, &claim, attempted_at, duration, &result);
    if let ChannelHealth::Failing { resume_at } = record.channel {
        *paused_until = Some(resume_at);
    }
    let kind = claim.channel.kind.as_str();
    match record.outcome {
        AttemptOutcome::Delivered => {
            metrics::counter!("pharos_notifications_sent_total", "channel_kind" => kind)
                .increment(1);
            let delay = (Utc::now() - claim.notification.occurred_at)
                .to_std()
                .unwrap_or_default();
            metrics::histogram!("pharos_notification_delay_seconds", "channel_kind" => kind)
                .record(delay.as_secs_f64());
        }
        AttemptOutcome::Retry => {
            metrics::counter!("pharos_notifications_retried_total", "channel_kind" => kind)
                .increment(1);
        }
        AttemptOutcome::Failed => {
            metrics::counter!("pharos_notifications_failed_total", "channel_kind" => kind)
                .increment(1);
        }
    }
    tracing::info!(
        notification = %claim.notification.id.0,
        channel_kind = kind,
        outcome = record.outcome.as_str(),
        status = record.status_code,
        attempt = claim.notification.attempts + 1,
        "notification attempt"
    );
    match shared.store.record_attempt(&record).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            notification = %claim.notification.id.0,
            "a notification's lease was taken over before its attempt was recorded"
        ),
        Err(e) => tracing::error!(error = %e, "recording a notification attempt failed"),
    }
}

/// The attempt's record: delivered; retried later (with the channel
/// paused); or failed, when refused or out of tries.
fn judge(
    shared: &Shared,
    claim: &ClaimedNotification,
    attempted_at: DateTime<Utc>,
    duration: Duration,
    result: &Result<Delivered, DeliveryError>,
) -> AttemptRecord {
    let policy = &shared.config.retry;
    let attempts = claim.notification.attempts + 1;
    let jitter: f64 = rand::thread_rng().gen();
    let mut record = AttemptRecord {
        notification_id: claim.notification.id,
        lease_epoch: claim.lease_epoch,
        attempted_at,
        outcome: AttemptOutcome::Delivered,
        status_code: None,
        error: None,
        duration,
        next_attempt_at: None,
        channel: ChannelHealth::Answered,
    };
    match result {
        Ok(delivered) => record.status_code = Some(delivered.status),
        Err(error) => {
            record.status_code = error.status();
            record.error = Some(error.message().to_owned());
            match error {
                DeliveryError::Permanent { .. } => record.outcome = AttemptOutcome::Failed,
                DeliveryError::Retryable { retry_after, .. } => {
                    let to_chrono = |d: Duration| {
                        chrono::Duration::from_std(d).unwrap_or(chrono::Duration::hours(1))
                    };
                    // The channel's own pause grows with its failures in
                    // a row (a burst counts once), whatever this one's try.
                    let step = (claim.channel.failures + 1).min(policy.max_attempts - 1);
                    let pause = policy
                        .next_wait(step.max(1), jitter, *retry_after)
                        .unwrap_or(policy.max_wait);
                    record.channel = ChannelHealth::Failing {
                        resume_at: attempted_at + to_chrono(pause),
                    };
                    match policy.next_wait(attempts, jitter, *retry_after) {
                        Some(wait) => {
                            record.outcome = AttemptOutcome::Retry;
                            record.next_attempt_at = Some(attempted_at + to_chrono(wait));
                        }
                        None => record.outcome = AttemptOutcome::Failed,
                    }
                }
            }
        }
    }
    record
}

/// Errors of our own side (the database) come back as `Err` and leave the
/// notification to be tried again; everything about the channel and its
/// service comes back as the attempt's result.
async fn attempt(
    shared: &Shared,
    claim: &ClaimedNotification,
    now: DateTime<Utc>,
) -> Result<Result<Delivered, DeliveryError>, pharos_storage::StoreError> {
    let n = &claim.notification;
    let Some(target) = shared.store.target(n.organization_id, n.target_id).await? else {
        return Ok(Err(DeliveryError::permanent(
            "the target was deleted before its alert went out",
        )));
    };
    let config = match open_config(shared, claim) {
        Ok(config) => config,
        Err(error) => return Ok(Err(error)),
    };
    let history = if n.include_history || config.wants_history() {
        let (limit, since) = history_window(now);
        let mut checks = shared
            .store
            .checks(n.organization_id, n.target_id, None, limit)
            .await?;
        checks.retain(|c| c.checked_at >= since);
        Some(checks)
    } else {
        None
    };
    let notice = notice_of(
        n,
        &target,
        &claim.organization_name,
        &shared.config.public_url,
        history.as_deref(),
    );
    let ctx = RenderContext {
        now,
        public_url: shared.config.public_url.clone(),
        delivery_key: n.id.0.to_string(),
    };
    Ok(deliver(
        &shared.transport,
        &config,
        &notice,
        &ctx,
        shared.config.attempt_timeout,
    )
    .await)
}

/// The channel's whole configuration: the public part joined with the
/// secret part opened.
fn open_config(
    shared: &Shared,
    claim: &ClaimedNotification,
) -> Result<ChannelConfig, DeliveryError> {
    let channel = &claim.channel;
    let secret = match &channel.sealed_secret {
        None => serde_json::Value::Object(serde_json::Map::new()),
        Some(sealed) => {
            let clear = shared
                .secrets
                .open_channel_secret(channel.organization_id, channel.id, sealed)
                .map_err(|e| DeliveryError::permanent(e.to_string()))?;
            serde_json::from_slice(&clear).map_err(|_| {
                DeliveryError::permanent("the channel's secret settings are not JSON")
            })?
        }
    };
    ChannelConfig::join(channel.kind, channel.config.clone(), secret)
        .map_err(|e| DeliveryError::permanent(format!("the channel's settings are invalid: {e}")))
}

/// Renders and sends, bounded in time even if the transport is not.
async fn deliver(
    transport: &Transport,
    config: &ChannelConfig,
    notice: &Notice,
    ctx: &RenderContext,
    timeout: Duration,
) -> Result<Delivered, DeliveryError> {
    let delivery =
        render(config, notice, ctx).map_err(|e| DeliveryError::permanent(e.to_string()))?;
    match tokio::time::timeout(
        timeout + Duration::from_secs(5),
        transport.deliver(&delivery),
    )
    .await
    {
        Ok(result) => result,
        Err(_) => Err(DeliveryError::retryable("the delivery timed out")),
    }
}

/// "Send test": delivers `notice` (see [`super::test_notice`]) to a
/// channel now, outside the outbox, and answers with the service's status
/// or the error.
pub async fn send_test(
    transport: &Transport,
    config: &ChannelConfig,
    notice: &Notice,
    public_url: &str,
    timeout: Duration,
) -> Result<Delivered, DeliveryError> {
    let ctx = RenderContext {
        now: Utc::now(),
        public_url: public_url.to_owned(),
        delivery_key: uuid::Uuid::now_v7().to_string(),
    };
    deliver(transport, config, notice, &ctx, timeout).await
}
