//! A rendered notification on the wire, and how an attempt to deliver it
//! ended.

use std::time::Duration;

use url::Url;

/// What a channel's renderer produces; the transport sends it.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    Http(HttpRequest),
    Email(EmailMessage),
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub method: HttpVerb,
    pub url: Url,
    /// Sent as given, after the content type.
    pub headers: Vec<(String, String)>,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpVerb {
    Post,
    Put,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailMessage {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The answer of the service that received a delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    /// The HTTP status, or the SMTP reply code.
    pub status: u16,
    pub duration: Duration,
}

/// Why an attempt failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeliveryError {
    /// A timeout, a connection error, a 429 or a 5xx: try again later
    /// (not before `retry_after` when the service said so).
    #[error("{message}")]
    Retryable {
        message: String,
        status: Option<u16>,
        retry_after: Option<Duration>,
    },
    /// Trying again cannot help: a 4xx other than 429, a refused address,
    /// a configuration the service rejects.
    #[error("{message}")]
    Permanent {
        message: String,
        status: Option<u16>,
    },
}
