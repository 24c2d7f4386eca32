//! The JSON shapes of the API, documented for OpenAPI.

use chrono::{DateTime, Utc};
use pharos_domain::check::Verdict;
use pharos_domain::organization::Role;
use pharos_domain::status::TargetState;
use pharos_domain::TargetKind;
use pharos_storage::models::{
    Check, Incident, Member, Membership, Organization, RollupBucket, Target, User,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use pharos_app::organization::OrganizationOverview;

/// A new account (its schema is in `schemas`: the organization's name
/// defaults to the email, which ties the two fields).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: String,
    pub password: String,
    /// Name of the organization to create; defaults to the email.
    pub organization: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// For an account with two-factor sign-in: the code from its
    /// authenticator app, or one of its recovery codes. Without it such an
    /// account is answered 401 `second_factor_required`.
    #[serde(default)]
    #[schema(max_length = 32)]
    pub code: Option<String>,
}

/// "Forgot password": the address of the account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPasswordRequest {
    #[schema(max_length = 254, example = "me@example.com")]
    pub email: String,
}

/// A token from a link Pharos mailed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(max_length = 128)]
    pub token: String,
}

/// A new password, with the reset link's token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    #[schema(max_length = 128)]
    pub token: String,
    #[schema(schema_with = super::schemas::new_password)]
    pub password: String,
}

/// Whether a link still works.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenValidityView {
    pub valid: bool,
}

/// A request taken; what happens next is said in `message`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedView {
    pub message: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    #[schema(schema_with = super::schemas::new_password)]
    pub new_password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub created_at: DateTime<Utc>,
    /// The address was proved with the link mailed to it.
    pub email_verified: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.0,
            email: u.email.clone(),
            created_at: u.created_at,
            email_verified: u.email_verified_at.is_some(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: Uuid,
    pub name: String,
    #[schema(schema_with = caller_role_schema)]
    pub role: String,
}

impl OrganizationView {
    pub fn owner(org: &Organization) -> Self {
        Self {
            id: org.id.0,
            name: org.name.clone(),
            role: Role::Owner.as_str().to_owned(),
        }
    }
}

impl From<&Membership> for OrganizationView {
    fn from(m: &Membership) -> Self {
        Self {
            id: m.organization.id.0,
            name: m.organization.name.clone(),
            role: m.role.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub user: UserView,
    pub organizations: Vec<OrganizationView>,
}

/// The caller's organization with its members.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationDetailView {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    #[schema(schema_with = caller_role_schema)]
    pub role: String,
    /// Members without two-factor sign-in are held to setting it up.
    pub require_two_factor: bool,
    /// Everyone in the organization, in the order they joined.
    pub members: Vec<MemberView>,
}

impl From<&OrganizationOverview> for OrganizationDetailView {
    fn from(o: &OrganizationOverview) -> Self {
        Self {
            id: o.organization.id.0,
            name: o.organization.name.clone(),
            created_at: o.organization.created_at,
            role: o.role.as_str().to_owned(),
            require_two_factor: o.organization.require_two_factor,
            members: o.members.iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    /// Their user id, which `/organization/members/{user_id}` takes.
    pub user_id: Uuid,
    pub email: String,
    #[schema(schema_with = member_role_schema)]
    pub role: String,
    /// When they joined the organization.
    pub joined_at: DateTime<Utc>,
}

impl From<&Member> for MemberView {
    fn from(m: &Member) -> Self {
        Self {
            user_id: m.user.id.0,
            email: m.user.email.clone(),
            role: m.role.as_str().to_owned(),
            joined_at: m.joined_at,
        }
    }
}

/// A field that may be left out but, when given, is a string (`null` is
/// refused like any other non-string).
fn present_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

/// What an owner changes about the organization; what is left out stays.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganizationRequest {
    /// A new name (never `null`).
    #[serde(default, deserialize_with = "present_string")]
    #[schema(schema_with = super::schemas::organization_name, required = false)]
    pub name: Option<String>,
    /// Members must use two-factor sign-in: one who has not turned it on
    /// can sign in but only set it up (the API answers everything else
    /// 403 `two_factor_setup_required`). Turning it on needs two-factor
    /// sign-in on the caller's own account first.
    #[serde(default)]
    pub require_two_factor: Option<bool>,
}

pub use super::schemas::{
    CheckNowRequest, CheckSettings, CreateTargetRequest, UpdateTargetRequest,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct TargetView {
    pub id: Uuid,
    /// What is checked: the URL, `host:port`, a DNS name and type, or `heartbeat`.
    pub url: String,
    pub name: Option<String>,
    #[schema(schema_with = target_kind_schema)]
    pub kind: String,
    /// The check's settings (kind-specific, with `kind`); `null` for heartbeats.
    #[schema(value_type = Option<CheckSettings>)]
    pub check: Option<serde_json::Value>,
    #[schema(schema_with = target_state_schema)]
    pub state: String,
    pub state_changed_at: Option<DateTime<Utc>>,
    pub paused: bool,
    pub interval_seconds: u32,
    pub timeout_seconds: u32,
    /// Heartbeats: slack after the period before a missing ping is down.
    pub grace_seconds: Option<u32>,
    /// Heartbeats: the path a job calls (`/fail` and `/start` may follow).
    pub ping_url: Option<String>,
    pub next_check_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The channels its alerts go to; empty: the organization's default
    /// channels.
    pub channel_ids: Vec<Uuid>,
    /// Its tags (`/api/v1/tags`).
    pub tag_ids: Vec<Uuid>,
    /// Its group (`/api/v1/groups`), if any.
    pub group_id: Option<Uuid>,
    /// Its public badges' URLs; `null` while its badge is off (`PATCH`
    /// with `{"badge": true}` turns it on).
    /// Where it is checked from: `"local"` (the server) and agent ids.
    pub location_ids: Vec<String>,
    /// How many locations must report it down: `any`, `majority`, `all`
    /// or a number (with one location, that one).
    #[schema(schema_with = super::schemas::quorum)]
    pub quorum: serde_json::Value,
    pub badge_urls: Option<BadgeUrls>,
}

/// The absolute URLs of a target's public SVG badges.
#[derive(Debug, Serialize, ToSchema)]
pub struct BadgeUrls {
    pub status: String,
    /// Over 30 days; `window` may be 24h, 7d, 30d or 90d.
    pub uptime: String,
    pub latency: String,
}

impl From<&Target> for TargetView {
    fn from(t: &Target) -> Self {
        Self {
            id: t.id.0,
            url: t.url.clone(),
            name: t.name.clone(),
            kind: t.kind().as_str().to_owned(),
            check: pharos_app::targets::check_settings_for_api(&t.check)
                .map(serde_json::Value::Object),
            state: t.shown_state().as_str().to_owned(),
            state_changed_at: t.state_changed_at,
            paused: t.paused,
            interval_seconds: t.interval_seconds,
            timeout_seconds: t.timeout_seconds,
            grace_seconds: t.grace_seconds,
            ping_url: t
                .heartbeat_token
                .as_ref()
                .map(|token| format!("/ping/{token}")),
            next_check_at: t.next_due_at,
            created_by: t.created_by.map(|u| u.0),
            created_at: t.created_at,
            updated_at: t.updated_at,
            channel_ids: Vec::new(),
            tag_ids: Vec::new(),
            group_id: t.group_id.map(|g| g.0),
            badge_urls: None,
            location_ids: if t.check_local {
                vec![pharos_domain::agent::Location::LOCAL.to_owned()]
            } else {
                Vec::new()
            },
            quorum: serde_json::to_value(
                t.quorum.unwrap_or(pharos_domain::quorum::Quorum::DEFAULT),
            )
            .unwrap_or(serde_json::Value::Null),
        }
    }
}

impl TargetView {
    /// The view with its badges' URLs under `public_url`, if it has any.
    pub fn with_badge(mut self, target: &Target, public_url: &str) -> Self {
        self.badge_urls = target.badge_token.as_deref().map(|token| {
            let [status, uptime, latency] = crate::public::badge::urls(public_url, token);
            BadgeUrls {
                status,
                uptime,
                latency,
            }
        });
        self
    }

    /// The view with the target's channels.
    pub fn with_channels(mut self, channels: &[pharos_domain::ids::ChannelId]) -> Self {
        self.channel_ids = channels.iter().map(|c| c.0).collect();
        self
    }

    /// The view with the target's tags.
    pub fn with_tags(mut self, tags: &[pharos_domain::ids::TagId]) -> Self {
        self.tag_ids = tags.iter().map(|t| t.0).collect();
        self
    }

    /// The view with the agents that check the target too.
    pub fn with_agents(mut self, agents: &[pharos_domain::ids::AgentId]) -> Self {
        self.location_ids
            .extend(agents.iter().map(ToString::to_string));
        self
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentView {
    pub id: Uuid,
    pub opened_at: DateTime<Utc>,
    /// `null` while the target is still down.
    pub closed_at: Option<DateTime<Utc>>,
    pub cause: String,
    pub error_class: Option<String>,
    pub first_check_id: Uuid,
}

impl From<&Incident> for IncidentView {
    fn from(i: &Incident) -> Self {
        Self {
            id: i.id,
            opened_at: i.opened_at,
            closed_at: i.closed_at,
            cause: i.cause.clone(),
            error_class: i.error_class.map(|c| c.as_str().to_owned()),
            first_check_id: i.first_check_id.0,
        }
    }
}

/// Uptime percentages; `null` where there were no checks.
#[derive(Debug, Serialize, ToSchema)]
pub struct UptimeView {
    #[serde(rename = "24h")]
    pub day: Option<f64>,
    #[serde(rename = "7d")]
    pub week: Option<f64>,
    #[serde(rename = "30d")]
    pub month: Option<f64>,
    #[serde(rename = "365d")]
    pub year: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryBucketView {
    pub start: DateTime<Utc>,
    pub checks: u64,
    pub up: u64,
    pub degraded: u64,
    pub uptime_percent: Option<f64>,
    pub latency_min_ms: Option<u32>,
    pub latency_mean_ms: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub latency_max_ms: Option<u32>,
}

impl From<&RollupBucket> for HistoryBucketView {
    fn from(b: &RollupBucket) -> Self {
        let r = &b.rollup;
        Self {
            start: b.start,
            checks: r.checks,
            up: r.up,
            degraded: r.degraded,
            uptime_percent: r.uptime_percent(),
            latency_min_ms: r.latency_min,
            latency_mean_ms: r.latency_mean(),
            latency_p50_ms: r.latency_quantile(0.5),
            latency_p95_ms: r.latency_quantile(0.95),
            latency_p99_ms: r.latency_quantile(0.99),
            latency_max_ms: r.latency_max,
        }
    }
}

/// How far back a history reaches: 24h and 72h in 15-minute buckets, 7d
/// and 30d hourly, 365d daily. (The values `pharos_app::targets::Window`
/// parses; `tests/contract.rs` holds them to it.)
#[derive(Debug, Serialize, ToSchema)]
pub enum HistoryWindow {
    #[serde(rename = "24h")]
    Day,
    #[serde(rename = "72h")]
    ThreeDays,
    #[serde(rename = "7d")]
    Week,
    #[serde(rename = "30d")]
    Month,
    #[serde(rename = "365d")]
    Year,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    #[schema(value_type = HistoryWindow)]
    pub window: String,
    pub bucket_seconds: u32,
    /// Oldest first; every slot of the window is present.
    pub buckets: Vec<HistoryBucketView>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// The window to cover; default 24h.
    #[param(value_type = Option<HistoryWindow>, default = "24h")]
    pub window: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IncidentsQuery {
    /// How many incidents, newest first.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimingsView {
    pub dns_ms: Option<u32>,
    pub connect_ms: Option<u32>,
    pub tls_ms: Option<u32>,
    pub first_byte_ms: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckView {
    pub id: Uuid,
    pub checked_at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub latency_ms: Option<u32>,
    pub is_up: bool,
    /// Up, but worse than the target's thresholds.
    pub degraded: bool,
    /// dns, refused, connect_timeout, tls, timeout, status, ...
    pub error_class: Option<String>,
    pub error: Option<String>,
    pub timings: TimingsView,
    /// Taken while a maintenance window held the target: it moved no
    /// state and opened no incident.
    pub in_maintenance: bool,
    /// Where it ran: `"local"` (the server) or the agent's id.
    pub location_id: String,
}

impl From<&Check> for CheckView {
    fn from(c: &Check) -> Self {
        Self {
            id: c.id.0,
            checked_at: c.checked_at,
            status_code: c.status_code,
            latency_ms: c.latency_ms,
            is_up: c.is_up,
            degraded: c.degraded,
            error_class: c.error_class.map(|e| e.as_str().to_owned()),
            error: c.error.clone(),
            timings: TimingsView {
                dns_ms: c.timings.dns_ms,
                connect_ms: c.timings.connect_ms,
                tls_ms: c.timings.tls_ms,
                first_byte_ms: c.timings.first_byte_ms,
            },
            in_maintenance: c.in_maintenance,
            location_id: c.location.to_string(),
        }
    }
}

/// The result of a check run now, not stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckNowView {
    pub checked_at: DateTime<Utc>,
    #[schema(schema_with = verdict_schema)]
    pub verdict: Verdict,
    pub is_up: bool,
    pub degraded: bool,
    pub status_code: Option<u16>,
    pub latency_ms: u32,
    /// dns, refused, connect_timeout, tls, timeout, status, ...
    pub error_class: Option<String>,
    pub error: Option<String>,
    pub timings: TimingsView,
}

impl From<&pharos_domain::check::CheckOutcome> for CheckNowView {
    fn from(o: &pharos_domain::check::CheckOutcome) -> Self {
        Self {
            checked_at: o.started_at,
            verdict: o.verdict,
            is_up: o.verdict.is_up(),
            degraded: o.verdict == Verdict::Degraded,
            status_code: o.status_code,
            latency_ms: o.latency_ms,
            error_class: o.failure.as_ref().map(|f| f.class.as_str().to_owned()),
            error: o.failure.as_ref().map(|f| f.message.clone()),
            timings: TimingsView {
                dns_ms: o.timings.dns_ms,
                connect_ms: o.timings.connect_ms,
                tls_ms: o.timings.tls_ms,
                first_byte_ms: o.timings.first_byte_ms,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TargetStatusView {
    #[serde(flatten)]
    pub target: TargetView,
    /// `null` until the first check.
    pub latest_check: Option<CheckView>,
}

/// Every list answers in this envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A list the route never cuts: all of it, with no next page.
    pub fn whole(items: Vec<T>) -> Self {
        Self {
            items,
            next_cursor: None,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChecksQuery {
    /// How many checks per page.
    #[param(minimum = 1, maximum = 1000, default = 20)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page; opaque, and any other value
    /// is refused with 422.
    pub cursor: Option<String>,
}

/// `GET /api/v1/targets` and `/api/v1/targets/status`: a page, and which
/// targets.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TargetListQuery {
    /// How many targets per page.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page; opaque, and any other value
    /// is refused with 422.
    pub cursor: Option<String>,
    /// Only targets with this tag (an id of `/api/v1/tags`).
    #[param(value_type = Option<uuid::Uuid>)]
    pub tag: Option<String>,
    /// Only targets in this group (an id of `/api/v1/groups`).
    #[param(value_type = Option<uuid::Uuid>)]
    pub group: Option<String>,
    /// Only targets showing this state.
    #[param(schema_with = target_state_param_schema)]
    pub state: Option<String>,
    /// Only targets whose name or URL contains this, any letter case.
    #[param(max_length = 200)]
    pub q: Option<String>,
}

fn target_state_param_schema() -> utoipa::openapi::Object {
    string_enum(pharos_domain::status::TargetState::ALL.map(|s| s.as_str()))
}

impl TargetListQuery {
    pub fn list_query(&self) -> pharos_app::targets::ListQuery {
        pharos_app::targets::ListQuery {
            tag: self.tag.clone(),
            group: self.group.clone(),
            state: self.state.clone(),
            q: self.q.clone(),
        }
    }
}

/// `string_enum` for an optional request field, where `null` is the
/// same as leaving the field out.
pub fn nullable_string_enum<'a>(
    values: impl IntoIterator<Item = &'a str>,
    description: &str,
) -> utoipa::openapi::Schema {
    utoipa::openapi::schema::OneOfBuilder::new()
        .item(string_enum(values))
        .item(
            utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::Null),
        )
        .description(Some(description))
        .build()
        .into()
}

/// A string schema whose values are exactly `values`: the document's
/// enums are built from the domain's own lists, never typed again.
pub fn string_enum<'a>(values: impl IntoIterator<Item = &'a str>) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values.into_iter().map(str::to_owned)))
        .build()
}

/// [`string_enum`] with a description (a field's doc comment does not
/// reach a `schema_with` schema).
fn described_enum<'a>(
    description: &str,
    values: impl IntoIterator<Item = &'a str>,
) -> utoipa::openapi::Object {
    let mut schema = string_enum(values);
    schema.description = Some(description.to_owned());
    schema
}

fn event_type_schema() -> utoipa::openapi::Object {
    string_enum(pharos_domain::event::EventType::ALL.map(|t| t.as_str()))
}

fn target_kind_schema() -> utoipa::openapi::Object {
    described_enum(
        "The kind of check.",
        TargetKind::ALL.map(TargetKind::as_str),
    )
}

fn target_state_schema() -> utoipa::openapi::Object {
    described_enum(
        "What Pharos believes about the target now; `paused` while it is paused.",
        TargetState::ALL.map(TargetState::as_str),
    )
}

pub(crate) fn caller_role_schema() -> utoipa::openapi::Object {
    described_enum("The caller's role.", Role::ALL.map(Role::as_str))
}

pub(crate) fn member_role_schema() -> utoipa::openapi::Object {
    described_enum(
        "Their role in the organization.",
        Role::ALL.map(Role::as_str),
    )
}

/// A verdict's name: its serde name, the one the answers carry (the
/// domain spells verdicts no other way).
fn verdict_name(verdict: Verdict) -> String {
    match serde_json::to_value(verdict) {
        Ok(serde_json::Value::String(name)) => name,
        other => unreachable!("a verdict serialises to its name, not {other:?}"),
    }
}

fn verdict_schema() -> utoipa::openapi::Object {
    let names = Verdict::ALL.map(verdict_name);
    described_enum(
        "The check's verdict; `degraded` is up, but worse than the target's thresholds.",
        names.iter().map(String::as_str),
    )
}

/// One entry of the organization's event log.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Orders the organization's events: 1, 2, 3... Pass the last one
    /// seen as `after`.
    pub id: i64,
    #[schema(schema_with = event_type_schema)]
    #[serde(rename = "type")]
    pub event_type: &'static str,
    pub target_id: Uuid,
    /// The incident the change opened or closed, or the one a state change
    /// belongs to.
    pub incident_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    /// Previous and new state, the error, the status code (state changes);
    /// the expiry and window (certificates).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

impl From<&pharos_storage::models::Event> for EventView {
    fn from(e: &pharos_storage::models::Event) -> Self {
        Self {
            id: e.seq,
            event_type: e.event_type.as_str(),
            target_id: e.target_id.0,
            incident_id: e.incident_id,
            occurred_at: e.occurred_at,
            payload: e.payload.clone(),
        }
    }
}

/// A page of the event feed, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventFeed {
    pub items: Vec<EventView>,
    /// Pass as `after` to read on: the last event's id, or the same cursor
    /// when nothing new has happened.
    pub next_cursor: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Events numbered after this one; 0 (the default) reads from the oldest kept.
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// 1 to 1000; default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}
