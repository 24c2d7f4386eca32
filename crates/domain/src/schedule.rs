//! When a target is due next.
//!
//! Each target has a stable offset inside its interval, derived from its id,
//! so 10,000 targets at 60 s spread over the minute instead of firing in the
//! same second. A target that fell behind (workers were down) skips the
//! slots it missed instead of firing them all at once. A new target is
//! checked at once and joins its grid at least half an interval later, so
//! two checks are never closer than that.

use crate::ids::TargetId;
use chrono::{DateTime, Duration, Utc};

/// The target's offset inside its interval, in milliseconds.
fn offset_ms(id: TargetId, interval_ms: i64) -> i64 {
    // The low bits of a UUID v7 are random: a uniform, stable spread.
    let low = (id.0.as_u128() & u128::from(u64::MAX)) as u64;
    i64::try_from(low % interval_ms.max(1) as u64).unwrap_or(0)
}

/// The first slot of the target's grid strictly after `after`.
pub fn next_slot(id: TargetId, interval_seconds: u32, after: DateTime<Utc>) -> DateTime<Utc> {
    let interval_ms = i64::from(interval_seconds.max(1)) * 1000;
    let offset = offset_ms(id, interval_ms);
    let after_ms = after.timestamp_millis();
    let k = (after_ms - offset).div_euclid(interval_ms) + 1;
    DateTime::from_timestamp_millis(k * interval_ms + offset)
        .unwrap_or(after + Duration::milliseconds(interval_ms))
}

/// When to check again after a result: soon when a failure needs
/// confirming, else the next slot on the grid.
pub fn next_due_after(
    id: TargetId,
    interval_seconds: u32,
    now: DateTime<Utc>,
    recheck_soon: bool,
    retry_after: Duration,
) -> DateTime<Utc> {
    let half = Duration::milliseconds(i64::from(interval_seconds) * 500);
    let slot = next_slot(id, interval_seconds, now + half);
    if recheck_soon {
        slot.min(now + retry_after)
    } else {
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_one_interval_apart_and_after_the_given_time() {
        let id = TargetId::new();
        let now = Utc::now();
        let first = next_slot(id, 60, now);
        assert!(first > now && first <= now + Duration::seconds(60));
        let second = next_slot(id, 60, first);
        assert_eq!(second - first, Duration::seconds(60));
        // Late by several intervals: the next slot is still within one interval.
        let late = first + Duration::seconds(185);
        let next = next_slot(id, 60, late);
        assert!(next > late && next <= late + Duration::seconds(60));
        assert_eq!(
            (next - first).num_milliseconds() % 60_000,
            0,
            "stays on its grid"
        );
    }

    #[test]
    fn offsets_spread_targets_across_the_interval() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        let mut per_second = [0u32; 60];
        for _ in 0..6000 {
            let slot = next_slot(TargetId::new(), 60, now);
            per_second[((slot - now).num_milliseconds() as usize / 1000).min(59)] += 1;
        }
        let busiest = per_second.iter().max().copied().unwrap_or(0);
        assert!(
            busiest < 200,
            "6000 targets over 60 s: no second should have {busiest}"
        );
    }

    #[test]
    fn unconfirmed_failures_are_rechecked_soon() {
        let id = TargetId::new();
        let now = Utc::now();
        let soon = next_due_after(id, 300, now, true, Duration::seconds(20));
        assert!(soon <= now + Duration::seconds(20));
        let normal = next_due_after(id, 300, now, false, Duration::seconds(20));
        assert_eq!(normal, next_slot(id, 300, now + Duration::seconds(150)));
        assert!(normal - now > Duration::seconds(150) && normal - now <= Duration::seconds(450));
    }
}
