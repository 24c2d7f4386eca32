//! The organization's event feed.

use axum::extract::State;
use axum::Json;
use pharos_app::events;
use pharos_domain::ValidationError;

use super::models::{EventFeed, EventView, EventsQuery};
use super::responses::{Query, SignedIn};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::state::AppState;

/// Every state change of the organization's targets (down, up, degraded,
/// incidents opened and closed, paused, resumed, certificates nearing
/// expiry), oldest first after `after`. Poll with the `next_cursor` of the
/// previous answer.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventsQuery),
    responses((status = 200, body = EventFeed), Query, SignedIn))]
pub async fn feed(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> ApiResult<Json<EventFeed>> {
    let after = match query.after {
        None => 0,
        Some(n @ 0..) => n,
        Some(_) => return Err(ValidationError::new("after", "must be 0 or more").into()),
    };
    let limit = match query.limit {
        None => 100,
        Some(n @ 1..=1000) => n as u32,
        Some(_) => return Err(ValidationError::new("limit", "must be between 1 and 1000").into()),
    };
    let page = events::feed(&state.app, &current, after, limit).await?;
    let next = page.last().map_or(after, |e| e.seq);
    Ok(Json(EventFeed {
        items: page.iter().map(EventView::from).collect(),
        next_cursor: next.to_string(),
    }))
}
