//! Heartbeat targets: a cron job calls its secret URL; silence past the
//! period plus grace is down (the workers notice), an explicit failure is
//! down at once.

use chrono::{Duration, Utc};
use pharos_domain::check::{CheckFailure, CheckOutcome, ErrorClass, PhaseTimings, Verdict};
use pharos_domain::status::{settle, CheckRules, ResultOrigin};
use pharos_storage::models::{Check, DirectRecord, StatusUpdate, Target};

use crate::error::{AppError, AppResult};
use crate::App;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ping {
    /// The job ran fine.
    Success,
    /// The job reports it failed.
    Fail,
    /// The job starts; the next success measures its duration.
    Start,
}

/// A run longer than this is not a duration worth reporting.
const MAX_RUN: Duration = Duration::days(1);

fn plausible_token(token: &str) -> bool {
    (16..=64).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub async fn ping(app: &App, token: &str, ping: Ping) -> AppResult<()> {
    if !plausible_token(token) {
        return Err(AppError::NotFound);
    }
    let now = Utc::now();
    // Two pings at once: the compare-and-set in `record_direct` lets one
    // win; the other reads the new state and applies itself on top.
    for _ in 0..5 {
        let target = app
            .store
            .target_by_heartbeat_token(token)
            .await?
            .ok_or(AppError::NotFound)?;
        if target.paused {
            return Ok(());
        }
        if ping == Ping::Start {
            app.store.set_run_started(target.id, Some(now)).await?;
            return Ok(());
        }
        let held = app
            .store
            .maintenance_windows(target.organization_id)
            .await?
            .iter()
            .any(|w| w.covers(target.id, now));
        let record = record_for(&target, ping, now, held);
        if app.store.record_direct(&record).await? {
            return Ok(());
        }
    }
    Err(AppError::Conflict(
        "the target changed too often; try again",
    ))
}

/// `held`: a maintenance window holds the target now.
fn record_for(target: &Target, ping: Ping, now: chrono::DateTime<Utc>, held: bool) -> DirectRecord {
    let duration_ms = target
        .run_started_at
        .map(|started| now - started)
        .filter(|d| *d >= Duration::zero() && *d <= MAX_RUN)
        .and_then(|d| u32::try_from(d.num_milliseconds()).ok());
    let (verdict, failure) = match ping {
        Ping::Fail => (
            Verdict::Down,
            Some(CheckFailure {
                class: ErrorClass::Heartbeat,
                message: "the job reported a failure".to_owned(),
            }),
        ),
        _ => (Verdict::Up, None),
    };
    let outcome = CheckOutcome {
        started_at: now,
        latency_ms: duration_ms.unwrap_or(0),
        verdict,
        status_code: None,
        timings: PhaseTimings::default(),
        failure,
        certificate_expires_at: None,
    };
    let mut check = Check::from_outcome(target.id, &outcome);
    check.latency_ms = duration_ms;
    check.in_maintenance = held;
    let settled = settle(
        target.standing(held),
        ResultOrigin::HeartbeatPing,
        verdict,
        CheckRules::default(),
        now,
    );
    DirectRecord {
        check,
        expected_failures: target.consecutive_failures,
        next_due_at: settled.next_due_at,
        status: StatusUpdate::from(settled),
    }
}
