//! Status page subscribers by email (issue #12): a visitor subscribes on
//! the public page, gets a mail with a confirm link (double opt-in: the
//! token is random, stored only as its keyed hash, valid 48 hours, works
//! once), and from then on hears of every published incident and update.
//! Every mail carries a one-click unsubscribe link signed with the
//! instance secret (HMAC of the page and subscriber ids), also given as
//! `List-Unsubscribe` with `List-Unsubscribe-Post` (RFC 8058).
//!
//! Owners and admins see a page's subscribers (`list`, addresses partly
//! masked by the web layer), remove one, and add webhook subscribers
//! (`add_webhook`): a URL they give, confirmed at once, signed like the
//! webhook channel (`X-Pharos-Signature` over `"<ts>.<body>"`) with a
//! secret shown once and kept sealed. Visitors cannot add webhooks: a
//! public form that makes Pharos POST to any URL would turn the instance
//! into a request cannon, even behind the SSRF guard and a confirmation.
//!
//! Publishing queues one delivery per confirmed subscriber in the
//! database (`queue`); the workers drain the queue (`deliver_due`) with a
//! lease and retries, never inside the request that published. Webhooks
//! go through the transport's HTTP client and its SSRF guard.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use pharos_domain::ids::StatusPageId;
use pharos_domain::status_page::{IncidentStatus, PageIncidentKind};
use pharos_domain::user::Email;
use pharos_notify::channels::{
    check_url, new_webhook_secret, sign_webhook, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
};
use pharos_notify::delivery::{Delivery, EmailMessage, HttpRequest, HttpVerb};
use pharos_storage::models::{
    PageIncident, PageSubscriber, StatusPage, SubscribeWrite, SubscriberDelivery,
    SubscriberDeliveryOutcome, SubscriberKind,
};
use uuid::Uuid;

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::sealing::SealContext;
use crate::tokens::new_token;
use crate::App;

/// How long a confirm link works.
pub const CONFIRM_VALID: Duration = Duration::hours(48);
/// Tokens and signatures longer than this are not ours.
const MAX_TOKEN_LEN: usize = 128;
/// How long a worker holds a delivery before another may take it.
const LEASE: Duration = Duration::minutes(2);
/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i32 = 8;
/// Deliveries one pass takes.
const BATCH: u32 = 50;

fn invalid_link() -> AppError {
    AppError::InvalidField {
        field: "token".to_owned(),
        message: "token: this link is invalid, was already used, or has expired".to_owned(),
    }
}

async fn page_by_slug(app: &App, slug: &str) -> AppResult<StatusPage> {
    app.store
        .status_page_by_slug(slug)
        .await?
        .ok_or(AppError::NotFound)
}

fn base(app: &App) -> &str {
    app.settings.public_url.trim_end_matches('/')
}

fn page_url(app: &App, slug: &str) -> String {
    format!("{}/status/{slug}", base(app))
}

/// What an unsubscribe link signs: the page and the subscriber.
fn unsubscribe_message(page: StatusPageId, subscriber: Uuid) -> String {
    format!("status-page-unsubscribe:{}:{subscriber}", page.0)
}

/// The one-click unsubscribe link of `subscriber`, signed with the
/// instance secret.
pub fn unsubscribe_link(app: &App, slug: &str, page: StatusPageId, subscriber: Uuid) -> String {
    let signature = URL_SAFE_NO_PAD.encode(app.tokens.hash(&unsubscribe_message(page, subscriber)));
    format!(
        "{}/unsubscribe/{subscriber}/{signature}",
        page_url(app, slug)
    )
}

/// Asks to subscribe `email` to the page: a pending subscriber gets a
/// confirm mail (a new link; the last one dies). Answers the same whether
/// or not the address was subscribed already, so the form tells nobody
/// who reads the page. Returns the page's title.
pub async fn subscribe(app: &App, slug: &str, email: &str) -> AppResult<String> {
    let page = page_by_slug(app, slug).await?;
    let email = Email::parse(email)?;
    let address = email.as_str().to_lowercase();
    let token = new_token(32);
    let now = Utc::now();
    let write = app
        .store
        .subscribe(
            page.id,
            Uuid::now_v7(),
            &address,
            &app.tokens.hash(&token),
            now,
            now + CONFIRM_VALID,
        )
        .await?;
    if let SubscribeWrite::Pending(subscriber) = write {
        let message = confirm_message(app, &page, &subscriber, &token);
        send_later(app, message);
    }
    Ok(page.title)
}

fn confirm_message(
    app: &App,
    page: &StatusPage,
    subscriber: &PageSubscriber,
    token: &str,
) -> EmailMessage {
    let url = format!("{}/confirm/{token}", page_url(app, &page.slug));
    let escape = |s: &str| html_escape::encode_double_quoted_attribute(s).into_owned();
    EmailMessage {
        to: vec![subscriber.address.clone()],
        subject: format!("Confirm your subscription to {}", page.title),
        text: format!(
            "Someone (we hope you) asked to hear of incidents on the status page {title}.\n\n\
             Confirm within 48 hours by opening this link:\n{url}\n\n\
             If you did not ask, ignore this mail: nothing more will come.",
            title = page.title,
        ),
        html: format!(
            "<p>Someone (we hope you) asked to hear of incidents on the status page {title}.</p>\
             <p><a href=\"{href}\">Confirm your subscription</a> within 48 hours.</p>\
             <p>If you did not ask, ignore this mail: nothing more will come.</p>",
            title = escape(&page.title),
            href = escape(&url),
        ),
        headers: Vec::new(),
    }
}

/// Sends a mail on a task of its own; without an SMTP server it is
/// logged and dropped, as account mail is.
fn send_later(app: &App, message: EmailMessage) {
    let Some(transport) = app.transport.clone().filter(|t| t.mailer().is_some()) else {
        tracing::debug!("a subscription email was not sent: no SMTP server is configured");
        return;
    };
    tokio::spawn(async move {
        if let Err(e) = transport.deliver(&Delivery::Email(message)).await {
            tracing::warn!(error = %e, "a subscription email could not be sent");
        }
    });
}

/// Confirms a subscription with the token of its confirm link.
pub async fn confirm(
    app: &App,
    slug: &str,
    token: &str,
) -> AppResult<(StatusPage, PageSubscriber)> {
    let page = page_by_slug(app, slug).await?;
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(invalid_link());
    }
    let subscriber = app
        .store
        .confirm_subscriber(page.id, &app.tokens.hash(token), Utc::now())
        .await?
        .ok_or_else(invalid_link)?;
    Ok((page, subscriber))
}

/// Who an unsubscribe link is for, once its signature is checked: the
/// page and the subscriber, or `None` when they already left.
pub async fn unsubscribe_target(
    app: &App,
    slug: &str,
    subscriber: &str,
    signature: &str,
) -> AppResult<(StatusPage, Option<PageSubscriber>)> {
    let page = page_by_slug(app, slug).await?;
    let refused = || AppError::Forbidden("this unsubscribe link is not valid");
    let id = Uuid::parse_str(subscriber).map_err(|_| refused())?;
    if signature.len() > MAX_TOKEN_LEN {
        return Err(refused());
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| refused())?;
    if !app
        .tokens
        .verify(&unsubscribe_message(page.id, id), &signature)
    {
        return Err(refused());
    }
    let found = app.store.page_subscriber(page.id, id).await?;
    Ok((page, found))
}

/// Unsubscribes through a signed link (one click, or the button of the
/// link's page); leaving twice is not an error.
pub async fn unsubscribe(
    app: &App,
    slug: &str,
    subscriber: &str,
    signature: &str,
) -> AppResult<StatusPage> {
    let (page, found) = unsubscribe_target(app, slug, subscriber, signature).await?;
    if let Some(found) = found {
        app.store.remove_subscriber(page.id, found.id).await?;
    }
    Ok(page)
}

/// Queues a published incident's latest news (its newest update, or the
/// incident itself when posted without a message) for every confirmed
/// subscriber of its page. Drafts are never queued; queueing the same
/// news twice delivers it once. A failure is logged: the incident stands.
pub async fn queue(app: &App, incident: &PageIncident) {
    if incident.draft {
        return;
    }
    let key = incident
        .updates
        .last()
        .map_or(incident.id.0, |update| update.id);
    if let Err(e) = app
        .store
        .queue_announcement(incident.page_id, incident.id, key, Utc::now())
        .await
    {
        tracing::warn!(error = %e, "a status page incident could not be queued for its subscribers");
    }
}

/// Delivers the due queued announcements (one pass of the workers' loop);
/// returns how many were taken.
pub async fn deliver_due(app: &App) -> AppResult<usize> {
    let Some(transport) = app.transport.clone() else {
        return Ok(0);
    };
    let now = Utc::now();
    let deliveries = app
        .store
        .claim_subscriber_deliveries(now, now + LEASE, BATCH)
        .await?;
    let taken = deliveries.len();
    for delivery in deliveries {
        let outcome = match rendered(app, &delivery) {
            Err(why) => SubscriberDeliveryOutcome::Failed(why),
            Ok(message) => match transport.deliver(&message).await {
                Ok(_) => SubscriberDeliveryOutcome::Delivered,
                Err(e) if e.is_retryable() && delivery.attempts < MAX_ATTEMPTS => {
                    SubscriberDeliveryOutcome::RetryAt(
                        retry_at(Utc::now(), delivery.attempts),
                        e.to_string(),
                    )
                }
                Err(e) => SubscriberDeliveryOutcome::Failed(e.to_string()),
            },
        };
        app.store
            .finish_subscriber_delivery(delivery.id, &outcome, Utc::now())
            .await?;
    }
    Ok(taken)
}

/// What to send for one delivery, by the subscriber's kind; an error says
/// why it can never be sent.
fn rendered(app: &App, d: &SubscriberDelivery) -> Result<Delivery, String> {
    match d.subscriber_kind {
        SubscriberKind::Email => Ok(Delivery::Email(announcement(app, d))),
        SubscriberKind::Webhook => webhook(app, d),
    }
}

/// The event webhook subscribers receive.
pub const WEBHOOK_EVENT: &str = "status_page.incident";

fn webhook(app: &App, d: &SubscriberDelivery) -> Result<Delivery, String> {
    let sealed = d
        .signing_secret
        .as_deref()
        .ok_or("the webhook subscriber has no signing secret")?;
    let secret = app
        .sealer
        .open(
            SealContext::Subscriber {
                page: d.page_id,
                subscriber: d.subscriber_id,
            },
            sealed,
        )
        .map_err(|e| e.to_string())?;
    let secret = String::from_utf8(secret).map_err(|_| "the signing secret is not text")?;
    let url = check_url("url", &d.address).map_err(|e| e.message)?;
    let body = serde_json::to_vec(&serde_json::json!({
        "event": WEBHOOK_EVENT,
        "page": {"title": d.page_title, "slug": d.page_slug, "url": page_url(app, &d.page_slug)},
        "incident": {
            "id": d.incident_id.0,
            "title": d.incident_title,
            "kind": d.kind.as_str(),
            "status": d.status.as_str(),
            "message": d.message,
            "at": d.at,
        },
    }))
    .map_err(|e| e.to_string())?;
    let timestamp = Utc::now().timestamp();
    Ok(Delivery::Http(HttpRequest {
        method: HttpVerb::Post,
        url,
        headers: vec![
            (
                SIGNATURE_HEADER.to_owned(),
                sign_webhook(&secret, timestamp, &body),
            ),
            (TIMESTAMP_HEADER.to_owned(), timestamp.to_string()),
            // The same id on every retry, so a receiver can drop repeats.
            (DELIVERY_HEADER.to_owned(), d.id.to_string()),
            (EVENT_HEADER.to_owned(), WEBHOOK_EVENT.to_owned()),
        ],
        content_type: "application/json",
        body,
        secrets: vec![d.address.clone(), secret],
    }))
}

/// The page's subscribers, oldest first (owners and admins).
pub async fn list(app: &App, actor: &Actor, page: StatusPageId) -> AppResult<Vec<PageSubscriber>> {
    actor.require_manager(MANAGERS_ONLY)?;
    let page = crate::status_pages::get(app, actor, page).await?;
    Ok(app.store.page_subscribers(page.id).await?)
}

/// A webhook subscriber just added, with its signing secret (shown once).
#[derive(Debug, Clone)]
pub struct AddedWebhook {
    pub subscriber: PageSubscriber,
    pub signing_secret: String,
}

/// Adds a webhook subscriber to the page (owners and admins); its host is
/// judged at each delivery by the transport's SSRF guard (DNS can change).
pub async fn add_webhook(
    app: &App,
    actor: &Actor,
    page: StatusPageId,
    url: &str,
) -> AppResult<AddedWebhook> {
    actor.require_manager(MANAGERS_ONLY)?;
    let page = crate::status_pages::get(app, actor, page).await?;
    // The channel checks name their field under `config.`; here it is `url`.
    let url = check_url("url", url).map_err(|e| AppError::InvalidField {
        field: "url".to_owned(),
        message: format!("url: {}", e.message),
    })?;
    let id = Uuid::now_v7();
    let secret = new_webhook_secret();
    let sealed = app
        .sealer
        .seal(
            SealContext::Subscriber {
                page: page.id,
                subscriber: id,
            },
            secret.as_bytes(),
        )
        .map_err(|e| AppError::Internal(e.into()))?;
    let subscriber = app
        .store
        .add_webhook_subscriber(page.id, id, url.as_str(), &sealed, Utc::now())
        .await?;
    Ok(AddedWebhook {
        subscriber,
        signing_secret: secret,
    })
}

/// Removes one of the page's subscribers (owners and admins).
pub async fn remove(app: &App, actor: &Actor, page: StatusPageId, id: Uuid) -> AppResult<()> {
    actor.require_manager(MANAGERS_ONLY)?;
    let page = crate::status_pages::get(app, actor, page).await?;
    if !app.store.remove_subscriber(page.id, id).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

const MANAGERS_ONLY: &str = "only owners and admins manage a page's subscribers";

/// 30 s after the first attempt, doubling, at most an hour.
fn retry_at(now: DateTime<Utc>, attempts: i32) -> DateTime<Utc> {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(7);
    now + Duration::seconds((30_i64 << doublings).min(3600))
}

fn status_label(status: IncidentStatus) -> &'static str {
    match status {
        IncidentStatus::Investigating => "Investigating",
        IncidentStatus::Identified => "Identified",
        IncidentStatus::Monitoring => "Monitoring",
        IncidentStatus::Resolved => "Resolved",
    }
}

/// The mail of one announcement, with its signed unsubscribe link.
fn announcement(app: &App, d: &SubscriberDelivery) -> EmailMessage {
    let page = page_url(app, &d.page_slug);
    let unsubscribe = unsubscribe_link(app, &d.page_slug, d.page_id, d.subscriber_id);
    let what = match d.kind {
        PageIncidentKind::Incident => status_label(d.status),
        PageIncidentKind::Announcement => "Announcement",
    };
    let escape = |s: &str| html_escape::encode_double_quoted_attribute(s).into_owned();
    let when = d.at.format("%Y-%m-%d %H:%M UTC");
    EmailMessage {
        to: vec![d.address.clone()],
        subject: format!("[{}] {}: {what}", d.page_title, d.incident_title),
        text: format!(
            "{title}\n{what}, {when}\n\n{message}\n\nThe status page: {page}\n\n\
             Unsubscribe: {unsubscribe}\n",
            title = d.incident_title,
            message = d.message,
        ),
        html: format!(
            "<h1>{title}</h1><p><strong>{what}</strong>, {when}</p><p>{message}</p>\
             <p><a href=\"{page_href}\">The status page</a></p>\
             <p style=\"font-size:12px\"><a href=\"{unsubscribe_href}\">Unsubscribe</a> from {page_title}.</p>",
            title = escape(&d.incident_title),
            message = escape(&d.message),
            page_href = escape(&page),
            unsubscribe_href = escape(&unsubscribe),
            page_title = escape(&d.page_title),
        ),
        headers: vec![
            ("List-Unsubscribe".to_owned(), format!("<{unsubscribe}>")),
            (
                "List-Unsubscribe-Post".to_owned(),
                "List-Unsubscribe=One-Click".to_owned(),
            ),
        ],
    }
}

/// The workers' delivery loop: a pass every `every` until `shutdown`.
/// Each pass takes what is due; a failed pass is logged and retried at
/// the next one.
pub async fn run(
    app: App,
    every: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            _ = tick.tick() => {}
        }
        // Drain a backlog without waiting a tick between full batches.
        loop {
            match deliver_due(&app).await {
                Ok(taken) if taken == BATCH as usize => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "status page subscriber deliveries failed");
                    break;
                }
            }
        }
    }
}
