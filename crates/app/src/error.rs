//! The one error type of the use cases. Each variant says what went wrong
//! in terms a caller can act on; `pharos_web::error` turns it into an HTTP
//! answer, and `pharos admin` into a sentence.

use pharos_domain::ValidationError;
use pharos_storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// An input broke a rule; `field` names it.
    #[error("{0}")]
    Validation(#[from] ValidationError),
    /// A field the input may not have, or of the wrong shape, named with
    /// its path (`headers[0].name`); the message starts with the path.
    #[error("{message}")]
    InvalidField { field: String, message: String },
    /// No valid session (or key) came with the request.
    #[error("authentication required")]
    Unauthenticated,
    #[error("invalid email or password")]
    InvalidCredentials,
    /// The password was right; the account asks for a code from its
    /// authenticator app (or a recovery code) too. `pending` lets a page
    /// ask for it without the password again.
    #[error("enter the code from your authenticator app, or a recovery code")]
    SecondFactorRequired { pending: String },
    /// The code was wrong, used already, or too old.
    #[error("the code is wrong or was used already")]
    InvalidSecondFactor,
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The organization the actor acts in requires two-factor sign-in,
    /// and they have not turned it on: only setting it up (and switching
    /// organization, signing out) is open to them.
    #[error("your organization requires two-factor sign-in: set it up first (Settings > Two-factor sign-in, or POST /api/v1/auth/two-factor/setup)")]
    TwoFactorSetupRequired,
    /// No such thing in the actor's organization (another tenant's ids get
    /// this too, exactly as ids that never existed).
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(&'static str),
    /// It existed, but its time is over (an expired invitation link).
    #[error("{0}")]
    Gone(&'static str),
    #[error("too many requests, retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("{0}")]
    Unavailable(Unavailable),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// What is unavailable, so callers can say which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error("the database is unavailable")]
    Database,
    /// This process runs no checks ("check now" needs a prober).
    #[error("this server is not set up to run checks")]
    Checks,
    /// This process sends no notifications ("Send test" needs a transport).
    #[error("this server is not set up to send notifications")]
    Notifications,
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => AppError::Conflict(what),
            StoreError::Unavailable(_) => AppError::Unavailable(Unavailable::Database),
            other => AppError::Internal(other.into()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
