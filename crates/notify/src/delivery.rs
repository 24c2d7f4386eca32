//! A rendered notification on the wire, and how an attempt to deliver it
//! ended.

use std::fmt;
use std::time::Duration;

use url::Url;

/// What a channel's renderer produces; the transport sends it.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    Http(HttpRequest),
    Email(EmailMessage),
}

#[derive(Clone, PartialEq)]
pub struct HttpRequest {
    pub method: HttpVerb,
    /// May carry a key (a chat webhook's path, a Telegram bot token): never
    /// log it; `Debug` shows only its host.
    pub url: Url,
    /// Sent as given, after the content type.
    pub headers: Vec<(String, String)>,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// The channel's secrets (tokens, keys, the webhook URL's key): the
    /// transport scrubs them from anything it reports, such as a response
    /// excerpt that echoes the request.
    pub secrets: Vec<String>,
}

/// Secret-free: the host, header names and body size, never the path,
/// header values or body (which may carry keys).
impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("host", &self.url.host_str().unwrap_or(""))
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(name, _)| name)
                    .collect::<Vec<_>>(),
            )
            .field("content_type", &self.content_type)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpVerb {
    Post,
    Put,
}

impl HttpVerb {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpVerb::Post => "POST",
            HttpVerb::Put => "PUT",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailMessage {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Extra headers (`List-Unsubscribe`); names and values are checked
    /// when the message is built.
    pub headers: Vec<(String, String)>,
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

impl DeliveryError {
    pub fn retryable(message: impl Into<String>) -> Self {
        DeliveryError::Retryable {
            message: message.into(),
            status: None,
            retry_after: None,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        DeliveryError::Permanent {
            message: message.into(),
            status: None,
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, DeliveryError::Retryable { .. })
    }

    pub fn message(&self) -> &str {
        match self {
            DeliveryError::Retryable { message, .. } | DeliveryError::Permanent { message, .. } => {
                message
            }
        }
    }

    /// The service's HTTP status or SMTP reply code, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            DeliveryError::Retryable { status, .. } | DeliveryError::Permanent { status, .. } => {
                *status
            }
        }
    }
}
