//! Maintenance windows: planned time when a target's failures are
//! expected. Checks still run and are marked as maintenance, but a held
//! target's state does not move, so no incident opens and nothing is sent.
//!
//! A window is one-off (a start and an end) or weekly (days, a local start
//! time, a duration, a time zone: "Sundays 02:00 for 2 h, Europe/Berlin"
//! stays at 02:00 local through daylight-saving changes). It covers the
//! whole organization or chosen targets. No I/O: the workers, the sender
//! and the pages ask a [`MaintenanceCalendar`] built from stored windows.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::ids::{MaintenanceId, OrganizationId, TargetId};
use crate::validation::{reject_control_chars, reject_longer_than};
use crate::ValidationError;

/// A window's name, as people see it on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceName(String);

impl MaintenanceName {
    pub const MAX_LEN: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "name";
        reject_control_chars(FIELD, raw)?;
        let name = raw.trim();
        if name.is_empty() {
            return Err(ValidationError::new(FIELD, "is required"));
        }
        reject_longer_than(FIELD, name, Self::MAX_LEN)?;
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The two shapes a window's schedule takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaintenanceKind {
    OneOff,
    Weekly,
}

impl MaintenanceKind {
    pub const ALL: [MaintenanceKind; 2] = [MaintenanceKind::OneOff, MaintenanceKind::Weekly];

    pub fn as_str(self) -> &'static str {
        match self {
            MaintenanceKind::OneOff => "one_off",
            MaintenanceKind::Weekly => "weekly",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// The days of the week a weekly window starts on (a bit per day, Monday
/// first), as storage keeps it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Weekdays(u8);

impl Weekdays {
    /// Monday to Sunday, as the API names them.
    pub const NAMES: [&'static str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    const ALL_BITS: u8 = 0b111_1111;

    /// Days by name (`mon` ... `sun`); at least one, none twice.
    pub fn parse<S: AsRef<str>>(field: &'static str, names: &[S]) -> Result<Self, ValidationError> {
        let mut bits = 0u8;
        for name in names {
            let name = name.as_ref();
            let Some(day) = Self::NAMES.iter().position(|n| *n == name) else {
                return Err(ValidationError::new(
                    field,
                    format!("unknown day {name:?}: use {}", Self::NAMES.join(", ")),
                ));
            };
            if bits & (1 << day) != 0 {
                return Err(ValidationError::new(
                    field,
                    format!("{name} is listed twice"),
                ));
            }
            bits |= 1 << day;
        }
        if bits == 0 {
            return Err(ValidationError::new(field, "choose at least one day"));
        }
        Ok(Self(bits))
    }

    /// From storage's bit set; `None` for no day or unknown bits.
    pub fn from_bits(bits: i64) -> Option<Self> {
        u8::try_from(bits)
            .ok()
            .filter(|b| *b != 0 && b & !Self::ALL_BITS == 0)
            .map(Self)
    }

    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    /// The chosen days' names, Monday first.
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, n)| *n)
            .collect()
    }
}

impl fmt::Debug for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// An IANA time zone (`Europe/Berlin`, `UTC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZoneName(Tz);

impl TimeZoneName {
    pub const UTC: TimeZoneName = TimeZoneName(Tz::UTC);

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        Tz::from_str(raw.trim()).map(Self).map_err(|_| {
            ValidationError::new(
                field,
                "must be an IANA time zone such as UTC or Europe/Berlin",
            )
        })
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    pub fn tz(self) -> Tz {
        self.0
    }
}

/// How long a weekly window lasts: a minute to a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DurationMinutes(u32);

impl DurationMinutes {
    pub const MAX: u32 = 7 * 24 * 60;

    pub fn parse(field: &'static str, raw: i64) -> Result<Self, ValidationError> {
        match u32::try_from(raw) {
            Ok(m) if (1..=Self::MAX).contains(&m) => Ok(Self(m)),
            _ => Err(ValidationError::new(
                field,
                format!("must be between 1 and {} minutes (a week)", Self::MAX),
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    fn duration(self) -> Duration {
        Duration::minutes(i64::from(self.0))
    }
}

/// The longest one-off window: a year.
const MAX_ONE_OFF: Duration = Duration::days(366);

/// When a window is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaintenanceSchedule {
    /// From `starts_at` up to (not including) `ends_at`.
    OneOff {
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    },
    /// Each chosen day at `start` local time in `time_zone`, for `duration`.
    Weekly {
        weekdays: Weekdays,
        start: NaiveTime,
        duration: DurationMinutes,
        time_zone: TimeZoneName,
    },
}

/// One time a window is open: `[starts_at, ends_at)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Occurrence {
    pub fn contains(self, at: DateTime<Utc>) -> bool {
        self.starts_at <= at && at < self.ends_at
    }
}

impl MaintenanceSchedule {
    /// A one-off window; the end after the start, at most a year long.
    pub fn one_off(
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    ) -> Result<Self, ValidationError> {
        if ends_at <= starts_at {
            return Err(ValidationError::new(
                "schedule.ends_at",
                "must be after schedule.starts_at",
            ));
        }
        if ends_at - starts_at > MAX_ONE_OFF {
            return Err(ValidationError::new(
                "schedule.ends_at",
                "a window may last at most 366 days",
            ));
        }
        Ok(Self::OneOff { starts_at, ends_at })
    }

    pub fn kind(&self) -> MaintenanceKind {
        match self {
            MaintenanceSchedule::OneOff { .. } => MaintenanceKind::OneOff,
            MaintenanceSchedule::Weekly { .. } => MaintenanceKind::Weekly,
        }
    }

    /// The occurrence open at `at`, if any.
    pub fn occurrence_at(&self, at: DateTime<Utc>) -> Option<Occurrence> {
        self.occurrences_around(at).find(|o| o.contains(at))
    }

    /// The occurrence open at `at`, or else the next one to open; `None`
    /// when the window is over for good.
    pub fn current_or_next(&self, at: DateTime<Utc>) -> Option<Occurrence> {
        self.occurrences_around(at).find(|o| o.ends_at > at)
    }

    /// Occurrences in start order, from the latest that could still be
    /// open at `at` to a little over a week past it.
    fn occurrences_around(&self, at: DateTime<Utc>) -> Box<dyn Iterator<Item = Occurrence> + '_> {
        match *self {
            MaintenanceSchedule::OneOff { starts_at, ends_at } => {
                Box::new(std::iter::once(Occurrence { starts_at, ends_at }))
            }
            MaintenanceSchedule::Weekly {
                weekdays,
                start,
                duration,
                time_zone,
            } => {
                let tz = time_zone.tz();
                let today = at.with_timezone(&tz).date_naive();
                // A window lasts at most a week, so one that started more
                // than eight local days ago is closed.
                Box::new(
                    (-8..=8)
                        .filter_map(move |offset| today.checked_add_signed(Duration::days(offset)))
                        .filter(move |day| weekdays.contains(day.weekday()))
                        .filter_map(move |day| local_start(tz, day, start))
                        .map(move |starts_at| Occurrence {
                            starts_at,
                            ends_at: starts_at + duration.duration(),
                        }),
                )
            }
        }
    }
}

/// `day` at `time` in `tz`, as an instant. A time that happens twice (the
/// hour clocks go back) is its first; one that never happens (the hour
/// clocks go forward) moves to the first instant after the gap.
fn local_start(tz: Tz, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let local = day.and_time(time);
    if let Some(at) = tz.from_local_datetime(&local).earliest() {
        return Some(at.with_timezone(&Utc));
    }
    // In a gap: step forward until the local clock exists again (gaps are
    // at most a few hours anywhere).
    (1..=24 * 4)
        .map(|quarter| local + Duration::minutes(15 * quarter))
        .find_map(|later| tz.from_local_datetime(&later).earliest())
        .map(|at| at.with_timezone(&Utc))
}

/// Which targets a window covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaintenanceScope {
    /// Every target of the organization, present and future.
    Organization,
    /// These targets (at least one).
    Targets(Vec<TargetId>),
}

impl MaintenanceScope {
    pub fn covers(&self, target: TargetId) -> bool {
        match self {
            MaintenanceScope::Organization => true,
            MaintenanceScope::Targets(ids) => ids.contains(&target),
        }
    }
}

/// What a window is made of, checked: what the use cases hand storage.
#[derive(Debug, Clone, PartialEq)]
pub struct MaintenancePlan {
    pub name: MaintenanceName,
    pub schedule: MaintenanceSchedule,
    pub scope: MaintenanceScope,
}

/// A stored maintenance window.
#[derive(Debug, Clone, PartialEq)]
pub struct MaintenanceWindow {
    pub id: MaintenanceId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub schedule: MaintenanceSchedule,
    pub scope: MaintenanceScope,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MaintenanceWindow {
    /// The window holds `target` at `at`.
    pub fn covers(&self, target: TargetId, at: DateTime<Utc>) -> bool {
        self.scope.covers(target) && self.schedule.occurrence_at(at).is_some()
    }
}

/// Every window of every organization, looked up by organization: what a
/// worker or the sender asks "is this target in maintenance now?".
#[derive(Debug, Clone, Default)]
pub struct MaintenanceCalendar {
    by_organization: HashMap<OrganizationId, Vec<MaintenanceWindow>>,
}

impl MaintenanceCalendar {
    pub fn new(windows: impl IntoIterator<Item = MaintenanceWindow>) -> Self {
        let mut by_organization: HashMap<OrganizationId, Vec<MaintenanceWindow>> = HashMap::new();
        for window in windows {
            by_organization
                .entry(window.organization_id)
                .or_default()
                .push(window);
        }
        Self { by_organization }
    }

    /// Some window of `org` holds `target` at `at`.
    pub fn covers(&self, org: OrganizationId, target: TargetId, at: DateTime<Utc>) -> bool {
        self.by_organization
            .get(&org)
            .is_some_and(|windows| windows.iter().any(|w| w.covers(target, at)))
    }

    /// The windows of `org` open at `at`.
    pub fn open(&self, org: OrganizationId, at: DateTime<Utc>) -> Vec<&MaintenanceWindow> {
        self.by_organization
            .get(&org)
            .map(|windows| {
                windows
                    .iter()
                    .filter(|w| w.schedule.occurrence_at(at).is_some())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.by_organization.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(raw: &str) -> DateTime<Utc> {
        raw.parse().expect("a test instant")
    }

    fn weekly(days: &[&str], start: &str, minutes: i64, zone: &str) -> MaintenanceSchedule {
        MaintenanceSchedule::Weekly {
            weekdays: Weekdays::parse("weekdays", days).expect("days"),
            start: start.parse().expect("time"),
            duration: DurationMinutes::parse("duration_minutes", minutes).expect("minutes"),
            time_zone: TimeZoneName::parse("time_zone", zone).expect("zone"),
        }
    }

    #[test]
    fn a_one_off_window_is_open_from_its_start_until_its_end() {
        let s =
            MaintenanceSchedule::one_off(utc("2026-12-07T10:00:00Z"), utc("2026-12-07T11:00:00Z"))
                .expect("valid");
        assert!(s.occurrence_at(utc("2026-12-07T09:59:59Z")).is_none());
        assert!(s.occurrence_at(utc("2026-12-07T10:00:00Z")).is_some());
        assert!(s.occurrence_at(utc("2026-12-07T10:59:59Z")).is_some());
        assert!(s.occurrence_at(utc("2026-12-07T11:00:00Z")).is_none());
        assert_eq!(
            s.current_or_next(utc("2026-12-07T09:00:00Z"))
                .map(|o| o.starts_at),
            Some(utc("2026-12-07T10:00:00Z"))
        );
        assert!(s.current_or_next(utc("2026-12-07T12:00:00Z")).is_none());
    }

    #[test]
    fn a_one_off_window_must_end_after_it_starts_and_last_at_most_a_year() {
        let at = utc("2026-12-07T10:00:00Z");
        let e = MaintenanceSchedule::one_off(at, at).expect_err("empty");
        assert_eq!(e.field, "schedule.ends_at");
        assert!(MaintenanceSchedule::one_off(at, at - Duration::hours(1)).is_err());
        assert!(MaintenanceSchedule::one_off(at, at + Duration::days(367)).is_err());
    }

    #[test]
    fn a_weekly_window_keeps_its_local_time_across_daylight_saving() {
        // Sundays 02:30 Berlin for an hour. 2026-03-29 (CEST begins; 02:30
        // does not exist, so it opens at 03:00 local = 01:00Z) and
        // 2026-10-25 (CET returns; 02:30 happens twice, the first counts).
        let s = weekly(&["sun"], "02:30", 60, "Europe/Berlin");
        // Winter: 02:30 CET = 01:30Z.
        assert!(s.occurrence_at(utc("2026-03-22T01:45:00Z")).is_some());
        assert!(s.occurrence_at(utc("2026-03-22T00:45:00Z")).is_none());
        // The gap day.
        let gap = s.occurrence_at(utc("2026-03-29T01:30:00Z")).expect("open");
        assert_eq!(gap.starts_at, utc("2026-03-29T01:00:00Z"));
        // Summer: 02:30 CEST = 00:30Z.
        assert!(s.occurrence_at(utc("2026-04-05T00:45:00Z")).is_some());
        assert!(s.occurrence_at(utc("2026-04-05T01:45:00Z")).is_none());
        // The repeated hour: the first 02:30 (CEST, 00:30Z).
        let back = s.occurrence_at(utc("2026-10-25T00:40:00Z")).expect("open");
        assert_eq!(back.starts_at, utc("2026-10-25T00:30:00Z"));
        // Not on Mondays.
        assert!(s.occurrence_at(utc("2026-04-06T00:45:00Z")).is_none());
    }

    #[test]
    fn a_weekly_window_may_run_past_midnight_and_be_found_the_next_day() {
        let s = weekly(&["fri"], "23:00", 180, "UTC");
        // Saturday 01:00 is inside Friday's window.
        assert!(s.occurrence_at(utc("2026-12-12T01:00:00Z")).is_some());
        assert!(s.occurrence_at(utc("2026-12-12T02:00:00Z")).is_none());
        let next = s
            .current_or_next(utc("2026-12-12T02:00:00Z"))
            .expect("next");
        assert_eq!(next.starts_at, utc("2026-12-18T23:00:00Z"));
    }

    #[test]
    fn a_week_long_window_is_found_from_any_day_in_it() {
        let s = weekly(&["mon"], "00:00", i64::from(DurationMinutes::MAX), "UTC");
        for day in 7..=13 {
            let at = utc(&format!("2026-12-{day:02}T12:00:00Z"));
            assert!(s.occurrence_at(at).is_some(), "day {day}");
        }
    }

    #[test]
    fn days_zones_and_durations_are_parsed_and_named_by_field() {
        assert_eq!(
            Weekdays::parse("weekdays", &["sun", "mon"])
                .expect("ok")
                .names(),
            vec!["mon", "sun"]
        );
        assert_eq!(
            Weekdays::parse::<&str>("weekdays", &[])
                .expect_err("none")
                .field,
            "weekdays"
        );
        assert!(Weekdays::parse("weekdays", &["monday"]).is_err());
        assert!(Weekdays::parse("weekdays", &["mon", "mon"]).is_err());
        let days = Weekdays::parse("weekdays", &["tue", "sat"]).expect("ok");
        assert_eq!(Weekdays::from_bits(i64::from(days.bits())), Some(days));
        assert_eq!(Weekdays::from_bits(0), None);
        assert_eq!(Weekdays::from_bits(128), None);
        assert!(TimeZoneName::parse("time_zone", "Mars/Olympus").is_err());
        assert_eq!(
            TimeZoneName::parse("time_zone", "Europe/Berlin")
                .expect("ok")
                .name(),
            "Europe/Berlin"
        );
        assert!(DurationMinutes::parse("duration_minutes", 0).is_err());
        assert!(DurationMinutes::parse("duration_minutes", 10_081).is_err());
        assert!(MaintenanceName::parse("  ").is_err());
        assert!(MaintenanceName::parse("a\u{7}b").is_err());
        for kind in MaintenanceKind::ALL {
            assert_eq!(MaintenanceKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn the_calendar_holds_only_the_covered_targets_of_the_windows_organization() {
        let org = OrganizationId::new();
        let other = OrganizationId::new();
        let (a, b) = (TargetId::new(), TargetId::new());
        let now = utc("2026-12-07T10:30:00Z");
        let window = |organization_id, scope| MaintenanceWindow {
            id: MaintenanceId::new(),
            organization_id,
            name: "upgrade".into(),
            schedule: MaintenanceSchedule::one_off(
                utc("2026-12-07T10:00:00Z"),
                utc("2026-12-07T11:00:00Z"),
            )
            .expect("valid"),
            scope,
            created_at: now,
            updated_at: now,
        };
        let calendar = MaintenanceCalendar::new([
            window(org, MaintenanceScope::Targets(vec![a])),
            window(other, MaintenanceScope::Organization),
        ]);
        assert!(calendar.covers(org, a, now));
        assert!(!calendar.covers(org, b, now));
        assert!(calendar.covers(other, b, now));
        assert!(!calendar.covers(org, a, utc("2026-12-07T11:00:00Z")));
        assert_eq!(calendar.open(org, now).len(), 1);
        assert!(calendar.open(org, utc("2026-12-08T00:00:00Z")).is_empty());
    }
}
