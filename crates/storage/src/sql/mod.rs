//! The queries both backends share, one file per aggregate.
//!
//! SQLite and PostgreSQL accept the same SQL for almost everything Pharos
//! does, and sqlx's row types are generic, so each aggregate's store trait
//! is implemented once here as a macro and stamped out per backend. (A
//! generic `impl<DB: Database>` would need a wall of trait bounds per
//! query; the macros keep the SQL readable.) Each backend passes the
//! pieces that differ: its name, its migrator, its lock clauses, how it
//! takes a job's lock and how it measures its size.

pub(crate) mod account_tokens;
pub(crate) mod accounts;
pub(crate) mod agents;
pub(crate) mod api_keys;
pub(crate) mod audit;
pub(crate) mod badges;
pub(crate) mod channels;
pub(crate) mod checks;
pub(crate) mod custom_domains;
pub(crate) mod database;
pub(crate) mod events;
pub(crate) mod heartbeats;
pub(crate) mod incidents;
pub(crate) mod invitations;
pub(crate) mod jobs;
pub(crate) mod labels;
pub(crate) mod maintenance;
pub(crate) mod notifications;
pub(crate) mod operators;
pub(crate) mod organizations;
pub(crate) mod retention;
pub(crate) mod rollups;
pub(crate) mod scheduling;
pub(crate) mod sessions;
pub(crate) mod status_pages;
pub(crate) mod subscribers;
pub(crate) mod targets;
pub(crate) mod two_factor;
pub(crate) mod workers;

/// Implements every store trait for a backend.
macro_rules! impl_store {
    (
        store = $store:ty,
        db = $db:ty,
        backend = $backend:literal,
        migrator = $migrator:expr,
        claim_lock = $claim_lock:literal,
        row_lock = $row_lock:literal,
        job_lock = $job_lock:ident,
        size_sql = $size_sql:literal $(,)?
    ) => {
        $crate::sql::database::impl_database! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::accounts::impl_accounts! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::account_tokens::impl_account_tokens! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::two_factor::impl_two_factor! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::organizations::impl_organizations! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::operators::impl_operators! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::sessions::impl_sessions! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::api_keys::impl_api_keys! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::targets::impl_targets! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::labels::impl_labels! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::checks::impl_checks! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::incidents::impl_incidents! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::rollups::impl_rollups! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::events::impl_events! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::heartbeats::impl_heartbeats! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::custom_domains::impl_custom_domains! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::badges::impl_badges! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::workers::impl_workers! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::scheduling::impl_scheduling! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::retention::impl_retention! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::jobs::impl_jobs! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::channels::impl_channels! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::notifications::impl_notifications! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::maintenance::impl_maintenance! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::audit::impl_audit! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::invitations::impl_invitations! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::status_pages::impl_status_pages! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::agents::impl_agents! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
        $crate::sql::subscribers::impl_subscribers! { $store, $db, $backend, $migrator, $claim_lock, $row_lock, $job_lock, $size_sql }
    };
}

pub(crate) use impl_store;
