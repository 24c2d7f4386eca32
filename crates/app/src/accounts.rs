//! Registering, signing in, changing a password.

use std::net::IpAddr;

use chrono::Utc;
use pharos_domain::organization::OrganizationName;
use pharos_domain::user::{Email, Password};
use pharos_storage::models::{Membership, NewAccount, Organization, User};
use pharos_storage::prelude::*;

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::passwords as password;
use crate::sessions::{self, SignInFrom, StartedSession};
use crate::two_factor;
use crate::App;

/// A new account as submitted: by a visitor registering, or an operator.
pub struct NewAccountInput<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub organization: Option<&'a str>,
}

/// Registration from the web: rate-limited per client address.
pub async fn register(
    app: &App,
    client: IpAddr,
    input: NewAccountInput<'_>,
) -> AppResult<(User, Organization)> {
    let parsed = parse_account(&input)?;
    app.limits.registration(&client.to_string())?;
    let (user, organization) = store_account(&*app.store, parsed).await?;
    // The account exists either way; a link that could not be made can be
    // asked for again from Settings.
    if let Err(e) = crate::account_links::mail_verification_link(app, &user).await {
        tracing::warn!(error = %e, "could not issue an email verification link");
    }
    Ok((user, organization))
}

/// Creates an account with no rate limit (operators, `pharos admin`).
pub async fn create_account(
    store: &dyn Store,
    input: NewAccountInput<'_>,
) -> AppResult<(User, Organization)> {
    store_account(store, parse_account(&input)?).await
}

fn parse_account(input: &NewAccountInput<'_>) -> AppResult<(Email, Password, OrganizationName)> {
    let email = Email::parse(input.email)?;
    let password = Password::parse("password", input.password)?;
    let organization = match input.organization {
        Some(name) => OrganizationName::parse(name)?,
        None => OrganizationName::parse(email.as_str())?,
    };
    Ok((email, password, organization))
}

async fn store_account(
    store: &dyn Store,
    (email, password, organization): (Email, Password, OrganizationName),
) -> AppResult<(User, Organization)> {
    let password_hash = password::hash(password.expose().to_owned()).await?;
    let account = NewAccount {
        email: email.as_str(),
        password_hash: &password_hash,
        organization_name: organization.as_str(),
        now: Utc::now(),
    };
    Ok(store.create_account(account).await?)
}

/// Someone who just signed in: who, where they belong, their new session.
pub struct SignedIn {
    pub user: User,
    pub memberships: Vec<Membership>,
    pub session: StartedSession,
}

/// Checks the credentials and starts a new session (a fresh token: the
/// session id rotates at every login). An account with two-factor sign-in
/// needs `code` too (from its authenticator app, or a recovery code);
/// without it the answer is `SecondFactorRequired`, carrying a pending
/// token for [`login_second_step`].
pub async fn login(
    app: &App,
    client: &SignInFrom,
    email: &str,
    password: &str,
    code: Option<&str>,
) -> AppResult<SignedIn> {
    // Malformed input is just a failed login: no hint which part was wrong.
    let email = Email::parse(email).map_err(|_| AppError::InvalidCredentials)?;
    app.limits
        .login(&client.address.to_string(), email.as_str())?;
    if password.len() > Password::MAX_LEN * 4 {
        return Err(AppError::InvalidCredentials);
    }
    let credentials = app.store.user_credentials(email.as_str()).await?;
    let stored_hash = credentials.as_ref().map(|c| c.password_hash.clone());
    let valid = password::verify(password.to_owned(), stored_hash).await?;
    let user = match credentials {
        Some(credentials) if valid => credentials.user,
        Some(credentials) => {
            crate::audit::sign_in(app, &credentials.user, client.address, false).await;
            return Err(AppError::InvalidCredentials);
        }
        None => return Err(AppError::InvalidCredentials),
    };
    if two_factor::required(app, &user).await? {
        match code {
            Some(code) => second_factor(app, &user, client, code).await?,
            None => {
                return Err(AppError::SecondFactorRequired {
                    pending: two_factor::pending_token(app, user.id),
                })
            }
        }
    }
    signed_in(app, user, client).await
}

/// The second step of a sign-in whose password was right: the code, with
/// the pending token the first step gave (valid five minutes).
pub async fn login_second_step(
    app: &App,
    client: &SignInFrom,
    pending: &str,
    code: &str,
) -> AppResult<SignedIn> {
    let user = match two_factor::pending_user(app, pending) {
        Some(id) => app.store.user(id).await?,
        None => None,
    }
    .ok_or(AppError::Unauthenticated)?;
    app.limits.login(&client.address.to_string(), &user.email)?;
    second_factor(app, &user, client, code).await?;
    signed_in(app, user, client).await
}

/// Checks a sign-in's second factor; a wrong one is a failed sign-in.
async fn second_factor(app: &App, user: &User, client: &SignInFrom, code: &str) -> AppResult<()> {
    let verified = two_factor::verify(app, user, code).await;
    if verified.is_err() {
        crate::audit::sign_in(app, user, client.address, false).await;
    }
    verified
}

async fn signed_in(app: &App, user: User, client: &SignInFrom) -> AppResult<SignedIn> {
    crate::audit::sign_in(app, &user, client.address, true).await;
    let session = sessions::start(app, &user, client).await?;
    let memberships = app.store.memberships(user.id).await?;
    Ok(SignedIn {
        user,
        memberships,
        session,
    })
}

/// Changes the password and ends every other session of the user. An
/// API key is refused: it acts for its creator, but is not them.
pub async fn change_password(
    app: &App,
    actor: &Actor,
    current_password: &str,
    new_password: &str,
) -> AppResult<()> {
    actor.require_session()?;
    let new_password = Password::parse("new_password", new_password)?;
    let credentials = app
        .store
        .user_credentials(&actor.user.email)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let valid =
        password::verify(current_password.to_owned(), Some(credentials.password_hash)).await?;
    if !valid {
        return Err(AppError::Validation(pharos_domain::ValidationError::new(
            "current_password",
            "is not your current password",
        )));
    }
    let hash = password::hash(new_password.expose().to_owned()).await?;
    app.store.set_password_hash(actor.user.id, &hash).await?;
    app.store
        .delete_other_sessions(actor.user.id, actor.session_hash().unwrap_or_default())
        .await?;
    Ok(())
}
