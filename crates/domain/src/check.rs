//! The result of one check of a target.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What kind of failure a down (or degraded) check met. A fixed set, so
/// dashboards and alerts can group by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    Dns,
    Refused,
    ConnectTimeout,
    Tls,
    Timeout,
    Status,
    Keyword,
    Json,
    Redirects,
    BlockedAddress,
    BodyTooLarge,
    Protocol,
    Latency,
    Certificate,
    Unreachable,
    Io,
    /// A heartbeat target's ping did not arrive in time, or reported failure.
    Heartbeat,
}

impl ErrorClass {
    pub const ALL: [ErrorClass; 17] = [
        ErrorClass::Dns,
        ErrorClass::Refused,
        ErrorClass::ConnectTimeout,
        ErrorClass::Tls,
        ErrorClass::Timeout,
        ErrorClass::Status,
        ErrorClass::Keyword,
        ErrorClass::Json,
        ErrorClass::Redirects,
        ErrorClass::BlockedAddress,
        ErrorClass::BodyTooLarge,
        ErrorClass::Protocol,
        ErrorClass::Latency,
        ErrorClass::Certificate,
        ErrorClass::Unreachable,
        ErrorClass::Io,
        ErrorClass::Heartbeat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Dns => "dns",
            ErrorClass::Refused => "refused",
            ErrorClass::ConnectTimeout => "connect_timeout",
            ErrorClass::Tls => "tls",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Status => "status",
            ErrorClass::Keyword => "keyword",
            ErrorClass::Json => "json",
            ErrorClass::Redirects => "redirects",
            ErrorClass::BlockedAddress => "blocked_address",
            ErrorClass::BodyTooLarge => "body_too_large",
            ErrorClass::Protocol => "protocol",
            ErrorClass::Latency => "latency",
            ErrorClass::Certificate => "certificate",
            ErrorClass::Unreachable => "unreachable",
            ErrorClass::Io => "io",
            ErrorClass::Heartbeat => "heartbeat",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|class| class.as_str() == raw)
    }
}

/// The verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Up,
    /// Answered, but worse than the target's thresholds (slow, certificate
    /// expiring soon). Still counts as up.
    Degraded,
    Down,
}

impl Verdict {
    /// Every verdict, from best to worst, as documents list them.
    pub const ALL: [Verdict; 3] = [Verdict::Up, Verdict::Degraded, Verdict::Down];

    pub fn is_up(self) -> bool {
        !matches!(self, Verdict::Down)
    }
}

/// Time spent in each phase of a check, in milliseconds, where it applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseTimings {
    pub dns_ms: Option<u32>,
    pub connect_ms: Option<u32>,
    pub tls_ms: Option<u32>,
    pub first_byte_ms: Option<u32>,
}

/// Why a check failed: a class from the fixed set and a short message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckFailure {
    pub class: ErrorClass,
    pub message: String,
}

/// Everything one check found out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub started_at: DateTime<Utc>,
    pub latency_ms: u32,
    pub verdict: Verdict,
    pub status_code: Option<u16>,
    pub timings: PhaseTimings,
    pub failure: Option<CheckFailure>,
    pub certificate_expires_at: Option<DateTime<Utc>>,
}

impl CheckOutcome {
    pub fn is_up(&self) -> bool {
        self.verdict.is_up()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verdict_round_trips_through_its_name() {
        // Verdicts have no `as_str`: their name is their serde name.
        let mut names = Vec::new();
        for verdict in Verdict::ALL {
            let json = serde_json::to_value(verdict).expect("serialises");
            let name = json.as_str().expect("a verdict is named by a string");
            assert_eq!(
                serde_json::from_value::<Verdict>(json.clone()).ok(),
                Some(verdict)
            );
            names.push(name.to_owned());
        }
        assert_eq!(names, ["up", "degraded", "down"]);
    }
}
