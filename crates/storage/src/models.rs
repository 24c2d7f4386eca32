//! Rows as the rest of Pharos sees them.

use chrono::{DateTime, Utc};
use pharos_domain::alert::{AlertSettings, AttemptOutcome, NotificationKind, NotificationStatus};
use pharos_domain::check::{CheckOutcome, ErrorClass, PhaseTimings, Verdict};
use pharos_domain::event::EventType;
use pharos_domain::ids::{
    ChannelId, CheckId, InvitationId, NotificationId, OrganizationId, SessionId, TargetId, UserId,
};
use pharos_domain::job::Job;
use pharos_domain::organization::Role;
use pharos_domain::rollup::Rollup;
use pharos_domain::status::{Settled, Standing, TargetState, Transition};
use pharos_domain::{ChannelKind, TargetCheck, TargetKind};

#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub created_at: DateTime<Utc>,
    /// When the address was proved (a verification link used); `None`
    /// until then.
    pub email_verified_at: Option<DateTime<Utc>>,
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
    /// Members without two-factor sign-in are held to setting it up.
    pub require_two_factor: bool,
}

/// What an organization's settings change: each `None` is kept as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrganizationChange<'a> {
    pub name: Option<&'a str>,
    pub require_two_factor: Option<bool>,
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
    /// When they joined the organization (not when their account was made).
    pub joined_at: DateTime<Utc>,
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
    /// The session's public id (never its token nor the token's hash).
    pub id: SessionId,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The organization the session acts in, once one was chosen; `None`
    /// (or one the user has since left) means their first.
    pub organization_id: Option<OrganizationId>,
    /// The address the sign-in came from (`None` for sessions older than
    /// migration 0013).
    pub client_address: Option<String>,
    /// The sign-in's `User-Agent`, cut short by the caller.
    pub user_agent: Option<String>,
}

/// An invitation to join an organization. Its token is known only to the
/// link; the row keeps its keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: InvitationId,
    pub organization_id: OrganizationId,
    pub email: String,
    pub role: Role,
    /// Who invited (or last resent it); `None` once their account is gone.
    pub invited_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When it was used; a used invitation is never pending again.
    pub accepted_at: Option<DateTime<Utc>>,
}

pub struct NewInvitation<'a> {
    pub id: InvitationId,
    pub email: &'a str,
    pub role: Role,
    pub token_hash: &'a [u8],
    pub invited_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Who accepts an invitation: someone with an account, or a person
/// signing up through it (no organization of their own is made).
pub enum Invitee<'a> {
    Existing(UserId),
    New {
        id: UserId,
        email: &'a str,
        password_hash: &'a str,
    },
}

/// How accepting an invitation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acceptance {
    /// The invitee is now a member with the invitation's role.
    Joined,
    /// The invitation was used, revoked or expired meanwhile: nothing
    /// changed.
    NoLongerValid,
    /// The invitee already belongs to the organization: nothing changed.
    AlreadyMember,
}

/// How changing or removing a member ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    Done,
    /// No such member of the organization.
    NotFound,
    /// They are its last owner, who can neither leave nor be demoted.
    LastOwner,
}

/// An API key as its organization's list shows it (never the key itself).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: pharos_domain::ids::ApiKeyId,
    pub organization_id: OrganizationId,
    pub name: String,
    /// The key's first characters, enough to recognise it.
    pub prefix: String,
    pub role: Role,
    /// Who made it: the key acts for them, never above their role.
    pub created_by: UserId,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A key to store: its keyed hash, never the key.
pub struct NewApiKey<'a> {
    pub id: pharos_domain::ids::ApiKeyId,
    pub name: &'a str,
    pub prefix: &'a str,
    pub token_hash: &'a [u8],
    pub role: Role,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// What authenticating with a key needs, read in one query: the key, its
/// organization, its creator and the creator's role there now (`None`
/// once they left it).
#[derive(Debug, Clone)]
pub struct ApiKeyHolder {
    pub key: ApiKey,
    pub organization: Organization,
    pub creator: User,
    pub creator_role: Option<Role>,
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
    /// How it is checked: probed with typed settings, or a heartbeat.
    pub check: TargetCheck,
    /// The state the checks established (see `shown_state` for pauses).
    pub state: TargetState,
    pub state_changed_at: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    pub paused: bool,
    pub heartbeat_token: Option<String>,
    pub grace_seconds: Option<u32>,
    /// A heartbeat run that reported its start and has not finished.
    pub run_started_at: Option<DateTime<Utc>>,
    /// The certificate warning window (days) last reported, if any.
    pub certificate_window: Option<u32>,
    /// The group it is in, if any.
    pub group_id: Option<pharos_domain::ids::GroupId>,
    /// The token of its public badge (`/badge/<token>/...`); `None`: off.
    pub badge_token: Option<String>,
    /// The server itself checks it (the `local` location).
    pub check_local: bool,
    /// How many locations must agree it is down; `Some` exactly when
    /// agents check it too (its agents: `AgentStore::target_agents`).
    pub quorum: Option<pharos_domain::quorum::Quorum>,
}

impl Target {
    pub fn kind(&self) -> TargetKind {
        self.check.kind()
    }

    pub fn is_heartbeat(&self) -> bool {
        self.check.is_heartbeat()
    }

    /// The target as a new result is judged against (`in_maintenance`:
    /// a maintenance window holds it now).
    pub fn standing(&self, in_maintenance: bool) -> Standing {
        Standing {
            id: self.id,
            state: self.state,
            consecutive_failures: self.consecutive_failures,
            interval_seconds: self.interval_seconds,
            grace_seconds: self.grace_seconds.unwrap_or(0),
            in_maintenance,
        }
    }

    /// The state to show: paused targets are `Paused`.
    pub fn shown_state(&self) -> TargetState {
        TargetState::shown(self.state, self.paused)
    }
}

/// What a dashboard row and its live updates show of a target: no check
/// settings, only the columns a row draws, so an organization's hundreds
/// of targets read quickly (the dashboard reads them on every view and
/// every second per open dashboard).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSummary {
    pub id: TargetId,
    pub name: Option<String>,
    pub url: String,
    pub state: TargetState,
    pub paused: bool,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub last_latency_ms: Option<u32>,
    pub group_id: Option<pharos_domain::ids::GroupId>,
}

impl TargetSummary {
    /// The state to show: paused targets are `Paused`.
    pub fn shown_state(&self) -> TargetState {
        TargetState::shown(self.state, self.paused)
    }
}

/// A target to create; what it shows as its `url` (a URL, `host:port`, a
/// DNS name...) is its check's label.
pub struct NewTarget<'a> {
    pub created_by: UserId,
    pub name: Option<&'a str>,
    pub interval_seconds: u32,
    pub timeout_seconds: u32,
    pub check: TargetCheck,
    pub heartbeat_token: Option<&'a str>,
    pub grace_seconds: Option<u32>,
    /// When the first check is due (heartbeats: the first deadline).
    pub first_due_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

impl NewTarget<'_> {
    /// A target with no name and no heartbeat, first checked at `now`
    /// (imports, benchmarks and tests).
    pub fn due_now(
        created_by: UserId,
        check: TargetCheck,
        interval_seconds: u32,
        timeout_seconds: u32,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            created_by,
            name: None,
            interval_seconds,
            timeout_seconds,
            check,
            heartbeat_token: None,
            grace_seconds: None,
            first_due_at: now,
            now,
        }
    }
}

/// Fields to change; `None` leaves a field as it is. `name: Some(None)`
/// clears the name.
#[derive(Default)]
pub struct TargetPatch<'a> {
    pub name: Option<Option<&'a str>>,
    pub interval_seconds: Option<u32>,
    pub timeout_seconds: Option<u32>,
    /// New check settings. What is checked changed, so the state starts
    /// over at pending and a check is due at once.
    pub check: Option<TargetCheck>,
    pub grace_seconds: Option<u32>,
    pub now: DateTime<Utc>,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: pharos_domain::ids::AuditEntryId,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<UserId>,
    pub actor_email: Option<String>,
    pub api_key_id: Option<pharos_domain::ids::ApiKeyId>,
    pub client_address: Option<String>,
    pub action: pharos_domain::audit::AuditAction,
    pub subject: Option<String>,
    /// The changed fields (JSON), never a secret.
    pub details: serde_json::Value,
}

/// A user's two-factor enrolment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactor {
    /// The TOTP secret, sealed by the caller.
    pub sealed_secret: Vec<u8>,
    /// `None` while enrolling (no code confirmed it yet).
    pub enabled_at: Option<DateTime<Utc>>,
    /// The newest 30 s step a code was accepted for.
    pub last_step: i64,
    /// Recovery codes not used yet.
    pub recovery_codes_left: u32,
}

/// What saving a maintenance window came to.
#[derive(Debug, Clone, PartialEq)]
pub enum MaintenanceWrite {
    Saved(pharos_domain::maintenance::MaintenanceWindow),
    /// This target is not the organization's; nothing was written.
    UnknownTarget(TargetId),
    /// No such window in the organization.
    NotFound,
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
    /// Taken while a maintenance window held the target: shown as
    /// maintenance in history; it moved no state.
    pub in_maintenance: bool,
    /// Where it ran: the server (`Local`) or an agent.
    pub location: pharos_domain::agent::Location,
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
            in_maintenance: false,
            location: pharos_domain::agent::Location::Local,
        }
    }
}

/// Where a page of checks starts: strictly older than this point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckCursor {
    pub checked_at: DateTime<Utc>,
    pub id: CheckId,
}

impl CheckCursor {
    /// The cursor as clients carry it: opaque, base64 of
    /// `"<micros>.<check id>"`. The API and the pages both use this form.
    pub fn encode(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            "{}.{}",
            self.checked_at.timestamp_micros(),
            self.id
        ))
    }

    /// A cursor `encode` made, or `None` for anything else.
    pub fn decode(raw: &str) -> Option<Self> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (micros, id) = text.split_once('.')?;
        Some(Self {
            checked_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: CheckId(uuid::Uuid::parse_str(id).ok()?),
        })
    }
}

/// A target due for a check, held by one worker until `lease_until`.
#[derive(Debug, Clone)]
pub struct ClaimedTarget {
    pub target: Target,
    pub due_at: DateTime<Utc>,
    pub lease_epoch: i64,
}

/// How a result moves the target's state (computed by the worker, which
/// holds the lease, from the state it claimed).
#[derive(Debug, Clone)]
pub struct StatusUpdate {
    pub previous: TargetState,
    pub transition: Transition,
    /// For a target checked from several locations, the names of those
    /// the change is about: the ones that see it down (or degraded), or
    /// every counted one when it is up. Empty for the server alone.
    pub locations: Vec<String>,
}

impl From<Settled> for StatusUpdate {
    fn from(settled: Settled) -> Self {
        Self {
            previous: settled.previous,
            transition: settled.transition,
            locations: Vec::new(),
        }
    }
}

/// The result of a claimed check, written back under the claim's epoch.
#[derive(Debug, Clone)]
pub struct CheckRecord {
    /// The target's organization, from the claim (it never changes), so
    /// the write needs no `RETURNING`: on SQLite that would open a
    /// statement journal for every check.
    pub organization_id: OrganizationId,
    pub check: Check,
    pub lease_epoch: i64,
    pub next_due_at: DateTime<Utc>,
    pub status: StatusUpdate,
    /// The certificate the check saw, against the window last reported.
    pub certificate: CertificateUpdate,
}

/// A check's certificate, as the event log and the target row keep it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CertificateUpdate {
    /// The window to store on the target.
    pub window: Option<u32>,
    /// A window was entered: the expiry and the window, to report once.
    pub warning: Option<(DateTime<Utc>, u32)>,
}

/// A result that arrived without a claim (a heartbeat ping). Written only
/// if the target is still in the state it was computed from; it ends any
/// worker's claim on the target.
#[derive(Debug, Clone)]
pub struct DirectRecord {
    pub check: Check,
    pub expected_failures: u32,
    pub next_due_at: DateTime<Utc>,
    pub status: StatusUpdate,
}

/// A period when a target was down.
#[derive(Debug, Clone)]
pub struct Incident {
    pub id: uuid::Uuid,
    pub target_id: TargetId,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub cause: String,
    pub error_class: Option<ErrorClass>,
    pub first_check_id: CheckId,
}

/// An incident of an organization's target, with what the incidents list
/// shows of the target.
#[derive(Debug, Clone)]
pub struct OrganizationIncident {
    pub incident: Incident,
    pub target_name: Option<String>,
    /// The target's address (URL, host, or the heartbeat's description).
    pub target_url: String,
}

/// Where a page of an organization's incidents ends: open incidents come
/// first, then closed ones, each newest first, so the position is the
/// last incident's group and its `(opened_at, id)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentCursor {
    pub open: bool,
    pub opened_at: DateTime<Utc>,
    pub id: uuid::Uuid,
}

impl IncidentCursor {
    /// The cursor that continues after `incident`.
    pub fn after(incident: &Incident) -> Self {
        Self {
            open: incident.closed_at.is_none(),
            opened_at: incident.opened_at,
            id: incident.id,
        }
    }

    /// The cursor as clients carry it: opaque, base64 of
    /// `"<open|closed>.<micros>.<incident id>"`.
    pub fn encode(&self) -> String {
        use base64::Engine;
        let group = if self.open { "open" } else { "closed" };
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            "{group}.{}.{}",
            self.opened_at.timestamp_micros(),
            self.id
        ))
    }

    /// A cursor `encode` made, or `None` for anything else.
    pub fn decode(raw: &str) -> Option<Self> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.splitn(3, '.');
        let open = match parts.next()? {
            "open" => true,
            "closed" => false,
            _ => return None,
        };
        Some(Self {
            open,
            opened_at: DateTime::from_timestamp_micros(parts.next()?.parse().ok()?)?,
            id: uuid::Uuid::parse_str(parts.next()?).ok()?,
        })
    }
}

/// A roll-up bucket of a target's checks.
#[derive(Debug, Clone, PartialEq)]
pub struct RollupBucket {
    pub start: DateTime<Utc>,
    pub rollup: Rollup,
}

/// One entry of an organization's event log.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub organization_id: OrganizationId,
    /// Orders the organization's events: 1, 2, 3... in commit order.
    pub seq: i64,
    pub event_type: EventType,
    pub target_id: TargetId,
    pub incident_id: Option<uuid::Uuid>,
    pub occurred_at: DateTime<Utc>,
    /// Previous and new state, the error, the status code...
    pub payload: serde_json::Value,
}

/// One run of a periodic job, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRun {
    pub job: Job,
    /// The process that ran it (its worker or web id).
    pub runner: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub rows_affected: u64,
}

/// A periodic job's cluster-wide lock, held until released or dropped. On
/// PostgreSQL it is a transaction-scoped advisory lock, so it is let go
/// even if the holder dies; SQLite has one writer and needs none.
pub struct JobLock {
    pub(crate) held: Option<sqlx::Transaction<'static, sqlx::Postgres>>,
}

impl JobLock {
    /// Lets the lock go now (dropping it does too, a little later).
    pub async fn release(self) -> crate::error::StoreResult<()> {
        if let Some(tx) = self.held {
            tx.commit().await?;
        }
        Ok(())
    }
}

/// The migrations a build knows against those a database has applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Version and description of every migration this build carries.
    pub known: Vec<(i64, String)>,
    /// Versions the database has applied successfully.
    pub applied: Vec<i64>,
}

impl MigrationStatus {
    /// Migrations this build carries that the database lacks.
    pub fn pending(&self) -> Vec<&(i64, String)> {
        self.known
            .iter()
            .filter(|(version, _)| !self.applied.contains(version))
            .collect()
    }

    /// Migrations the database has that this build does not know: a newer
    /// Pharos migrated it.
    pub fn unknown(&self) -> Vec<i64> {
        self.applied
            .iter()
            .copied()
            .filter(|v| !self.known.iter().any(|(known, _)| known == v))
            .collect()
    }
}

/// One connection pool's use at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    /// `main` (PostgreSQL), or `writer` and `reader` (SQLite).
    pub pool: &'static str,
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// Due work across the cluster at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DueWork {
    /// Due, not paused, and held by no worker: the backlog.
    pub waiting: i64,
    /// Due and leased to a worker now.
    pub claimed: i64,
}

/// Where an organization's alerts go: a service, its settings, and
/// whether it serves the targets that name no channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub id: ChannelId,
    pub organization_id: OrganizationId,
    pub kind: ChannelKind,
    pub name: String,
    /// The public part of the settings (JSON object).
    pub config: serde_json::Value,
    /// The secret part, sealed by the caller; storage never sees it clear.
    pub sealed_secret: Option<Vec<u8>>,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Failed deliveries in a row (bursts count once).
    pub failures: u32,
    /// No notification of this channel is claimed before this time.
    pub resume_at: Option<DateTime<Utc>>,
}

/// A channel to create. The caller picks the id, so the sealed secret can
/// be bound to it before the row exists.
pub struct NewChannel<'a> {
    pub id: ChannelId,
    pub kind: ChannelKind,
    pub name: &'a str,
    pub config: &'a serde_json::Value,
    pub sealed_secret: Option<&'a [u8]>,
    pub is_default: bool,
    pub now: DateTime<Utc>,
}

/// Fields of a channel to change; `None` keeps a field. A new `config`
/// comes with its whole sealed secret (the caller joins old and new).
pub struct ChannelPatch<'a> {
    pub name: Option<&'a str>,
    pub config: Option<(&'a serde_json::Value, Option<&'a [u8]>)>,
    pub is_default: Option<bool>,
    pub now: DateTime<Utc>,
}

/// A new event seen by the sender: what happened, and the settings and
/// channels of the target it concerns.
#[derive(Debug, Clone)]
pub struct EventToFanOut {
    pub event: Event,
    /// `None` when the target no longer exists (nothing is sent then).
    pub route: Option<AlertRoute>,
}

/// Where a target's alerts go and when: its own settings or the
/// organization's, its own channels or the organization's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRoute {
    pub settings: AlertSettings,
    pub channels: Vec<ChannelId>,
}

/// An organization's events not yet fanned out, oldest first, after its
/// cursor `after`.
#[derive(Debug, Clone)]
pub struct FanOutBatch {
    pub organization_id: OrganizationId,
    pub after: i64,
    pub events: Vec<EventToFanOut>,
}

/// A notification to enqueue.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub channel_id: ChannelId,
    pub event_seq: i64,
    pub reminder: u32,
    pub target_id: TargetId,
    pub incident_id: Option<uuid::Uuid>,
    pub kind: NotificationKind,
    pub payload: serde_json::Value,
    pub include_history: bool,
    pub occurred_at: DateTime<Utc>,
    /// Due at once, normally.
    pub due_at: DateTime<Utc>,
}

/// An open incident whose `down` was told, for repeated alerts.
#[derive(Debug, Clone)]
pub struct OpenIncidentAlert {
    pub organization_id: OrganizationId,
    pub target_id: TargetId,
    pub incident_id: uuid::Uuid,
    pub settings: AlertSettings,
    /// The latest `down` notification of each channel.
    pub latest: Vec<Notification>,
}

/// One row of the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: NotificationId,
    pub organization_id: OrganizationId,
    pub channel_id: ChannelId,
    pub event_seq: i64,
    pub reminder: u32,
    pub target_id: TargetId,
    pub incident_id: Option<uuid::Uuid>,
    pub kind: NotificationKind,
    pub payload: serde_json::Value,
    pub include_history: bool,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub status: NotificationStatus,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    /// A summary: how many changes it folds (0 otherwise).
    pub folded: u32,
    /// A folded notification: the summary that tells it.
    pub folded_into: Option<NotificationId>,
}

/// A notification leased to one sender until its lease ends, with what
/// it takes to send it.
#[derive(Debug, Clone)]
pub struct ClaimedNotification {
    pub notification: Notification,
    /// Proves the lease when the attempt is recorded.
    pub lease_epoch: i64,
    pub channel: Channel,
    pub organization_name: String,
}

/// One attempt, recorded under the claim that made it.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub notification_id: NotificationId,
    pub lease_epoch: i64,
    pub attempted_at: DateTime<Utc>,
    pub outcome: AttemptOutcome,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration: std::time::Duration,
    /// For a retry: when to try again.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// What the attempt tells of the channel's health.
    pub channel: ChannelHealth,
}

/// How an attempt moves its channel's own backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelHealth {
    /// The service answered: failures start over.
    Answered,
    /// The service failed (timeout, connection, 429, 5xx): unless a burst
    /// already paused the channel, one more failure and a pause until then.
    Failing { resume_at: DateTime<Utc> },
}

/// One recorded attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationAttempt {
    pub notification_id: NotificationId,
    pub attempted_at: DateTime<Utc>,
    pub outcome: AttemptOutcome,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u32,
}

/// A tag of an organization's targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    pub id: pharos_domain::ids::TagId,
    pub name: String,
    pub color: pharos_domain::labels::TagColor,
    pub created_at: DateTime<Utc>,
}

/// A group of an organization's targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: pharos_domain::ids::GroupId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// Which of an organization's targets a list shows; `None` is no filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetFilter {
    pub tag: Option<pharos_domain::ids::TagId>,
    pub group: Option<pharos_domain::ids::GroupId>,
    /// The shown state (`Paused` for a paused target).
    pub state: Option<TargetState>,
    /// Part of the name or the URL, any letter case.
    pub search: Option<String>,
}

/// How the dashboard orders its window of targets; each ends by name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DashboardSort {
    /// Down, degraded, pending, up, paused (walks an index).
    #[default]
    Severity,
    Name,
    /// Slowest newest check first.
    Latency,
    /// Most recently checked first.
    Checked,
}

/// Where a page of the API's target lists ends: the next page starts
/// after this (creation time, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetCursor {
    pub created_at: DateTime<Utc>,
    pub id: TargetId,
}

impl TargetCursor {
    /// Opaque to clients: base64 of `"<micros>.<target id>"`.
    pub fn encode(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            "{}.{}",
            self.created_at.timestamp_micros(),
            self.id
        ))
    }

    /// A cursor `encode` made, or `None` for anything else.
    pub fn decode(raw: &str) -> Option<Self> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (micros, id) = text.split_once('.')?;
        Some(Self {
            created_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: TargetId(uuid::Uuid::parse_str(id).ok()?),
        })
    }
}
/// A worker process as the instance's status shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerPresence {
    pub worker_id: String,
    pub started_at: DateTime<Utc>,
    /// The last time it asked for due targets.
    pub last_seen_at: DateTime<Utc>,
    /// The last time a claim brought it work (`None`: not yet).
    pub last_claim_at: Option<DateTime<Utc>>,
}

/// A public status page with its sections, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusPage {
    pub id: pharos_domain::ids::StatusPageId,
    pub organization_id: OrganizationId,
    pub title: String,
    pub slug: String,
    pub description: String,
    pub logo_url: Option<String>,
    pub theme: pharos_domain::status_page::PageTheme,
    pub show_target_urls: bool,
    pub auto_draft_incidents: bool,
    /// The page's own host name, lowercase, once set.
    pub custom_domain: Option<String>,
    pub custom_domain_verified_at: Option<DateTime<Utc>>,
    /// The value the custom domain's TXT record must hold.
    pub custom_domain_token: Option<String>,
    /// Visitors' password (a PHC string), when the page has one.
    pub password_hash: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// In their order on the page.
    pub sections: Vec<StatusPageSection>,
}

impl StatusPage {
    /// Every target on the page, in page order.
    pub fn target_ids(&self) -> impl Iterator<Item = TargetId> + '_ {
        self.sections
            .iter()
            .flat_map(|s| s.entries.iter().map(|e| e.target_id))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPageSection {
    pub name: String,
    /// In their order in the section.
    pub entries: Vec<StatusPageEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPageEntry {
    pub target_id: TargetId,
    /// Shown instead of the target's own name.
    pub public_name: Option<String>,
}

/// What saving a status page came to.
#[derive(Debug, Clone, PartialEq)]
pub enum StatusPageWrite {
    Saved(Box<StatusPage>),
    /// Another page (of any organization) has this slug; nothing written.
    SlugTaken,
    /// This target is not the organization's; nothing was written.
    UnknownTarget(TargetId),
    /// No such page in the organization.
    NotFound,
}

/// An incident or announcement posted on a page, with its timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct PageIncident {
    pub id: pharos_domain::ids::PageIncidentId,
    pub page_id: pharos_domain::ids::StatusPageId,
    pub kind: pharos_domain::status_page::PageIncidentKind,
    pub title: String,
    pub status: pharos_domain::status_page::IncidentStatus,
    pub draft: bool,
    /// The monitoring incident an automatic draft was opened for.
    pub source_incident_id: Option<uuid::Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Affected targets, all on the page.
    pub target_ids: Vec<TargetId>,
    /// Oldest first.
    pub updates: Vec<PageIncidentUpdate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageIncidentUpdate {
    pub id: uuid::Uuid,
    pub status: pharos_domain::status_page::IncidentStatus,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

/// What posting or changing a page incident came to.
#[derive(Debug, Clone, PartialEq)]
pub enum PageIncidentWrite {
    Saved(PageIncident),
    /// This target is not on the page; nothing was written.
    NotOnPage(TargetId),
    /// No such page or incident in the organization.
    NotFound,
}

/// A remote agent of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: pharos_domain::ids::AgentId,
    pub organization_id: OrganizationId,
    /// The UUID the agent made for itself.
    pub uuid: uuid::Uuid,
    /// Its location's name.
    pub name: String,
    pub version: String,
    pub status: pharos_domain::agent::AgentStatus,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// Found silent past the offline setting, since then.
    pub offline_since: Option<DateTime<Utc>>,
    /// An instance-wide public location: every organization may check
    /// its targets from it (the operator publishes it).
    pub public: bool,
}

/// An agent as it asks to join.
#[derive(Debug, Clone, Copy)]
pub struct AgentIntroduction<'a> {
    pub uuid: uuid::Uuid,
    pub name: &'a str,
    pub version: &'a str,
    pub now: DateTime<Utc>,
}

/// What an admission attempt with the right secret led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentAdmission {
    /// Approved (or its UUID allowed): the token given was stored.
    Admitted(pharos_domain::ids::AgentId),
    /// Waiting for an admin.
    Pending,
    /// Rejected or revoked.
    Refused,
    /// The organization's pending list is full.
    PendingListFull,
}

/// The organization's agent settings (never the secret itself).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentSettings {
    pub secret_set: bool,
    pub allowed_uuids: Vec<uuid::Uuid>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A change of the agent settings: `secret_hash` `None` keeps the secret.
#[derive(Debug, Clone, Copy)]
pub struct AgentSettingsChange<'a> {
    pub secret_hash: Option<&'a [u8]>,
    pub allowed_uuids: &'a [uuid::Uuid],
    pub now: DateTime<Utc>,
}

/// Where a target is checked from (set together, validated by the caller).
#[derive(Debug, Clone)]
pub struct TargetLocations<'a> {
    pub check_local: bool,
    pub agents: &'a [pharos_domain::ids::AgentId],
    /// `None` when `agents` is empty.
    pub quorum: Option<pharos_domain::quorum::Quorum>,
}

/// One location's own view of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationState {
    pub location: pharos_domain::agent::Location,
    pub state: TargetState,
    pub consecutive_failures: u32,
    pub updated_at: DateTime<Utc>,
}

/// A result an agent pushed for a slot it was handed.
#[derive(Debug, Clone)]
pub struct AgentCheck {
    pub slot: DateTime<Utc>,
    /// Its `location` is the agent.
    pub check: Check,
    pub verdict: Verdict,
}

/// What became of a pushed batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentBatchWrite {
    pub stored: u32,
    pub duplicates: u32,
    /// Targets no longer assigned to the agent (or gone).
    pub refused: u32,
}

/// How a subscriber hears of a page's news.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriberKind {
    Email,
    Webhook,
}

impl SubscriberKind {
    pub const ALL: [SubscriberKind; 2] = [SubscriberKind::Email, SubscriberKind::Webhook];

    pub fn as_str(self) -> &'static str {
        match self {
            SubscriberKind::Email => "email",
            SubscriberKind::Webhook => "webhook",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// A status page's subscriber (migration 0017).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSubscriber {
    pub id: uuid::Uuid,
    pub page_id: pharos_domain::ids::StatusPageId,
    pub kind: SubscriberKind,
    /// The email address (lowercase), or the webhook's URL.
    pub address: String,
    /// Confirmed through the link of the opt-in mail.
    pub confirmed: bool,
    pub created_at: DateTime<Utc>,
}

/// What asking to subscribe came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscribeWrite {
    /// New or still pending: the new confirm token is the one stored.
    Pending(PageSubscriber),
    /// Confirmed already: nothing changed.
    AlreadyConfirmed,
}

/// A queued announcement leased to a worker, with what it needs to render.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriberDelivery {
    pub id: uuid::Uuid,
    pub subscriber_id: uuid::Uuid,
    pub subscriber_kind: SubscriberKind,
    pub address: String,
    /// A webhook's sealed signing secret.
    pub signing_secret: Option<Vec<u8>>,
    pub attempts: i32,
    pub page_id: pharos_domain::ids::StatusPageId,
    pub page_title: String,
    pub page_slug: String,
    pub incident_id: pharos_domain::ids::PageIncidentId,
    pub incident_title: String,
    pub kind: pharos_domain::status_page::PageIncidentKind,
    /// The update's status and message; the incident's when it was posted
    /// without a message.
    pub status: pharos_domain::status_page::IncidentStatus,
    pub message: String,
    pub at: DateTime<Utc>,
}

/// How an attempt at a subscriber delivery ended.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscriberDeliveryOutcome {
    Delivered,
    RetryAt(DateTime<Utc>, String),
    Failed(String),
}
