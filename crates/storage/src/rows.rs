//! Rows as both backends return them. `sqlx::FromRow` derives are generic
//! over the database, so one set of row types serves SQLite and PostgreSQL.

use chrono::{DateTime, Utc};
use pharos_domain::check::{ErrorClass, PhaseTimings};
use pharos_domain::ids::{AgentId, CheckId, OrganizationId, TargetId, UserId};
use pharos_domain::organization::Role;
use pharos_domain::rollup::{Rollup, BINS};
use pharos_domain::status::TargetState;
use pharos_domain::{CheckSpec, TargetCheck, TargetKind};
use uuid::Uuid;

use crate::error::StoreError;
use crate::models::{
    Check, Incident, Organization, OrganizationIncident, RollupBucket, Target, TargetSummary, User,
};

/// Target columns, unqualified so they serve `RETURNING` clauses too.
pub(crate) const TARGET_COLUMNS: &str = "id, organization_id, created_by, url, name, \
     interval_seconds, timeout_seconds, created_at, updated_at, next_due_at, kind, spec, state, \
     state_changed_at, consecutive_failures, paused, heartbeat_token, grace_seconds, run_started_at, \
     certificate_window, group_id, badge_token, check_local, quorum";

/// The same columns, qualified by the alias `t` for joins.
pub(crate) const TARGET_COLUMNS_T: &str = "t.id, t.organization_id, t.created_by, t.url, t.name, \
     t.interval_seconds, t.timeout_seconds, t.created_at, t.updated_at, t.next_due_at, t.kind, t.spec, \
     t.state, t.state_changed_at, t.consecutive_failures, t.paused, t.heartbeat_token, t.grace_seconds, \
     t.run_started_at, t.certificate_window, t.group_id, t.badge_token, t.check_local, t.quorum";

pub(crate) const CHECK_COLUMNS: &str = "c.id, c.target_id, c.checked_at, c.status_code, \
     c.latency_ms, c.is_up, c.degraded, c.error_class, c.error, c.dns_ms, c.connect_ms, \
     c.tls_ms, c.first_byte_ms, c.in_maintenance, c.agent_id";

/// The latest check beside a target, its columns renamed so they do not
/// clash with the target's.
pub(crate) const LATEST_CHECK_COLUMNS: &str = "c.id AS c_id, c.checked_at AS c_checked_at, \
     c.status_code AS c_status_code, c.latency_ms AS c_latency_ms, c.is_up AS c_is_up, \
     c.degraded AS c_degraded, c.error_class AS c_error_class, c.error AS c_error, \
     c.dns_ms AS c_dns_ms, c.connect_ms AS c_connect_ms, c.tls_ms AS c_tls_ms, \
     c.first_byte_ms AS c_first_byte_ms, c.in_maintenance AS c_in_maintenance, \
     c.agent_id AS c_agent_id";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub email_verified_at: Option<DateTime<Utc>>,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: UserId(row.id),
            email: row.email,
            created_at: row.created_at,
            email_verified_at: row.email_verified_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OrganizationRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub require_two_factor: bool,
}

impl From<OrganizationRow> for Organization {
    fn from(row: OrganizationRow) -> Self {
        Organization {
            id: OrganizationId(row.id),
            name: row.name,
            created_at: row.created_at,
            require_two_factor: row.require_two_factor,
        }
    }
}

/// A member: the user's columns and the membership's.
pub(crate) const MEMBER_COLUMNS: &str = "u.id, u.email, u.created_at, u.email_verified_at, \
     m.role, m.created_at AS joined_at";

#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub role: String,
    pub joined_at: DateTime<Utc>,
}

impl TryFrom<MemberRow> for crate::models::Member {
    type Error = StoreError;

    fn try_from(row: MemberRow) -> Result<Self, StoreError> {
        Ok(crate::models::Member {
            role: parse_role(&row.role)?,
            user: row.user.into(),
            joined_at: row.joined_at,
        })
    }
}

pub(crate) fn parse_role(raw: &str) -> Result<Role, StoreError> {
    Role::parse(raw).ok_or_else(|| StoreError::Corrupt(format!("unknown role {raw:?}")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct TargetRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub created_by: Option<Uuid>,
    pub url: String,
    pub name: Option<String>,
    pub interval_seconds: i32,
    pub timeout_seconds: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub next_due_at: DateTime<Utc>,
    pub kind: String,
    pub spec: Option<String>,
    pub state: String,
    pub state_changed_at: Option<DateTime<Utc>>,
    pub consecutive_failures: i32,
    pub paused: bool,
    pub heartbeat_token: Option<String>,
    pub grace_seconds: Option<i32>,
    pub run_started_at: Option<DateTime<Utc>>,
    pub certificate_window: Option<i32>,
    pub group_id: Option<Uuid>,
    pub badge_token: Option<String>,
    pub check_local: bool,
    pub quorum: Option<String>,
}

impl TryFrom<TargetRow> for Target {
    type Error = StoreError;

    fn try_from(row: TargetRow) -> Result<Self, StoreError> {
        let check = parse_check(&row.kind, row.spec.as_deref(), &row.url)?;
        Ok(Target {
            id: TargetId(row.id),
            organization_id: OrganizationId(row.organization_id),
            created_by: row.created_by.map(UserId),
            url: row.url,
            name: row.name,
            interval_seconds: non_negative("interval_seconds", row.interval_seconds)?,
            timeout_seconds: non_negative("timeout_seconds", row.timeout_seconds)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
            next_due_at: row.next_due_at,
            state: TargetState::parse(&row.state)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown state {:?}", row.state)))?,
            check,
            state_changed_at: row.state_changed_at,
            consecutive_failures: non_negative("consecutive_failures", row.consecutive_failures)?,
            paused: row.paused,
            heartbeat_token: row.heartbeat_token,
            grace_seconds: optional_u32(row.grace_seconds),
            run_started_at: row.run_started_at,
            certificate_window: optional_u32(row.certificate_window),
            group_id: row.group_id.map(pharos_domain::ids::GroupId),
            badge_token: row.badge_token,
            check_local: row.check_local,
            quorum: row
                .quorum
                .as_deref()
                .map(pharos_domain::quorum::Quorum::parse)
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("targets.quorum: {e}")))?,
        })
    }
}

/// The stored `kind` and `spec` columns as one typed check. A probed kind
/// stores its settings as the JSON of its `CheckSpec`; a heartbeat stores
/// none; an HTTP target with no settings is a plain GET of its URL.
pub(crate) fn parse_check(
    kind: &str,
    spec: Option<&str>,
    url: &str,
) -> Result<TargetCheck, StoreError> {
    let kind: TargetKind = kind
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("targets.kind: {e}")))?;
    match (kind, spec) {
        (TargetKind::Heartbeat, _) => Ok(TargetCheck::Heartbeat),
        (TargetKind::Http, None) => Ok(TargetCheck::http_get(url)),
        (kind, None) => Err(StoreError::Corrupt(format!(
            "a {kind} target has no check settings"
        ))),
        (kind, Some(json)) => {
            let spec: CheckSpec = serde_json::from_str(json)
                .map_err(|e| StoreError::Corrupt(format!("targets.spec: {e}")))?;
            if spec.kind() != kind {
                return Err(StoreError::Corrupt(format!(
                    "a {kind} target holds {} settings",
                    spec.kind()
                )));
            }
            Ok(TargetCheck::Probe(spec))
        }
    }
}

/// The `kind` and `spec` columns a check is stored as.
pub(crate) fn check_columns(
    check: &TargetCheck,
) -> Result<(&'static str, Option<String>), StoreError> {
    match check {
        TargetCheck::Heartbeat => Ok((TargetKind::Heartbeat.as_str(), None)),
        TargetCheck::Probe(spec) => {
            let json = serde_json::to_string(spec)
                .map_err(|e| StoreError::Corrupt(format!("check settings do not encode: {e}")))?;
            Ok((spec.kind().as_str(), Some(json)))
        }
    }
}

fn non_negative(column: &str, value: i32) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("{column} is negative: {value}")))
}

fn optional_u32(value: Option<i32>) -> Option<u32> {
    value.and_then(|v| u32::try_from(v).ok())
}

#[derive(sqlx::FromRow)]
pub(crate) struct CheckRow {
    pub id: Uuid,
    pub target_id: Uuid,
    pub checked_at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub latency_ms: Option<i32>,
    pub is_up: bool,
    pub degraded: bool,
    pub error_class: Option<String>,
    pub error: Option<String>,
    pub dns_ms: Option<i32>,
    pub connect_ms: Option<i32>,
    pub tls_ms: Option<i32>,
    pub first_byte_ms: Option<i32>,
    pub in_maintenance: bool,
    pub agent_id: Option<Uuid>,
}

impl From<CheckRow> for Check {
    fn from(row: CheckRow) -> Self {
        Check {
            id: CheckId(row.id),
            target_id: TargetId(row.target_id),
            checked_at: row.checked_at,
            status_code: row.status_code.and_then(|s| u16::try_from(s).ok()),
            latency_ms: optional_u32(row.latency_ms),
            is_up: row.is_up,
            degraded: row.degraded,
            error_class: row.error_class.as_deref().and_then(ErrorClass::parse),
            error: row.error,
            timings: PhaseTimings {
                dns_ms: optional_u32(row.dns_ms),
                connect_ms: optional_u32(row.connect_ms),
                tls_ms: optional_u32(row.tls_ms),
                first_byte_ms: optional_u32(row.first_byte_ms),
            },
            in_maintenance: row.in_maintenance,
            location: pharos_domain::agent::Location::of(row.agent_id.map(AgentId)),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TargetWithCheckRow {
    #[sqlx(flatten)]
    pub target: TargetRow,
    pub c_id: Option<Uuid>,
    pub c_checked_at: Option<DateTime<Utc>>,
    pub c_status_code: Option<i32>,
    pub c_latency_ms: Option<i32>,
    pub c_is_up: Option<bool>,
    pub c_degraded: Option<bool>,
    pub c_error_class: Option<String>,
    pub c_error: Option<String>,
    pub c_dns_ms: Option<i32>,
    pub c_connect_ms: Option<i32>,
    pub c_tls_ms: Option<i32>,
    pub c_first_byte_ms: Option<i32>,
    pub c_in_maintenance: Option<bool>,
    pub c_agent_id: Option<Uuid>,
}

impl TargetWithCheckRow {
    pub fn into_pair(self) -> Result<(Target, Option<Check>), StoreError> {
        let target_id = self.target.id;
        let check = match (self.c_id, self.c_checked_at, self.c_is_up) {
            (Some(id), Some(checked_at), Some(is_up)) => Some(Check::from(CheckRow {
                id,
                target_id,
                checked_at,
                status_code: self.c_status_code,
                latency_ms: self.c_latency_ms,
                is_up,
                degraded: self.c_degraded.unwrap_or(false),
                error_class: self.c_error_class,
                error: self.c_error,
                dns_ms: self.c_dns_ms,
                connect_ms: self.c_connect_ms,
                tls_ms: self.c_tls_ms,
                first_byte_ms: self.c_first_byte_ms,
                in_maintenance: self.c_in_maintenance.unwrap_or(false),
                agent_id: self.c_agent_id,
            })),
            _ => None,
        };
        Ok((Target::try_from(self.target)?, check))
    }
}

/// The columns of [`TargetSummary`], a target and its newest check, for
/// `FROM targets t LEFT JOIN checks c ON c.id = t.last_check_id`.
pub(crate) const TARGET_SUMMARY_COLUMNS: &str = "t.id, t.name, t.url, t.state, t.paused, \
       c.checked_at AS last_checked_at, c.latency_ms AS last_latency_ms, t.group_id";

/// Every target of an organization as [`TargetSummary`]s.
pub(crate) const TARGET_SUMMARY_SQL: &str = "SELECT t.id, t.name, t.url, t.state, t.paused, \
       c.checked_at AS last_checked_at, c.latency_ms AS last_latency_ms, t.group_id \
     FROM targets t LEFT JOIN checks c ON c.id = t.last_check_id \
     WHERE t.organization_id = $1 ORDER BY t.created_at, t.id";

/// A target's rank in "worst first" (`domain::labels::severity`), word for
/// word the expression of migration 0018's `targets_dashboard` and
/// `targets_group` indexes, so ordering and counting by it walk them.
/// Written over the unqualified columns, which every query here can use
/// as `targets` is the only table in them that has `paused` and `state`.
pub(crate) const SEVERITY_SQL: &str = "(CASE WHEN paused THEN 4 WHEN state = 'down' THEN 0 \
     WHEN state = 'degraded' THEN 1 WHEN state = 'pending' THEN 2 ELSE 3 END)";

/// The name a target is listed by, as the same indexes hold it.
pub(crate) const SORT_NAME_SQL: &str = "lower(COALESCE(name, url))";

/// A `LIKE` pattern (escaped by `\\`) that finds `needle` anywhere, in
/// lower case like the columns it is compared with.
pub(crate) fn like_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for ch in needle.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

/// The shown state a [`SEVERITY_SQL`] rank stands for.
pub(crate) fn state_of_rank(rank: i32) -> Result<TargetState, StoreError> {
    TargetState::ALL
        .into_iter()
        .find(|s| i32::from(pharos_domain::labels::severity(*s)) == rank)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown severity rank {rank}")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct TargetSummaryRow {
    pub id: Uuid,
    pub name: Option<String>,
    pub url: String,
    pub state: String,
    pub paused: bool,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub last_latency_ms: Option<i32>,
    pub group_id: Option<Uuid>,
}

impl TryFrom<TargetSummaryRow> for TargetSummary {
    type Error = StoreError;

    fn try_from(row: TargetSummaryRow) -> Result<Self, StoreError> {
        Ok(TargetSummary {
            id: TargetId(row.id),
            state: TargetState::parse(&row.state)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown state {:?}", row.state)))?,
            name: row.name,
            url: row.url,
            paused: row.paused,
            last_checked_at: row.last_checked_at,
            last_latency_ms: optional_u32(row.last_latency_ms),
            group_id: row.group_id.map(pharos_domain::ids::GroupId),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ClaimRow {
    #[sqlx(flatten)]
    pub target: TargetRow,
    pub lease_epoch: i64,
}

/// Timestamps are kept to the microsecond, PostgreSQL's precision, so a
/// value read back compares equal to the one written (cursors rely on it).
pub(crate) fn to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

#[derive(sqlx::FromRow)]
pub(crate) struct IncidentRow {
    pub id: Uuid,
    pub target_id: Uuid,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub cause: String,
    pub error_class: Option<String>,
    pub first_check_id: Uuid,
}

impl From<IncidentRow> for Incident {
    fn from(row: IncidentRow) -> Self {
        Incident {
            id: row.id,
            target_id: TargetId(row.target_id),
            opened_at: row.opened_at,
            closed_at: row.closed_at,
            cause: row.cause,
            error_class: row.error_class.as_deref().and_then(ErrorClass::parse),
            first_check_id: CheckId(row.first_check_id),
        }
    }
}

/// An incident and the target columns the incidents list shows.
#[derive(sqlx::FromRow)]
pub(crate) struct OrganizationIncidentRow {
    #[sqlx(flatten)]
    pub incident: IncidentRow,
    pub target_name: Option<String>,
    pub target_url: String,
}

impl From<OrganizationIncidentRow> for OrganizationIncident {
    fn from(row: OrganizationIncidentRow) -> Self {
        OrganizationIncident {
            incident: row.incident.into(),
            target_name: row.target_name,
            target_url: row.target_url,
        }
    }
}

pub(crate) const ROLLUP_COLUMNS: &str =
    "bucket_start, checks, up, degraded, latency_count, latency_sum, \
     latency_min, latency_max, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11";

#[derive(sqlx::FromRow)]
pub(crate) struct RollupRow {
    pub bucket_start: DateTime<Utc>,
    pub checks: i64,
    pub up: i64,
    pub degraded: i64,
    pub latency_count: i64,
    pub latency_sum: i64,
    pub latency_min: Option<i32>,
    pub latency_max: Option<i32>,
    pub b0: i64,
    pub b1: i64,
    pub b2: i64,
    pub b3: i64,
    pub b4: i64,
    pub b5: i64,
    pub b6: i64,
    pub b7: i64,
    pub b8: i64,
    pub b9: i64,
    pub b10: i64,
    pub b11: i64,
}

impl From<RollupRow> for RollupBucket {
    fn from(r: RollupRow) -> Self {
        let count = |v: i64| u64::try_from(v).unwrap_or(0);
        let bins: [i64; BINS] = [
            r.b0, r.b1, r.b2, r.b3, r.b4, r.b5, r.b6, r.b7, r.b8, r.b9, r.b10, r.b11,
        ];
        RollupBucket {
            start: r.bucket_start,
            rollup: Rollup {
                checks: count(r.checks),
                up: count(r.up),
                degraded: count(r.degraded),
                latency_count: count(r.latency_count),
                latency_sum: count(r.latency_sum),
                latency_min: optional_u32(r.latency_min),
                latency_max: optional_u32(r.latency_max),
                bins: bins.map(count),
            },
        }
    }
}

/// `organization_rollup_counts` in one row per target: its buckets as one
/// list of `start|checks|up|degraded` items joined by commas. Both
/// backends pay far more per row and per column than per byte, and a day
/// of hourly buckets for 500 targets is 12,000 rows read the plain way.
/// One aggregate without `ORDER BY` lets SQLite stream the primary key
/// with no sort at all (four ordered lists took three times as long); each
/// item carries its own start, so the order the rows arrive in is
/// irrelevant. The `IN` (not a join) lets SQLite walk the primary key in
/// order, with no sort for the `GROUP BY`. The caller appends what fills
/// the `IN`, then the width and start (`rollup_counts_tail`).
pub(crate) fn rollup_counts_sql<DB: PackedRollupItem>() -> String {
    format!(
        "SELECT r.target_id, string_agg({}, ',') AS buckets \
         FROM check_rollups r WHERE r.target_id IN ",
        DB::ITEM
    )
}

/// What follows the `IN (...)` of `rollup_counts_sql`: the width is bound
/// as `$n` and the first bucket's start as `$n+1`.
pub(crate) fn rollup_counts_tail(n: usize) -> String {
    format!(
        " AND r.bucket_seconds = ${n} AND r.bucket_start >= ${} GROUP BY r.target_id",
        n + 1
    )
}

/// How a backend writes one roll-up bucket as `start|checks|up|degraded`
/// (or `start|checks` when all its checks were up).
pub(crate) trait PackedRollupItem {
    const ITEM: &'static str;
}

/// SQLite's `format` with `%d` builds the item in one step, where `||`
/// converts and copies each piece into a new string; and a bucket that was
/// all up (most of them) is written `start|checks`, two numbers fewer to
/// print. For the 90,000 daily buckets of a 1,000-target status page:
/// 44 ms with `||`, 31 with `format`, 22 with the short form as well.
impl PackedRollupItem for sqlx::Sqlite {
    const ITEM: &'static str = "CASE WHEN r.up = r.checks AND r.degraded = 0 \
         THEN format('%s|%d', r.bucket_start, r.checks) \
         ELSE format('%s|%d|%d|%d', r.bucket_start, r.checks, r.up, r.degraded) END";
}

/// PostgreSQL's `format` has no `%d`; the cast text is the same.
impl PackedRollupItem for sqlx::Postgres {
    const ITEM: &'static str =
        "CAST(r.bucket_start AS TEXT) || '|' || r.checks || '|' || r.up || '|' || r.degraded";
}

#[derive(sqlx::FromRow)]
pub(crate) struct RollupCountsRow {
    pub target_id: Uuid,
    pub buckets: Option<String>,
}

impl RollupCountsRow {
    /// Unpacks the row into buckets, oldest first. `times` remembers the
    /// bucket starts already parsed (every target has the same few).
    pub fn unpack(
        self,
        times: &mut Vec<(String, DateTime<Utc>)>,
        out: &mut Vec<(TargetId, RollupBucket)>,
    ) -> Result<(), StoreError> {
        let corrupt = || StoreError::Corrupt(format!("bad roll-up counts for {}", self.target_id));
        let number = |v: Option<&str>| v.and_then(|v| v.parse::<u64>().ok()).ok_or_else(corrupt);
        let first = out.len();
        let items = self.buckets.as_deref().unwrap_or("");
        // Items mostly arrive in the primary key's order, the order in
        // which `times` was filled: try the one after the last match first.
        let mut next = 0;
        for item in items.split(',').filter(|s| !s.is_empty()) {
            let mut fields = item.split('|');
            let text = fields.next().unwrap_or("");
            let known = match times.get(next) {
                Some((t, _)) if t == text => Some(next),
                _ => times.iter().position(|(t, _)| t == text),
            };
            let start = match known {
                Some(i) => {
                    next = i + 1;
                    times[i].1
                }
                None => {
                    let at = parse_db_time(text).ok_or_else(corrupt)?;
                    times.push((text.to_owned(), at));
                    next = times.len();
                    at
                }
            };
            // `start|checks` is a bucket that was all up (`PackedRollupItem`).
            let checks = number(fields.next())?;
            let rollup = match fields.next() {
                None => Rollup {
                    checks,
                    up: checks,
                    ..Rollup::default()
                },
                up => Rollup {
                    checks,
                    up: number(up)?,
                    degraded: number(fields.next())?,
                    ..Rollup::default()
                },
            };
            out.push((TargetId(self.target_id), RollupBucket { start, rollup }));
        }
        out[first..].sort_by_key(|(_, bucket)| bucket.start);
        Ok(())
    }
}

/// A timestamp as the database spells it cast to text: SQLite keeps what
/// sqlx wrote (`2026-01-02T03:04:05+00:00`), PostgreSQL prints ISO with
/// the session's zone, which sqlx sets to UTC (`2026-01-02 03:04:05+00`).
pub(crate) fn parse_db_time(text: &str) -> Option<DateTime<Utc>> {
    let spaced = text.replacen('T', " ", 1);
    DateTime::parse_from_str(&spaced, "%Y-%m-%d %H:%M:%S%.f%#z")
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub(crate) use pharos_domain::rollup::bucket_start;

/// The latency bin columns of `check_rollups`: `b0, b1, ...`.
pub(crate) fn rollup_bin_columns() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        (0..BINS)
            .map(|b| format!("b{b}"))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// What follows a multi-row roll-up insert: each row's increment is added
/// to the bucket's stored counts.
pub(crate) fn rollup_conflict_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let adds: Vec<String> = (0..BINS).map(|b| format!("b{b} = check_rollups.b{b} + excluded.b{b}")).collect();
        format!(
            " ON CONFLICT (target_id, bucket_seconds, bucket_start) DO UPDATE SET \
               checks = check_rollups.checks + excluded.checks, \
               up = check_rollups.up + excluded.up, \
               degraded = check_rollups.degraded + excluded.degraded, \
               latency_count = check_rollups.latency_count + excluded.latency_count, \
               latency_sum = check_rollups.latency_sum + excluded.latency_sum, \
               latency_min = CASE WHEN excluded.latency_min IS NULL THEN check_rollups.latency_min \
                 WHEN check_rollups.latency_min IS NULL OR excluded.latency_min < check_rollups.latency_min \
                 THEN excluded.latency_min ELSE check_rollups.latency_min END, \
               latency_max = CASE WHEN excluded.latency_max IS NULL THEN check_rollups.latency_max \
                 WHEN check_rollups.latency_max IS NULL OR excluded.latency_max > check_rollups.latency_max \
                 THEN excluded.latency_max ELSE check_rollups.latency_max END, \
               {adds}",
            adds = adds.join(", "),
        )
    })
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub organization_id: Uuid,
    pub seq: i64,
    pub event_type: String,
    pub target_id: Uuid,
    pub incident_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub payload: String,
}

impl TryFrom<EventRow> for crate::models::Event {
    type Error = StoreError;

    fn try_from(row: EventRow) -> Result<Self, StoreError> {
        Ok(crate::models::Event {
            organization_id: OrganizationId(row.organization_id),
            seq: row.seq,
            event_type: row
                .event_type
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("events.event_type: {e}")))?,
            target_id: TargetId(row.target_id),
            incident_id: row.incident_id,
            occurred_at: row.occurred_at,
            payload: serde_json::from_str(&row.payload)
                .map_err(|e| StoreError::Corrupt(format!("events.payload: {e}")))?,
        })
    }
}

pub(crate) const CHANNEL_COLUMNS: &str = "id, organization_id, kind, name, config, secret, \
     is_default, created_at, updated_at, failures, resume_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ChannelRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: String,
    pub name: String,
    pub config: String,
    pub secret: Option<Vec<u8>>,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub failures: i32,
    pub resume_at: Option<DateTime<Utc>>,
}

impl TryFrom<ChannelRow> for crate::models::Channel {
    type Error = StoreError;

    fn try_from(row: ChannelRow) -> Result<Self, StoreError> {
        Ok(crate::models::Channel {
            id: pharos_domain::ids::ChannelId(row.id),
            organization_id: OrganizationId(row.organization_id),
            kind: row
                .kind
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("channels.kind: {e}")))?,
            name: row.name,
            config: serde_json::from_str(&row.config)
                .map_err(|e| StoreError::Corrupt(format!("channels.config: {e}")))?,
            sealed_secret: row.secret,
            is_default: row.is_default,
            created_at: row.created_at,
            updated_at: row.updated_at,
            failures: u32::try_from(row.failures).unwrap_or(0),
            resume_at: row.resume_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AlertSettingsRow {
    pub alert_type: String,
    pub repeat_minutes: Option<i32>,
    pub on_restored: bool,
    pub on_degraded: bool,
    pub include_history: bool,
}

impl TryFrom<AlertSettingsRow> for pharos_domain::alert::AlertSettings {
    type Error = StoreError;

    fn try_from(row: AlertSettingsRow) -> Result<Self, StoreError> {
        use pharos_domain::alert::{AlertType, AlertTypeName, RepeatMinutes};
        let corrupt = |e: pharos_domain::ValidationError| {
            StoreError::Corrupt(format!("alert_settings.{}: {}", e.field, e.message))
        };
        let name: AlertTypeName = row.alert_type.parse().map_err(corrupt)?;
        let minutes = row
            .repeat_minutes
            .map(|m| RepeatMinutes::parse("repeat_minutes", i64::from(m)))
            .transpose()
            .map_err(corrupt)?;
        Ok(pharos_domain::alert::AlertSettings {
            alert_type: AlertType::from_parts(name, minutes).map_err(corrupt)?,
            on_restored: row.on_restored,
            on_degraded: row.on_degraded,
            include_history: row.include_history,
        })
    }
}

pub(crate) const NOTIFICATION_COLUMNS: &str = "id, organization_id, channel_id, event_seq, reminder, \
     target_id, incident_id, kind, payload, include_history, occurred_at, created_at, status, attempts, \
     next_attempt_at, delivered_at, last_status, last_error, folded, folded_into";

#[derive(sqlx::FromRow)]
pub(crate) struct NotificationRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub channel_id: Uuid,
    pub event_seq: i64,
    pub reminder: i32,
    pub target_id: Uuid,
    pub incident_id: Option<Uuid>,
    pub kind: String,
    pub payload: String,
    pub include_history: bool,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub folded: i32,
    pub folded_into: Option<Uuid>,
}

impl TryFrom<NotificationRow> for crate::models::Notification {
    type Error = StoreError;

    fn try_from(row: NotificationRow) -> Result<Self, StoreError> {
        Ok(crate::models::Notification {
            id: pharos_domain::ids::NotificationId(row.id),
            organization_id: OrganizationId(row.organization_id),
            channel_id: pharos_domain::ids::ChannelId(row.channel_id),
            event_seq: row.event_seq,
            reminder: u32::try_from(row.reminder).unwrap_or(0),
            target_id: TargetId(row.target_id),
            incident_id: row.incident_id,
            kind: row
                .kind
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("notifications.kind: {e}")))?,
            payload: serde_json::from_str(&row.payload)
                .map_err(|e| StoreError::Corrupt(format!("notifications.payload: {e}")))?,
            include_history: row.include_history,
            occurred_at: row.occurred_at,
            created_at: row.created_at,
            status: row
                .status
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("notifications.status: {e}")))?,
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            next_attempt_at: row.next_attempt_at,
            delivered_at: row.delivered_at,
            last_status: row.last_status.and_then(|s| u16::try_from(s).ok()),
            last_error: row.last_error,
            folded: u32::try_from(row.folded).unwrap_or(0),
            folded_into: row.folded_into.map(pharos_domain::ids::NotificationId),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ClaimedNotificationRow {
    #[sqlx(flatten)]
    pub notification: NotificationRow,
    pub lease_epoch: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AttemptRow {
    pub notification_id: Uuid,
    pub attempted_at: DateTime<Utc>,
    pub outcome: String,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

impl TryFrom<AttemptRow> for crate::models::NotificationAttempt {
    type Error = StoreError;

    fn try_from(row: AttemptRow) -> Result<Self, StoreError> {
        Ok(crate::models::NotificationAttempt {
            notification_id: pharos_domain::ids::NotificationId(row.notification_id),
            attempted_at: row.attempted_at,
            outcome: row
                .outcome
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("notification_attempts.outcome: {e}")))?,
            status_code: row.status_code.and_then(|s| u16::try_from(s).ok()),
            error: row.error,
            duration_ms: u32::try_from(row.duration_ms).unwrap_or(0),
        })
    }
}

pub(crate) const MAINTENANCE_COLUMNS: &str =
    "id, organization_id, name, kind, starts_at, ends_at, \
     weekdays, start_minute, duration_minutes, time_zone, all_targets, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct MaintenanceRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub kind: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub weekdays: Option<i32>,
    pub start_minute: Option<i32>,
    pub duration_minutes: Option<i32>,
    pub time_zone: Option<String>,
    pub all_targets: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A window's stored schedule columns: kind, start, end, days, start
/// minute, duration, time zone.
pub(crate) type ScheduleColumns = (
    &'static str,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<&'static str>,
);

pub(crate) fn schedule_columns(
    schedule: &pharos_domain::maintenance::MaintenanceSchedule,
) -> ScheduleColumns {
    use chrono::Timelike;
    use pharos_domain::maintenance::MaintenanceSchedule;
    let kind = schedule.kind().as_str();
    match *schedule {
        MaintenanceSchedule::OneOff { starts_at, ends_at } => (
            kind,
            Some(to_micros(starts_at)),
            Some(to_micros(ends_at)),
            None,
            None,
            None,
            None,
        ),
        MaintenanceSchedule::Weekly {
            weekdays,
            start,
            duration,
            time_zone,
        } => (
            kind,
            None,
            None,
            Some(i32::from(weekdays.bits())),
            i32::try_from(start.hour() * 60 + start.minute()).ok(),
            i32::try_from(duration.get()).ok(),
            Some(time_zone.name()),
        ),
    }
}

impl MaintenanceRow {
    /// The typed window, given the targets it names (ignored when it
    /// covers the whole organization).
    pub fn into_window(
        self,
        targets: Vec<TargetId>,
    ) -> Result<pharos_domain::maintenance::MaintenanceWindow, StoreError> {
        use pharos_domain::maintenance::{
            DurationMinutes, MaintenanceKind, MaintenanceSchedule, MaintenanceScope,
            MaintenanceWindow, TimeZoneName, Weekdays,
        };
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("maintenance window {}: {what}", self.id));
        let kind = MaintenanceKind::parse(&self.kind).ok_or_else(|| corrupt("unknown kind"))?;
        let schedule = match kind {
            MaintenanceKind::OneOff => match (self.starts_at, self.ends_at) {
                (Some(starts_at), Some(ends_at)) => {
                    MaintenanceSchedule::OneOff { starts_at, ends_at }
                }
                _ => return Err(corrupt("a one-off window without its times")),
            },
            MaintenanceKind::Weekly => {
                let weekdays = self
                    .weekdays
                    .and_then(|d| Weekdays::from_bits(i64::from(d)))
                    .ok_or_else(|| corrupt("bad days"))?;
                let start = self
                    .start_minute
                    .and_then(|m| u32::try_from(m).ok())
                    .and_then(|m| chrono::NaiveTime::from_hms_opt(m / 60, m % 60, 0))
                    .ok_or_else(|| corrupt("bad start"))?;
                let duration = self
                    .duration_minutes
                    .and_then(|m| DurationMinutes::parse("duration_minutes", i64::from(m)).ok())
                    .ok_or_else(|| corrupt("bad duration"))?;
                let time_zone = self
                    .time_zone
                    .as_deref()
                    .and_then(|z| TimeZoneName::parse("time_zone", z).ok())
                    .ok_or_else(|| corrupt("bad time zone"))?;
                MaintenanceSchedule::Weekly {
                    weekdays,
                    start,
                    duration,
                    time_zone,
                }
            }
        };
        Ok(MaintenanceWindow {
            id: pharos_domain::ids::MaintenanceId(self.id),
            organization_id: OrganizationId(self.organization_id),
            name: self.name,
            schedule,
            scope: if self.all_targets {
                MaintenanceScope::Organization
            } else {
                MaintenanceScope::Targets(targets)
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// An `api_keys` row joined with its creator's email (`API_KEY_COLUMNS`).
#[derive(sqlx::FromRow)]
pub(crate) struct ApiKeyRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub role: String,
    pub created_by: Uuid,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The columns of an [`ApiKeyRow`], from `api_keys k JOIN users u ON
/// u.id = k.created_by`.
pub(crate) const API_KEY_COLUMNS: &str = "k.id, k.organization_id, k.name, k.prefix, k.role, \
     k.created_by, u.email AS created_by_email, k.created_at, k.expires_at, k.last_used_at";

impl TryFrom<ApiKeyRow> for crate::models::ApiKey {
    type Error = StoreError;

    fn try_from(row: ApiKeyRow) -> Result<Self, StoreError> {
        Ok(crate::models::ApiKey {
            id: pharos_domain::ids::ApiKeyId(row.id),
            organization_id: OrganizationId(row.organization_id),
            name: row.name,
            prefix: row.prefix,
            role: parse_role(&row.role)?,
            created_by: UserId(row.created_by),
            created_by_email: row.created_by_email,
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
        })
    }
}

pub(crate) const AGENT_COLUMNS: &str = "id, organization_id, uuid, name, version, status, \
     created_at, last_seen_at, offline_since, public";

#[derive(sqlx::FromRow)]
pub(crate) struct AgentRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub uuid: Uuid,
    pub name: String,
    pub version: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub offline_since: Option<DateTime<Utc>>,
    pub public: bool,
}

impl TryFrom<AgentRow> for crate::models::Agent {
    type Error = StoreError;

    fn try_from(row: AgentRow) -> Result<Self, StoreError> {
        Ok(crate::models::Agent {
            id: AgentId(row.id),
            organization_id: OrganizationId(row.organization_id),
            uuid: row.uuid,
            name: row.name,
            version: row.version,
            status: pharos_domain::agent::AgentStatus::parse(&row.status).ok_or_else(|| {
                StoreError::Corrupt(format!("unknown agent status {:?}", row.status))
            })?,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            offline_since: row.offline_since,
            public: row.public,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TagRow {
    pub id: Uuid,
    pub name: String,
    pub color: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<TagRow> for crate::models::Tag {
    type Error = StoreError;

    fn try_from(row: TagRow) -> Result<Self, StoreError> {
        Ok(crate::models::Tag {
            id: pharos_domain::ids::TagId(row.id),
            color: pharos_domain::labels::TagColor::from_name(&row.color).ok_or_else(|| {
                StoreError::Corrupt(format!("unknown tag colour {:?}", row.color))
            })?,
            name: row.name,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct GroupRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<GroupRow> for crate::models::Group {
    fn from(row: GroupRow) -> Self {
        crate::models::Group {
            id: pharos_domain::ids::GroupId(row.id),
            name: row.name,
            created_at: row.created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_counts_unpack_in_the_long_and_the_short_form() {
        let target = Uuid::now_v7();
        let row = RollupCountsRow {
            target_id: target,
            buckets: Some("2026-12-07T00:00:00+00:00|48|40|3,2026-12-06 00:00:00+00|12".to_owned()),
        };
        let mut times = Vec::new();
        let mut out = Vec::new();
        row.unpack(&mut times, &mut out).expect("unpack");
        let got: Vec<_> = out
            .iter()
            .map(|(t, b)| {
                assert_eq!(t.0, target);
                (
                    b.start.to_rfc3339(),
                    b.rollup.checks,
                    b.rollup.up,
                    b.rollup.degraded,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("2026-12-06T00:00:00+00:00".to_owned(), 12, 12, 0),
                ("2026-12-07T00:00:00+00:00".to_owned(), 48, 40, 3),
            ]
        );
        let broken = RollupCountsRow {
            target_id: target,
            buckets: Some("2026-12-07T00:00:00+00:00|48|x|3".to_owned()),
        };
        assert!(broken.unpack(&mut times, &mut out).is_err());
    }

    fn words(sql: &str) -> String {
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The dashboard's ORDER BY walks migration 0018's indexes only while
    /// its expressions are theirs word for word.
    #[test]
    fn the_rank_and_the_sort_name_are_the_indexes_own() {
        for migration in [
            include_str!("../migrations/sqlite/0018_tags_groups.sql"),
            include_str!("../migrations/postgres/0018_tags_groups.sql"),
        ] {
            let migration = words(migration);
            for index in [
                "targets_dashboard ON targets (",
                "targets_group ON targets (",
            ] {
                let at = migration.find(index).expect("index");
                let body = &migration[at..];
                assert!(body.contains(&words(SEVERITY_SQL)), "{index}");
                assert!(body.contains(SORT_NAME_SQL), "{index}");
            }
        }
    }

    /// Each rank stands for the state the domain ranks there.
    #[test]
    fn ranks_are_the_domains_severity() {
        for state in TargetState::ALL {
            let rank = i32::from(pharos_domain::labels::severity(state));
            assert_eq!(state_of_rank(rank).ok(), Some(state));
        }
        assert!(state_of_rank(9).is_err());
    }

    #[test]
    fn search_patterns_escape_like_wildcards() {
        assert_eq!(like_pattern("Ab"), "%ab%");
        assert_eq!(like_pattern("100%_\\"), "%100\\%\\_\\\\%");
    }
}
