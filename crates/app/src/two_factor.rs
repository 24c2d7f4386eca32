//! Two-factor sign-in: a TOTP authenticator app (RFC 6238: SHA-1, six
//! digits, 30 s steps, one step of clock drift either way) and ten
//! single-use recovery codes.
//!
//! Enrolling makes a secret (sealed at rest, bound to the user), shown as
//! a QR code drawn as SVG on the server and as text; a first code turns
//! two-factor on and yields the recovery codes, shown once and stored
//! only as keyed hashes. A code is accepted once: the store keeps the
//! newest step accepted and refuses that step and older ones. Codes are
//! rate limited with the sign-in limits.

use chrono::{DateTime, Utc};
use pharos_domain::ids::UserId;
use pharos_storage::models::{Organization, User};
use rand::Rng;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::passwords as password;
use crate::sealing::SealContext;
use crate::App;

/// Seconds per code.
const STEP_SECONDS: u64 = 30;
/// Bytes of a new secret (160 bits, as RFC 4226 advises).
const SECRET_BYTES: usize = 20;
const RECOVERY_CODES: usize = 10;
/// Letters and digits that cannot be mistaken for one another.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// How long a page may wait for the code after the password was right.
const PENDING_VALID: chrono::Duration = chrono::Duration::minutes(5);

/// What an authenticator app needs to be set up.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The secret in base32, for typing in by hand.
    pub secret: String,
    /// `otpauth://totp/Pharos:<email>?secret=...&issuer=Pharos`.
    pub url: String,
    /// The URL as a QR code, an SVG document.
    pub qr_svg: String,
}

/// Whether two-factor is on for the signed-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub enabled: bool,
    pub recovery_codes_left: u32,
}

fn totp(secret: Vec<u8>, email: &str) -> AppResult<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        secret,
        Some("Pharos".to_owned()),
        email.to_owned(),
    )
    .map_err(|e| AppError::Internal(anyhow::anyhow!("a TOTP secret was refused: {e:?}")))
}

fn open_secret(app: &App, user: UserId, sealed: &[u8]) -> AppResult<Vec<u8>> {
    app.sealer
        .open(SealContext::TwoFactor { user }, sealed)
        .map_err(|e| AppError::Internal(e.into()))
}

fn code_field_error() -> AppError {
    AppError::InvalidField {
        field: "code".to_owned(),
        message: "code: the code is wrong or was used already; enter the newest one".to_owned(),
    }
}

pub async fn status(app: &App, actor: &Actor) -> AppResult<Status> {
    actor.require_session()?;
    let stored = app.store.two_factor(actor.user.id).await?;
    Ok(Status {
        enabled: stored.as_ref().is_some_and(|f| f.enabled_at.is_some()),
        recovery_codes_left: stored
            .filter(|f| f.enabled_at.is_some())
            .map_or(0, |f| f.recovery_codes_left),
    })
}

/// Starts enrolling (again): a new secret, replacing one not confirmed.
pub async fn begin(app: &App, actor: &Actor) -> AppResult<Enrolment> {
    actor.require_session()?;
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::thread_rng().fill(&mut secret[..]);
    let sealed = app
        .sealer
        .seal(
            SealContext::TwoFactor {
                user: actor.user.id,
            },
            &secret,
        )
        .map_err(|e| AppError::Internal(e.into()))?;
    if !app
        .store
        .begin_two_factor(actor.user.id, &sealed, Utc::now())
        .await?
    {
        return Err(AppError::Conflict(
            "two-factor sign-in is on already; turn it off first to enrol a new app",
        ));
    }
    enrolment(secret, &actor.user.email)
}

/// The enrolment being confirmed, shown again (a page reloaded).
pub async fn pending_enrolment(app: &App, actor: &Actor) -> AppResult<Option<Enrolment>> {
    match app.store.two_factor(actor.user.id).await? {
        Some(stored) if stored.enabled_at.is_none() => {
            let secret = open_secret(app, actor.user.id, &stored.sealed_secret)?;
            enrolment(secret, &actor.user.email).map(Some)
        }
        _ => Ok(None),
    }
}

fn enrolment(secret: Vec<u8>, email: &str) -> AppResult<Enrolment> {
    let encoded = Secret::Raw(secret.clone()).to_encoded().to_string();
    let url = totp(secret, email)?.get_url();
    let qr_svg = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("QR code: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(Enrolment {
        secret: encoded,
        url,
        qr_svg,
    })
}

/// The step `code` belongs to, if it is the code of the step at `now` or
/// one step either side.
fn matching_step(totp: &TOTP, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let now = u64::try_from(now.timestamp()).ok()?;
    let step = now / STEP_SECONDS;
    [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find(|s| {
            let expected = totp.generate(s * STEP_SECONDS);
            bool::from(expected.as_bytes().ct_eq(code.as_bytes()))
        })
        .and_then(|s| i64::try_from(s).ok())
}

/// Six digits, spaces allowed ("123 456").
fn as_totp_code(raw: &str) -> Option<String> {
    let code: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    (code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// Confirms enrolment with a first code; answers the recovery codes, shown
/// this once.
pub async fn enable(app: &App, actor: &Actor, code: &str) -> AppResult<Vec<String>> {
    actor.require_session()?;
    app.limits
        .login(&format!("2fa:{}", actor.user.id.0), &actor.user.email)?;
    let stored = app
        .store
        .two_factor(actor.user.id)
        .await?
        .filter(|f| f.enabled_at.is_none())
        .ok_or(AppError::Conflict(
            "start setting up two-factor sign-in first",
        ))?;
    let secret = open_secret(app, actor.user.id, &stored.sealed_secret)?;
    let totp = totp(secret, &actor.user.email)?;
    let step = as_totp_code(code)
        .and_then(|c| matching_step(&totp, &c, Utc::now()))
        .ok_or_else(code_field_error)?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let hashes: Vec<Vec<u8>> = codes
        .iter()
        .map(|c| app.tokens.hash(&normalize_recovery(c)))
        .collect();
    if !app
        .store
        .enable_two_factor(actor.user.id, step, &hashes, Utc::now())
        .await?
    {
        return Err(AppError::Conflict(
            "two-factor sign-in was turned on meanwhile",
        ));
    }
    Ok(codes)
}

/// Turns two-factor off; the password proves it is the owner asking. It
/// stays on while an organization of theirs requires it.
pub async fn disable(app: &App, actor: &Actor, current_password: &str) -> AppResult<()> {
    actor.require_session()?;
    if actor
        .memberships
        .iter()
        .any(|m| m.organization.require_two_factor)
    {
        return Err(AppError::Conflict(
            "an organization you belong to requires two-factor sign-in, so it stays on",
        ));
    }
    let credentials = app
        .store
        .user_credentials(&actor.user.email)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if !password::verify(current_password.to_owned(), Some(credentials.password_hash)).await? {
        return Err(pharos_domain::ValidationError::new(
            "current_password",
            "is not your current password",
        )
        .into());
    }
    app.store.disable_two_factor(actor.user.id).await?;
    Ok(())
}

/// `xxxxx-xxxxx`, 50 bits.
fn recovery_code() -> String {
    let mut rng = rand::thread_rng();
    let mut code = String::with_capacity(11);
    for i in 0..10 {
        if i == 5 {
            code.push('-');
        }
        let pick = rng.gen_range(0..RECOVERY_ALPHABET.len());
        code.push(char::from(RECOVERY_ALPHABET[pick]));
    }
    code
}

/// A recovery code as typed, in the form it is hashed in.
fn normalize_recovery(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `user` must give a second factor to sign in.
pub async fn required(app: &App, user: &User) -> AppResult<bool> {
    Ok(app
        .store
        .two_factor(user.id)
        .await?
        .is_some_and(|f| f.enabled_at.is_some()))
}

/// Whether `user`, acting in `organization`, is held to set up two-factor
/// sign-in first: the organization requires it and they have not turned
/// it on. Reads nothing unless the organization requires it.
pub async fn holds(app: &App, organization: &Organization, user: &User) -> AppResult<bool> {
    if !organization.require_two_factor {
        return Ok(false);
    }
    Ok(!required(app, user).await?)
}

/// Checks a sign-in's second factor: a current TOTP code (once), or an
/// unused recovery code (used up).
pub async fn verify(app: &App, user: &User, code: &str) -> AppResult<()> {
    let stored = app
        .store
        .two_factor(user.id)
        .await?
        .filter(|f| f.enabled_at.is_some())
        .ok_or(AppError::InvalidSecondFactor)?;
    if let Some(code) = as_totp_code(code) {
        let secret = open_secret(app, user.id, &stored.sealed_secret)?;
        let totp = totp(secret, &user.email)?;
        let Some(step) = matching_step(&totp, &code, Utc::now()) else {
            return Err(AppError::InvalidSecondFactor);
        };
        // Refused when this step (or a later one) was used: a replay.
        return if app.store.accept_two_factor_step(user.id, step).await? {
            Ok(())
        } else {
            Err(AppError::InvalidSecondFactor)
        };
    }
    let normalized = normalize_recovery(code);
    if normalized.len() != 10 {
        return Err(AppError::InvalidSecondFactor);
    }
    if app
        .store
        .use_recovery_code(user.id, &app.tokens.hash(&normalized), Utc::now())
        .await?
    {
        Ok(())
    } else {
        Err(AppError::InvalidSecondFactor)
    }
}

/// A signed note that `user`'s password was right, for a page to ask for
/// the code next without the password: `<user>.<expiry>.<mac>`, valid five
/// minutes. It starts no session by itself.
pub fn pending_token(app: &App, user: UserId) -> String {
    let expires = (Utc::now() + PENDING_VALID).timestamp();
    let payload = format!("{}.{expires}", user.0);
    let mac = app.tokens.hash(&format!("second-factor:{payload}"));
    format!(
        "{payload}.{}",
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, mac)
    )
}

/// The user a pending token names, while it is genuine and fresh.
pub fn pending_user(app: &App, token: &str) -> Option<UserId> {
    let mut parts = token.splitn(3, '.');
    let (user, expires, mac) = (parts.next()?, parts.next()?, parts.next()?);
    let payload = format!("{user}.{expires}");
    let expected = app.tokens.hash(&format!("second-factor:{payload}"));
    let given =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, mac).ok()?;
    if !bool::from(expected.ct_eq(&given)) {
        return None;
    }
    if expires.parse::<i64>().ok()? < Utc::now().timestamp() {
        return None;
    }
    uuid::Uuid::parse_str(user).ok().map(UserId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_their_step_and_one_either_side_only() {
        let totp = totp(vec![7u8; SECRET_BYTES], "a@example.com").expect("totp");
        let now = Utc::now();
        let t = u64::try_from(now.timestamp()).expect("after 1970");
        let step = t / STEP_SECONDS;
        for (offset, matches) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let s = step.checked_add_signed(offset).expect("step");
            let code = totp.generate(s * STEP_SECONDS);
            let found = matching_step(&totp, &code, now);
            // Another step may share the code by chance (one in a million).
            if matches {
                assert_eq!(found, i64::try_from(s).ok(), "offset {offset}");
            } else {
                assert_ne!(found, i64::try_from(s).ok(), "offset {offset}");
            }
        }
        assert_eq!(as_totp_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(as_totp_code("12345a"), None);
    }

    #[test]
    fn recovery_codes_are_read_however_they_are_typed() {
        let code = recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(
            normalize_recovery(&code.to_uppercase()),
            normalize_recovery(&code)
        );
        assert_eq!(normalize_recovery(" abcde-fghjk "), "abcdefghjk");
    }
}
