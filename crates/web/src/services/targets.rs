//! Targets of the caller's organization. Every call is scoped to
//! `current.organization`; another tenant's target is simply not found.

use chrono::Utc;
use pharos_domain::ids::TargetId;
use pharos_domain::target::{IntervalSeconds, TargetName, TargetUrl, TimeoutSeconds};
use pharos_storage::models::{Check, CheckCursor, NewTarget, Target, TargetPatch};

use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

/// A new target as submitted.
pub struct TargetInput<'a> {
    pub url: &'a str,
    pub name: Option<&'a str>,
    pub interval_seconds: Option<i64>,
    pub timeout_seconds: Option<i64>,
}

/// Changes to a target as submitted; `name: Some(None)` clears the name.
#[derive(Default)]
pub struct TargetChanges<'a> {
    pub url: Option<&'a str>,
    pub name: Option<Option<&'a str>>,
    pub interval_seconds: Option<i64>,
    pub timeout_seconds: Option<i64>,
}

fn parse_name(raw: Option<&str>) -> Result<Option<TargetName>, ApiError> {
    Ok(raw.map(TargetName::parse).transpose()?)
}

/// A check may not outlast the interval between two checks.
fn check_timeout_fits(interval: IntervalSeconds, timeout: TimeoutSeconds) -> Result<(), ApiError> {
    if timeout.get() >= interval.get() {
        return Err(pharos_domain::ValidationError::new(
            "timeout_seconds",
            "must be shorter than interval_seconds",
        )
        .into());
    }
    Ok(())
}

pub async fn create(
    state: &AppState,
    current: &CurrentUser,
    input: TargetInput<'_>,
) -> Result<Target, ApiError> {
    current.require_editor()?;
    let allow_private = state.config.allow_private_targets;
    let url = TargetUrl::parse(input.url, allow_private)?;
    let name = parse_name(input.name)?;
    let interval = input
        .interval_seconds
        .map(IntervalSeconds::parse)
        .transpose()?
        .unwrap_or(IntervalSeconds::DEFAULT);
    let timeout = input
        .timeout_seconds
        .map(TimeoutSeconds::parse)
        .transpose()?
        .unwrap_or(TimeoutSeconds::DEFAULT);
    check_timeout_fits(interval, timeout)?;
    state.limits.target_creation(current.organization.0)?;
    let new = NewTarget {
        created_by: current.user.id,
        url: url.as_str(),
        name: name.as_ref().map(TargetName::as_str),
        interval_seconds: interval.get(),
        timeout_seconds: timeout.get(),
        now: Utc::now(),
    };
    Ok(state.store.create_target(current.organization, new).await?)
}

pub async fn update(
    state: &AppState,
    current: &CurrentUser,
    id: TargetId,
    changes: TargetChanges<'_>,
) -> Result<Target, ApiError> {
    current.require_editor()?;
    let existing = get(state, current, id).await?;
    let url = changes
        .url
        .map(|raw| TargetUrl::parse(raw, state.config.allow_private_targets))
        .transpose()?;
    let name = changes.name.map(parse_name).transpose()?;
    let interval = changes
        .interval_seconds
        .map(IntervalSeconds::parse)
        .transpose()?;
    let timeout = changes
        .timeout_seconds
        .map(TimeoutSeconds::parse)
        .transpose()?;
    check_timeout_fits(
        interval.unwrap_or(IntervalSeconds::parse(existing.interval_seconds.into())?),
        timeout.unwrap_or(TimeoutSeconds::parse(existing.timeout_seconds.into())?),
    )?;
    let patch = TargetPatch {
        url: url.as_ref().map(TargetUrl::as_str),
        name: name.as_ref().map(|n| n.as_ref().map(TargetName::as_str)),
        interval_seconds: interval.map(IntervalSeconds::get),
        timeout_seconds: timeout.map(TimeoutSeconds::get),
        now: Utc::now(),
    };
    state
        .store
        .update_target(current.organization, id, patch)
        .await?
        .ok_or(ApiError::NotFound)
}

pub async fn get(
    state: &AppState,
    current: &CurrentUser,
    id: TargetId,
) -> Result<Target, ApiError> {
    state
        .store
        .target(current.organization, id)
        .await?
        .ok_or(ApiError::NotFound)
}

pub async fn list(state: &AppState, current: &CurrentUser) -> Result<Vec<Target>, ApiError> {
    Ok(state.store.targets(current.organization).await?)
}

pub async fn delete(state: &AppState, current: &CurrentUser, id: TargetId) -> Result<(), ApiError> {
    current.require_editor()?;
    if state.store.delete_target(current.organization, id).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

pub async fn status(
    state: &AppState,
    current: &CurrentUser,
) -> Result<Vec<(Target, Option<Check>)>, ApiError> {
    Ok(state
        .store
        .targets_with_latest_check(current.organization)
        .await?)
}

/// A page of checks, newest first, and the cursor of the next (older) page.
pub async fn checks(
    state: &AppState,
    current: &CurrentUser,
    id: TargetId,
    before: Option<CheckCursor>,
    limit: u32,
) -> Result<(Vec<Check>, Option<CheckCursor>), ApiError> {
    // 404 for a target that is not the caller's, even with no checks.
    get(state, current, id).await?;
    let mut page = state
        .store
        .checks(current.organization, id, before, limit.saturating_add(1))
        .await?;
    let next = if page.len() > limit as usize {
        page.truncate(limit as usize);
        page.last().map(|c| CheckCursor {
            checked_at: c.checked_at,
            id: c.id,
        })
    } else {
        None
    };
    Ok((page, next))
}
