//! What a target is: one of six kinds, and what checking it means.
//!
//! Five kinds are probed by Pharos (their settings are a [`CheckSpec`]); a
//! heartbeat is the reverse, a job that reports to Pharos, so it has no
//! settings to probe with. [`TargetCheck`] holds either, so a target can
//! never be "HTTP without a URL" or "a heartbeat with a probe".

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::check_spec::{CheckSpec, HttpCheck};

/// The six kinds of target, as stored in `targets.kind` and named in the
/// API (`"kind": "http"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Http,
    Tcp,
    Ping,
    Dns,
    Tls,
    Heartbeat,
}

impl TargetKind {
    /// Every kind, in the order forms and documents list them.
    pub const ALL: [TargetKind; 6] = [
        TargetKind::Http,
        TargetKind::Tcp,
        TargetKind::Ping,
        TargetKind::Dns,
        TargetKind::Tls,
        TargetKind::Heartbeat,
    ];

    /// The kinds Pharos checks by probing (all but heartbeats).
    pub const PROBED: [TargetKind; 5] = [
        TargetKind::Http,
        TargetKind::Tcp,
        TargetKind::Ping,
        TargetKind::Dns,
        TargetKind::Tls,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Http => "http",
            TargetKind::Tcp => "tcp",
            TargetKind::Ping => "ping",
            TargetKind::Dns => "dns",
            TargetKind::Tls => "tls",
            TargetKind::Heartbeat => "heartbeat",
        }
    }

    /// What the kind checks, for people choosing one.
    pub fn description(self) -> &'static str {
        match self {
            TargetKind::Http => "HTTP(S) request",
            TargetKind::Tcp => "TCP port open",
            TargetKind::Ping => "Ping (ICMP)",
            TargetKind::Dns => "DNS record",
            TargetKind::Tls => "TLS certificate",
            TargetKind::Heartbeat => "Heartbeat (cron job pings Pharos)",
        }
    }

    pub fn is_heartbeat(self) -> bool {
        self == TargetKind::Heartbeat
    }

    /// `"http, tcp, ping, dns, tls, heartbeat"`, for error messages.
    pub fn list(kinds: &[TargetKind]) -> String {
        kinds
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind name that is not one of the six.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not one of http, tcp, ping, dns, tls, heartbeat")]
pub struct UnknownKind(pub String);

impl FromStr for TargetKind {
    type Err = UnknownKind;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        TargetKind::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| UnknownKind(raw.to_owned()))
    }
}

/// How a target is checked: probed with these settings, or a heartbeat
/// waiting for pings.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetCheck {
    Probe(CheckSpec),
    Heartbeat,
}

impl TargetCheck {
    /// A plain GET of `url`, the check a bare `{"url": ...}` describes.
    pub fn http_get(url: impl Into<String>) -> Self {
        TargetCheck::Probe(CheckSpec::Http(HttpCheck::get(url)))
    }

    pub fn kind(&self) -> TargetKind {
        match self {
            TargetCheck::Probe(spec) => spec.kind(),
            TargetCheck::Heartbeat => TargetKind::Heartbeat,
        }
    }

    pub fn is_heartbeat(&self) -> bool {
        matches!(self, TargetCheck::Heartbeat)
    }

    /// What is checked, for people: the URL, `host:port`, a DNS name and
    /// type, or `heartbeat`.
    pub fn label(&self) -> String {
        match self {
            TargetCheck::Probe(spec) => spec.target_label(),
            TargetCheck::Heartbeat => TargetKind::Heartbeat.as_str().to_owned(),
        }
    }

    /// The settings to probe with; `None` for a heartbeat.
    pub fn probe(&self) -> Option<&CheckSpec> {
        match self {
            TargetCheck::Probe(spec) => Some(spec),
            TargetCheck::Heartbeat => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in TargetKind::ALL {
            assert_eq!(kind.as_str().parse::<TargetKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).expect("serialises");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert!("HTTP".parse::<TargetKind>().is_err());
        assert!("smtp".parse::<TargetKind>().is_err());
    }

    #[test]
    fn probed_kinds_are_all_but_heartbeat() {
        let probed: Vec<_> = TargetKind::ALL
            .into_iter()
            .filter(|k| !k.is_heartbeat())
            .collect();
        assert_eq!(probed, TargetKind::PROBED);
    }

    #[test]
    fn a_check_knows_its_kind() {
        assert_eq!(
            TargetCheck::http_get("https://example.com/").kind(),
            TargetKind::Http
        );
        assert_eq!(TargetCheck::Heartbeat.kind(), TargetKind::Heartbeat);
        assert!(TargetCheck::Heartbeat.probe().is_none());
    }
}
