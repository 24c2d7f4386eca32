//! The storage interface, one trait per aggregate, in two audiences.
//!
//! **Tenant-facing** traits (`TenantStore`) serve a request made inside an
//! organization: every method takes the organization id first, so reading
//! another tenant's rows cannot be written by accident. **System** traits
//! (`SystemStore`) are for the workers, the jobs, sign-in and operators:
//! claiming due targets, writing results, pruning, finding a session or a
//! heartbeat by its token, listing across tenants. `Store` is both, for the
//! code that wires them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pharos_domain::agent::AgentStatus;
use pharos_domain::alert::{AlertSettings, FoldRule};
use pharos_domain::ids::{
    AgentId, ApiKeyId, AuditEntryId, ChannelId, GroupId, InvitationId, MaintenanceId,
    NotificationId, OrganizationId, PageIncidentId, SessionId, StatusPageId, TagId, TargetId,
    UserId,
};
use pharos_domain::job::Job;
use pharos_domain::maintenance::{MaintenancePlan, MaintenanceWindow};
use pharos_domain::organization::Role;
use pharos_domain::status::Confirmation;
use pharos_domain::status_page::{NewPageIncident, PageIncidentChange, StatusPagePlan};
use pharos_domain::user::AccountTokenPurpose;

use crate::error::StoreResult;
use crate::models::*;

/// The database itself: which backend, its size, its migrations. (system)
#[async_trait]
pub trait DatabaseStore: Send + Sync + 'static {
    /// Which backend this is ("sqlite" or "postgres"), for logs and readiness.
    fn backend(&self) -> &'static str;

    /// Bytes the database takes on disk.
    async fn database_bytes(&self) -> StoreResult<i64>;

    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;

    /// The database answers and every migration Pharos knows is applied.
    async fn ready(&self) -> StoreResult<bool>;

    /// The migrations this build knows and those the database has applied
    /// (an error when the database does not answer).
    async fn migration_status(&self) -> StoreResult<MigrationStatus>;

    /// The database server's clock, where it has its own (PostgreSQL);
    /// SQLite runs on this machine's clock and answers `None`.
    async fn database_clock(&self) -> StoreResult<Option<DateTime<Utc>>>;

    /// How full each connection pool is, for the metrics.
    fn pool_use(&self) -> Vec<PoolUse>;
}

/// Users and their credentials, found by email or id (sign-up, sign-in). (system)
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Creates a user and an organization they own, atomically. Returns
    /// `StoreError::Conflict` when the email is taken.
    async fn create_account(&self, account: NewAccount<'_>) -> StoreResult<(User, Organization)>;

    async fn user_credentials(&self, email: &str) -> StoreResult<Option<UserCredentials>>;

    async fn user(&self, id: UserId) -> StoreResult<Option<User>>;

    async fn set_password_hash(&self, id: UserId, password_hash: &str) -> StoreResult<()>;

    async fn memberships(&self, user: UserId) -> StoreResult<Vec<Membership>>;
}

/// The single-use links sent to an account (password reset, email
/// verification), found by the keyed hash of their token. A link works
/// once, before it expires. (system)
#[async_trait]
pub trait AccountTokenStore: Send + Sync + 'static {
    /// Stores a new link; the user's earlier unused links of the same
    /// purpose (and expired ones) stop working.
    async fn issue_account_token(
        &self,
        user: UserId,
        purpose: AccountTokenPurpose,
        token_hash: &[u8],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The user a link is for, while it is unused and unexpired.
    async fn account_token_user(
        &self,
        purpose: AccountTokenPurpose,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<UserId>>;

    /// In one transaction: uses a password-reset link, sets the password
    /// and ends every session of the account. `None`: the link is unknown,
    /// used or expired, and nothing changed.
    async fn reset_password(
        &self,
        token_hash: &[u8],
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<UserId>>;

    /// Uses a verification link and marks the address verified.
    async fn verify_email(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<UserId>>;
}

/// Two-factor sign-in: a user's sealed TOTP secret, the last step a code
/// was accepted for, and hashed recovery codes. (system)
#[async_trait]
pub trait TwoFactorStore: Send + Sync + 'static {
    async fn two_factor(&self, user: UserId) -> StoreResult<Option<TwoFactor>>;

    /// Starts (or restarts) enrolling with a new sealed secret; `false`
    /// when two-factor is already on (nothing changes).
    async fn begin_two_factor(
        &self,
        user: UserId,
        sealed_secret: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Turns two-factor on after a first code (of `step`), with these
    /// recovery code hashes; `false` unless it was being enrolled.
    async fn enable_two_factor(
        &self,
        user: UserId,
        step: i64,
        recovery_code_hashes: &[Vec<u8>],
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Accepts a code of `step` once: `false` if a code of this step or a
    /// later one was accepted already (a replay).
    async fn accept_two_factor_step(&self, user: UserId, step: i64) -> StoreResult<bool>;

    /// Uses a recovery code once.
    async fn use_recovery_code(
        &self,
        user: UserId,
        code_hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Turns two-factor off: the secret and every recovery code go.
    async fn disable_two_factor(&self, user: UserId) -> StoreResult<bool>;
}

/// Sessions, found by the keyed hash of their token. (system)
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    async fn create_session(&self, token_hash: &[u8], session: &Session) -> StoreResult<()>;

    async fn session(&self, token_hash: &[u8]) -> StoreResult<Option<Session>>;

    async fn touch_session(&self, token_hash: &[u8], now: DateTime<Utc>) -> StoreResult<()>;

    async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()>;

    /// Makes `org` the organization the session acts in.
    async fn set_session_organization(
        &self,
        token_hash: &[u8],
        org: OrganizationId,
    ) -> StoreResult<()>;

    /// Ends every session of `user` except the one whose hash is `keep`.
    async fn delete_other_sessions(&self, user: UserId, keep: &[u8]) -> StoreResult<u64>;

    /// `user`'s sessions still alive at `now` (not past their expiry, seen
    /// since `idle_before`), the newest first.
    async fn user_sessions(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> StoreResult<Vec<Session>>;

    /// Ends the session `id` if it is `user`'s; `false` when `user` has
    /// no such session (another user's id included: nothing ends).
    async fn delete_user_session(&self, user: UserId, id: SessionId) -> StoreResult<bool>;

    /// Removes sessions that expired (absolutely, or idle since `idle_before`).
    async fn delete_stale_sessions(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> StoreResult<u64>;
}

/// An organization's API keys: made, listed, revoked. (tenant-facing)
#[async_trait]
pub trait ApiKeyStore: Send + Sync + 'static {
    /// Stores a key unless the organization already has `limit`; `None`
    /// then, and nothing written.
    async fn create_api_key(
        &self,
        org: OrganizationId,
        key: NewApiKey<'_>,
        limit: u32,
    ) -> StoreResult<Option<ApiKey>>;

    /// The organization's keys, oldest first.
    async fn api_keys(&self, org: OrganizationId) -> StoreResult<Vec<ApiKey>>;

    async fn api_key(&self, org: OrganizationId, id: ApiKeyId) -> StoreResult<Option<ApiKey>>;

    /// Deletes the key: the next request with it finds nothing. `false`
    /// when the organization has no such key.
    async fn delete_api_key(&self, org: OrganizationId, id: ApiKeyId) -> StoreResult<bool>;
}

/// API keys found by the keyed hash of the key, for authenticating a
/// request. (system)
#[async_trait]
pub trait ApiKeyAuthStore: Send + Sync + 'static {
    async fn api_key_holder(&self, token_hash: &[u8]) -> StoreResult<Option<ApiKeyHolder>>;

    /// Records a use at `now` unless one after `since` is recorded
    /// already (so a busy key is written at most once per interval).
    async fn touch_api_key(
        &self,
        id: ApiKeyId,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> StoreResult<()>;
}

/// An organization's own record and members. (tenant-facing)
#[async_trait]
pub trait OrganizationStore: Send + Sync + 'static {
    /// The members of `org` with their roles, in the order they joined.
    async fn members(&self, org: OrganizationId) -> StoreResult<Vec<Member>>;

    /// One member of `org`, if `user` is one.
    async fn member(&self, org: OrganizationId, user: UserId) -> StoreResult<Option<Member>>;

    /// Gives a member another role. The last owner keeps theirs
    /// (`LastOwner`); the count of owners is read under a lock on the
    /// organization's row, so two owners demoting each other cannot both
    /// succeed.
    async fn change_member_role(
        &self,
        org: OrganizationId,
        user: UserId,
        role: Role,
    ) -> StoreResult<MemberChange>;

    /// Takes a member out of the organization (the last owner stays:
    /// `LastOwner`), under the same lock.
    async fn remove_member(&self, org: OrganizationId, user: UserId) -> StoreResult<MemberChange>;

    /// Changes `org`'s settings (validated by the caller): the name, and
    /// whether members must use two-factor sign-in; what is `None` stays.
    /// `false` when there is no such organization.
    async fn update_organization(
        &self,
        org: OrganizationId,
        change: OrganizationChange<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Deletes `org` and everything in it (targets and their history,
    /// channels, alerts, members, invitations, keys, its audit log); its
    /// members' accounts stay. `false` when there is no such organization.
    async fn delete_organization(&self, org: OrganizationId) -> StoreResult<bool>;
}

/// An organization's invitations. (tenant-facing)
#[async_trait]
pub trait InvitationStore: Send + Sync + 'static {
    /// Saves a new invitation. `StoreError::Conflict` when the email has a
    /// pending invitation to `org` already.
    async fn create_invitation(
        &self,
        org: OrganizationId,
        invitation: NewInvitation<'_>,
    ) -> StoreResult<Invitation>;

    /// The organization's pending invitations (expired ones included, to
    /// be resent or revoked), oldest first.
    async fn pending_invitations(&self, org: OrganizationId) -> StoreResult<Vec<Invitation>>;

    /// A pending invitation of `org`.
    async fn pending_invitation(
        &self,
        org: OrganizationId,
        id: InvitationId,
    ) -> StoreResult<Option<Invitation>>;

    /// Gives a pending invitation a new token and expiry (the old link no
    /// longer works); `None` when `org` has no such pending invitation.
    #[allow(clippy::too_many_arguments)]
    async fn renew_invitation(
        &self,
        org: OrganizationId,
        id: InvitationId,
        token_hash: &[u8],
        invited_by: UserId,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Option<Invitation>>;

    /// Deletes a pending invitation (revoking it); `false` when `org` has
    /// no such pending invitation.
    async fn delete_invitation(&self, org: OrganizationId, id: InvitationId) -> StoreResult<bool>;
}

/// Invitations found by the keyed hash of their token, and accepted. (system)
#[async_trait]
pub trait InvitationAcceptStore: Send + Sync + 'static {
    /// The invitation whose token hashes to `token_hash` (pending or
    /// used), with its organization.
    async fn invitation_by_token(
        &self,
        token_hash: &[u8],
    ) -> StoreResult<Option<(Invitation, Organization)>>;

    /// Uses the invitation `id` up and makes `invitee` a member with its
    /// role, in one transaction; only while it is pending and not expired
    /// at `now`. A new invitee's account is made in the same transaction
    /// (`StoreError::Conflict` when the email is taken).
    async fn accept_invitation(
        &self,
        id: InvitationId,
        invitee: Invitee<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Acceptance>;
}

/// An organization's targets: create, read, change, pause, delete. (tenant-facing)
#[async_trait]
pub trait TargetStore: Send + Sync + 'static {
    async fn create_target(
        &self,
        org: OrganizationId,
        target: NewTarget<'_>,
    ) -> StoreResult<Target>;

    /// Creates many targets in one transaction (imports, benchmarks).
    async fn create_targets(
        &self,
        org: OrganizationId,
        targets: &[NewTarget<'_>],
    ) -> StoreResult<u64>;

    async fn targets(&self, org: OrganizationId) -> StoreResult<Vec<Target>>;

    async fn target(&self, org: OrganizationId, id: TargetId) -> StoreResult<Option<Target>>;

    async fn update_target(
        &self,
        org: OrganizationId,
        id: TargetId,
        patch: TargetPatch<'_>,
    ) -> StoreResult<Option<Target>>;

    async fn delete_target(&self, org: OrganizationId, id: TargetId) -> StoreResult<bool>;

    /// Every target of `org`, as a dashboard row shows it, in creation
    /// order.
    async fn target_summaries(&self, org: OrganizationId) -> StoreResult<Vec<TargetSummary>>;

    /// Every target of `org` with its newest check, if it has one.
    async fn targets_with_latest_check(
        &self,
        org: OrganizationId,
    ) -> StoreResult<Vec<(Target, Option<Check>)>>;

    /// A page of the targets of `org` that pass `filter`, in creation
    /// order, after `after` (the API's list; walks `targets_page`).
    async fn targets_page(
        &self,
        org: OrganizationId,
        filter: &TargetFilter,
        after: Option<TargetCursor>,
        limit: u32,
    ) -> StoreResult<Vec<Target>>;

    /// `targets_page` with each target's newest check (the status API).
    async fn targets_with_latest_check_page(
        &self,
        org: OrganizationId,
        filter: &TargetFilter,
        after: Option<TargetCursor>,
        limit: u32,
    ) -> StoreResult<Vec<(Target, Option<Check>)>>;

    /// One window of the dashboard: the targets that pass `filter` in
    /// `sort` order, `limit` of them from `offset`.
    async fn dashboard_window(
        &self,
        org: OrganizationId,
        filter: &TargetFilter,
        sort: DashboardSort,
        offset: u32,
        limit: u32,
    ) -> StoreResult<Vec<TargetSummary>>;

    /// How many targets that pass `filter` (its `state` ignored) show each
    /// state, in one aggregate query; states with none are left out.
    async fn state_counts(
        &self,
        org: OrganizationId,
        filter: &TargetFilter,
    ) -> StoreResult<Vec<(pharos_domain::status::TargetState, u64)>>;
    /// Sets (a new token) or clears (`None`) the token of the target's
    /// public badge.
    async fn set_badge_token(
        &self,
        org: OrganizationId,
        id: TargetId,
        token: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Target>>;

    /// Pauses or resumes a target. Resuming makes a check due at once.
    async fn set_paused(
        &self,
        org: OrganizationId,
        id: TargetId,
        paused: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Target>>;
}

/// An organization's tags and groups, and which targets carry them.
/// (tenant-facing)
#[async_trait]
pub trait LabelStore: Send + Sync + 'static {
    /// The organization's tags by name.
    async fn tags(&self, org: OrganizationId) -> StoreResult<Vec<Tag>>;

    /// Makes a tag unless the organization has `limit` already (`None`);
    /// `Conflict` when the name is taken in any letter case.
    async fn create_tag(
        &self,
        org: OrganizationId,
        name: &str,
        color: pharos_domain::labels::TagColor,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Option<Tag>>;

    /// Renames or recolours a tag (`None` keeps a field); `None` when it
    /// is not the organization's.
    async fn update_tag(
        &self,
        org: OrganizationId,
        id: TagId,
        name: Option<&str>,
        color: Option<pharos_domain::labels::TagColor>,
    ) -> StoreResult<Option<Tag>>;

    /// Deletes a tag; its targets lose it.
    async fn delete_tag(&self, org: OrganizationId, id: TagId) -> StoreResult<bool>;

    /// The organization's groups by name.
    async fn groups(&self, org: OrganizationId) -> StoreResult<Vec<Group>>;

    /// Makes a group unless the organization has `limit` already (`None`);
    /// `Conflict` when the name is taken in any letter case.
    async fn create_group(
        &self,
        org: OrganizationId,
        name: &str,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Option<Group>>;

    async fn rename_group(
        &self,
        org: OrganizationId,
        id: GroupId,
        name: &str,
    ) -> StoreResult<Option<Group>>;

    /// Deletes a group; its targets become ungrouped.
    async fn delete_group(&self, org: OrganizationId, id: GroupId) -> StoreResult<bool>;

    /// Replaces a target's tags. `false`, and nothing changed, when the
    /// target or a tag is not the organization's.
    async fn set_target_tags(
        &self,
        org: OrganizationId,
        target: TargetId,
        tags: &[TagId],
    ) -> StoreResult<bool>;

    /// Puts a target in a group, or in none. `false`, and nothing
    /// changed, when the target or the group is not the organization's.
    async fn set_target_group(
        &self,
        org: OrganizationId,
        target: TargetId,
        group: Option<GroupId>,
    ) -> StoreResult<bool>;

    /// The tags of the given targets, as (target, tag) pairs.
    async fn tags_of_targets(
        &self,
        org: OrganizationId,
        targets: &[TargetId],
    ) -> StoreResult<Vec<(TargetId, TagId)>>;

    /// How many targets of each group show each state, in one aggregate
    /// query (a group's worst state and its counts).
    async fn group_state_counts(
        &self,
        org: OrganizationId,
    ) -> StoreResult<Vec<(GroupId, pharos_domain::status::TargetState, u64)>>;

    /// Up to `per_group` targets of each of `groups`, worst first (what
    /// a folded-open group shows), in one query, by group.
    async fn group_heads(
        &self,
        org: OrganizationId,
        groups: &[GroupId],
        per_group: u32,
    ) -> StoreResult<Vec<TargetSummary>>;
}

/// A target's stored checks, newest first. (tenant-facing)
#[async_trait]
pub trait CheckStore: Send + Sync + 'static {
    /// Newest first, strictly older than `before` when given.
    async fn checks(
        &self,
        org: OrganizationId,
        target: TargetId,
        before: Option<CheckCursor>,
        limit: u32,
    ) -> StoreResult<Vec<Check>>;
}

/// A target's incidents. (tenant-facing)
#[async_trait]
pub trait IncidentStore: Send + Sync + 'static {
    /// The target's incidents, newest first.
    async fn incidents(
        &self,
        org: OrganizationId,
        target: TargetId,
        limit: u32,
    ) -> StoreResult<Vec<Incident>>;

    /// The organization's incidents across its targets: open ones first,
    /// then closed ones, each newest first (by opening); `after` continues
    /// where a page ended.
    async fn organization_incidents(
        &self,
        org: OrganizationId,
        after: Option<IncidentCursor>,
        limit: u32,
    ) -> StoreResult<Vec<OrganizationIncident>>;
}

/// Roll-up buckets of one target or a whole organization. (tenant-facing)
#[async_trait]
pub trait RollupStore: Send + Sync + 'static {
    /// Roll-up buckets `width` seconds wide starting at or after `since`, oldest first.
    async fn rollups(
        &self,
        org: OrganizationId,
        target: TargetId,
        width: u32,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<RollupBucket>>;

    /// Roll-ups of every target of `org` in one read (the dashboard's strips):
    /// `width`-second buckets from `since`, by target, oldest first.
    async fn organization_rollups(
        &self,
        org: OrganizationId,
        width: u32,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<(TargetId, RollupBucket)>>;

    /// The same buckets as `organization_rollups` with only their counts
    /// (`checks`, `up`, `degraded`); the latency fields are left empty. A
    /// status strip needs no more, and this reads one short row per target
    /// instead of one wide row per bucket (the dashboard's strips).
    async fn organization_rollup_counts(
        &self,
        org: OrganizationId,
        width: u32,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<(TargetId, RollupBucket)>>;

    /// `organization_rollup_counts` of the given targets only (a window
    /// of the dashboard).
    async fn rollup_counts_of_targets(
        &self,
        org: OrganizationId,
        targets: &[TargetId],
        width: u32,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<(TargetId, RollupBucket)>>;
}

/// The organization's event log. (tenant-facing)
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// The organization's events numbered after `after`, oldest first.
    async fn events(&self, org: OrganizationId, after: i64, limit: u32) -> StoreResult<Vec<Event>>;
}

/// An organization's notification channels, and which targets use them.
/// (tenant-facing)
#[async_trait]
pub trait ChannelStore: Send + Sync + 'static {
    async fn create_channel(
        &self,
        org: OrganizationId,
        channel: NewChannel<'_>,
    ) -> StoreResult<Channel>;

    /// The organization's channels, oldest first.
    async fn channels(&self, org: OrganizationId) -> StoreResult<Vec<Channel>>;

    async fn channel(&self, org: OrganizationId, id: ChannelId) -> StoreResult<Option<Channel>>;

    async fn update_channel(
        &self,
        org: OrganizationId,
        id: ChannelId,
        patch: ChannelPatch<'_>,
    ) -> StoreResult<Option<Channel>>;

    /// Deletes a channel, its pending notifications and its place on
    /// every target.
    async fn delete_channel(&self, org: OrganizationId, id: ChannelId) -> StoreResult<bool>;

    /// Replaces a target's channels. `false`, and nothing changed, when the
    /// target or any of the channels is not the organization's.
    async fn set_target_channels(
        &self,
        org: OrganizationId,
        target: TargetId,
        channels: &[ChannelId],
    ) -> StoreResult<bool>;

    /// The channels a target names (none: the organization's defaults
    /// serve it).
    async fn target_channels(
        &self,
        org: OrganizationId,
        target: TargetId,
    ) -> StoreResult<Vec<ChannelId>>;

    /// Every (target, channel) pair of the organization, for target lists.
    async fn organization_target_channels(
        &self,
        org: OrganizationId,
    ) -> StoreResult<Vec<(TargetId, ChannelId)>>;

    /// The (target, channel) pairs of the given targets only (a page of a
    /// list, which need not read the whole organization's).
    async fn channels_of_targets(
        &self,
        org: OrganizationId,
        targets: &[TargetId],
    ) -> StoreResult<Vec<(TargetId, ChannelId)>>;
}

/// When to alert: the organization's defaults and targets' own settings.
/// (tenant-facing)
#[async_trait]
pub trait AlertSettingsStore: Send + Sync + 'static {
    /// The organization's defaults (the built-in ones until it sets its own).
    async fn alert_defaults(&self, org: OrganizationId) -> StoreResult<AlertSettings>;

    async fn set_alert_defaults(
        &self,
        org: OrganizationId,
        settings: &AlertSettings,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// A target's own settings; `None`: it follows the organization's.
    async fn target_alert_settings(
        &self,
        org: OrganizationId,
        target: TargetId,
    ) -> StoreResult<Option<AlertSettings>>;

    /// Sets (or with `None` drops) a target's own settings; `false` when
    /// the target is not the organization's.
    async fn set_target_alert_settings(
        &self,
        org: OrganizationId,
        target: TargetId,
        settings: Option<&AlertSettings>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

/// The notifications sent about an organization's targets. (tenant-facing)
#[async_trait]
pub trait NotificationStore: Send + Sync + 'static {
    /// A target's notifications, newest first.
    async fn target_notifications(
        &self,
        org: OrganizationId,
        target: TargetId,
        limit: u32,
    ) -> StoreResult<Vec<Notification>>;

    /// An incident's notifications, newest first.
    async fn incident_notifications(
        &self,
        org: OrganizationId,
        incident: uuid::Uuid,
        limit: u32,
    ) -> StoreResult<Vec<Notification>>;

    /// The notifications of several incidents in one read: the latest
    /// `per_incident` of each, ordered by incident, then newest first.
    async fn incidents_notifications(
        &self,
        org: OrganizationId,
        incidents: &[uuid::Uuid],
        per_incident: u32,
    ) -> StoreResult<Vec<Notification>>;

    /// The attempts of the organization's notifications among `ids`,
    /// oldest first.
    async fn notification_attempts(
        &self,
        org: OrganizationId,
        ids: &[NotificationId],
    ) -> StoreResult<Vec<NotificationAttempt>>;
}

/// The sender's side of the outbox: fanning events out into
/// notifications, claiming them, recording attempts. (system)
#[async_trait]
pub trait OutboxStore: Send + Sync + 'static {
    /// Up to `organizations` organizations with events past their alert
    /// cursor, and up to `events` of those events each, with where and
    /// when their targets alert.
    async fn events_to_fan_out(
        &self,
        organizations: u32,
        events: u32,
    ) -> StoreResult<Vec<FanOutBatch>>;

    /// Writes `notifications` (skipping any already written) and moves the
    /// organization's cursor from `after` to `up_to`, in one transaction.
    /// `false`, and nothing written, when the cursor is no longer at
    /// `after` (another sender fanned these events out). A channel that
    /// was told `fold.limit` messages of one target within `fold.window`
    /// gets that target's next ones folded (see `summarize_folded`).
    async fn enqueue_notifications(
        &self,
        org: OrganizationId,
        after: i64,
        up_to: i64,
        notifications: &[NewNotification],
        fold: FoldRule,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// For each channel and target whose oldest unsummarized folded
    /// notification is older than `window`: the latest folded one becomes
    /// a pending summary (due at `due_at`) counting them all, and the
    /// others name it.
    /// Returns the summaries made.
    async fn summarize_folded(
        &self,
        now: DateTime<Utc>,
        window: chrono::Duration,
        due_at: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Leases up to `limit` due notifications to `owner` until `now + lease`:
    /// pending ones, and those whose sender's lease ran out. Channels that
    /// are backing off are skipped.
    async fn claim_notifications(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedNotification>>;

    /// Records an attempt and moves the notification on (delivered, to be
    /// retried, failed) and its channel's health. `false` when the lease
    /// was lost: the attempt is logged, the notification left alone.
    async fn record_attempt(&self, attempt: &AttemptRecord) -> StoreResult<bool>;

    /// Gives claimed notifications back untried, due at `due_at`.
    async fn release_notifications(
        &self,
        claims: &[(NotificationId, i64)],
        due_at: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Notifications not yet delivered or failed.
    async fn notification_queue_depth(&self) -> StoreResult<u64>;

    /// Incidents still open whose `down` was told, up to `limit`: their
    /// target's alert settings (own or the organization's) and, per
    /// channel, the latest `down` notification (the event's or its latest
    /// reminder), for repeated alerts.
    async fn open_incident_alerts(&self, limit: u32) -> StoreResult<Vec<OpenIncidentAlert>>;

    /// Writes reminders of an organization's notifications (skipping any
    /// already written, so two senders remind once).
    async fn enqueue_reminders(
        &self,
        org: OrganizationId,
        reminders: &[NewNotification],
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}

/// Heartbeat pings: found by their secret token, written without a claim. (system)
#[async_trait]
pub trait HeartbeatStore: Send + Sync + 'static {
    /// A heartbeat target by the secret token of its ping URL.
    async fn target_by_heartbeat_token(&self, token: &str) -> StoreResult<Option<Target>>;

    /// Marks the start of a heartbeat run (durations are measured from it).
    async fn set_run_started(&self, id: TargetId, at: Option<DateTime<Utc>>) -> StoreResult<()>;

    /// Writes a result that came without a claim; `false` when the target
    /// changed in between (the caller reads it again and retries).
    async fn record_direct(&self, record: &DirectRecord) -> StoreResult<bool>;
}

/// Claiming due targets and writing their results under the claim. (system)
#[async_trait]
pub trait SchedulingStore: Send + Sync + 'static {
    /// Leases up to `limit` due targets to `worker` until `now + lease`.
    async fn claim_due_targets(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedTarget>>;

    /// Across the cluster: targets due and waiting for a worker, and due
    /// targets a worker holds (checks in flight or being written).
    async fn due_work(&self, now: DateTime<Utc>) -> StoreResult<DueWork>;

    /// Gives claims back unchecked, due again at the given times (a worker
    /// deferring work past a fairness cap).
    async fn release_claims(&self, claims: &[(TargetId, i64, DateTime<Utc>)]) -> StoreResult<u64>;

    /// Writes a batch of results and releases their leases. A record whose
    /// epoch no longer matches (the lease expired and another worker took
    /// over) is dropped; the number written is returned.
    async fn record_checks(&self, records: &[CheckRecord]) -> StoreResult<u64>;
}

/// Deleting history past its keep-time, in batches. (system)
#[async_trait]
pub trait RetentionStore: Send + Sync + 'static {
    /// Deletes up to `limit` raw checks older than `before`; returns how many.
    async fn prune_checks(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<u64>;

    /// Deletes up to `limit` roll-ups of `width` older than `before`.
    async fn prune_rollups(
        &self,
        width: u32,
        before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<u64>;

    /// Deletes up to `limit` events older than `before`; returns how many.
    async fn prune_events(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<u64>;

    /// Deletes up to `limit` finished notifications (delivered, failed,
    /// folded) made before `before`, with their attempts; never one still
    /// to be sent.
    async fn prune_notifications(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<u64>;

    /// Deletes up to `limit` audit log entries older than `before`.
    async fn prune_audit_log(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<u64>;
}

/// Periodic jobs' cluster-wide locks and their recorded runs. (system)
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Takes `job`'s cluster-wide lock, or `None` when another process
    /// holds it.
    async fn try_lock_job(&self, job: Job) -> StoreResult<Option<JobLock>>;

    /// The newest recorded run of `job`.
    async fn last_job_run(&self, job: Job) -> StoreResult<Option<JobRun>>;

    /// Records a run (and forgets that job's runs older than a week).
    async fn record_job_run(&self, run: &JobRun) -> StoreResult<()>;
}

/// A status page's custom domain. (tenant)
#[async_trait]
pub trait CustomDomainStore: Send + Sync + 'static {
    /// Sets `(host, token)` (lowercase host) or clears it, unverified
    /// either way; `Conflict` when another page has the host.
    async fn set_custom_domain(
        &self,
        org: OrganizationId,
        id: StatusPageId,
        domain: Option<(&str, &str)>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<StatusPage>>;

    /// Marks the domain verified, if the page still has `host`.
    async fn mark_custom_domain_verified(
        &self,
        org: OrganizationId,
        id: StatusPageId,
        host: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

/// Badges are public: a target is found by its badge token alone. (system)
#[async_trait]
pub trait BadgeStore: Send + Sync + 'static {
    async fn target_by_badge_token(&self, token: &str) -> StoreResult<Option<Target>>;
}

/// Worker processes' presence, for the instance's public status. (system)
#[async_trait]
pub trait WorkerPresenceStore: Send + Sync + 'static {
    /// Writes (or refreshes) one worker's row, and forgets workers unseen
    /// since `forget_before`.
    async fn record_worker_presence(
        &self,
        presence: &WorkerPresence,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Workers seen since `since`, most recently seen first.
    async fn worker_presence(&self, since: DateTime<Utc>) -> StoreResult<Vec<WorkerPresence>>;
}

/// Cross-tenant listings for operators and benchmarks. (system)
#[async_trait]
pub trait OperatorStore: Send + Sync + 'static {
    async fn organization_summaries(&self) -> StoreResult<Vec<OrganizationSummary>>;

    /// When each check between `since` and `until` ran, across all
    /// targets, oldest first (operators and benchmarks; not tenant-facing).
    async fn check_times(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<(TargetId, DateTime<Utc>)>>;
}

/// An organization's maintenance windows. (tenant)
#[async_trait]
pub trait MaintenanceStore: Send + Sync + 'static {
    /// Saves a new window; a target that is not the organization's writes
    /// nothing and is named in the answer.
    async fn create_maintenance(
        &self,
        org: OrganizationId,
        id: MaintenanceId,
        plan: &MaintenancePlan,
        now: DateTime<Utc>,
    ) -> StoreResult<MaintenanceWrite>;

    /// The organization's windows, oldest first.
    async fn maintenance_windows(&self, org: OrganizationId)
        -> StoreResult<Vec<MaintenanceWindow>>;

    async fn maintenance_window(
        &self,
        org: OrganizationId,
        id: MaintenanceId,
    ) -> StoreResult<Option<MaintenanceWindow>>;

    /// Replaces a window's name, schedule and targets.
    async fn replace_maintenance(
        &self,
        org: OrganizationId,
        id: MaintenanceId,
        plan: &MaintenancePlan,
        now: DateTime<Utc>,
    ) -> StoreResult<MaintenanceWrite>;

    async fn delete_maintenance(&self, org: OrganizationId, id: MaintenanceId)
        -> StoreResult<bool>;
}

/// Every organization's windows, for the workers and the sender to build
/// their [`pharos_domain::maintenance::MaintenanceCalendar`]. (system)
#[async_trait]
pub trait MaintenanceCalendarStore: Send + Sync + 'static {
    async fn all_maintenance_windows(&self) -> StoreResult<Vec<MaintenanceWindow>>;
}

/// The organization's audit log. (tenant)
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    async fn record_audit(&self, org: OrganizationId, entry: &AuditEntry) -> StoreResult<()>;

    /// Newest first, those older than `before` (an entry's id).
    async fn audit_log(
        &self,
        org: OrganizationId,
        before: Option<AuditEntryId>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>>;
}

/// An organization's public status pages and the incidents posted on
/// them. (tenant)
#[async_trait]
pub trait StatusPageStore: Send + Sync + 'static {
    /// Saves a new page with its sections; a slug another page has, or a
    /// target that is not the organization's, writes nothing.
    async fn create_status_page(
        &self,
        org: OrganizationId,
        id: StatusPageId,
        plan: &StatusPagePlan,
        now: DateTime<Utc>,
    ) -> StoreResult<StatusPageWrite>;

    /// The organization's pages, oldest first.
    async fn status_pages(&self, org: OrganizationId) -> StoreResult<Vec<StatusPage>>;

    async fn status_page(
        &self,
        org: OrganizationId,
        id: StatusPageId,
    ) -> StoreResult<Option<StatusPage>>;

    /// Replaces what the owner sets on a page (its sections too); the
    /// custom domain and password columns are kept.
    async fn replace_status_page(
        &self,
        org: OrganizationId,
        id: StatusPageId,
        plan: &StatusPagePlan,
        now: DateTime<Utc>,
    ) -> StoreResult<StatusPageWrite>;

    async fn delete_status_page(&self, org: OrganizationId, id: StatusPageId) -> StoreResult<bool>;

    /// The page's targets as a dashboard row shows them (state, paused,
    /// latest check), in no particular order; another organization's page
    /// yields none.
    async fn status_page_targets(
        &self,
        org: OrganizationId,
        page: StatusPageId,
    ) -> StoreResult<Vec<TargetSummary>>;

    /// Posts an incident or announcement (with its first update when it
    /// has a message); a target not on the page writes nothing.
    async fn create_page_incident(
        &self,
        org: OrganizationId,
        page: StatusPageId,
        id: PageIncidentId,
        incident: &NewPageIncident,
        now: DateTime<Utc>,
    ) -> StoreResult<PageIncidentWrite>;

    /// The page's incidents created at or after `since`, and older ones
    /// not resolved yet, drafts included, newest first.
    async fn page_incidents(
        &self,
        org: OrganizationId,
        page: StatusPageId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<PageIncident>>;

    async fn page_incident(
        &self,
        org: OrganizationId,
        page: StatusPageId,
        id: PageIncidentId,
    ) -> StoreResult<Option<PageIncident>>;

    /// Changes an incident; a new status or a message adds an update. A
    /// status of resolved sets `resolved_at` (once); another clears it.
    async fn change_page_incident(
        &self,
        org: OrganizationId,
        page: StatusPageId,
        id: PageIncidentId,
        change: &PageIncidentChange,
        now: DateTime<Utc>,
    ) -> StoreResult<PageIncidentWrite>;

    async fn delete_page_incident(
        &self,
        org: OrganizationId,
        page: StatusPageId,
        id: PageIncidentId,
    ) -> StoreResult<bool>;

    /// Opens a draft incident affecting `target` (titled with the name
    /// each page shows it under: `status_page::auto_draft_title`) on every
    /// page of the organization that shows the target and has automatic
    /// drafts on, once per page and monitoring incident (`source`): a
    /// second call for the same incident writes nothing. Returns the pages
    /// that got one.
    async fn open_auto_drafts(
        &self,
        org: OrganizationId,
        target: TargetId,
        source: uuid::Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<StatusPageId>>;
}

/// Status pages found by their public address, for visitors. (system)
#[async_trait]
pub trait PublicStatusPageStore: Send + Sync + 'static {
    async fn status_page_by_slug(&self, slug: &str) -> StoreResult<Option<StatusPage>>;

    /// The page whose custom domain is `host` (lowercase), verified or not.
    async fn status_page_by_domain(&self, host: &str) -> StoreResult<Option<StatusPage>>;
}

/// An organization's agents, their settings and where its targets are
/// checked from. (tenant-facing)
#[async_trait]
pub trait AgentStore: Send + Sync + 'static {
    /// Every agent of `org` (pending ones included), oldest first.
    async fn agents(&self, org: OrganizationId) -> StoreResult<Vec<Agent>>;

    async fn agent(&self, org: OrganizationId, id: AgentId) -> StoreResult<Option<Agent>>;

    async fn agent_by_uuid(
        &self,
        org: OrganizationId,
        uuid: uuid::Uuid,
    ) -> StoreResult<Option<Agent>>;

    /// Sets an agent's status; anything but approved drops its token at
    /// once. `false` when `org` has no such agent.
    async fn set_agent_status(
        &self,
        org: OrganizationId,
        id: AgentId,
        status: AgentStatus,
    ) -> StoreResult<bool>;

    async fn agent_settings(&self, org: OrganizationId) -> StoreResult<AgentSettings>;

    /// Replaces the allowed UUIDs and, when given, the secret's hash.
    /// `StoreError::Conflict` when another organization has that secret.
    async fn set_agent_settings(
        &self,
        org: OrganizationId,
        change: AgentSettingsChange<'_>,
    ) -> StoreResult<()>;

    /// Sets where a target is checked from. `false`, and nothing changed,
    /// when the target or any agent is not the organization's.
    async fn set_target_locations(
        &self,
        org: OrganizationId,
        target: TargetId,
        locations: TargetLocations<'_>,
    ) -> StoreResult<bool>;

    /// Every (target, agent) pair of the organization.
    async fn organization_target_agents(
        &self,
        org: OrganizationId,
    ) -> StoreResult<Vec<(TargetId, AgentId)>>;

    /// The (target, agent) pairs of the given targets (a page of them),
    /// those of the organization's targets only.
    async fn agents_of_targets(
        &self,
        org: OrganizationId,
        targets: &[TargetId],
    ) -> StoreResult<Vec<(TargetId, AgentId)>>;

    /// Each location's own view of a target checked from several.
    async fn location_states(
        &self,
        org: OrganizationId,
        target: TargetId,
    ) -> StoreResult<Vec<LocationState>>;
}

/// The agent endpoint's side: admission by the secret's hash, agents by
/// their token, assignments, results, heartbeats, the offline sweep.
/// (system)
#[async_trait]
pub trait AgentAuthStore: Send + Sync + 'static {
    /// The organization whose shared secret hashes to `secret_hash`.
    async fn organization_by_agent_secret(
        &self,
        secret_hash: &[u8],
    ) -> StoreResult<Option<OrganizationId>>;

    /// Admits an agent that knew `org`'s secret: an approved agent, or a
    /// new or pending one whose UUID is allowed, gets `token_hash` stored
    /// (replacing any earlier token); an unknown UUID becomes pending
    /// (unless `org` already has `pending_limit` pending).
    async fn admit_agent(
        &self,
        org: OrganizationId,
        intro: AgentIntroduction<'_>,
        token_hash: &[u8],
        pending_limit: u32,
    ) -> StoreResult<AgentAdmission>;

    /// The approved agent holding the token that hashes to `token_hash`.
    async fn agent_by_token(&self, token_hash: &[u8]) -> StoreResult<Option<Agent>>;

    /// The instance's approved public locations, by name: every
    /// organization may check its targets from them.
    async fn public_agents(&self) -> StoreResult<Vec<Agent>>;

    /// Publishes an agent as a public location, or takes it back (the
    /// operator, `pharos admin agents`); `None` when there is no such
    /// agent. Taken back, other organizations' targets keep it in their
    /// list of locations but it checks them no more, nor counts for them.
    async fn set_agent_public(&self, id: AgentId, public: bool) -> StoreResult<Option<Agent>>;

    /// Records a sign of life; `true` when the agent had been offline.
    async fn touch_agent(
        &self,
        id: AgentId,
        version: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// The probed, unpaused targets assigned to the agent.
    async fn agent_assignments(
        &self,
        org: OrganizationId,
        agent: AgentId,
    ) -> StoreResult<Vec<Target>>;

    /// The interval and organization of each of `targets` that is
    /// assigned to the agent (its organization's, or any organization's
    /// for a public location), probed and unpaused (the others are left
    /// out): what checking a result batch needs, without reading every
    /// assignment.
    async fn agent_target_intervals(
        &self,
        org: OrganizationId,
        agent: AgentId,
        targets: &[TargetId],
    ) -> StoreResult<Vec<(TargetId, u32, OrganizationId)>>;

    /// Writes an agent's results, each once per (target, slot): a result
    /// for a target not assigned to the agent is refused, a repeated slot
    /// counted as a duplicate. Each moves the agent's own view of its
    /// target (`confirmation`) and the target's state by its quorum, with
    /// the check, state change, incident and events in one transaction.
    async fn record_agent_checks(
        &self,
        org: OrganizationId,
        agent: AgentId,
        checks: &[AgentCheck],
        confirmation: Confirmation,
    ) -> StoreResult<AgentBatchWrite>;

    /// Marks approved agents silent since `before` as offline (once) and
    /// returns them.
    async fn mark_silent_agents(
        &self,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Agent>>;
}

/// Status page subscribers and the announcements queued for them
/// (migration 0017). Visitors subscribe and workers deliver, so no
/// organization scopes these calls: a subscriber is reached only through
/// an unguessable token, a signed link, or a page the caller resolved.
/// (system)
#[async_trait]
pub trait SubscriberStore: Send + Sync + 'static {
    /// Adds `address` to the page as pending with this confirm token, or
    /// gives a pending one a new token and expiry (the old link dies). A
    /// confirmed subscriber is left alone.
    async fn subscribe(
        &self,
        page: StatusPageId,
        id: uuid::Uuid,
        address: &str,
        token_hash: &[u8],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<crate::models::SubscribeWrite>;

    /// Confirms the pending subscriber of this unexpired token; the token
    /// works once.
    async fn confirm_subscriber(
        &self,
        page: StatusPageId,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<crate::models::PageSubscriber>>;

    async fn page_subscriber(
        &self,
        page: StatusPageId,
        id: uuid::Uuid,
    ) -> StoreResult<Option<crate::models::PageSubscriber>>;

    /// Adds a webhook subscriber, confirmed at once (owners add them); the
    /// same URL twice on a page is a conflict.
    async fn add_webhook_subscriber(
        &self,
        page: StatusPageId,
        id: uuid::Uuid,
        url: &str,
        sealed_secret: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<crate::models::PageSubscriber>;

    /// The page's subscribers, oldest first.
    async fn page_subscribers(
        &self,
        page: StatusPageId,
    ) -> StoreResult<Vec<crate::models::PageSubscriber>>;

    /// Removes a subscriber with its queued deliveries.
    async fn remove_subscriber(&self, page: StatusPageId, id: uuid::Uuid) -> StoreResult<bool>;

    /// Queues `announce_key` (an update's id, or the incident's) of the
    /// page's incident for every confirmed subscriber of the page, once:
    /// a second call queues nothing more. Returns how many were queued.
    async fn queue_announcement(
        &self,
        page: StatusPageId,
        incident: PageIncidentId,
        announce_key: uuid::Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Leases up to `limit` due deliveries until `lease_until` (a lease
    /// that ran out is taken again), counting the attempt.
    async fn claim_subscriber_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<crate::models::SubscriberDelivery>>;

    async fn finish_subscriber_delivery(
        &self,
        id: uuid::Uuid,
        outcome: &crate::models::SubscriberDeliveryOutcome,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}

/// What a request made inside an organization may call.
pub trait TenantStore:
    OrganizationStore
    + InvitationStore
    + ApiKeyStore
    + TargetStore
    + LabelStore
    + CheckStore
    + IncidentStore
    + RollupStore
    + EventStore
    + ChannelStore
    + AlertSettingsStore
    + NotificationStore
    + MaintenanceStore
    + AuditStore
    + CustomDomainStore
    + StatusPageStore
    + AgentStore
{
}
impl<
        T: OrganizationStore
            + InvitationStore
            + ApiKeyStore
            + TargetStore
            + LabelStore
            + CheckStore
            + IncidentStore
            + RollupStore
            + EventStore
            + ChannelStore
            + AlertSettingsStore
            + NotificationStore
            + MaintenanceStore
            + AuditStore
            + CustomDomainStore
            + StatusPageStore
            + AgentStore
            + ?Sized,
    > TenantStore for T
{
}

/// What only the system calls: workers, jobs, sign-in, operators.
pub trait SystemStore:
    DatabaseStore
    + AccountStore
    + AccountTokenStore
    + TwoFactorStore
    + InvitationAcceptStore
    + SessionStore
    + ApiKeyAuthStore
    + HeartbeatStore
    + BadgeStore
    + WorkerPresenceStore
    + SchedulingStore
    + RetentionStore
    + JobStore
    + OperatorStore
    + OutboxStore
    + MaintenanceCalendarStore
    + PublicStatusPageStore
    + AgentAuthStore
    + SubscriberStore
{
}
impl<
        T: DatabaseStore
            + AccountStore
            + AccountTokenStore
            + TwoFactorStore
            + InvitationAcceptStore
            + SessionStore
            + ApiKeyAuthStore
            + HeartbeatStore
            + BadgeStore
            + WorkerPresenceStore
            + SchedulingStore
            + RetentionStore
            + JobStore
            + OperatorStore
            + OutboxStore
            + MaintenanceCalendarStore
            + PublicStatusPageStore
            + AgentAuthStore
            + SubscriberStore
            + ?Sized,
    > SystemStore for T
{
}

/// Both audiences: what the binary wires and hands to each layer.
pub trait Store: TenantStore + SystemStore {}
impl<T: TenantStore + SystemStore + ?Sized> Store for T {}
