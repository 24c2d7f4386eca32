//! The embedded backend: one SQLite file in WAL mode.
//!
//! SQLite allows one writer at a time. Writes go through a pool of one
//! connection, so transactions queue in Pharos instead of failing with
//! "database is locked"; reads use their own pool and run beside them.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use pharos_domain::job::Job;

use crate::error::{StoreError, StoreResult};
use crate::models::JobLock;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://path`).
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // `create_if_missing` makes the file but not its directory, and
        // SQLite's own error for that ("unable to open database file")
        // does not say why: make the directory too, as the data
        // directory is made for the default file.
        if let Some(dir) = options.get_filename().parent() {
            if !dir.as_os_str().is_empty() && !dir.exists() {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
                    path: dir.display().to_string(),
                    source,
                })?;
            }
        }
        // SQLite's default page cache is 2 MiB a connection. The one
        // writer touches index pages all over (a check's row goes into
        // three indexes, by target, time and slot; its target's row and
        // three roll-up rows are updated): with 100,000 targets that is
        // far more than 2 MiB, and each miss is a read from the OS. A
        // negative size is in KiB.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone().pragma("cache_size", "-32768"))
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(
                options
                    .read_only(true)
                    .create_if_missing(false)
                    .pragma("cache_size", "-8192"),
            )
            .await?;
        Ok(Self { writer, reader })
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    fn pools(&self) -> [(&'static str, &SqlitePool); 2] {
        [("writer", &self.writer), ("reader", &self.reader)]
    }

    /// SQLite has no server: it runs on this machine's clock.
    async fn server_clock(&self) -> StoreResult<Option<chrono::DateTime<chrono::Utc>>> {
        Ok(None)
    }

    /// Writes a consistent copy of the database to `path`, while Pharos
    /// runs: `VACUUM INTO` reads one snapshot (WAL readers never block the
    /// writer) and writes a compact new file. Refuses a `path` that exists.
    pub async fn backup_to(&self, path: &str) -> StoreResult<()> {
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.reader)
            .await?;
        Ok(())
    }

    /// SQLite's own check of every page and index: `Ok(())` or what is wrong.
    pub async fn integrity_check(&self) -> StoreResult<Result<(), String>> {
        let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
            .fetch_all(&self.reader)
            .await?;
        let problems: Vec<String> = rows
            .into_iter()
            .map(|(line,)| line)
            .filter(|line| line != "ok")
            .collect();
        Ok(if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        })
    }

    /// One machine, one writer: jobs need no lock beyond the record of
    /// their last run, which a second process on the same file also reads.
    async fn no_job_lock(&self, _job: Job) -> StoreResult<Option<JobLock>> {
        Ok(Some(JobLock { held: None }))
    }
}

crate::sql::impl_store!(
    store = SqliteStore,
    db = sqlx::Sqlite,
    backend = "sqlite",
    migrator = MIGRATOR,
    // One writer at a time: no row locks needed.
    claim_lock = "",
    // Read-then-write in one transaction.
    row_lock = "",
    job_lock = no_job_lock,
    size_sql = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
);
