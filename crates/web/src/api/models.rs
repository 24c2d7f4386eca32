//! The JSON shapes of the API, documented for OpenAPI.

use chrono::{DateTime, Utc};
use pharos_storage::models::{Check, Membership, Organization, Target, User};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
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
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.0,
            email: u.email.clone(),
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: Uuid,
    pub name: String,
    /// The caller's role: owner, admin, member or viewer.
    pub role: String,
}

impl OrganizationView {
    pub fn owner(org: &Organization) -> Self {
        Self {
            id: org.id.0,
            name: org.name.clone(),
            role: "owner".to_owned(),
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTargetRequest {
    /// http(s) URL to check, at most 2048 characters.
    pub url: String,
    pub name: Option<String>,
    /// 30 to 86400; default 300.
    pub interval_seconds: Option<i64>,
    /// 1 to 60, shorter than the interval; default 10.
    pub timeout_seconds: Option<i64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTargetRequest {
    pub url: Option<String>,
    /// A new name, or `null` to clear it.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    pub interval_seconds: Option<i64>,
    pub timeout_seconds: Option<i64>,
}

/// Tells "absent" (outer `None`) from "null" (`Some(None)`).
fn present_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TargetView {
    pub id: Uuid,
    pub url: String,
    pub name: Option<String>,
    pub interval_seconds: u32,
    pub timeout_seconds: u32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Target> for TargetView {
    fn from(t: &Target) -> Self {
        Self {
            id: t.id.0,
            url: t.url.clone(),
            name: t.name.clone(),
            interval_seconds: t.interval_seconds,
            timeout_seconds: t.timeout_seconds,
            created_by: t.created_by.map(|u| u.0),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChecksQuery {
    /// 1 to 1000; default 20.
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
