//! The organization's event feed: every state change, oldest first after
//! a cursor (the number of the last event seen).

use pharos_storage::models::Event;

use crate::actor::Actor;
use crate::error::AppResult;
use crate::App;

/// The most events one page may hold.
pub const MAX_PAGE: u32 = 1000;

/// The actor's organization's events numbered after `after`.
pub async fn feed(app: &App, actor: &Actor, after: i64, limit: u32) -> AppResult<Vec<Event>> {
    let limit = limit.clamp(1, MAX_PAGE);
    Ok(app
        .store
        .events(actor.organization, after.max(0), limit)
        .await?)
}
