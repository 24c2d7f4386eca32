//! TLS: the handshake for HTTPS checks and the certificate check itself.
//!
//! Both go through a verifier that records the leaf certificate and what the
//! web PKI thinks of it, so a check with verification turned off (and the
//! certificate check, which must finish the handshake to read an expired
//! certificate) still reports expiry, issuer and name.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use pharos_domain::check::ErrorClass;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use serde::Serialize;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use url::Host;

use crate::outcome::{add_ms, Fail, Judged, Trace};
use crate::prober::{ProbeContext, SetupError};
use crate::{connector, guard};
use pharos_domain::check_spec::TlsCheck;

/// The crypto provider and trust roots, built once per prober.
pub(crate) struct TlsContext {
    provider: Arc<CryptoProvider>,
    webpki: Arc<WebPkiServerVerifier>,
}

impl TlsContext {
    pub fn new(extra_roots: &[Vec<u8>]) -> Result<Self, SetupError> {
        // ring, chosen explicitly: no process-wide default provider needed.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for der in extra_roots {
            roots
                .add(CertificateDer::from(der.clone()))
                .map_err(|e| SetupError::RootCertificate(e.to_string()))?;
        }
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| SetupError::RootCertificate(e.to_string()))?;
        Ok(Self { provider, webpki })
    }
}

/// The leaf certificate a server presented and the web PKI's verdict on it.
#[derive(Debug, Clone)]
struct Seen {
    leaf: CertificateDer<'static>,
    verdict: Result<(), rustls::Error>,
}

#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    /// Fail the handshake on an invalid certificate (HTTPS with
    /// verification on), or only record it.
    enforce: bool,
    seen: Mutex<Option<Seen>>,
}

impl RecordingVerifier {
    fn take(&self) -> Option<Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map(|_| ());
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(Seen {
            leaf: end_entity.clone().into_owned(),
            verdict: verdict.clone(),
        });
        match verdict {
            Err(e) if self.enforce => Err(e),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    // Handshake signatures are always checked: even an untrusted certificate
    // must belong to the server we are talking to.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// What a certificate says about itself and whether it is good for the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
    /// Whole days until `not_after`; negative once expired.
    pub days_left: Option<i64>,
    pub name_matches: bool,
    /// The web PKI (bundled roots plus any extra) accepted it.
    pub valid: bool,
    /// Why it is not valid, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

fn server_name(host: &Host<String>) -> Result<ServerName<'static>, Fail> {
    match host {
        Host::Domain(name) => ServerName::try_from(name.clone()).map_err(|_| {
            Fail::new(
                ErrorClass::Tls,
                format!("{name} is not a valid TLS server name"),
            )
        }),
        Host::Ipv4(ip) => Ok(ServerName::IpAddress(IpAddr::V4(*ip).into())),
        Host::Ipv6(ip) => Ok(ServerName::IpAddress(IpAddr::V6(*ip).into())),
    }
}

/// Runs the TLS handshake over `tcp`, recording the certificate in `trace`.
pub(crate) async fn handshake(
    ctx: &TlsContext,
    tcp: TcpStream,
    host: &Host<String>,
    enforce: bool,
    alpn: &[&[u8]],
    trace: &mut Trace,
) -> Result<TlsStream<TcpStream>, Fail> {
    let name = server_name(host)?;
    let verifier = Arc::new(RecordingVerifier {
        inner: ctx.webpki.clone(),
        enforce,
        seen: Mutex::new(None),
    });
    // A fresh config per connection: the verifier holds this connection's
    // certificate, and no session is resumed, so every check times a full
    // handshake.
    let mut config = ClientConfig::builder_with_provider(ctx.provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Fail::new(ErrorClass::Tls, format!("TLS setup failed: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let connector = TlsConnector::from(Arc::new(config));

    let started = Instant::now();
    let result = trace.within(connector.connect(name.clone(), tcp)).await;
    add_ms(&mut trace.timings.tls_ms, started.elapsed());

    let seen = verifier.take();
    let info = seen.as_ref().map(|s| inspect(s, &name, host));
    if let Some(info) = &info {
        trace.certificate_expires_at = info.not_after;
        trace.details.certificate = Some(info.clone());
    }
    match result {
        Some(Ok(stream)) => Ok(stream),
        None => Err(Fail::new(
            ErrorClass::Timeout,
            format!("TLS handshake with {host} timed out"),
        )),
        Some(Err(e)) => match info.and_then(|i| i.problem) {
            Some(problem) if enforce => Err(Fail::new(ErrorClass::Certificate, problem)),
            _ => Err(Fail::new(
                ErrorClass::Tls,
                format!("TLS handshake with {host} failed: {e}"),
            )),
        },
    }
}

fn inspect(seen: &Seen, name: &ServerName<'_>, host: &Host<String>) -> CertificateInfo {
    let parsed = x509_parser::parse_x509_certificate(seen.leaf.as_ref()).ok();
    let (subject, issuer, not_before, not_after) = match &parsed {
        Some((_, cert)) => (
            cert.subject().to_string(),
            cert.issuer().to_string(),
            DateTime::from_timestamp(cert.validity().not_before.timestamp(), 0),
            DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0),
        ),
        None => (String::new(), String::new(), None, None),
    };
    let days_left = not_after.map(|t| (t - Utc::now()).num_days());
    let name_matches = webpki::EndEntityCert::try_from(&seen.leaf)
        .and_then(|cert| cert.verify_is_valid_for_subject_name(name))
        .is_ok();
    let day = |t: Option<DateTime<Utc>>| {
        t.map_or_else(
            || "an unknown date".to_owned(),
            |t| t.format("%Y-%m-%d").to_string(),
        )
    };
    let mut problem = match &seen.verdict {
        Ok(()) => None,
        Err(rustls::Error::InvalidCertificate(e)) => Some(match e {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("certificate expired on {}", day(not_after))
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                format!("certificate is not valid before {}", day(not_before))
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!("certificate is not valid for {host}")
            }
            CertificateError::UnknownIssuer if subject == issuer => {
                format!("certificate is self-signed ({subject})")
            }
            CertificateError::UnknownIssuer => {
                format!("certificate is issued by an untrusted authority ({issuer})")
            }
            other => format!("certificate is invalid: {other:?}"),
        }),
        Err(other) => Some(format!("certificate is invalid: {other}")),
    };
    // Chain and date problems hide a wrong name; report both.
    if let Some(p) = &mut problem {
        if !name_matches && !p.contains("not valid for") {
            p.push_str(&format!("; it is also not valid for {host}"));
        }
    }
    CertificateInfo {
        subject,
        issuer,
        not_before,
        not_after,
        days_left,
        name_matches,
        valid: seen.verdict.is_ok(),
        problem,
    }
}

/// The certificate check: handshake, then judge the leaf certificate.
pub(crate) async fn check(ctx: &ProbeContext, spec: &TlsCheck, trace: &mut Trace) -> Judged {
    let host = pharos_domain::check_spec::parse_host(&spec.host)
        .map_err(|e| Fail::new(ErrorClass::Protocol, format!("invalid check: {e}")))?;
    let addrs = guard::resolve(ctx.resolver.as_ref(), &ctx.settings.policy, &host, trace).await?;
    let tcp = connector::connect(&addrs, spec.port, trace).await?;
    let _tls = handshake(&ctx.tls, tcp, &host, false, &[], trace).await?;
    let info = trace
        .details
        .certificate
        .clone()
        .ok_or_else(|| Fail::new(ErrorClass::Tls, "the server presented no certificate"))?;
    if let Some(problem) = info.problem {
        return Err(Fail::new(ErrorClass::Certificate, problem));
    }
    match info.days_left {
        Some(days) if days < i64::from(spec.warn_days) => Ok(Some(Fail::new(
            ErrorClass::Certificate,
            format!(
                "certificate expires in {days} days (on {}, issued by {})",
                info.not_after
                    .map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string()),
                info.issuer
            ),
        ))),
        Some(_) => Ok(None),
        None => Err(Fail::new(
            ErrorClass::Certificate,
            "the certificate's validity dates could not be read",
        )),
    }
}
