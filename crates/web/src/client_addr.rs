//! The client address used for rate limits and kept with sessions.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::{AppState, ClientAddr};

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        ClientAddr::of(parts, state)
    }
}

impl ClientAddr {
    /// The request's client address (the extractor, for code that holds
    /// the parts by shared reference).
    pub fn of(parts: &Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.config.trust_forwarded_for {
            // The proxy appends the address it saw: the last entry is the
            // one the trusted proxy vouches for.
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|s| s.trim().parse().ok())
                .next_back();
            if let Some(ip) = forwarded {
                return Ok(ClientAddr(ip));
            }
        }
        let ConnectInfo(addr) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .copied()
            .ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!(
                    "the server was started without connect info"
                ))
            })?;
        Ok(ClientAddr(addr.ip()))
    }
}

/// Where a sign-in comes from: the client address (as above) and the
/// `User-Agent` header, kept with the session it starts (the use case
/// cuts the user agent short).
#[derive(Debug, Clone)]
pub struct SignInClient(pub pharos_app::sessions::SignInFrom);

impl FromRequestParts<AppState> for SignInClient {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ClientAddr(address) = ClientAddr::from_request_parts(parts, state).await?;
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        Ok(SignInClient(pharos_app::sessions::SignInFrom::new(
            address,
            user_agent.as_deref(),
        )))
    }
}
