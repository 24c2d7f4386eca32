use thiserror::Error;

/// What can go wrong in storage, in terms callers can act on.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique rule was broken (an email already registered, say).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The database cannot be reached right now; worth retrying.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// The database answered with an error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// Migrations could not be applied.
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored value no longer parses (a bug or manual edit).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The SQLite file's directory is missing and could not be made.
    #[error("cannot create {path}, the directory of the SQLite database: {source}")]
    Directory {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The database URL names no backend Pharos has.
    #[error("unsupported database URL (use sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(e)
            }
            e => StoreError::Database(e),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Turns a unique-constraint violation into `Conflict`, anything else into
/// `Database`.
pub(crate) fn unique_as_conflict(e: sqlx::Error, what: &'static str) -> StoreError {
    let unique = e
        .as_database_error()
        .is_some_and(|db| db.is_unique_violation());
    if unique {
        StoreError::Conflict(what)
    } else {
        StoreError::Database(e)
    }
}
