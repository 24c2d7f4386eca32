//! Alerts. The event log (written by storage in the same transaction as
//! each state change) is read here and turned into one notification per
//! channel it concerns; each is rendered in its service's own format and
//! delivered, with retries, exactly once.
//!
//! - [`notice`]: what happened, in the words every channel starts from.
//! - [`channels`]: each kind's configuration (with its secrets kept apart)
//!   and its message format: a notice becomes a [`delivery::Delivery`].
//! - [`delivery`]: what a rendered notification is on the wire (an HTTP
//!   request or an email) and how a delivery attempt ended.
//! - [`sender`]: the delivery engine: fans new events out into the
//!   outbox, claims due notifications under a lease, renders, delivers,
//!   records every attempt and retries with backoff, each channel backing
//!   off on its own.
//! - [`transport`]: sends a delivery (HTTP behind the SSRF rule, SMTP) and
//!   classifies the outcome as delivered, retryable or permanent.

pub mod channels;
pub mod delivery;
pub mod notice;
pub mod sender;
#[cfg(feature = "testing")]
pub mod testing;
pub mod transport;
