//! Who is acting. Every use case takes an `Actor`: the person (or the API
//! key acting for them; later, an agent) behind a request, the
//! organization they act in, and their role there. Roles are enforced
//! here, for the API and the pages alike.

use pharos_domain::ids::{ApiKeyId, OrganizationId, SessionId};
use pharos_domain::organization::Role;
use pharos_storage::models::{Membership, User};

use crate::error::{AppError, AppResult};

/// How the actor proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser or API session: the stored hash of its token, and its
    /// public id (what the list of sessions shows).
    Session { token_hash: Vec<u8>, id: SessionId },
    /// An API key (`Authorization: Bearer phk_...`). The actor's `user`
    /// is the key's creator, its organization and role the key's (never
    /// above the creator's), and `memberships` holds that one
    /// organization only.
    ApiKey { id: ApiKeyId },
}

#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    /// The organization this request acts in.
    pub organization: OrganizationId,
    pub role: Role,
    /// Every organization the user belongs to.
    pub memberships: Vec<Membership>,
    pub credential: Credential,
    /// The client address the request came from, when the caller knows
    /// it (for the audit log).
    pub client: Option<std::net::IpAddr>,
    /// The organization it acts in requires two-factor sign-in and the
    /// user has not turned it on: they may set it up, switch organization
    /// and sign out, nothing else ([`Actor::require_not_held`]).
    pub two_factor_hold: bool,
}

impl Actor {
    /// Refuses viewers, who may look but not change.
    pub fn require_editor(&self) -> AppResult<()> {
        if self.role.can_edit_targets() {
            Ok(())
        } else {
            Err(AppError::Forbidden("viewers cannot change targets"))
        }
    }

    /// Owners and admins only.
    pub fn require_manager(&self, refusal: &'static str) -> AppResult<()> {
        if self.role.can_manage_organization() {
            Ok(())
        } else {
            Err(AppError::Forbidden(refusal))
        }
    }

    /// Owners only (renaming or deleting the organization, managing owners).
    pub fn require_owner(&self, refusal: &'static str) -> AppResult<()> {
        if self.role.is_owner() {
            Ok(())
        } else {
            Err(AppError::Forbidden(refusal))
        }
    }

    /// The session this actor came with, when it came with one.
    pub fn session_hash(&self) -> Option<&[u8]> {
        match &self.credential {
            Credential::Session { token_hash, .. } => Some(token_hash),
            Credential::ApiKey { .. } => None,
        }
    }

    /// The public id of the session this actor came with.
    pub fn session_id(&self) -> Option<SessionId> {
        match &self.credential {
            Credential::Session { id, .. } => Some(*id),
            Credential::ApiKey { .. } => None,
        }
    }

    /// Refuses an actor held to set up two-factor sign-in first (see
    /// `two_factor_hold`). Every request passes here but those that set
    /// it up, switch organization or sign out.
    pub fn require_not_held(&self) -> AppResult<()> {
        if self.two_factor_hold {
            Err(AppError::TwoFactorSetupRequired)
        } else {
            Ok(())
        }
    }

    /// Refuses API keys: for what only a person signed in with a session
    /// may do to their own account (change the password, sign out).
    pub fn require_session(&self) -> AppResult<()> {
        match self.credential {
            Credential::Session { .. } => Ok(()),
            Credential::ApiKey { .. } => Err(AppError::Forbidden(
                "an API key cannot do this: it needs a signed-in session",
            )),
        }
    }
}
