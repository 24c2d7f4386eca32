//! What the server and its agents say to each other under `/agent/v1`.
//! Plain serde types shared by `pharos-web` (the endpoint) and
//! `pharos-agent` (the client), so the two cannot drift apart.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::check::CheckOutcome;
use crate::check_spec::CheckSpec;
use crate::ids::{AgentId, TargetId};

/// The most results one push may carry.
pub const MAX_BATCH: usize = 500;
/// The largest request body the agent endpoint reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How far ahead the server hands out slots.
pub const SLOT_HORIZON_SECONDS: i64 = 120;
/// How old a buffered result may be and still be accepted (an agent cut
/// off from the server for longer loses the older ones).
pub const MAX_RESULT_AGE_SECONDS: i64 = 24 * 3600;

/// `POST /agent/v1/admit`: an agent asks to join.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdmitRequest {
    pub uuid: Uuid,
    pub secret: String,
    /// The location's name the agent was started with.
    pub name: String,
    pub version: String,
}

/// The answer to an admission: a token, or wait for an admin.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AdmitResponse {
    Admitted { agent_id: AgentId, token: String },
    Pending,
}

/// One check assigned to an agent, with the slots it is to run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Assignment {
    pub target_id: TargetId,
    pub spec: CheckSpec,
    pub timeout_seconds: u32,
    pub interval_seconds: u32,
    /// The scheduled times handed to this agent, oldest first.
    pub slots: Vec<DateTime<Utc>>,
}

/// `GET /agent/v1/assignments`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Assignments {
    pub assignments: Vec<Assignment>,
    /// How often the server wants a heartbeat, in seconds.
    pub heartbeat_seconds: u32,
}

/// One slot's result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SlotResult {
    pub target_id: TargetId,
    pub slot: DateTime<Utc>,
    pub outcome: CheckOutcome,
}

/// `POST /agent/v1/results`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResultBatch {
    pub results: Vec<SlotResult>,
    /// Results the agent dropped since its last push (its buffer was full).
    #[serde(default)]
    pub dropped: u64,
}

/// What the server did with a batch: stored, already stored before (a
/// retry), refused (a slot not handed to this agent).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct BatchReceipt {
    pub stored: u32,
    pub duplicates: u32,
    pub refused: u32,
}

/// `POST /agent/v1/heartbeat`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Heartbeat {
    pub version: String,
    /// Results waiting in the agent's buffer.
    #[serde(default)]
    pub buffered: u64,
}
