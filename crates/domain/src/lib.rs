//! Domain rules of Pharos: the values that cross the system's edge, parsed
//! into types that cannot hold an invalid value, and the policies that judge
//! them. Nothing here does I/O, so every rule is unit-testable.

pub mod address_policy;
pub mod check;
pub mod hostname;
pub mod ids;
pub mod organization;
pub mod rollup;
pub mod status;
pub mod target;
pub mod user;
pub mod validation;

pub use address_policy::{blocked_reason, AddressPolicy};
pub use validation::ValidationError;
