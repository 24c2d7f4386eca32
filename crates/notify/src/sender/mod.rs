//! The delivery engine. One loop per worker process:
//!
//! 1. **Fan out**: events past each organization's alert cursor become one
//!    notification per channel they concern ([`fan_out`]), written with
//!    the cursor's move in one transaction (a second sender writes
//!    nothing).
//! 2. **Claim** due notifications under a lease, as many as there is room
//!    for in flight.
//! 3. **Deliver** each channel's notifications in order on a task of its
//!    own, channels side by side under a bound: one slow or dead service
//!    holds up only its own queue. Each attempt is recorded; a retryable
//!    failure schedules the next try (exponential backoff with jitter, a
//!    longer `Retry-After` honoured), pauses the channel and gives the
//!    rest of its queue back until then; a permanent one fails at once.
//!
//! Every few seconds it also writes the reminders of repeated alerts
//! ([`remind`]) for incidents still open, and the summaries of flapping
//! ([`summarize`]): past a few messages per channel per minute, changes
//! are folded, and once the minute has passed one summary says how many.
//!
//! A process killed mid-delivery leaves its claims to expire; any sender
//! then takes them over. A delivered notification is never claimed again.
//! Between the service's answer and the recorded attempt a crash can still
//! repeat one message: the delivery key (the notification's id) lets a
//! service that deduplicates see it as the same.

mod deliver;
mod fan_out;
mod notice;
mod remind;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pharos_domain::alert::{FoldRule, RetryPolicy};
use pharos_domain::ids::{ChannelId, OrganizationId};
use pharos_storage::models::ClaimedNotification;
use pharos_storage::Store;
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::transport::Transport;

pub use deliver::send_test;
pub use fan_out::{fan_out, summarize};
pub use notice::test_notice;
pub use remind::remind;

/// Opens a channel's sealed secret part (the app's sealer implements it;
/// this crate never holds the key).
pub trait ChannelSecrets: Send + Sync + 'static {
    fn open_channel_secret(
        &self,
        organization: OrganizationId,
        channel: ChannelId,
        sealed: &[u8],
    ) -> Result<Vec<u8>, SecretError>;
}

/// A sealed secret that does not open (another instance key, or altered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the channel's secret settings do not open with this server's secret key")]
pub struct SecretError;

#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// Names this process in leases.
    pub sender_id: String,
    /// `PHAROS_PUBLIC_URL`, for links to target pages.
    pub public_url: String,
    /// How often to look for new events and due notifications when idle.
    pub poll: Duration,
    /// How long a claim is held. Longer than a delivery can take: a
    /// notification whose lease is nearly spent is given back, not sent.
    pub lease: Duration,
    /// Each attempt's bound (the transport's timeout), to judge leases.
    pub attempt_timeout: Duration,
    /// Notifications claimed and not yet finished, at most.
    pub max_in_flight: usize,
    /// Deliveries running at once, over all channels.
    pub concurrency: usize,
    pub retry: RetryPolicy,
    /// How much a channel is told of a flapping target.
    pub fold: FoldRule,
}

impl Default for SenderConfig {
    fn default() -> Self {
        Self {
            sender_id: format!("sender-{}", uuid::Uuid::now_v7()),
            public_url: "http://localhost:8080".to_owned(),
            poll: Duration::from_millis(500),
            lease: Duration::from_secs(300),
            attempt_timeout: Duration::from_secs(10),
            max_in_flight: 256,
            concurrency: 32,
            retry: RetryPolicy::default(),
            fold: FoldRule::default(),
        }
    }
}

/// What every delivery task shares.
pub(crate) struct Shared {
    pub store: Arc<dyn Store>,
    pub transport: Arc<Transport>,
    pub secrets: Arc<dyn ChannelSecrets>,
    pub config: SenderConfig,
    pub permits: Semaphore,
    pub in_flight: AtomicUsize,
    pub shutdown: CancellationToken,
}

/// Registers the help text of the sender's metrics. No label names a
/// target, an organization or a URL: only the channel kind.
pub fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "pharos_notifications_enqueued_total",
        "Notifications written to the outbox, by channel kind."
    );
    describe_counter!(
        "pharos_notifications_sent_total",
        "Notifications delivered, by channel kind."
    );
    describe_counter!(
        "pharos_notifications_retried_total",
        "Delivery attempts that failed and will be tried again, by channel kind."
    );
    describe_counter!(
        "pharos_notifications_failed_total",
        "Notifications given up on (refused, or out of tries), by channel kind."
    );
    describe_histogram!(
        "pharos_notification_delay_seconds",
        Unit::Seconds,
        "From the event to its delivery, by channel kind."
    );
    describe_counter!(
        "pharos_notifications_reminders_total",
        "Reminders of repeated alerts written to the outbox."
    );
    describe_counter!(
        "pharos_notifications_summaries_total",
        "Summaries written for channels whose flapping targets were folded."
    );
    describe_gauge!(
        "pharos_notification_queue_depth",
        "Notifications waiting to be delivered or being delivered."
    );
}

/// Runs the sender until `shutdown`: fans out, claims, delivers. On
/// shutdown it stops claiming, gives back what has not started, and waits
/// a bounded time for deliveries in progress.
pub async fn run_sender(
    store: Arc<dyn Store>,
    transport: Arc<Transport>,
    secrets: Arc<dyn ChannelSecrets>,
    config: SenderConfig,
    shutdown: CancellationToken,
) {
    let shared = Arc::new(Shared {
        permits: Semaphore::new(config.concurrency.max(1)),
        in_flight: AtomicUsize::new(0),
        store,
        transport,
        secrets,
        config,
        shutdown: shutdown.clone(),
    });
    let mut queues: HashMap<ChannelId, mpsc::UnboundedSender<deliver::Queued>> = HashMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    let mut depth_at = tokio::time::Instant::now();
    tracing::info!(sender = %shared.config.sender_id, "alert sender started");
    while !shutdown.is_cancelled() {
        let mut busy = false;
        match fan_out(&*shared.store, chrono::Utc::now(), shared.config.fold).await {
            Ok(written) => busy |= written.events > 0,
            Err(e) => tracing::warn!(error = %e, "fanning events out failed"),
        }
        let free = shared
            .config
            .max_in_flight
            .saturating_sub(shared.in_flight.load(Ordering::SeqCst));
        if free > 0 {
            let lease = chrono::Duration::from_std(shared.config.lease)
                .unwrap_or(chrono::Duration::minutes(5));
            let claimed = shared
                .store
                .claim_notifications(
                    &shared.config.sender_id,
                    chrono::Utc::now(),
                    lease,
                    u32::try_from(free).unwrap_or(u32::MAX),
                )
                .await;
            match claimed {
                Ok(claimed) => {
                    busy |= claimed.len() == free;
                    for claim in claimed {
                        dispatch(&shared, &mut queues, &mut tasks, claim);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "claiming notifications failed"),
            }
        }
        queues.retain(|_, queue| !queue.is_closed());
        while let Some(done) = tasks.try_join_next() {
            if let Err(e) = done {
                tracing::error!(error = %e, "a delivery task failed");
            }
        }
        if depth_at.elapsed() >= Duration::from_secs(5) {
            depth_at = tokio::time::Instant::now();
            match remind(&*shared.store, chrono::Utc::now()).await {
                Ok(written) => busy |= written > 0,
                Err(e) => tracing::warn!(error = %e, "writing reminders failed"),
            }
            match summarize(&*shared.store, chrono::Utc::now(), shared.config.fold).await {
                Ok(made) => busy |= made > 0,
                Err(e) => tracing::warn!(error = %e, "summarizing folded notifications failed"),
            }
            if let Ok(depth) = shared.store.notification_queue_depth().await {
                metrics::gauge!("pharos_notification_queue_depth").set(depth as f64);
            }
        }
        if !busy {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(shared.config.poll) => {}
            }
        }
    }
    drop(queues);
    let drained = tokio::time::timeout(
        shared.config.attempt_timeout + Duration::from_secs(2),
        async { while tasks.join_next().await.is_some() {} },
    )
    .await;
    if drained.is_err() {
        tracing::warn!("alert deliveries still running at shutdown are left to their leases");
    }
    tracing::info!(sender = %shared.config.sender_id, "alert sender stopped");
}

/// Queues a claim behind its channel's earlier ones, starting the
/// channel's task when it has none.
fn dispatch(
    shared: &Arc<Shared>,
    queues: &mut HashMap<ChannelId, mpsc::UnboundedSender<deliver::Queued>>,
    tasks: &mut tokio::task::JoinSet<()>,
    claim: ClaimedNotification,
) {
    shared.in_flight.fetch_add(1, Ordering::SeqCst);
    let channel = claim.channel.id;
    let queued = deliver::Queued {
        claim,
        claimed_at: std::time::Instant::now(),
    };
    let claim = match queues.get(&channel) {
        Some(queue) => match queue.send(queued) {
            Ok(()) => return,
            // The channel's task closed its queue as this came: start anew.
            Err(mpsc::error::SendError(queued)) => queued,
        },
        None => queued,
    };
    let (queue, receiver) = mpsc::unbounded_channel();
    // A fresh queue's receiver is alive: this send cannot fail.
    let _ = queue.send(claim);
    queues.insert(channel, queue);
    let shared = Arc::clone(shared);
    tasks.spawn(deliver::run_channel(shared, receiver));
}
