//! Sending a rendered [`Delivery`]: HTTP through reqwest behind the SSRF
//! rule, email through the instance's SMTP server. Each attempt ends as
//! [`Delivered`] or a [`DeliveryError`] that says whether to try again;
//! retries and their schedule are the engine's.

mod guard;
mod http;
mod smtp;

use std::sync::Arc;
use std::time::Duration;

use pharos_domain::AddressPolicy;
use pharos_probes::{Resolve, SystemResolver};

use crate::delivery::{Delivered, Delivery, DeliveryError};

pub use lettre::message::Mailbox;
pub use smtp::{Mailer, MailerError, SmtpSettings, SmtpSettingsError, SmtpTls, UnknownSmtpTls};

#[derive(Debug, Clone)]
pub struct TransportSettings {
    /// Let notifications reach private, loopback and internal addresses
    /// (`PHAROS_ALLOW_PRIVATE_TARGETS`).
    pub allow_private: bool,
    /// Bounds each attempt: connecting, sending and the answer.
    pub timeout: Duration,
    /// The instance's SMTP server; without it, email fails permanently.
    pub smtp: Option<SmtpSettings>,
}

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot start the HTTP client: {0}")]
    Http(String),
    #[error(transparent)]
    Mailer(#[from] MailerError),
}

/// Delivers notifications. Cheap to share (`Arc`); one per process.
#[derive(Debug)]
pub struct Transport {
    client: reqwest::Client,
    policy: AddressPolicy,
    timeout: Duration,
    mailer: Option<Mailer>,
}

impl Transport {
    pub fn new(settings: TransportSettings) -> Result<Self, TransportError> {
        Self::with_resolver(settings, Arc::new(SystemResolver::new()))
    }

    /// With a chosen resolver (tests make `evil.example` resolve to
    /// 127.0.0.1 to prove a name is judged by its addresses).
    pub fn with_resolver(
        settings: TransportSettings,
        resolver: Arc<dyn Resolve>,
    ) -> Result<Self, TransportError> {
        let policy = if settings.allow_private {
            AddressPolicy::allow_all()
        } else {
            AddressPolicy::strict()
        };
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(guard::GuardedResolver {
                resolver: Arc::clone(&resolver),
                policy: policy.clone(),
            }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .user_agent(concat!("Pharos/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TransportError::Http(e.to_string()))?;
        let mailer = match settings.smtp {
            Some(smtp) => Some(Mailer::with_resolver(
                smtp,
                policy.clone(),
                settings.timeout,
                resolver,
            )?),
            None => None,
        };
        Ok(Self {
            client,
            policy,
            timeout: settings.timeout,
            mailer,
        })
    }

    /// The mailer, for other email (invitations, password resets).
    pub fn mailer(&self) -> Option<&Mailer> {
        self.mailer.as_ref()
    }

    /// One attempt. Never logs or returns a URL's path, a token or a key.
    pub async fn deliver(&self, delivery: &Delivery) -> Result<Delivered, DeliveryError> {
        match delivery {
            Delivery::Http(request) => {
                http::send(&self.client, &self.policy, self.timeout, request).await
            }
            Delivery::Email(email) => match &self.mailer {
                Some(mailer) => mailer.send(email).await,
                None => Err(DeliveryError::permanent(
                    "email is not configured on this server (set PHAROS_SMTP_HOST and PHAROS_SMTP_FROM)",
                )),
            },
        }
    }
}
