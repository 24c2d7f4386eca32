//! Domain rules of Pharos: the values that cross the system's edge, parsed
//! into types that cannot hold an invalid value, and the policies that judge
//! them. Nothing here does I/O, so every rule is unit-testable.

pub mod address_policy;
pub mod agent;
pub mod agent_wire;
pub mod alert;
pub mod api_key;
pub mod audit;
pub mod channel;
pub mod check;
pub mod check_spec;
pub mod event;
pub mod hostname;
pub mod ids;
pub mod job;
pub mod json_path;
pub mod labels;
pub mod maintenance;
pub mod organization;
pub mod quorum;
pub mod rollup;
pub mod schedule;
pub mod status;
pub mod status_page;
pub mod target;
pub mod target_kind;
pub mod user;
pub mod validation;

pub use address_policy::{blocked_reason, AddressPolicy};
pub use channel::ChannelKind;
pub use check_spec::CheckSpec;
pub use target_kind::{TargetCheck, TargetKind};
pub use validation::ValidationError;
