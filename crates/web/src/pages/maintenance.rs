//! `/maintenance`: the organization's maintenance windows: the list (open
//! now, next, over), a form to plan one (one-off or weekly, for chosen
//! targets or all), edit and delete. Everyone sees the list; members,
//! admins and owners get the forms. The same use cases as the API
//! (`pharos_app::maintenance`).

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use chrono::{DateTime, NaiveDateTime, TimeZone, Timelike, Utc};
use pharos_app::maintenance::{self, MaintenanceInput, ScheduleInput};
use pharos_domain::ids::{MaintenanceId, TargetId};
use pharos_domain::maintenance::{
    MaintenanceKind, MaintenanceSchedule, MaintenanceScope, MaintenanceWindow, TimeZoneName,
    Weekdays,
};

use super::{
    flash, format, render, see_other, Chrome, FieldErrors, PageError, PageResult, PageUser,
};
use crate::auth::CurrentUser;
use crate::extract::PathId;
use crate::state::AppState;

/// A window as the list shows it.
pub struct WindowRow {
    pub id: String,
    pub name: String,
    /// "Sun, Wed at 02:30 for 1 h 30 min (Europe/Berlin)".
    pub when: String,
    /// "All targets", or the targets' names.
    pub covers: String,
    pub active: bool,
    /// "until ...", "next ...", or "over".
    pub status: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// What the form holds, as typed (kept when the form is refused).
#[derive(Debug, Clone, Default)]
pub struct WindowForm {
    pub name: String,
    pub kind: String,
    pub starts_at: String,
    pub ends_at: String,
    pub weekdays: Vec<String>,
    pub start_time: String,
    pub duration_minutes: String,
    pub time_zone: String,
    pub all_targets: bool,
    pub target_ids: Vec<String>,
}

impl WindowForm {
    fn empty() -> Self {
        Self {
            kind: MaintenanceKind::OneOff.as_str().to_owned(),
            time_zone: "UTC".to_owned(),
            duration_minutes: "60".to_owned(),
            ..Self::default()
        }
    }

    /// A form's fields; several `weekdays` and `target_ids` may come.
    /// (axum's `Form` keeps only one value per name, so the pairs are
    /// read here.)
    fn parse(body: &[u8]) -> Self {
        let mut form = Self::default();
        for (key, value) in form_urlencoded::parse(body) {
            let value = value.into_owned();
            match &*key {
                "name" => form.name = value,
                "kind" => form.kind = value,
                "starts_at" => form.starts_at = value,
                "ends_at" => form.ends_at = value,
                "weekdays" => form.weekdays.push(value),
                "start_time" => form.start_time = value,
                "duration_minutes" => form.duration_minutes = value,
                "time_zone" => form.time_zone = value,
                "all_targets" => form.all_targets = true,
                "target_ids" => form.target_ids.push(value),
                _ => {}
            }
        }
        form
    }

    fn of(window: &MaintenanceWindow) -> Self {
        let mut form = Self {
            name: window.name.clone(),
            kind: window.schedule.kind().as_str().to_owned(),
            time_zone: "UTC".to_owned(),
            duration_minutes: "60".to_owned(),
            ..Self::default()
        };
        match window.schedule {
            MaintenanceSchedule::OneOff { starts_at, ends_at } => {
                form.starts_at = local_input(starts_at);
                form.ends_at = local_input(ends_at);
            }
            MaintenanceSchedule::Weekly {
                weekdays,
                start,
                duration,
                time_zone,
            } => {
                form.weekdays = weekdays.names().into_iter().map(str::to_owned).collect();
                form.start_time = format!("{:02}:{:02}", start.hour(), start.minute());
                form.duration_minutes = duration.get().to_string();
                form.time_zone = time_zone.name().to_owned();
            }
        }
        match &window.scope {
            MaintenanceScope::Organization => form.all_targets = true,
            MaintenanceScope::Targets(ids) => {
                form.target_ids = ids.iter().map(|t| t.0.to_string()).collect();
            }
        }
        form
    }

    /// The use case's input; a value the form itself cannot read is
    /// refused here, by its form field.
    fn input(&self) -> Result<MaintenanceInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let weekly = self.kind == MaintenanceKind::Weekly.as_str();
        let zone = TimeZoneName::parse("time_zone", &self.time_zone);
        let mut instant = |field: &'static str, raw: &str| -> Option<DateTime<Utc>> {
            let local = match NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M") {
                Ok(local) => local,
                Err(_) => {
                    errors.add(field, "enter a date and time");
                    return None;
                }
            };
            let zone = zone.as_ref().ok()?;
            let at = zone.tz().from_local_datetime(&local).earliest();
            if at.is_none() {
                errors.add(
                    field,
                    format!("this time does not exist in {}", zone.name()),
                );
            }
            at.map(|t| t.with_timezone(&Utc))
        };
        let schedule = if weekly {
            ScheduleInput {
                kind: self.kind.clone(),
                weekdays: Some(self.weekdays.clone()),
                start_time: Some(self.start_time.clone()),
                duration_minutes: match self.duration_minutes.trim().parse() {
                    Ok(minutes) => Some(minutes),
                    Err(_) => {
                        errors.add("duration_minutes", "enter a number of minutes");
                        None
                    }
                },
                time_zone: Some(self.time_zone.clone()),
                ..ScheduleInput::default()
            }
        } else {
            ScheduleInput {
                kind: self.kind.clone(),
                starts_at: instant("starts_at", &self.starts_at),
                ends_at: instant("ends_at", &self.ends_at),
                ..ScheduleInput::default()
            }
        };
        if let Err(e) = zone {
            errors.add(e.field, e.message);
        }
        let mut target_ids = Vec::new();
        for raw in &self.target_ids {
            match uuid::Uuid::parse_str(raw) {
                Ok(id) => target_ids.push(TargetId(id)),
                Err(_) => errors.add("target_ids", "is not a target"),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(MaintenanceInput {
            name: Some(self.name.clone()),
            schedule: Some(schedule),
            all_targets: Some(self.all_targets),
            target_ids: Some(target_ids),
        })
    }
}

/// `2026-12-07T10:00`, in UTC, for a `datetime-local` input.
fn local_input(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M").to_string()
}

#[derive(Template)]
#[template(path = "maintenance.html")]
struct MaintenancePage {
    chrome: Chrome,
    can_edit: bool,
    windows: Vec<WindowRow>,
    /// The window being edited (the page then shows only its form).
    editing: Option<String>,
    form: WindowForm,
    one_off: bool,
    days: Vec<Choice>,
    targets: Vec<Choice>,
    errors: FieldErrors,
}

/// "Sun, Wed at 02:30 for 1 h 30 min (Europe/Berlin)" or
/// "2026-12-07 10:00 UTC to 2026-12-07 12:00 UTC".
pub fn describe(schedule: &MaintenanceSchedule) -> String {
    match *schedule {
        MaintenanceSchedule::OneOff { starts_at, ends_at } => format!(
            "{} to {}",
            starts_at.format("%Y-%m-%d %H:%M UTC"),
            ends_at.format("%Y-%m-%d %H:%M UTC")
        ),
        MaintenanceSchedule::Weekly {
            weekdays,
            start,
            duration,
            time_zone,
        } => {
            let days: Vec<String> = weekdays.names().into_iter().map(day_label).collect();
            format!(
                "{} at {:02}:{:02} for {} ({})",
                days.join(", "),
                start.hour(),
                start.minute(),
                format::duration(chrono::Duration::minutes(i64::from(duration.get()))),
                time_zone.name()
            )
        }
    }
}

fn day_label(name: &str) -> String {
    let mut label = name.to_owned();
    if let Some(first) = label.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    label
}

/// "until 12:00 UTC (in 2 h 5 min)", "next: ...", "over".
pub fn status_of(window: &MaintenanceWindow, now: DateTime<Utc>) -> (bool, String) {
    match window.schedule.current_or_next(now) {
        Some(o) if o.contains(now) => (
            true,
            format!(
                "in progress until {} ({} left)",
                format::full(o.ends_at),
                format::duration(o.ends_at - now)
            ),
        ),
        Some(o) => (
            false,
            format!(
                "next: {} (in {})",
                format::full(o.starts_at),
                format::duration(o.starts_at - now)
            ),
        ),
        None => (false, "over".to_owned()),
    }
}

async fn page(
    state: &AppState,
    current: &CurrentUser,
    editing: Option<MaintenanceId>,
    form: WindowForm,
    errors: FieldErrors,
    flash: Option<&'static str>,
) -> Result<MaintenancePage, PageError> {
    let windows = maintenance::list(&state.app, current).await?;
    let summaries = pharos_app::dashboard::summaries(&state.app, current).await?;
    let names: HashMap<TargetId, String> = summaries
        .iter()
        .map(|t| (t.id, t.name.clone().unwrap_or_else(|| t.url.clone())))
        .collect();
    let now = Utc::now();
    let rows = windows
        .iter()
        .map(|w| {
            let (active, status) = status_of(w, now);
            WindowRow {
                id: w.id.0.to_string(),
                name: w.name.clone(),
                when: describe(&w.schedule),
                covers: match &w.scope {
                    MaintenanceScope::Organization => "All targets".to_owned(),
                    MaintenanceScope::Targets(ids) if ids.is_empty() => {
                        "No target (its targets were deleted)".to_owned()
                    }
                    MaintenanceScope::Targets(ids) => ids
                        .iter()
                        .filter_map(|id| names.get(id).cloned())
                        .collect::<Vec<_>>()
                        .join(", "),
                },
                active,
                status,
            }
        })
        .collect();
    let days = Weekdays::NAMES
        .iter()
        .map(|d| Choice {
            value: (*d).to_owned(),
            label: day_label(d),
            checked: form.weekdays.iter().any(|w| w == d),
        })
        .collect();
    let targets = summaries
        .iter()
        .map(|t| {
            let value = t.id.0.to_string();
            Choice {
                checked: form.target_ids.contains(&value),
                label: names.get(&t.id).cloned().unwrap_or_default(),
                value,
            }
        })
        .collect();
    Ok(MaintenancePage {
        chrome: Chrome::new(Some(current), "maintenance").with_flash(flash),
        can_edit: current.role.can_edit_targets(),
        windows: rows,
        editing: editing.map(|id| id.0.to_string()),
        one_off: form.kind != MaintenanceKind::Weekly.as_str(),
        days,
        targets,
        form,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
) -> PageResult {
    let (jar, message) = flash::take(jar);
    let page = page(
        &state,
        &current,
        None,
        WindowForm::empty(),
        FieldErrors::default(),
        message,
    )
    .await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// The page again with the form's errors, each by its form field.
async fn refused(
    state: &AppState,
    current: &CurrentUser,
    editing: Option<MaintenanceId>,
    form: WindowForm,
    e: pharos_app::AppError,
) -> PageResult {
    if let e @ pharos_app::AppError::Forbidden(_) = e {
        return Err(PageError(e.into()));
    }
    let (status, errors) = FieldErrors::from_service(e)?;
    let page = page(
        state,
        current,
        editing,
        form,
        errors.strip_prefix("schedule"),
        None,
    )
    .await?;
    Ok(render(status, &page))
}

pub async fn create(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    body: Bytes,
) -> PageResult {
    let form = WindowForm::parse(&body);
    let input = match form.input() {
        Ok(input) => input,
        Err(errors) => {
            let page = page(&state, &current, None, form, errors, None).await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    match maintenance::create(&state.app, &current, input).await {
        Ok(_) => Ok((
            flash::set(jar, "maintenance_saved"),
            see_other("/maintenance"),
        )
            .into_response()),
        Err(e) => refused(&state, &current, None, form, e).await,
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
) -> PageResult {
    let id = MaintenanceId(id);
    let window = maintenance::get(&state.app, &current, id).await?;
    let page = page(
        &state,
        &current,
        Some(id),
        WindowForm::of(&window),
        FieldErrors::default(),
        None,
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

pub async fn update(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
    body: Bytes,
) -> PageResult {
    let id = MaintenanceId(id);
    let form = WindowForm::parse(&body);
    let input = match form.input() {
        Ok(input) => input,
        Err(errors) => {
            let page = page(&state, &current, Some(id), form, errors, None).await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    match maintenance::update(&state.app, &current, id, input).await {
        Ok(_) => Ok((
            flash::set(jar, "maintenance_saved"),
            see_other("/maintenance"),
        )
            .into_response()),
        Err(e) => refused(&state, &current, Some(id), form, e).await,
    }
}

pub async fn delete(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    maintenance::delete(&state.app, &current, MaintenanceId(id)).await?;
    Ok((
        flash::set(jar, "maintenance_deleted"),
        see_other("/maintenance"),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forms_repeated_fields_are_all_kept() {
        let form = WindowForm::parse(
            b"name=x&kind=weekly&weekdays=mon&weekdays=fri&target_ids=a&target_ids=b&all_targets=on",
        );
        assert_eq!(form.weekdays, ["mon", "fri"]);
        assert_eq!(form.target_ids, ["a", "b"]);
        assert!(form.all_targets);
    }

    #[test]
    fn one_off_times_are_read_in_the_chosen_zone() {
        let form = WindowForm {
            name: "x".into(),
            kind: "one_off".into(),
            starts_at: "2026-07-01T10:00".into(),
            ends_at: "2026-07-01T12:00".into(),
            time_zone: "Europe/Berlin".into(),
            all_targets: true,
            ..WindowForm::default()
        };
        let input = form.input().expect("valid");
        let schedule = input.schedule.expect("schedule");
        assert_eq!(
            schedule.starts_at,
            Some("2026-07-01T08:00:00Z".parse().expect("instant"))
        );
        let bad = WindowForm {
            starts_at: "tomorrow".into(),
            time_zone: "Nowhere".into(),
            ..form
        };
        let errors = bad.input().expect_err("refused");
        assert!(errors.get("starts_at").is_some());
        assert!(errors.get("time_zone").is_some());
    }

    #[test]
    fn schedules_read_plainly() {
        let weekly = MaintenanceSchedule::Weekly {
            weekdays: Weekdays::parse("weekdays", &["wed", "sun"]).expect("days"),
            start: chrono::NaiveTime::from_hms_opt(2, 30, 0).expect("time"),
            duration: pharos_domain::maintenance::DurationMinutes::parse("d", 90).expect("minutes"),
            time_zone: TimeZoneName::parse("z", "Europe/Berlin").expect("zone"),
        };
        assert_eq!(
            describe(&weekly),
            "Wed, Sun at 02:30 for 1 h 30 min (Europe/Berlin)"
        );
    }
}
