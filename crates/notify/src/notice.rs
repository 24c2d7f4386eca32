//! A notice: one event about one target, with everything a channel needs
//! to put it in words. Channels render a notice; they never read storage.

use chrono::{DateTime, Utc};
use pharos_domain::TargetKind;
use uuid::Uuid;

/// What a notice tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// A failure was confirmed: the target is down.
    Down,
    /// The target recovered.
    Up,
    /// The target answers, slowly or with a warning.
    Degraded,
    /// The certificate of an HTTPS or TLS target is near expiry.
    CertificateExpiring { days_left: u32 },
    /// Sent by "Send test" to prove a channel works.
    Test,
    /// Several notices folded into one because a target flapped.
    Summary { folded: u32 },
    /// An agent went silent; `targets` are judged by their other
    /// locations meanwhile. The notice's name and location are the
    /// agent's location name.
    AgentOffline { agent: Uuid, targets: u32 },
    /// An agent that was offline is heard from again.
    AgentOnline { agent: Uuid, targets: u32 },
}

impl NoticeKind {
    /// About an agent rather than one target.
    pub fn is_agent(self) -> bool {
        matches!(
            self,
            NoticeKind::AgentOffline { .. } | NoticeKind::AgentOnline { .. }
        )
    }
}

/// One check of the last 24 hours, for channels that include history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPoint {
    pub checked_at: DateTime<Utc>,
    /// `up`, `degraded` or `down`, as the dashboard shows it.
    pub verdict: &'static str,
    pub latency_ms: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub kind: NoticeKind,
    /// The organization's display name.
    pub organization: String,
    pub target_id: Uuid,
    pub target_name: String,
    pub target_kind: TargetKind,
    /// The URL or host the target checks.
    pub target_address: String,
    /// Where the check ran: `local` for checks the server runs.
    pub location: String,
    pub incident_id: Option<Uuid>,
    /// The error or status, in one line.
    pub details: String,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    /// Since when the target is in the state the notice tells.
    pub since: DateTime<Utc>,
    pub occurred_at: DateTime<Utc>,
    /// The target's page in the dashboard.
    pub target_page: String,
    /// The last 24 hours of checks, when the channel asks for them.
    pub history: Option<Vec<HistoryPoint>>,
}
