//! Pharos storage: the store traits (one per aggregate, tenant-facing or
//! system) and their two backends. `use pharos_storage::prelude::*` brings
//! every trait's methods into scope.

mod deferred;
mod error;
mod events;
pub mod models;
mod postgres;
mod rows;
mod sql;
mod sqlite;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

pub use error::{StoreError, StoreResult};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use store::*;

/// Every store trait, so a `dyn Store`'s methods are in scope.
pub mod prelude {
    pub use crate::store::{
        AccountStore, AccountTokenStore, AgentAuthStore, AgentStore, AlertSettingsStore,
        AuditStore, BadgeStore, ChannelStore, CheckStore, DatabaseStore, EventStore,
        HeartbeatStore, IncidentStore, InvitationAcceptStore, InvitationStore, JobStore,
        MaintenanceCalendarStore, MaintenanceStore, NotificationStore, OperatorStore,
        OrganizationStore, OutboxStore, PublicStatusPageStore, RetentionStore, RollupStore,
        SchedulingStore, SessionStore, StatusPageStore, Store, SystemStore, TargetStore,
        TenantStore, TwoFactorStore, WorkerPresenceStore,
    };
}

/// Opens the backend a database URL names: `sqlite:` or `postgres:`.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url, 16).await?))
    } else {
        Err(StoreError::UnsupportedUrl(redact(url)))
    }
}

/// The URL without its password, safe to print.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(unparseable URL)".to_owned(),
    }
}
