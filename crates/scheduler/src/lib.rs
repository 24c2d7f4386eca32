//! The scheduler and its workers. A worker claims due targets from the
//! store (a lease on the target row, so several workers never check the
//! same target at once), checks them with bounded concurrency, and hands
//! results to a writer that stores them in batches. `jobs` runs the
//! periodic housekeeping once per cluster.

pub mod jobs;
mod maintenance;
mod presence;
mod worker;
mod writer;

pub use jobs::{run_jobs, JobsConfig, RetentionConfig};
pub use maintenance::SharedCalendar;
pub use worker::{run_worker, WorkerConfig};

/// Registers the help text of every metric the workers and jobs publish
/// (call once, after installing a recorder). No label ever names a target,
/// an organization, a user or a URL.
pub fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!("pharos_checks_total", "Checks run, by kind and verdict.");
    describe_histogram!(
        "pharos_check_duration_seconds",
        Unit::Seconds,
        "How long each check took, by kind."
    );
    describe_histogram!(
        "pharos_check_lateness_seconds",
        Unit::Seconds,
        "How late each check started after its slot."
    );
    describe_counter!(
        "pharos_targets_claimed_total",
        "Due targets claimed by this worker."
    );
    describe_counter!(
        "pharos_work_delayed_total",
        "Checks put off, by reason (organization_cap, host_cap, overdue)."
    );
    describe_counter!(
        "pharos_work_dropped_total",
        "Results not written, by reason (lease_taken_over, result_buffer_full, shutdown_unwritten)."
    );
    describe_counter!(
        "pharos_results_written_total",
        "Check results written to the database."
    );
    describe_gauge!(
        "pharos_results_buffered",
        "Results waiting for the database to come back."
    );
    describe_counter!("pharos_job_runs_total", "Periodic job runs, by job.");
}
