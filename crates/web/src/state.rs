//! What every handler can reach: the use cases (`App`) and the web
//! layer's own settings.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use pharos_app::{App, AppSettings, RateLimitSettings};
use pharos_storage::Store;

use crate::auth::SessionConfig;

/// Settings of the web layer, filled from the binary's configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub session: SessionConfig,
    pub limits: RateLimitSettings,
    /// Lifts the blocked-address rules on target URLs.
    pub allow_private_targets: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy
    /// that sets it).
    pub trust_forwarded_for: bool,
    /// The origin Pharos is served at, when known (`https://status.example`).
    pub public_origin: Option<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Who may read /metrics on the web port.
    pub metrics_access: MetricsAccess,
    /// The base of links in account mail (`PHAROS_PUBLIC_URL`, else the
    /// address this server listens on); never a request's `Host`.
    pub link_base: Option<String>,
    /// How long a password reset link works.
    pub password_reset_minutes: u32,
    /// Accounts must prove their address before adding channels or
    /// inviting anyone.
    pub require_email_verification: bool,
}

/// Who may read `/metrics` on the web port.
#[derive(Clone, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Anyone who reaches the port (a private network, or a proxy that
    /// does not forward /metrics).
    Public,
    /// Only requests with `Authorization: Bearer <token>`.
    Token(String),
    /// Nobody here: metrics are served on their own listen address.
    Elsewhere,
}

impl std::fmt::Debug for MetricsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetricsAccess::Public => f.write_str("Public"),
            MetricsAccess::Token(_) => f.write_str("Token(***)"),
            MetricsAccess::Elsewhere => f.write_str("Elsewhere"),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    /// The use cases, which the API and the pages both call.
    pub app: App,
    pub config: Arc<WebConfig>,
    /// Renders Prometheus metrics at /metrics, when a recorder is installed.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Set when the process is told to stop: /readyz answers 503 so load
    /// balancers send new requests elsewhere while this one still serves.
    pub draining: Draining,
    /// The public status pages' shared snapshots (`public::snapshot`).
    pub public: crate::public::snapshot::Snapshots,
    /// Which custom domain is which page (`public::custom_domain`).
    pub custom_domains: crate::public::custom_domain::CustomDomains,
}

/// Whether this replica is on its way out (shared with the binary, which
/// sets it on SIGTERM).
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    pub fn start(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: WebConfig) -> Self {
        let settings = AppSettings {
            allow_private_targets: config.allow_private_targets,
            session_idle_timeout: config.session.idle_timeout,
            session_absolute_timeout: config.session.absolute_timeout,
            limits: config.limits.clone(),
            public_url: config
                .link_base
                .clone()
                .or_else(|| config.public_origin.clone())
                .unwrap_or_else(|| AppSettings::default().public_url),
            password_reset_minutes: config.password_reset_minutes,
            require_email_verification: config.require_email_verification,
            ..AppSettings::default()
        };
        let app = App::new(store, settings, &config.session.secret);
        Self {
            app,
            config: Arc::new(config),
            metrics: None,
            draining: Draining::default(),
            public: crate::public::snapshot::Snapshots::default(),
            custom_domains: Default::default(),
        }
    }

    /// The flag the binary raises on SIGTERM.
    pub fn with_draining(mut self, draining: Draining) -> Self {
        self.draining = draining;
        self
    }

    pub fn with_metrics(
        mut self,
        handle: Option<metrics_exporter_prometheus::PrometheusHandle>,
    ) -> Self {
        self.metrics = handle;
        self
    }

    /// How many failures in a row from one agent make its location down.
    pub fn with_agent_confirmation(mut self, failures: u32) -> Self {
        self.app = self.app.with_agent_confirmation(failures);
        self
    }

    /// A page's custom domain changed: the public snapshot and the
    /// host-to-page cache are emptied, so the host is served (or no longer
    /// served) at once. The API and the dashboard page both call this.
    pub async fn custom_domain_changed(&self) {
        self.public.invalidate().await;
        self.custom_domains.invalidate_all();
    }

    /// The shortest interval targets may ask for.
    pub fn with_min_interval(mut self, seconds: u32) -> Self {
        self.app = self.app.with_min_interval(seconds);
        self
    }

    /// The prober "check now" runs with, under the workers' settings.
    pub fn with_prober(mut self, prober: Option<pharos_probes::Prober>) -> Self {
        self.app = self.app.with_prober(prober);
        self
    }

    /// The transport "Send test" delivers with.
    pub fn with_transport(
        mut self,
        transport: Option<Arc<pharos_notify::transport::Transport>>,
    ) -> Self {
        self.app = self.app.with_transport(transport);
        self
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.app.store
    }
}

/// The address a request came from, as far as Pharos can trust it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);
