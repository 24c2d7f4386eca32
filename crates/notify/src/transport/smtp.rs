//! Email over SMTP with lettre: the instance's server from `PHAROS_SMTP_*`,
//! and [`Mailer`], a plain "send this email" that alerts use and that
//! invitations and password resets can use too.
//!
//! The host is resolved once through the guard (with the policy the
//! transport gives: the operator's own server is trusted, so a relay on
//! localhost works) and lettre connects to the address resolved, with the
//! host's name kept for TLS verification.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use pharos_domain::target::check_host;
use pharos_domain::AddressPolicy;
use pharos_probes::{Resolve, SystemResolver};
use tokio::time::Instant;

use super::guard::{allowed_addresses, GuardError};
use crate::channels::Secret;
use crate::delivery::{Delivered, DeliveryError, EmailMessage};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which is required (never
    /// silently skipped). Port 587.
    Starttls,
    /// TLS from the first byte ("SMTPS"). Port 465.
    Tls,
    /// No encryption: only for a relay on the same machine or network.
    /// Port 25.
    None,
}

impl SmtpTls {
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SmtpTls::Starttls => "starttls",
            SmtpTls::Tls => "tls",
            SmtpTls::None => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an SMTP TLS mode (starttls, tls or none)")]
pub struct UnknownSmtpTls(pub String);

impl FromStr for SmtpTls {
    type Err = UnknownSmtpTls;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        [SmtpTls::Starttls, SmtpTls::Tls, SmtpTls::None]
            .into_iter()
            .find(|mode| mode.as_str().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| UnknownSmtpTls(raw.to_owned()))
    }
}

/// The instance's SMTP server.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub tls: SmtpTls,
    /// `Pharos <alerts@example.com>`.
    pub from: Mailbox,
    /// A PEM CA certificate trusted besides the public roots (a private CA,
    /// or a certificate made by a test).
    pub extra_root_certificate_pem: Option<String>,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "••••"))
            .field("tls", &self.tls)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// A bad `PHAROS_SMTP_*` variable, by name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct SmtpSettingsError {
    pub variable: &'static str,
    pub message: String,
}

impl SmtpSettingsError {
    fn new(variable: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            message: message.into(),
        }
    }
}

impl SmtpSettings {
    pub const HOST: &'static str = "PHAROS_SMTP_HOST";
    pub const PORT: &'static str = "PHAROS_SMTP_PORT";
    pub const USERNAME: &'static str = "PHAROS_SMTP_USERNAME";
    pub const PASSWORD: &'static str = "PHAROS_SMTP_PASSWORD";
    pub const TLS: &'static str = "PHAROS_SMTP_TLS";
    pub const FROM: &'static str = "PHAROS_SMTP_FROM";
    pub const VARIABLES: [&'static str; 6] = [
        Self::HOST,
        Self::PORT,
        Self::USERNAME,
        Self::PASSWORD,
        Self::TLS,
        Self::FROM,
    ];

    /// Reads the settings through `lookup` (`|name| std::env::var(name).ok()`).
    /// `Ok(None)` when no `PHAROS_SMTP_*` variable is set: email is off.
    /// Empty values count as unset.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<SmtpSettings>, SmtpSettingsError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let Some(host) = get(Self::HOST) else {
            if let Some(set) = Self::VARIABLES.iter().find(|name| get(name).is_some()) {
                return Err(SmtpSettingsError::new(
                    Self::HOST,
                    format!("is required when {set} is set"),
                ));
            }
            return Ok(None);
        };
        let host = host.trim().to_owned();
        check_host(Self::HOST, &host, true)
            .map_err(|e| SmtpSettingsError::new(Self::HOST, e.message))?;
        let tls = match get(Self::TLS) {
            Some(raw) => raw
                .parse::<SmtpTls>()
                .map_err(|e| SmtpSettingsError::new(Self::TLS, e.to_string()))?,
            None => SmtpTls::Starttls,
        };
        let port = match get(Self::PORT) {
            Some(raw) => match raw.trim().parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => {
                    return Err(SmtpSettingsError::new(
                        Self::PORT,
                        format!("{raw:?} is not a port (1-65535)"),
                    ))
                }
            },
            None => tls.default_port(),
        };
        let username = get(Self::USERNAME);
        let password = get(Self::PASSWORD);
        match (&username, &password) {
            (Some(_), None) => {
                return Err(SmtpSettingsError::new(
                    Self::PASSWORD,
                    format!("is required when {} is set", Self::USERNAME),
                ))
            }
            (None, Some(_)) => {
                return Err(SmtpSettingsError::new(
                    Self::USERNAME,
                    format!("is required when {} is set", Self::PASSWORD),
                ))
            }
            _ => {}
        }
        let from = get(Self::FROM)
            .ok_or_else(|| {
                SmtpSettingsError::new(Self::FROM, "is required (Pharos <alerts@example.com>)")
            })?
            .parse::<Mailbox>()
            .map_err(|e| SmtpSettingsError::new(Self::FROM, format!("is not an address ({e})")))?;
        Ok(Some(SmtpSettings {
            host,
            port,
            username,
            password: password.map(Secret::new),
            tls,
            from,
            extra_root_certificate_pem: None,
        }))
    }
}

/// Why a [`Mailer`] cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("the extra root certificate is not a PEM certificate: {0}")]
    Certificate(String),
}

/// Sends email through the instance's SMTP server: one connection per
/// message (alerts are few; a pool would pin an address the guard judged
/// once).
pub struct Mailer {
    settings: SmtpSettings,
    policy: AddressPolicy,
    resolver: Arc<dyn Resolve>,
    timeout: Duration,
    extra_root: Option<Certificate>,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("settings", &self.settings)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// `timeout` bounds each SMTP command and the whole conversation.
    pub fn new(
        settings: SmtpSettings,
        policy: AddressPolicy,
        timeout: Duration,
    ) -> Result<Self, MailerError> {
        Self::with_resolver(settings, policy, timeout, Arc::new(SystemResolver::new()))
    }

    pub fn with_resolver(
        settings: SmtpSettings,
        policy: AddressPolicy,
        timeout: Duration,
        resolver: Arc<dyn Resolve>,
    ) -> Result<Self, MailerError> {
        let extra_root = match &settings.extra_root_certificate_pem {
            Some(pem) => Some(
                Certificate::from_pem(pem.as_bytes())
                    .map_err(|e| MailerError::Certificate(e.to_string()))?,
            ),
            None => None,
        };
        Ok(Self {
            settings,
            policy,
            resolver,
            timeout,
            extra_root,
        })
    }

    pub fn settings(&self) -> &SmtpSettings {
        &self.settings
    }

    /// Sends one message (text and HTML alternatives) to all its
    /// recipients. The status is the server's reply code (250).
    pub async fn send(&self, email: &EmailMessage) -> Result<Delivered, DeliveryError> {
        let message = self.message(email)?;
        let started = Instant::now();
        let sent = tokio::time::timeout(self.timeout, self.send_message(message)).await;
        match sent {
            Err(_) => Err(DeliveryError::retryable(format!(
                "the SMTP server {} did not finish within {} s",
                self.settings.host,
                self.timeout.as_secs_f64()
            ))),
            Ok(Err(e)) => Err(e),
            Ok(Ok(code)) => Ok(Delivered {
                status: code,
                duration: started.elapsed(),
            }),
        }
    }

    fn message(&self, email: &EmailMessage) -> Result<Message, DeliveryError> {
        if email.to.is_empty() {
            return Err(DeliveryError::permanent("the email has no recipients"));
        }
        let mut builder = Message::builder()
            .from(self.settings.from.clone())
            // One line whatever the caller built: no header injection.
            .subject(
                email
                    .subject
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect::<String>(),
            );
        for (name, value) in &email.headers {
            let name = HeaderName::new_from_ascii(name.clone())
                .map_err(|_| DeliveryError::permanent(format!("{name:?} is not a header name")))?;
            if value.chars().any(char::is_control) {
                return Err(DeliveryError::permanent(format!(
                    "the {name} header holds a control character"
                )));
            }
            builder = builder.raw_header(HeaderValue::new(name, value.clone()));
        }
        for to in &email.to {
            let mailbox = to
                .parse::<Mailbox>()
                .map_err(|_| DeliveryError::permanent(format!("{to:?} is not an email address")))?;
            builder = builder.to(mailbox);
        }
        builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(email.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(email.html.clone()),
                    ),
            )
            .map_err(|e| DeliveryError::permanent(format!("the email cannot be built: {e}")))
    }

    async fn send_message(&self, message: Message) -> Result<u16, DeliveryError> {
        let settings = &self.settings;
        let addresses = allowed_addresses(self.resolver.as_ref(), &self.policy, &settings.host)
            .await
            .map_err(|e| match e {
                GuardError::Refused(message) => {
                    DeliveryError::permanent(format!("SMTP server: {message}"))
                }
                GuardError::Dns(message) => {
                    DeliveryError::retryable(format!("SMTP server: {message}"))
                }
            })?;
        let mut last_error = DeliveryError::retryable("the SMTP server has no address");
        for address in addresses {
            match self.send_to(address, &message).await {
                Ok(code) => return Ok(code),
                // Another address may answer when this one cannot connect.
                Err(e) if e.is_retryable() => last_error = e,
                Err(e) => return Err(e),
            }
        }
        Err(last_error)
    }

    async fn send_to(
        &self,
        address: std::net::IpAddr,
        message: &Message,
    ) -> Result<u16, DeliveryError> {
        let settings = &self.settings;
        let tls_parameters = || {
            // The certificate is checked against the configured name, not
            // the address we connect to.
            let mut builder = TlsParameters::builder(settings.host.clone());
            if let Some(root) = &self.extra_root {
                builder = builder.add_root_certificate(root.clone());
            }
            builder
                .build_rustls()
                .map_err(|e| DeliveryError::permanent(format!("SMTP TLS setup failed: {e}")))
        };
        let tls = match settings.tls {
            SmtpTls::Starttls => Tls::Required(tls_parameters()?),
            SmtpTls::Tls => Tls::Wrapper(tls_parameters()?),
            SmtpTls::None => Tls::None,
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.to_string())
                .port(settings.port)
                .tls(tls)
                .timeout(Some(self.timeout));
        if let (Some(username), Some(password)) = (&settings.username, &settings.password) {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                password.expose().to_owned(),
            ));
        }
        let transport = builder.build();
        match transport.send(message.clone()).await {
            Ok(response) => Ok(u16::from(response.code())),
            Err(e) => Err(smtp_failure(&e, &settings.host)),
        }
    }
}

/// lettre's error, as a delivery error: 4xx replies, timeouts and
/// connection failures can pass; 5xx replies and TLS failures will not.
fn smtp_failure(error: &lettre::transport::smtp::Error, host: &str) -> DeliveryError {
    let status = error.status().map(u16::from);
    // lettre's messages carry the server's reply text, never our password.
    let message = format!("SMTP server {host}: {error}");
    if error.is_permanent() || error.is_tls() || is_tls_failure(error) {
        DeliveryError::Permanent { message, status }
    } else {
        DeliveryError::Retryable {
            message,
            status,
            retry_after: None,
        }
    }
}

/// A handshake that failed (an untrusted or wrong certificate) reaches us
/// as an I/O error of kind `InvalidData` (how tokio-rustls reports TLS
/// errors) under lettre's connection error: retrying will not fix it.
fn is_tls_failure(error: &lettre::transport::smtp::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::InvalidData {
                return true;
            }
        }
        source = cause.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn nothing_set_means_no_email() {
        assert!(SmtpSettings::from_lookup(lookup(&[]))
            .expect("ok")
            .is_none());
    }

    #[test]
    fn settings_read_with_defaults() {
        let settings = SmtpSettings::from_lookup(lookup(&[
            ("PHAROS_SMTP_HOST", "smtp.example.com"),
            ("PHAROS_SMTP_FROM", "Pharos <alerts@example.com>"),
            ("PHAROS_SMTP_USERNAME", "alerts"),
            ("PHAROS_SMTP_PASSWORD", "hunter22"),
        ]))
        .expect("valid")
        .expect("configured");
        assert_eq!(settings.tls, SmtpTls::Starttls);
        assert_eq!(settings.port, 587);
        assert!(!format!("{settings:?}").contains("hunter22"));
        let tls = SmtpSettings::from_lookup(lookup(&[
            ("PHAROS_SMTP_HOST", "smtp.example.com"),
            ("PHAROS_SMTP_FROM", "alerts@example.com"),
            ("PHAROS_SMTP_TLS", "TLS"),
        ]))
        .expect("valid")
        .expect("configured");
        assert_eq!((tls.tls, tls.port), (SmtpTls::Tls, 465));
    }

    #[test]
    fn errors_name_the_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("PHAROS_SMTP_FROM", "a@example.com")], "PHAROS_SMTP_HOST"),
            (
                &[("PHAROS_SMTP_HOST", "smtp.example.com")],
                "PHAROS_SMTP_FROM",
            ),
            (
                &[
                    ("PHAROS_SMTP_HOST", "smtp.example.com"),
                    ("PHAROS_SMTP_FROM", "a@example.com"),
                    ("PHAROS_SMTP_PORT", "99999"),
                ],
                "PHAROS_SMTP_PORT",
            ),
            (
                &[
                    ("PHAROS_SMTP_HOST", "smtp.example.com"),
                    ("PHAROS_SMTP_FROM", "a@example.com"),
                    ("PHAROS_SMTP_TLS", "ssl"),
                ],
                "PHAROS_SMTP_TLS",
            ),
            (
                &[
                    ("PHAROS_SMTP_HOST", "smtp.example.com"),
                    ("PHAROS_SMTP_FROM", "a@example.com"),
                    ("PHAROS_SMTP_USERNAME", "u"),
                ],
                "PHAROS_SMTP_PASSWORD",
            ),
            (
                &[
                    ("PHAROS_SMTP_HOST", "smtp.example.com"),
                    ("PHAROS_SMTP_FROM", "not an address"),
                ],
                "PHAROS_SMTP_FROM",
            ),
            (
                &[
                    ("PHAROS_SMTP_HOST", "bad host"),
                    ("PHAROS_SMTP_FROM", "a@example.com"),
                ],
                "PHAROS_SMTP_HOST",
            ),
        ];
        for (vars, variable) in cases {
            let err = SmtpSettings::from_lookup(lookup(vars)).expect_err(variable);
            assert_eq!(err.variable, *variable, "{err}");
        }
    }
}
