//! The maintenance calendar a worker judges results by: every window of
//! every organization, read again every few seconds, so one read serves
//! every check in between (the calendar answers from memory).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use pharos_domain::maintenance::MaintenanceCalendar;
use pharos_storage::prelude::*;
use tokio_util::sync::CancellationToken;

/// The newest calendar, shared by a worker's checks.
#[derive(Clone, Default)]
pub struct SharedCalendar(Arc<RwLock<Arc<MaintenanceCalendar>>>);

impl SharedCalendar {
    /// The calendar as last read.
    pub fn current(&self) -> Arc<MaintenanceCalendar> {
        self.0
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Reads the windows again; on a database error the last calendar
    /// stays (a window already known keeps holding its targets).
    pub async fn reload(&self, store: &dyn Store) {
        match store.all_maintenance_windows().await {
            Ok(windows) => {
                let calendar = Arc::new(MaintenanceCalendar::new(windows));
                match self.0.write() {
                    Ok(mut current) => *current = calendar,
                    Err(poisoned) => *poisoned.into_inner() = calendar,
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not read maintenance windows"),
        }
    }

    /// Reloads every `every` until `shutdown`.
    pub async fn keep_fresh(
        self,
        store: Arc<dyn Store>,
        every: Duration,
        shutdown: CancellationToken,
    ) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => self.reload(&*store).await,
                () = shutdown.cancelled() => return,
            }
        }
    }
}
