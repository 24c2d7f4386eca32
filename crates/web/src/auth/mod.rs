//! Who is asking: passwords, sessions and the current-user extractor.

pub mod csrf;
pub mod session;

pub use session::{CurrentUser, Enrolling, SessionConfig};
