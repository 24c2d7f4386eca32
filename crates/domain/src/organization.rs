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
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Viewer];

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

    /// Viewers only look; members, admins and owners manage targets,
    /// maintenance and incidents.
    pub fn can_edit_targets(self) -> bool {
        !matches!(self, Role::Viewer)
    }

    /// Owners and admins run the organization: its channels, alert
    /// settings, status pages, API keys and members (admins: all but
    /// owners); members and viewers work inside it.
    pub fn can_manage_organization(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// Owners alone manage owners, rename and delete the organization.
    pub fn is_owner(self) -> bool {
        matches!(self, Role::Owner)
    }

    /// Whether someone of this role may give `role` to a person, or change
    /// or remove a person who has `role`: owners any role, admins every
    /// role but owner, members and viewers none.
    pub fn can_manage_role(self, role: Role) -> bool {
        match self {
            Role::Owner => true,
            Role::Admin => role != Role::Owner,
            Role::Member | Role::Viewer => false,
        }
    }

    /// How much the role may do: owner 3, admin 2, member 1, viewer 0.
    fn power(self) -> u8 {
        match self {
            Role::Owner => 3,
            Role::Admin => 2,
            Role::Member => 1,
            Role::Viewer => 0,
        }
    }

    /// `self` grants nothing `other` does not (an API key's role against
    /// its creator's).
    pub fn is_at_most(self, other: Role) -> bool {
        self.power() <= other.power()
    }

    /// The less powerful of the two.
    pub fn lesser(self, other: Role) -> Role {
        if self.is_at_most(other) {
            self
        } else {
            other
        }
    }
}

impl std::str::FromStr for Role {
    type Err = ValidationError;

    /// A role as people and programs send it; the refusal names `role`
    /// and the four roles there are.
    fn from_str(raw: &str) -> Result<Self, ValidationError> {
        Role::parse(raw).ok_or_else(|| {
            ValidationError::new("role", "must be one of owner, admin, member, viewer")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_and_admins_manage_the_organization() {
        assert!(Role::Owner.can_manage_organization());
        assert!(Role::Admin.can_manage_organization());
        assert!(!Role::Member.can_manage_organization());
        assert!(!Role::Viewer.can_manage_organization());
    }

    #[test]
    fn owners_manage_every_role_and_admins_all_but_owners() {
        for role in Role::ALL {
            assert!(Role::Owner.can_manage_role(role));
            assert_eq!(Role::Admin.can_manage_role(role), role != Role::Owner);
            assert!(!Role::Member.can_manage_role(role));
            assert!(!Role::Viewer.can_manage_role(role));
        }
        assert!(Role::Owner.is_owner());
        assert!(!Role::Admin.is_owner());
    }

    #[test]
    fn roles_parse_from_their_names_only() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        for raw in ["", "Owner", "superuser", " admin"] {
            let refused = raw.parse::<Role>().expect_err(raw);
            assert_eq!(refused.field, "role");
        }
    }

    #[test]
    fn roles_are_ordered_by_what_they_may_do() {
        assert!(Role::Viewer.is_at_most(Role::Member));
        assert!(Role::Admin.is_at_most(Role::Admin));
        assert!(Role::Admin.is_at_most(Role::Owner));
        assert!(!Role::Owner.is_at_most(Role::Admin));
        assert!(!Role::Member.is_at_most(Role::Viewer));
        assert_eq!(Role::Owner.lesser(Role::Member), Role::Member);
        assert_eq!(Role::Viewer.lesser(Role::Admin), Role::Viewer);
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            OrganizationName::parse("  Acme  ").map(|n| n.as_str().to_owned()),
            Ok("Acme".to_owned())
        );
        assert!(OrganizationName::parse("   ").is_err());
        assert!(OrganizationName::parse(&"x".repeat(OrganizationName::MAX_LEN)).is_ok());
        assert!(OrganizationName::parse(&"x".repeat(OrganizationName::MAX_LEN + 1)).is_err());
        assert!(OrganizationName::parse("a\u{7}b").is_err());
    }
}
