//! Public badges of targets (issue #12): `/badge/<token>/status.svg`,
//! `uptime.svg?window=`, `latency.svg`. A member turns a target's badge on
//! (a fresh unguessable token), rotates it (the old URL stops working) or
//! turns it off (the token is dropped). Anyone holding a token reads what
//! the badge shows, and nothing else: no id, no URL of the target.
//!
//! What a badge shows is read through a short-lived single-flight cache
//! (moka's `try_get_with`: concurrent misses of one key share one load), so
//! a README viewed by thousands costs one read per key per `BADGE_TTL`
//! on each replica. Rotating, turning off or deleting drops the token's
//! entries here at once; other replicas forget them within the TTL.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use pharos_domain::audit::AuditAction;
use pharos_domain::ids::TargetId;
use pharos_domain::rollup::{Rollup, DAY, HOUR, QUARTER_HOUR};
use pharos_domain::status::TargetState;
use pharos_domain::ValidationError;
use pharos_storage::models::Target;
use pharos_storage::StoreError;

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::App;

/// How long what a badge shows is reused before it is read again.
pub const BADGE_TTL: Duration = Duration::from_secs(10);

/// Random bytes in a badge token (192 bits, URL-safe base64: 32 characters).
const TOKEN_BYTES: usize = 24;

/// Badge entries kept at most (known and unknown tokens alike, so a flood
/// of made-up tokens cannot grow memory without bound).
const CACHE_CAPACITY: u64 = 20_000;

/// The span an uptime badge covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UptimeWindow {
    Day,
    Week,
    Month,
    Quarter,
}

impl UptimeWindow {
    pub const ALL: [UptimeWindow; 4] = [
        UptimeWindow::Day,
        UptimeWindow::Week,
        UptimeWindow::Month,
        UptimeWindow::Quarter,
    ];

    pub fn parse(raw: &str) -> AppResult<Self> {
        Self::ALL
            .into_iter()
            .find(|w| w.as_str() == raw)
            .ok_or_else(|| {
                ValidationError::new("window", "must be one of 24h, 7d, 30d, 90d").into()
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UptimeWindow::Day => "24h",
            UptimeWindow::Week => "7d",
            UptimeWindow::Month => "30d",
            UptimeWindow::Quarter => "90d",
        }
    }

    fn span(self) -> chrono::Duration {
        match self {
            UptimeWindow::Day => chrono::Duration::hours(24),
            UptimeWindow::Week => chrono::Duration::days(7),
            UptimeWindow::Month => chrono::Duration::days(30),
            UptimeWindow::Quarter => chrono::Duration::days(90),
        }
    }

    /// The roll-up width read: at most a few hundred rows per window.
    fn bucket_seconds(self) -> u32 {
        match self {
            UptimeWindow::Day => QUARTER_HOUR,
            UptimeWindow::Week | UptimeWindow::Month => HOUR,
            UptimeWindow::Quarter => DAY,
        }
    }
}

/// Which badge of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BadgeKind {
    Status,
    Uptime(UptimeWindow),
    /// The mean latency of the last 24 hours.
    Latency,
}

impl BadgeKind {
    /// Every badge a token has, to forget them all at once.
    fn all() -> impl Iterator<Item = BadgeKind> {
        [BadgeKind::Status, BadgeKind::Latency]
            .into_iter()
            .chain(UptimeWindow::ALL.into_iter().map(BadgeKind::Uptime))
    }
}

/// What a badge says.
#[derive(Debug, Clone, PartialEq)]
pub enum BadgeValue {
    /// The state the target shows (paused included).
    State(TargetState),
    /// Percent up; `None` without checks in the window.
    Uptime(Option<f64>),
    /// Mean milliseconds; `None` without timed checks (heartbeats).
    Latency(Option<f64>),
}

/// A badge's label and value, as every visitor of the token sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Badge {
    pub label: String,
    pub value: BadgeValue,
}

type Key = (Arc<str>, BadgeKind);

/// The per-replica cache of what badges show; `None` answers an unknown
/// token (or one whose badge is off), cached like the rest.
pub struct BadgeCache(moka::future::Cache<Key, Option<Arc<Badge>>>);

impl Default for BadgeCache {
    fn default() -> Self {
        Self(
            moka::future::Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .time_to_live(BADGE_TTL)
                .build(),
        )
    }
}

impl BadgeCache {
    async fn forget(&self, token: &str) {
        let token: Arc<str> = Arc::from(token);
        for kind in BadgeKind::all() {
            self.0.invalidate(&(token.clone(), kind)).await;
        }
    }
}

/// A token shaped as Pharos makes them, so made-up junk costs no read and
/// takes no cache entry.
fn plausible(token: &str) -> bool {
    token.len() == 32
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What the badge `kind` of `token` shows now; `NotFound` for a token that
/// never existed and for a target whose badge is off alike.
pub async fn show(app: &App, token: &str, kind: BadgeKind) -> AppResult<Arc<Badge>> {
    if !plausible(token) {
        return Err(AppError::NotFound);
    }
    let key: Key = (Arc::from(token), kind);
    let store = app.store.clone();
    let loaded = app
        .badges
        .0
        .try_get_with(key, async move {
            let Some(target) = store.target_by_badge_token(token).await? else {
                return Ok::<_, StoreError>(None);
            };
            Ok(Some(Arc::new(read(&*store, &target, kind).await?)))
        })
        .await
        .map_err(|e: Arc<StoreError>| match &*e {
            StoreError::Unavailable(_) => {
                AppError::Unavailable(crate::error::Unavailable::Database)
            }
            other => AppError::Internal(anyhow::anyhow!("reading a badge: {other}")),
        })?;
    loaded.ok_or(AppError::NotFound)
}

async fn read(
    store: &dyn pharos_storage::Store,
    target: &Target,
    kind: BadgeKind,
) -> Result<Badge, StoreError> {
    Ok(match kind {
        BadgeKind::Status => Badge {
            // The owner's name for it, never its URL (which may be private).
            label: target
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "status".to_owned()),
            value: BadgeValue::State(target.shown_state()),
        },
        BadgeKind::Uptime(window) => Badge {
            label: format!("uptime {}", window.as_str()),
            value: BadgeValue::Uptime(
                rollups_since(store, target, window.bucket_seconds(), window.span())
                    .await?
                    .uptime_percent(),
            ),
        },
        BadgeKind::Latency => Badge {
            label: "latency".to_owned(),
            value: BadgeValue::Latency(
                rollups_since(store, target, QUARTER_HOUR, chrono::Duration::hours(24))
                    .await?
                    .latency_mean(),
            ),
        },
    })
}

/// The target's roll-ups of `width` over the last `span`, added up.
async fn rollups_since(
    store: &dyn pharos_storage::Store,
    target: &Target,
    width: u32,
    span: chrono::Duration,
) -> Result<Rollup, StoreError> {
    let buckets = store
        .rollups(target.organization_id, target.id, width, Utc::now() - span)
        .await?;
    let mut total = Rollup::default();
    for bucket in &buckets {
        total.add(&bucket.rollup);
    }
    Ok(total)
}

/// Turns a target's badge on (a new token, unless it has one) or off (its
/// token dropped, so every URL of it answers 404). Members and up.
pub(crate) async fn set_enabled(
    app: &App,
    actor: &Actor,
    target: Target,
    on: bool,
) -> AppResult<Target> {
    actor.require_editor()?;
    match (&target.badge_token, on) {
        (Some(_), true) | (None, false) => Ok(target),
        (None, true) => {
            store_token(
                app,
                actor,
                target.id,
                Some(&crate::tokens::new_token(TOKEN_BYTES)),
            )
            .await
        }
        (Some(old), false) => {
            let old = old.clone();
            let target = store_token(app, actor, target.id, None).await?;
            app.badges.forget(&old).await;
            Ok(target)
        }
    }
}

/// A new token for a target's badge; the old URLs stop working at once on
/// this replica (others within `BADGE_TTL`). A target whose badge is off
/// has nothing to rotate: 409.
pub async fn rotate(app: &App, actor: &Actor, id: TargetId) -> AppResult<Target> {
    actor.require_editor()?;
    let target = crate::targets::get(app, actor, id).await?;
    let Some(old) = target.badge_token else {
        return Err(AppError::Conflict(
            "the target's badge is off; turn it on first",
        ));
    };
    let target = store_token(app, actor, id, Some(&crate::tokens::new_token(TOKEN_BYTES))).await?;
    app.badges.forget(&old).await;
    crate::audit::record(
        app,
        actor,
        AuditAction::TargetUpdated,
        Some(id.to_string()),
        serde_json::json!({ "fields": ["badge_token"] }),
    )
    .await;
    Ok(target)
}

/// Forgets a deleted target's badge at once.
pub(crate) async fn forget(app: &App, target: &Target) {
    if let Some(token) = &target.badge_token {
        app.badges.forget(token).await;
    }
}

async fn store_token(
    app: &App,
    actor: &Actor,
    id: TargetId,
    token: Option<&str>,
) -> AppResult<Target> {
    app.store
        .set_badge_token(actor.organization, id, token, Utc::now())
        .await?
        .ok_or(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_and_name_themselves() {
        for window in UptimeWindow::ALL {
            assert_eq!(UptimeWindow::parse(window.as_str()).ok(), Some(window));
        }
        assert!(UptimeWindow::parse("365d").is_err());
    }

    #[test]
    fn only_tokens_pharos_could_have_made_are_looked_up() {
        assert!(plausible(&crate::tokens::new_token(TOKEN_BYTES)));
        assert!(!plausible("short"));
        assert!(!plausible(&"a".repeat(33)));
        assert!(!plausible("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%"));
    }
}
