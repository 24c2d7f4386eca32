//! What Pharos does for a user, independent of how they asked: the JSON API
//! and the HTML pages both call these, so they can never disagree.

pub mod accounts;
pub mod dashboard;
pub mod heartbeat;
pub mod organization;
pub mod targets;
