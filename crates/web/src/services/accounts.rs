//! Registering, signing in, changing a password.

use axum_extra::extract::cookie::Cookie;
use chrono::Utc;
use pharos_domain::organization::OrganizationName;
use pharos_domain::user::{Email, Password};
use pharos_storage::models::{NewAccount, Organization, User};
use pharos_storage::Store;

use crate::auth::{password, session, CurrentUser};
use crate::error::ApiError;
use crate::state::{AppState, ClientAddr};

/// A new account as submitted: by a visitor registering, or an operator.
pub struct NewAccountInput<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub organization: Option<&'a str>,
}

/// Registration from the web: rate-limited per client address.
pub async fn register(
    state: &AppState,
    client: ClientAddr,
    input: NewAccountInput<'_>,
) -> Result<(User, Organization), ApiError> {
    let parsed = parse_account(&input)?;
    state.limits.registration(&client.0.to_string())?;
    store_account(&*state.store, parsed).await
}

/// Creates an account with no rate limit (operators, `pharos admin`).
pub async fn create_account(
    store: &dyn Store,
    input: NewAccountInput<'_>,
) -> Result<(User, Organization), ApiError> {
    store_account(store, parse_account(&input)?).await
}

fn parse_account(
    input: &NewAccountInput<'_>,
) -> Result<(Email, Password, OrganizationName), ApiError> {
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
) -> Result<(User, Organization), ApiError> {
    let password_hash = password::hash(password.expose().to_owned()).await?;
    let account = NewAccount {
        email: email.as_str(),
        password_hash: &password_hash,
        organization_name: organization.as_str(),
        now: Utc::now(),
    };
    Ok(store.create_account(account).await?)
}

/// Checks the credentials and starts a new session (a fresh token: the
/// session id rotates at every login).
pub async fn login(
    state: &AppState,
    client: ClientAddr,
    email: &str,
    password: &str,
) -> Result<(User, Cookie<'static>), ApiError> {
    // Malformed input is just a failed login: no hint which part was wrong.
    let email = Email::parse(email).map_err(|_| ApiError::InvalidCredentials)?;
    state.limits.login(&client.0.to_string(), email.as_str())?;
    if password.len() > Password::MAX_LEN * 4 {
        return Err(ApiError::InvalidCredentials);
    }
    let credentials = state.store.user_credentials(email.as_str()).await?;
    let stored_hash = credentials.as_ref().map(|c| c.password_hash.clone());
    let valid = password::verify(password.to_owned(), stored_hash).await?;
    match credentials {
        Some(credentials) if valid => {
            let cookie = session::start(state, &credentials.user).await?;
            Ok((credentials.user, cookie))
        }
        _ => Err(ApiError::InvalidCredentials),
    }
}

/// Changes the password and ends every other session of the user.
pub async fn change_password(
    state: &AppState,
    current: &CurrentUser,
    current_password: &str,
    new_password: &str,
) -> Result<(), ApiError> {
    let new_password = Password::parse("new_password", new_password)?;
    let credentials = state
        .store
        .user_credentials(&current.user.email)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let valid =
        password::verify(current_password.to_owned(), Some(credentials.password_hash)).await?;
    if !valid {
        return Err(ApiError::Validation(pharos_domain::ValidationError::new(
            "current_password",
            "is not your current password",
        )));
    }
    let hash = password::hash(new_password.expose().to_owned()).await?;
    state
        .store
        .set_password_hash(current.user.id, &hash)
        .await?;
    state
        .store
        .delete_other_sessions(current.user.id, &current.session_hash)
        .await?;
    Ok(())
}
