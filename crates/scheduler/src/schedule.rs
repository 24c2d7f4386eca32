//! When a target is due next.

use chrono::{DateTime, Duration, Utc};

/// The first due time after `now` on the grid `due_at + k * interval`. A
/// target that fell behind (the worker was down) skips the missed slots
/// instead of firing them all at once, and keeps its place on its grid.
pub fn next_due_after(
    due_at: DateTime<Utc>,
    interval_seconds: u32,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let interval = Duration::seconds(i64::from(interval_seconds.max(1)));
    let next = due_at + interval;
    if next > now {
        return next;
    }
    let behind = (now - due_at).num_milliseconds();
    let steps = behind / interval.num_milliseconds() + 1;
    due_at + interval * i32::try_from(steps).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_time_targets_move_one_interval() {
        let due = Utc::now();
        assert_eq!(
            next_due_after(due, 60, due + Duration::seconds(2)),
            due + Duration::seconds(60)
        );
    }

    #[test]
    fn late_targets_skip_missed_slots_but_keep_their_grid() {
        let due = Utc::now();
        let now = due + Duration::seconds(185);
        assert_eq!(next_due_after(due, 60, now), due + Duration::seconds(240));
    }
}
