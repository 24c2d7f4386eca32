//! The single-use links mailed to an account: a password reset
//! (`<public URL>/reset-password?token=...`, valid
//! `PHAROS_PASSWORD_RESET_MINUTES`, 60 by default) and an email
//! verification (`<public URL>/verify-email?token=...`, valid 48 hours).
//! Tokens are random, stored only as keyed hashes (`tokens`), and work once.
//!
//! Asking for a reset answers the same way, in the same time, whether or
//! not the account exists: the look-up, the link and the mail happen after
//! the answer, on a task of their own. Links are built from the configured
//! public URL, never from a request's `Host`.

use std::net::IpAddr;

use chrono::{Duration, Utc};
use pharos_domain::user::{AccountTokenPurpose, Email, Password};
use pharos_domain::ValidationError;
use pharos_notify::delivery::{Delivery, EmailMessage};
use pharos_storage::models::User;

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::passwords as password;
use crate::tokens::new_token;
use crate::App;

/// How long an email verification link works.
pub const VERIFICATION_VALID: Duration = Duration::hours(48);

/// Tokens longer than this are not ours; refused before any hashing.
const MAX_TOKEN_LEN: usize = 128;

fn invalid_link() -> AppError {
    AppError::InvalidField {
        field: "token".to_owned(),
        message: "token: this link is invalid, was already used, or has expired".to_owned(),
    }
}

fn link(app: &App, path: &str, token: &str) -> String {
    format!(
        "{}{path}?token={token}",
        app.settings.public_url.trim_end_matches('/')
    )
}

/// Sends an account's mail on a task of its own; without an SMTP server
/// configured it is logged and dropped (the operator sees why in the log
/// and in `pharos doctor`).
fn send_later(app: &App, message: EmailMessage) {
    let Some(transport) = app.transport.clone().filter(|t| t.mailer().is_some()) else {
        // Usual on an instance without mail (`pharos doctor` says so); not
        // a warning at every registration.
        tracing::debug!(
            "an account email was not sent: no SMTP server is configured (PHAROS_SMTP_HOST)"
        );
        return;
    };
    tokio::spawn(async move {
        if let Err(e) = transport.deliver(&Delivery::Email(message)).await {
            tracing::warn!(error = %e, "an account email could not be sent");
        }
    });
}

/// Issues a link of `purpose` for `user`, valid `valid`; returns its token.
async fn issue(
    app: &App,
    user: &User,
    purpose: AccountTokenPurpose,
    valid: Duration,
) -> AppResult<String> {
    let token = new_token(32);
    let now = Utc::now();
    app.store
        .issue_account_token(user.id, purpose, &app.tokens.hash(&token), now, now + valid)
        .await?;
    Ok(token)
}

fn reset_valid(app: &App) -> Duration {
    Duration::minutes(i64::from(app.settings.password_reset_minutes.max(1)))
}

/// "Forgot password": always accepted (after the format and the rate
/// limits, per client address and per address asked for). An existing
/// account gets a reset link by mail.
pub async fn forgot_password(app: &App, client: IpAddr, email: &str) -> AppResult<()> {
    let email = Email::parse(email)?;
    app.limits
        .password_reset(&client.to_string(), email.as_str())?;
    let app = app.clone();
    tokio::spawn(async move {
        if let Err(e) = mail_reset_link(&app, &email).await {
            tracing::warn!(error = %e, "a password reset could not be prepared");
        }
    });
    Ok(())
}

async fn mail_reset_link(app: &App, email: &Email) -> AppResult<()> {
    let Some(credentials) = app.store.user_credentials(email.as_str()).await? else {
        return Ok(());
    };
    let valid = reset_valid(app);
    let token = issue(
        app,
        &credentials.user,
        AccountTokenPurpose::PasswordReset,
        valid,
    )
    .await?;
    let url = link(app, "/reset-password", &token);
    let minutes = valid.num_minutes();
    send_later(
        app,
        EmailMessage {
            to: vec![credentials.user.email.clone()],
            subject: "Reset your Pharos password".to_owned(),
            text: format!(
                "Someone (we hope you) asked to reset the password of your Pharos account.\n\n\
                 Choose a new password here, within {minutes} minutes:\n{url}\n\n\
                 The link works once. If you did not ask, ignore this mail: your password stays as it is."
            ),
            html: format!(
                "<p>Someone (we hope you) asked to reset the password of your Pharos account.</p>\
                 <p><a href=\"{href}\">Choose a new password</a> within {minutes} minutes. The link works once.</p>\
                 <p>If you did not ask, ignore this mail: your password stays as it is.</p>",
                href = html_escape::encode_double_quoted_attribute(&url),
            ),
            headers: Vec::new(),
        },
    );
    Ok(())
}

fn plausible(token: &str) -> bool {
    !token.is_empty() && token.len() <= MAX_TOKEN_LEN
}

/// Whether a reset link still works (unknown, used and expired alike:
/// no).
pub async fn reset_link_is_valid(app: &App, token: &str) -> AppResult<bool> {
    // Longer than any token Pharos makes: refused as the field it is.
    if token.chars().count() > MAX_TOKEN_LEN {
        return Err(ValidationError::new(
            "token",
            format!("must be at most {MAX_TOKEN_LEN} characters"),
        )
        .into());
    }
    if !plausible(token) {
        return Ok(false);
    }
    Ok(app
        .store
        .account_token_user(
            AccountTokenPurpose::PasswordReset,
            &app.tokens.hash(token),
            Utc::now(),
        )
        .await?
        .is_some())
}

/// Sets a new password with a reset link: the link is used up and every
/// session of the account ends.
pub async fn reset_password(app: &App, client: IpAddr, token: &str, new: &str) -> AppResult<()> {
    app.limits.password_reset_use(&client.to_string())?;
    let new = Password::parse("password", new)?;
    if !plausible(token) {
        return Err(invalid_link());
    }
    let hash = password::hash(new.expose().to_owned()).await?;
    app.store
        .reset_password(&app.tokens.hash(token), &hash, Utc::now())
        .await?
        .map(|_| ())
        .ok_or_else(invalid_link)
}

/// Mails `user` a link that proves their address (a new account, or one
/// asking again).
pub async fn mail_verification_link(app: &App, user: &User) -> AppResult<()> {
    let token = issue(
        app,
        user,
        AccountTokenPurpose::EmailVerification,
        VERIFICATION_VALID,
    )
    .await?;
    let url = link(app, "/verify-email", &token);
    send_later(
        app,
        EmailMessage {
            to: vec![user.email.clone()],
            subject: "Confirm your email address for Pharos".to_owned(),
            text: format!(
                "Confirm that this address is yours by opening this link within 48 hours:\n{url}\n\n\
                 If you did not make a Pharos account, ignore this mail."
            ),
            html: format!(
                "<p><a href=\"{href}\">Confirm that this address is yours</a> within 48 hours.</p>\
                 <p>If you did not make a Pharos account, ignore this mail.</p>",
                href = html_escape::encode_double_quoted_attribute(&url),
            ),
            headers: Vec::new(),
        },
    );
    Ok(())
}

/// Sends the signed-in user a new verification link (the last one stops
/// working); nothing when the address is verified already.
pub async fn resend_verification(app: &App, actor: &Actor) -> AppResult<bool> {
    actor.require_session()?;
    if actor.user.email_verified_at.is_some() {
        return Ok(false);
    }
    app.limits.verification_mail(actor.user.id.0)?;
    mail_verification_link(app, &actor.user).await?;
    Ok(true)
}

/// Proves an address with its link.
pub async fn verify_email(app: &App, token: &str) -> AppResult<()> {
    if !plausible(token) {
        return Err(invalid_link());
    }
    app.store
        .verify_email(&app.tokens.hash(token), Utc::now())
        .await?
        .map(|_| ())
        .ok_or_else(invalid_link)
}

/// With `PHAROS_REQUIRE_EMAIL_VERIFICATION`, an account that has not
/// proved its address may sign in and look, but not send mail or messages
/// anywhere (add channels, invite people) until it does.
pub fn require_verified(app: &App, actor: &Actor) -> AppResult<()> {
    if app.settings.require_email_verification && actor.user.email_verified_at.is_none() {
        return Err(AppError::Forbidden(
            "confirm your email address first (see the link we mailed you, or send a new one from Settings)",
        ));
    }
    Ok(())
}
