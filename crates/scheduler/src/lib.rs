//! The scheduler and its workers. A worker claims due targets from the
//! store (a lease on the target row, so several workers never check the
//! same target at once), checks them with bounded concurrency, and hands
//! results to a writer that stores them in batches.

mod retention;
mod worker;
mod writer;

pub use retention::{prune_once, run_retention, RetentionConfig};
pub use worker::{run_worker, WorkerConfig};
