//! Rows as both backends return them. `sqlx::FromRow` derives are generic
//! over the database, so one set of row types serves SQLite and PostgreSQL.

use chrono::{DateTime, Utc};
use pharos_domain::check::{ErrorClass, PhaseTimings};
use pharos_domain::ids::{CheckId, OrganizationId, TargetId, UserId};
use pharos_domain::organization::Role;
use uuid::Uuid;

use crate::error::StoreError;
use crate::models::{Check, Organization, Target, User};

/// Target columns, unqualified so they serve `RETURNING` clauses too.
pub(crate) const TARGET_COLUMNS: &str = "id, organization_id, created_by, url, name, \
     interval_seconds, timeout_seconds, created_at, updated_at, next_due_at";

/// The same columns, qualified by the alias `t` for joins.
pub(crate) const TARGET_COLUMNS_T: &str = "t.id, t.organization_id, t.created_by, t.url, t.name, \
     t.interval_seconds, t.timeout_seconds, t.created_at, t.updated_at, t.next_due_at";

pub(crate) const CHECK_COLUMNS: &str = "c.id, c.target_id, c.checked_at, c.status_code, \
     c.latency_ms, c.is_up, c.degraded, c.error_class, c.error, c.dns_ms, c.connect_ms, \
     c.tls_ms, c.first_byte_ms";

/// The latest check beside a target, its columns renamed so they do not
/// clash with the target's.
pub(crate) const LATEST_CHECK_COLUMNS: &str = "c.id AS c_id, c.checked_at AS c_checked_at, \
     c.status_code AS c_status_code, c.latency_ms AS c_latency_ms, c.is_up AS c_is_up, \
     c.degraded AS c_degraded, c.error_class AS c_error_class, c.error AS c_error, \
     c.dns_ms AS c_dns_ms, c.connect_ms AS c_connect_ms, c.tls_ms AS c_tls_ms, \
     c.first_byte_ms AS c_first_byte_ms";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: UserId(row.id),
            email: row.email,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OrganizationRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<OrganizationRow> for Organization {
    fn from(row: OrganizationRow) -> Self {
        Organization {
            id: OrganizationId(row.id),
            name: row.name,
            created_at: row.created_at,
        }
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
}

impl TryFrom<TargetRow> for Target {
    type Error = StoreError;

    fn try_from(row: TargetRow) -> Result<Self, StoreError> {
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
        })
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
            })),
            _ => None,
        };
        Ok((Target::try_from(self.target)?, check))
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
