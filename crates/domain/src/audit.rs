//! The audit log's vocabulary: what was done in an organization. Each
//! entry names its action from this one list (the database keeps the
//! same list as a CHECK; `tests/enum_drift.rs` pins them together).

/// A change (or a sign-in) worth recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    TargetCreated,
    TargetUpdated,
    TargetDeleted,
    TargetPaused,
    TargetResumed,
    ChannelCreated,
    ChannelUpdated,
    ChannelDeleted,
    MaintenanceCreated,
    MaintenanceUpdated,
    MaintenanceDeleted,
    MemberRoleChanged,
    MemberRemoved,
    InvitationCreated,
    InvitationResent,
    InvitationRevoked,
    InvitationAccepted,
    ApiKeyCreated,
    ApiKeyRevoked,
    OrganizationRenamed,
    TwoFactorRequirementChanged,
    AlertSettingsChanged,
    SignedIn,
    SignInFailed,
}

impl AuditAction {
    pub const ALL: [AuditAction; 24] = [
        AuditAction::TargetCreated,
        AuditAction::TargetUpdated,
        AuditAction::TargetDeleted,
        AuditAction::TargetPaused,
        AuditAction::TargetResumed,
        AuditAction::ChannelCreated,
        AuditAction::ChannelUpdated,
        AuditAction::ChannelDeleted,
        AuditAction::MaintenanceCreated,
        AuditAction::MaintenanceUpdated,
        AuditAction::MaintenanceDeleted,
        AuditAction::MemberRoleChanged,
        AuditAction::MemberRemoved,
        AuditAction::InvitationCreated,
        AuditAction::InvitationResent,
        AuditAction::InvitationRevoked,
        AuditAction::InvitationAccepted,
        AuditAction::ApiKeyCreated,
        AuditAction::ApiKeyRevoked,
        AuditAction::OrganizationRenamed,
        AuditAction::TwoFactorRequirementChanged,
        AuditAction::AlertSettingsChanged,
        AuditAction::SignedIn,
        AuditAction::SignInFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::TargetCreated => "target.created",
            AuditAction::TargetUpdated => "target.updated",
            AuditAction::TargetDeleted => "target.deleted",
            AuditAction::TargetPaused => "target.paused",
            AuditAction::TargetResumed => "target.resumed",
            AuditAction::ChannelCreated => "channel.created",
            AuditAction::ChannelUpdated => "channel.updated",
            AuditAction::ChannelDeleted => "channel.deleted",
            AuditAction::MaintenanceCreated => "maintenance.created",
            AuditAction::MaintenanceUpdated => "maintenance.updated",
            AuditAction::MaintenanceDeleted => "maintenance.deleted",
            AuditAction::MemberRoleChanged => "member.role_changed",
            AuditAction::MemberRemoved => "member.removed",
            AuditAction::InvitationCreated => "invitation.created",
            AuditAction::InvitationResent => "invitation.resent",
            AuditAction::InvitationRevoked => "invitation.revoked",
            AuditAction::InvitationAccepted => "invitation.accepted",
            AuditAction::ApiKeyCreated => "api_key.created",
            AuditAction::ApiKeyRevoked => "api_key.revoked",
            AuditAction::OrganizationRenamed => "organization.renamed",
            AuditAction::TwoFactorRequirementChanged => {
                "organization.two_factor_requirement_changed"
            }
            AuditAction::AlertSettingsChanged => "alert_settings.changed",
            AuditAction::SignedIn => "auth.signed_in",
            AuditAction::SignInFailed => "auth.sign_in_failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

/// How long entries are kept.
pub const AUDIT_RETENTION_DAYS: i64 = 400;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_through_its_distinct_name() {
        let mut names: Vec<_> = AuditAction::ALL.map(AuditAction::as_str).to_vec();
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len());
    }
}
