//! Remote agents: the same binary in agent mode on another machine,
//! checking the targets assigned to it and reporting to the server.
//!
//! Admission is two-layered: an agent presents its UUID and the
//! organization's shared secret; the secret must be right and the UUID
//! allowed (approved by an admin, or listed beforehand).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::AgentId;
use crate::validation::{reject_control_chars, reject_longer_than, ValidationError};

/// Where an agent stands with its organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Knew the secret; its UUID waits for an admin.
    Pending,
    /// May fetch a token and work.
    Approved,
    /// An admin said no: admission is refused.
    Rejected,
    /// Was approved; its token was taken away. Refused until approved again.
    Revoked,
}

impl AgentStatus {
    pub const ALL: [AgentStatus; 4] = [
        AgentStatus::Pending,
        AgentStatus::Approved,
        AgentStatus::Rejected,
        AgentStatus::Revoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Pending => "pending",
            AgentStatus::Approved => "approved",
            AgentStatus::Rejected => "rejected",
            AgentStatus::Revoked => "revoked",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Where a check ran: the server itself, or one of the organization's
/// agents. On the wire, `"local"` or the agent's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Location {
    Local,
    Agent(AgentId),
}

impl Location {
    pub const LOCAL: &'static str = "local";

    pub fn parse(raw: &str) -> Option<Self> {
        if raw == Self::LOCAL {
            return Some(Location::Local);
        }
        Uuid::parse_str(raw)
            .ok()
            .map(|id| Location::Agent(AgentId(id)))
    }

    pub fn agent(self) -> Option<AgentId> {
        match self {
            Location::Local => None,
            Location::Agent(id) => Some(id),
        }
    }

    /// The location a stored check's agent column names.
    pub fn of(agent: Option<AgentId>) -> Self {
        agent.map_or(Location::Local, Location::Agent)
    }
}

/// What a location is, as the list of locations shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocationKind {
    /// The instance itself (`local`).
    Server,
    /// One of the organization's own agents.
    Agent,
    /// A public location the instance's operator runs.
    Public,
}

impl LocationKind {
    pub const ALL: [LocationKind; 3] = [
        LocationKind::Server,
        LocationKind::Agent,
        LocationKind::Public,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LocationKind::Server => "server",
            LocationKind::Agent => "agent",
            LocationKind::Public => "public",
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Local => f.write_str(Self::LOCAL),
            Location::Agent(id) => id.fmt(f),
        }
    }
}

impl Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Location {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Location::parse(&raw)
            .ok_or_else(|| serde::de::Error::custom("must be \"local\" or an agent's id"))
    }
}

/// The UUID an agent made for itself on first start.
pub fn parse_agent_uuid(field: &'static str, raw: &str) -> Result<Uuid, ValidationError> {
    Uuid::parse_str(raw.trim())
        .map_err(|_| ValidationError::new(field, "must be a UUID (the one the agent printed)"))
}

/// The name an agent gives its location ("Frankfurt", "office LAN").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationName(String);

impl LocationName {
    pub const MAX_LEN: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "name";
        reject_control_chars(FIELD, raw)?;
        let name = raw.trim();
        if name.is_empty() {
            return Err(ValidationError::new(FIELD, "must not be empty"));
        }
        reject_longer_than(FIELD, name, Self::MAX_LEN)?;
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An agent's version string, as it reports it (bounded, printable).
pub fn parse_agent_version(raw: &str) -> Result<String, ValidationError> {
    const FIELD: &str = "version";
    reject_control_chars(FIELD, raw)?;
    reject_longer_than(FIELD, raw.trim(), 40)?;
    Ok(raw.trim().to_owned())
}

/// The organization's shared secret, as an admin sets it. Long enough
/// that guessing it is hopeless (the server also finds the organization
/// by its keyed hash, so it must be unique in practice).
#[derive(Clone, PartialEq, Eq)]
pub struct SharedSecret(String);

impl SharedSecret {
    pub const MIN_LEN: usize = 24;
    pub const MAX_LEN: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "shared_secret";
        if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(ValidationError::new(
                FIELD,
                "must not contain spaces or control characters",
            ));
        }
        let len = raw.chars().count();
        if len < Self::MIN_LEN {
            return Err(ValidationError::new(
                FIELD,
                format!("must be at least {} characters", Self::MIN_LEN),
            ));
        }
        reject_longer_than(FIELD, raw, Self::MAX_LEN)?;
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedSecret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_read_and_write_local_or_an_agent_id() {
        assert_eq!(Location::parse("local"), Some(Location::Local));
        let id = AgentId::new();
        assert_eq!(Location::parse(&id.to_string()), Some(Location::Agent(id)));
        assert_eq!(Location::Agent(id).to_string(), id.to_string());
        assert_eq!(Location::parse("Local"), None);
        assert_eq!(Location::parse("frankfurt"), None);
    }

    #[test]
    fn statuses_round_trip() {
        for s in AgentStatus::ALL {
            assert_eq!(AgentStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(AgentStatus::parse("gone"), None);
    }

    #[test]
    fn shared_secrets_are_long_and_plain() {
        assert!(SharedSecret::parse(&"a".repeat(23)).is_err());
        assert!(SharedSecret::parse(&"a".repeat(24)).is_ok());
        assert!(SharedSecret::parse(&format!("{} b", "a".repeat(30))).is_err());
        assert!(SharedSecret::parse(&"a".repeat(257)).is_err());
        assert_eq!(
            format!("{:?}", SharedSecret::parse(&"x".repeat(30))),
            "Ok(SharedSecret(***))"
        );
    }
}
