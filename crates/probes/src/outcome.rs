//! Building a [`CheckOutcome`] while a check runs: the trace keeps whatever
//! phases finished, so a check that times out half-way still reports them.

use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pharos_domain::check::{CheckFailure, CheckOutcome, ErrorClass, PhaseTimings, Verdict};
use serde::Serialize;
use tokio::time::Instant;

use crate::tls::CertificateInfo;

/// A failure inside a check, before it becomes a [`CheckFailure`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fail {
    pub class: ErrorClass,
    pub message: String,
}

impl Fail {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        Self {
            class,
            message: message.into(),
        }
    }
}

/// How a check ended: `Ok(None)` up, `Ok(Some(reason))` degraded, `Err` down.
pub(crate) type Judged = Result<Option<Fail>, Fail>;

/// Round-trip statistics of a ping check.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PingStats {
    pub sent: u32,
    pub received: u32,
    pub min_ms: Option<f64>,
    pub avg_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// What a check saw beyond the [`CheckOutcome`]: for the command line and
/// for debugging, not stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProbeDetails {
    /// The addresses the guard validated for the last connection.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<IpAddr>,
    /// The URL of the last HTTP request, after redirects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_url: Option<String>,
    pub redirects: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_answers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ping: Option<PingStats>,
}

/// A check's outcome with its details.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeReport {
    #[serde(flatten)]
    pub outcome: CheckOutcome,
    #[serde(flatten)]
    pub details: ProbeDetails,
}

/// The running record of one check.
#[derive(Debug)]
pub(crate) struct Trace {
    started_at: DateTime<Utc>,
    start: Instant,
    /// No phase may wait past this instant.
    pub deadline: Instant,
    pub timings: PhaseTimings,
    pub status_code: Option<u16>,
    pub certificate_expires_at: Option<DateTime<Utc>>,
    /// Replaces the elapsed time as `latency_ms` (ping reports round trips).
    pub latency_override: Option<u32>,
    pub details: ProbeDetails,
}

impl Trace {
    pub fn start(timeout: Duration) -> Self {
        let start = Instant::now();
        // A caller's absurd timeout (Duration::MAX) must not overflow.
        let deadline = start
            .checked_add(timeout)
            .unwrap_or_else(|| start + Duration::from_secs(86_400 * 365));
        Self {
            started_at: Utc::now(),
            start,
            deadline,
            timings: PhaseTimings::default(),
            status_code: None,
            certificate_expires_at: None,
            latency_override: None,
            details: ProbeDetails::default(),
        }
    }

    pub fn elapsed_ms(&self) -> u32 {
        ms(self.start.elapsed())
    }

    /// Runs `fut` until the deadline; `None` when the deadline came first.
    pub async fn within<T>(&self, fut: impl Future<Output = T>) -> Option<T> {
        tokio::time::timeout_at(self.deadline, fut).await.ok()
    }

    pub fn finish(self, judged: Judged) -> ProbeReport {
        let (verdict, failure) = match judged {
            Ok(None) => (Verdict::Up, None),
            Ok(Some(reason)) => (Verdict::Degraded, Some(reason)),
            Err(fail) => (Verdict::Down, Some(fail)),
        };
        let latency_ms = self.latency_override.unwrap_or_else(|| self.elapsed_ms());
        ProbeReport {
            outcome: CheckOutcome {
                started_at: self.started_at,
                latency_ms,
                verdict,
                status_code: self.status_code,
                timings: self.timings,
                failure: failure.map(|f| CheckFailure {
                    class: f.class,
                    message: f.message,
                }),
                certificate_expires_at: self.certificate_expires_at,
            },
            details: self.details,
        }
    }
}

/// Whole milliseconds, saturating.
pub(crate) fn ms(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

/// Adds to a phase timing (a redirect chain adds each hop's phases).
pub(crate) fn add_ms(slot: &mut Option<u32>, d: Duration) {
    *slot = Some(slot.unwrap_or(0).saturating_add(ms(d)));
}
