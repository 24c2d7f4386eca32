//! Who is asking: passwords, sessions and the current-user extractor.

pub mod csrf;
pub mod password;
pub mod rate_limit;
pub mod session;

pub use session::{CurrentUser, SessionConfig};
