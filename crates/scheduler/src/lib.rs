//! The scheduler and its workers. A worker claims due targets from the
//! store (a lease on the target row, so several workers never check the
//! same target at once), checks them with bounded concurrency, and hands
//! results to a writer that stores them in batches. `jobs` runs the
//! periodic housekeeping once per cluster.

pub mod jobs;
mod worker;
mod writer;

pub use jobs::{run_jobs, JobsConfig, RetentionConfig};
pub use worker::{run_worker, WorkerConfig};
