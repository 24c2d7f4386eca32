//! Rows as the rest of Pharos sees them.

use chrono::{DateTime, Utc};
use pharos_domain::check::{CheckOutcome, ErrorClass, PhaseTimings, Verdict};
use pharos_domain::ids::{CheckId, OrganizationId, TargetId, UserId};
use pharos_domain::organization::Role;

#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

/// A user together with the hash to verify a login against.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

#[derive(Debug, Clone)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// An organization the user belongs to, and their role in it.
#[derive(Debug, Clone)]
pub struct Membership {
    pub organization: Organization,
    pub role: Role,
}

/// A member of an organization as its settings page lists them.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: User,
    pub role: Role,
}

/// An organization with its size, for operators.
#[derive(Debug, Clone)]
pub struct OrganizationSummary {
    pub organization: Organization,
    pub members: i64,
    pub targets: i64,
}

pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub organization_name: &'a str,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Target {
    pub id: TargetId,
    pub organization_id: OrganizationId,
    pub created_by: Option<UserId>,
    pub url: String,
    pub name: Option<String>,
    pub interval_seconds: u32,
    pub timeout_seconds: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub next_due_at: DateTime<Utc>,
}

pub struct NewTarget<'a> {
    pub created_by: UserId,
    pub url: &'a str,
    pub name: Option<&'a str>,
    pub interval_seconds: u32,
    pub timeout_seconds: u32,
    pub now: DateTime<Utc>,
}

/// Fields to change; `None` leaves a field as it is. `name: Some(None)`
/// clears the name.
#[derive(Default)]
pub struct TargetPatch<'a> {
    pub url: Option<&'a str>,
    pub name: Option<Option<&'a str>>,
    pub interval_seconds: Option<u32>,
    pub timeout_seconds: Option<u32>,
    pub now: DateTime<Utc>,
}

/// One stored check.
#[derive(Debug, Clone)]
pub struct Check {
    pub id: CheckId,
    pub target_id: TargetId,
    pub checked_at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub latency_ms: Option<u32>,
    pub is_up: bool,
    pub degraded: bool,
    pub error_class: Option<ErrorClass>,
    pub error: Option<String>,
    pub timings: PhaseTimings,
}

impl Check {
    /// The row a finished check becomes.
    pub fn from_outcome(target_id: TargetId, outcome: &CheckOutcome) -> Self {
        Self {
            id: CheckId::new(),
            target_id,
            checked_at: outcome.started_at,
            status_code: outcome.status_code,
            latency_ms: Some(outcome.latency_ms),
            is_up: outcome.is_up(),
            degraded: outcome.verdict == Verdict::Degraded,
            error_class: outcome.failure.as_ref().map(|f| f.class),
            error: outcome.failure.as_ref().map(|f| f.message.clone()),
            timings: outcome.timings,
        }
    }
}

/// Where a page of checks starts: strictly older than this point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckCursor {
    pub checked_at: DateTime<Utc>,
    pub id: CheckId,
}

/// A target due for a check, held by one worker until `lease_until`.
#[derive(Debug, Clone)]
pub struct ClaimedTarget {
    pub target: Target,
    pub due_at: DateTime<Utc>,
    pub lease_epoch: i64,
}

/// The result of a claimed check, written back under the claim's epoch.
#[derive(Debug, Clone)]
pub struct CheckRecord {
    pub check: Check,
    pub lease_epoch: i64,
    pub next_due_at: DateTime<Utc>,
}
