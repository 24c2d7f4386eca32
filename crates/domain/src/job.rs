//! The periodic jobs: housekeeping that must run somewhere in the cluster,
//! once per interval, never in two replicas at once.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// Deletes raw checks and roll-ups past their keep-time.
    Retention,
    /// Deletes sessions that expired or idled out.
    SessionSweep,
    /// Deletes events past the roll-ups' keep-time.
    EventPruning,
}

impl Job {
    pub const ALL: [Job; 3] = [Job::Retention, Job::SessionSweep, Job::EventPruning];

    pub fn as_str(self) -> &'static str {
        match self {
            Job::Retention => "retention",
            Job::SessionSweep => "session_sweep",
            Job::EventPruning => "event_pruning",
        }
    }

    /// A number of its own, stable across versions (PostgreSQL's advisory
    /// lock key is built from it).
    pub fn number(self) -> u8 {
        match self {
            Job::Retention => 1,
            Job::SessionSweep => 2,
            Job::EventPruning => 3,
        }
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a job")]
pub struct UnknownJob(pub String);

impl FromStr for Job {
    type Err = UnknownJob;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Job::ALL
            .into_iter()
            .find(|j| j.as_str() == raw)
            .ok_or_else(|| UnknownJob(raw.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_are_distinct_and_round_trip() {
        for job in Job::ALL {
            assert_eq!(job.as_str().parse::<Job>(), Ok(job));
        }
        let mut numbers: Vec<_> = Job::ALL.map(Job::number).to_vec();
        numbers.dedup();
        assert_eq!(numbers.len(), Job::ALL.len());
    }
}
