//! Latency roll-ups: fixed bins so percentiles can be estimated from
//! counters that a database can add up, without keeping every sample.

use chrono::{DateTime, Utc};

/// Upper bounds (exclusive, ms) of the first 11 bins; the 12th is open.
pub const BIN_UPPER_MS: [u32; 11] = [
    10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000,
];
pub const BINS: usize = BIN_UPPER_MS.len() + 1;

/// Bucket widths that roll-ups are kept at.
pub const QUARTER_HOUR: u32 = 900;
pub const HOUR: u32 = 3_600;
pub const DAY: u32 = 86_400;
pub const BUCKET_WIDTHS: [u32; 3] = [QUARTER_HOUR, HOUR, DAY];

/// The bin a latency falls into.
/// The start of the `width`-second bucket holding `at` (buckets are
/// aligned to the Unix epoch, so every width divides a day evenly).
pub fn bucket_start(at: DateTime<Utc>, width: u32) -> DateTime<Utc> {
    let width = i64::from(width.max(1));
    DateTime::from_timestamp(at.timestamp().div_euclid(width) * width, 0).unwrap_or(at)
}

/// `up` of `total` as a percentage, `None` when there is nothing to count.
pub fn uptime_percent(up: u64, total: u64) -> Option<f64> {
    (total > 0).then(|| up as f64 * 100.0 / total as f64)
}

pub fn bin_of(latency_ms: u32) -> usize {
    BIN_UPPER_MS
        .iter()
        .position(|upper| latency_ms < *upper)
        .unwrap_or(BIN_UPPER_MS.len())
}

/// Aggregated checks of one bucket (or of several, added up).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rollup {
    pub checks: u64,
    pub up: u64,
    pub degraded: u64,
    pub latency_count: u64,
    pub latency_sum: u64,
    pub latency_min: Option<u32>,
    pub latency_max: Option<u32>,
    pub bins: [u64; BINS],
}

impl Rollup {
    /// Counts one check in (a roll-up made from raw checks, as the
    /// per-location views do). `latency_ms` only of a check that answered:
    /// a failed check's "latency" is its timeout.
    pub fn record(&mut self, counts_up: bool, degraded: bool, latency_ms: Option<u32>) {
        self.checks += 1;
        self.up += u64::from(counts_up);
        self.degraded += u64::from(degraded);
        if let Some(ms) = latency_ms {
            self.latency_count += 1;
            self.latency_sum += u64::from(ms);
            self.latency_min = Some(self.latency_min.map_or(ms, |m| m.min(ms)));
            self.latency_max = Some(self.latency_max.map_or(ms, |m| m.max(ms)));
            self.bins[bin_of(ms)] += 1;
        }
    }

    pub fn add(&mut self, other: &Rollup) {
        self.checks += other.checks;
        self.up += other.up;
        self.degraded += other.degraded;
        self.latency_count += other.latency_count;
        self.latency_sum += other.latency_sum;
        self.latency_min = match (self.latency_min, other.latency_min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.latency_max = match (self.latency_max, other.latency_max) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (mine, theirs) in self.bins.iter_mut().zip(other.bins) {
            *mine += theirs;
        }
    }

    /// Up checks as a percentage, `None` without checks.
    pub fn uptime_percent(&self) -> Option<f64> {
        uptime_percent(self.up, self.checks)
    }

    pub fn latency_mean(&self) -> Option<f64> {
        (self.latency_count > 0).then(|| self.latency_sum as f64 / self.latency_count as f64)
    }

    /// Estimates the `q` quantile (0..=1) by interpolating inside the bin
    /// that holds it, clamped to the observed min and max.
    pub fn latency_quantile(&self, q: f64) -> Option<f64> {
        let total: u64 = self.bins.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = (q.clamp(0.0, 1.0) * total as f64).max(1.0);
        let mut seen = 0u64;
        for (bin, count) in self.bins.iter().enumerate() {
            if *count == 0 {
                continue;
            }
            if (seen + count) as f64 >= rank {
                let lower = if bin == 0 {
                    0.0
                } else {
                    f64::from(BIN_UPPER_MS[bin - 1])
                };
                let upper = BIN_UPPER_MS.get(bin).map_or_else(
                    || f64::from(self.latency_max.unwrap_or(60_000)).max(lower),
                    |u| f64::from(*u),
                );
                let within = (rank - seen as f64) / *count as f64;
                let estimate = lower + (upper - lower) * within;
                let min = f64::from(self.latency_min.unwrap_or(0));
                let max = f64::from(self.latency_max.unwrap_or(u32::MAX));
                return Some(estimate.clamp(min, max));
            }
            seen += count;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(latencies: &[u32]) -> Rollup {
        let mut r = Rollup::default();
        for &ms in latencies {
            r.record(true, false, Some(ms));
        }
        r
    }

    #[test]
    fn bins_cover_every_latency() {
        assert_eq!(bin_of(0), 0);
        assert_eq!(bin_of(9), 0);
        assert_eq!(bin_of(10), 1);
        assert_eq!(bin_of(29_999), 10);
        assert_eq!(bin_of(u32::MAX), 11);
    }

    #[test]
    fn quantiles_land_in_the_right_bin_and_within_observed_range() {
        let mut samples: Vec<u32> = (0..95).map(|_| 40).collect();
        samples.extend([900, 900, 900, 900, 2000]);
        let r = of(&samples);
        let p50 = r.latency_quantile(0.5).expect("p50");
        assert!((25.0..=50.0).contains(&p50), "{p50}");
        let p99 = r.latency_quantile(0.99).expect("p99");
        assert!((500.0..=1000.0).contains(&p99), "{p99}");
        let p100 = r.latency_quantile(1.0).expect("max");
        assert!(p100 <= 2000.0);
        assert_eq!(r.uptime_percent(), Some(100.0));
        assert_eq!(Rollup::default().latency_quantile(0.5), None);
    }

    #[test]
    fn adding_rollups_adds_counts_and_keeps_extremes() {
        let mut a = of(&[5, 50]);
        let b = of(&[500]);
        a.add(&b);
        assert_eq!(a.checks, 3);
        assert_eq!(a.latency_min, Some(5));
        assert_eq!(a.latency_max, Some(500));
        assert_eq!(a.bins.iter().sum::<u64>(), 3);
    }
}
