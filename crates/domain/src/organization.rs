//! Organizations (tenants) and what a member may do in one.

use serde::{Deserialize, Serialize};

use crate::validation::{reject_control_chars, reject_longer_than, ValidationError};

/// The display name of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationName(String);

impl OrganizationName {
    pub const MAX_LEN: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "organization";
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

/// A member's role in an organization, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Member,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    /// Viewers only look; everyone else may change targets.
    pub fn can_edit_targets(self) -> bool {
        !matches!(self, Role::Viewer)
    }
}
