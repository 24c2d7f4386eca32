//! The agent's side of `/agent/v1`: admission, pulls, pushes, heartbeats.
//! Outbound only, over HTTP or HTTPS.

use std::time::Duration;

use pharos_domain::agent_wire::{
    AdmitRequest, AdmitResponse, Assignments, BatchReceipt, Heartbeat, ResultBatch,
};
use reqwest::StatusCode;
use url::Url;

/// What went wrong talking to the server.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The token is no longer good: admit again.
    #[error("the server no longer accepts this agent's token")]
    Unauthorized,
    #[error("the server refused the shared secret")]
    WrongSecret,
    #[error("this agent was rejected or revoked by an admin")]
    Refused,
    #[error("the server asks to slow down")]
    RateLimited(Duration),
    #[error("the server answered {0}: {1}")]
    Status(StatusCode, String),
    #[error("cannot reach the server: {0}")]
    Network(#[from] reqwest::Error),
}

/// An HTTP client bound to one server.
#[derive(Debug, Clone)]
pub struct ServerClient {
    http: reqwest::Client,
    base: Url,
}

fn retry_after(response: &reqwest::Response) -> Duration {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(Duration::from_secs(5), Duration::from_secs)
}

async fn failure(response: reqwest::Response) -> CallError {
    let status = response.status();
    match status {
        StatusCode::UNAUTHORIZED => CallError::Unauthorized,
        StatusCode::FORBIDDEN => CallError::Refused,
        StatusCode::TOO_MANY_REQUESTS => CallError::RateLimited(retry_after(&response)),
        _ => {
            let body = response.text().await.unwrap_or_default();
            CallError::Status(status, body.chars().take(300).collect())
        }
    }
}

impl ServerClient {
    pub fn new(base: Url) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("pharos-agent/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, base })
    }

    fn url(&self, path: &str) -> Result<Url, CallError> {
        self.base
            .join(path)
            .map_err(|e| CallError::Status(StatusCode::BAD_REQUEST, e.to_string()))
    }

    /// Asks to join: a token, or "wait for approval".
    pub async fn admit(&self, request: &AdmitRequest) -> Result<AdmitResponse, CallError> {
        let response = self
            .http
            .post(self.url("agent/v1/admit")?)
            .json(request)
            .send()
            .await?;
        match response.status() {
            StatusCode::OK | StatusCode::ACCEPTED => Ok(response.json().await?),
            StatusCode::UNAUTHORIZED => Err(CallError::WrongSecret),
            _ => Err(failure(response).await),
        }
    }

    pub async fn assignments(&self, token: &str) -> Result<Assignments, CallError> {
        let response = self
            .http
            .get(self.url("agent/v1/assignments")?)
            .bearer_auth(token)
            .send()
            .await?;
        if response.status() == StatusCode::OK {
            Ok(response.json().await?)
        } else {
            Err(failure(response).await)
        }
    }

    pub async fn push(&self, token: &str, batch: &ResultBatch) -> Result<BatchReceipt, CallError> {
        let response = self
            .http
            .post(self.url("agent/v1/results")?)
            .bearer_auth(token)
            .json(batch)
            .send()
            .await?;
        if response.status() == StatusCode::OK {
            Ok(response.json().await?)
        } else {
            Err(failure(response).await)
        }
    }

    pub async fn heartbeat(&self, token: &str, beat: &Heartbeat) -> Result<(), CallError> {
        let response = self
            .http
            .post(self.url("agent/v1/heartbeat")?)
            .bearer_auth(token)
            .json(beat)
            .send()
            .await?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(failure(response).await)
        }
    }
}
