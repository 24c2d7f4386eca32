//! The network checks. See the probes issue.
