//! Maintenance windows: planned time when a target's failures are expected
//! (`pharos_domain::maintenance` has the rules). Everyone in the
//! organization reads them; members, admins and owners manage them.

use chrono::{DateTime, NaiveTime, Utc};
use pharos_domain::audit::AuditAction;
use pharos_domain::ids::{MaintenanceId, TargetId};
use pharos_domain::maintenance::{
    DurationMinutes, MaintenanceCalendar, MaintenanceKind, MaintenanceName, MaintenancePlan,
    MaintenanceSchedule, MaintenanceScope, MaintenanceWindow, TimeZoneName, Weekdays,
};
use pharos_domain::ValidationError;
use pharos_storage::models::MaintenanceWrite;

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::App;

/// An organization's windows are bounded, so every worker's calendar stays
/// small.
pub const MAX_WINDOWS: usize = 500;
/// Targets one window may name (more: cover the whole organization).
pub const MAX_TARGETS: usize = 1000;

/// A schedule as submitted: `kind` picks which of the other fields count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScheduleInput {
    pub kind: String,
    /// One-off: the start and the end.
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Weekly: days (`mon` ... `sun`), a local start `HH:MM`, minutes, zone.
    pub weekdays: Option<Vec<String>>,
    pub start_time: Option<String>,
    pub duration_minutes: Option<i64>,
    pub time_zone: Option<String>,
}

/// A window as submitted; in a change, `None` keeps what is stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MaintenanceInput {
    pub name: Option<String>,
    pub schedule: Option<ScheduleInput>,
    pub all_targets: Option<bool>,
    pub target_ids: Option<Vec<TargetId>>,
}

fn required<T>(value: Option<T>, field: &'static str) -> AppResult<T> {
    value.ok_or_else(|| ValidationError::new(field, "is required").into())
}

/// A local `HH:MM` time.
fn parse_start(raw: &str) -> Result<NaiveTime, ValidationError> {
    NaiveTime::parse_from_str(raw.trim(), "%H:%M")
        .map_err(|_| ValidationError::new("schedule.start_time", "must be a time as HH:MM"))
}

/// The typed schedule, each refusal naming its field.
pub fn parse_schedule(input: &ScheduleInput) -> AppResult<MaintenanceSchedule> {
    let kind = MaintenanceKind::parse(&input.kind).ok_or_else(|| {
        let names: Vec<_> = MaintenanceKind::ALL.map(MaintenanceKind::as_str).to_vec();
        ValidationError::new(
            "schedule.kind",
            format!("must be one of {}", names.join(", ")),
        )
    })?;
    let (one_off_fields, weekly_fields) = (
        [
            ("schedule.starts_at", input.starts_at.is_some()),
            ("schedule.ends_at", input.ends_at.is_some()),
        ],
        [
            ("schedule.weekdays", input.weekdays.is_some()),
            ("schedule.start_time", input.start_time.is_some()),
            (
                "schedule.duration_minutes",
                input.duration_minutes.is_some(),
            ),
            ("schedule.time_zone", input.time_zone.is_some()),
        ],
    );
    let foreign: &[(&'static str, bool)] = match kind {
        MaintenanceKind::OneOff => &weekly_fields,
        MaintenanceKind::Weekly => &one_off_fields,
    };
    if let Some((field, _)) = foreign.iter().find(|(_, given)| *given) {
        return Err(ValidationError::new(
            field,
            format!("does not apply to a {} window", kind.as_str()),
        )
        .into());
    }
    match kind {
        MaintenanceKind::OneOff => Ok(MaintenanceSchedule::one_off(
            required(input.starts_at, "schedule.starts_at")?,
            required(input.ends_at, "schedule.ends_at")?,
        )?),
        MaintenanceKind::Weekly => Ok(MaintenanceSchedule::Weekly {
            weekdays: Weekdays::parse(
                "schedule.weekdays",
                required(input.weekdays.as_deref(), "schedule.weekdays")?,
            )?,
            start: parse_start(required(
                input.start_time.as_deref(),
                "schedule.start_time",
            )?)?,
            duration: DurationMinutes::parse(
                "schedule.duration_minutes",
                required(input.duration_minutes, "schedule.duration_minutes")?,
            )?,
            time_zone: TimeZoneName::parse(
                "schedule.time_zone",
                required(input.time_zone.as_deref(), "schedule.time_zone")?,
            )?,
        }),
    }
}

fn parse_scope(all_targets: bool, target_ids: Vec<TargetId>) -> AppResult<MaintenanceScope> {
    match (all_targets, target_ids.is_empty()) {
        (true, true) => Ok(MaintenanceScope::Organization),
        (true, false) => {
            Err(ValidationError::new("target_ids", "must be empty when all_targets is true").into())
        }
        (false, true) => Err(ValidationError::new(
            "target_ids",
            "choose at least one target, or set all_targets",
        )
        .into()),
        (false, false) if target_ids.len() > MAX_TARGETS => Err(ValidationError::new(
            "target_ids",
            format!("at most {MAX_TARGETS} targets; cover the whole organization instead"),
        )
        .into()),
        (false, false) => {
            let mut ids = target_ids;
            ids.sort_unstable();
            ids.dedup();
            Ok(MaintenanceScope::Targets(ids))
        }
    }
}

fn saved(write: MaintenanceWrite) -> AppResult<MaintenanceWindow> {
    match write {
        MaintenanceWrite::Saved(window) => Ok(window),
        MaintenanceWrite::NotFound => Err(AppError::NotFound),
        MaintenanceWrite::UnknownTarget(id) => Err(AppError::InvalidField {
            field: "target_ids".to_owned(),
            message: format!("target_ids: {id} is not a target of this organization"),
        }),
    }
}

/// The organization's windows, oldest first.
pub async fn list(app: &App, actor: &Actor) -> AppResult<Vec<MaintenanceWindow>> {
    Ok(app.store.maintenance_windows(actor.organization).await?)
}

/// The organization's windows as a calendar (for the dashboard).
pub async fn calendar(app: &App, actor: &Actor) -> AppResult<MaintenanceCalendar> {
    Ok(MaintenanceCalendar::new(list(app, actor).await?))
}

pub async fn get(app: &App, actor: &Actor, id: MaintenanceId) -> AppResult<MaintenanceWindow> {
    app.store
        .maintenance_window(actor.organization, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Plans a window: a name, a schedule, and the whole organization or
/// chosen targets of its own.
pub async fn create(
    app: &App,
    actor: &Actor,
    input: MaintenanceInput,
) -> AppResult<MaintenanceWindow> {
    actor.require_editor()?;
    let plan = MaintenancePlan {
        name: MaintenanceName::parse(required(input.name.as_deref(), "name")?)?,
        schedule: parse_schedule(&required(input.schedule, "schedule")?)?,
        scope: parse_scope(
            input.all_targets.unwrap_or(false),
            input.target_ids.unwrap_or_default(),
        )?,
    };
    if app
        .store
        .maintenance_windows(actor.organization)
        .await?
        .len()
        >= MAX_WINDOWS
    {
        return Err(AppError::Conflict(
            "an organization may have at most 500 maintenance windows; delete old ones first",
        ));
    }
    let window = saved(
        app.store
            .create_maintenance(actor.organization, MaintenanceId::new(), &plan, Utc::now())
            .await?,
    )?;
    audit(app, actor, AuditAction::MaintenanceCreated, &window).await;
    Ok(window)
}

async fn audit(app: &App, actor: &Actor, action: AuditAction, window: &MaintenanceWindow) {
    let details = serde_json::json!({
        "name": window.name,
        "kind": window.schedule.kind().as_str(),
        "all_targets": window.scope == MaintenanceScope::Organization,
    });
    crate::audit::record(app, actor, action, Some(window.id.to_string()), details).await;
}

/// Changes a window; what the input leaves out stays.
pub async fn update(
    app: &App,
    actor: &Actor,
    id: MaintenanceId,
    input: MaintenanceInput,
) -> AppResult<MaintenanceWindow> {
    actor.require_editor()?;
    let stored = get(app, actor, id).await?;
    let name = match input.name.as_deref() {
        Some(raw) => MaintenanceName::parse(raw)?,
        None => MaintenanceName::parse(&stored.name)?,
    };
    let schedule = match &input.schedule {
        Some(schedule) => parse_schedule(schedule)?,
        None => stored.schedule,
    };
    let stored_ids = match &stored.scope {
        MaintenanceScope::Organization => Vec::new(),
        MaintenanceScope::Targets(ids) => ids.clone(),
    };
    let all_targets = input
        .all_targets
        .unwrap_or(stored.scope == MaintenanceScope::Organization);
    // Turning all_targets on without naming targets drops the old list.
    let target_ids = match input.target_ids {
        Some(ids) => ids,
        None if all_targets => Vec::new(),
        None => stored_ids,
    };
    let plan = MaintenancePlan {
        name,
        schedule,
        scope: parse_scope(all_targets, target_ids)?,
    };
    let window = saved(
        app.store
            .replace_maintenance(actor.organization, id, &plan, Utc::now())
            .await?,
    )?;
    audit(app, actor, AuditAction::MaintenanceUpdated, &window).await;
    Ok(window)
}

pub async fn delete(app: &App, actor: &Actor, id: MaintenanceId) -> AppResult<()> {
    actor.require_editor()?;
    let window = get(app, actor, id).await?;
    if !app.store.delete_maintenance(actor.organization, id).await? {
        return Err(AppError::NotFound);
    }
    audit(app, actor, AuditAction::MaintenanceDeleted, &window).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekly() -> ScheduleInput {
        ScheduleInput {
            kind: "weekly".into(),
            weekdays: Some(vec!["sun".into()]),
            start_time: Some("02:00".into()),
            duration_minutes: Some(120),
            time_zone: Some("Europe/Berlin".into()),
            ..ScheduleInput::default()
        }
    }

    fn field(e: AppError) -> String {
        match e {
            AppError::Validation(v) => v.field.to_owned(),
            AppError::InvalidField { field, .. } => field,
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn each_refusal_names_the_schedule_field_at_fault() {
        assert!(parse_schedule(&weekly()).is_ok());
        let cases = [
            (
                ScheduleInput {
                    kind: "daily".into(),
                    ..weekly()
                },
                "schedule.kind",
            ),
            (
                ScheduleInput {
                    start_time: Some("25:00".into()),
                    ..weekly()
                },
                "schedule.start_time",
            ),
            (
                ScheduleInput {
                    start_time: None,
                    ..weekly()
                },
                "schedule.start_time",
            ),
            (
                ScheduleInput {
                    weekdays: Some(vec![]),
                    ..weekly()
                },
                "schedule.weekdays",
            ),
            (
                ScheduleInput {
                    duration_minutes: Some(0),
                    ..weekly()
                },
                "schedule.duration_minutes",
            ),
            (
                ScheduleInput {
                    time_zone: Some("Nowhere/City".into()),
                    ..weekly()
                },
                "schedule.time_zone",
            ),
            (
                ScheduleInput {
                    starts_at: Some(Utc::now()),
                    ..weekly()
                },
                "schedule.starts_at",
            ),
            (
                ScheduleInput {
                    kind: "one_off".into(),
                    starts_at: Some(Utc::now()),
                    ..ScheduleInput::default()
                },
                "schedule.ends_at",
            ),
        ];
        for (input, expected) in cases {
            let e = parse_schedule(&input).expect_err(expected);
            assert_eq!(field(e), expected);
        }
    }

    #[test]
    fn a_scope_is_the_whole_organization_or_some_targets() {
        let t = TargetId::new();
        assert_eq!(
            parse_scope(true, vec![]).ok(),
            Some(MaintenanceScope::Organization)
        );
        assert_eq!(
            parse_scope(false, vec![t, t]).ok(),
            Some(MaintenanceScope::Targets(vec![t]))
        );
        assert_eq!(
            field(parse_scope(true, vec![t]).expect_err("both")),
            "target_ids"
        );
        assert_eq!(
            field(parse_scope(false, vec![]).expect_err("none")),
            "target_ids"
        );
    }
}
