//! Identifiers. Random (UUID v7: time-ordered, so indexes stay compact) and
//! opaque, so one tenant cannot guess how many rows another has.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($name:ident) => {
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(UserId);
id_type!(OrganizationId);
id_type!(TargetId);
id_type!(CheckId);
id_type!(ChannelId);
id_type!(NotificationId);
id_type!(MaintenanceId);
id_type!(InvitationId);
id_type!(ApiKeyId);
id_type!(AuditEntryId);
id_type!(SessionId);
id_type!(TagId);
id_type!(GroupId);
id_type!(StatusPageId);
id_type!(PageIncidentId);
id_type!(AgentId);
