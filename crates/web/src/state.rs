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

/// What every request reaches. It is cloned several times a request (each
/// layer given the state, each `State` extractor), so it is one `Arc`:
/// cloning the parts themselves (some thirty reference counts, and two
/// caches with channels inside) was half the CPU time of serving a cached
/// status page, every count bouncing between the cores.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// The parts of [`AppState`].
#[derive(Clone)]
pub struct SharedState {
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
        Self(Arc::new(SharedState {
            app,
            config: Arc::new(config),
            metrics: None,
            draining: Draining::default(),
            public: crate::public::snapshot::Snapshots::default(),
            custom_domains: Default::default(),
        }))
    }

    /// The parts, to change while the state is built (not yet shared, so
    /// nothing is copied).
    fn parts_mut(&mut self) -> &mut SharedState {
        Arc::make_mut(&mut self.0)
    }

    /// Changes the use cases' settings while the state is built.
    fn with_app(mut self, change: impl FnOnce(App) -> App) -> Self {
        let parts = self.parts_mut();
        parts.app = change(parts.app.clone());
        self
    }

    /// The flag the binary raises on SIGTERM.
    pub fn with_draining(mut self, draining: Draining) -> Self {
        self.parts_mut().draining = draining;
        self
    }

    pub fn with_metrics(
        mut self,
        handle: Option<metrics_exporter_prometheus::PrometheusHandle>,
    ) -> Self {
        self.parts_mut().metrics = handle;
        self
    }

    /// How many failures in a row from one agent make its location down.
    pub fn with_agent_confirmation(self, failures: u32) -> Self {
        self.with_app(|app| app.with_agent_confirmation(failures))
    }

    /// Where custom domains' TXT records are read (tests give their own
    /// DNS server).
    pub fn with_txt_lookup(self, txt: Arc<dyn pharos_probes::txt::TxtLookup>) -> Self {
        self.with_app(|app| app.with_txt_lookup(txt))
    }

    /// A page's custom domain changed: the public snapshot and the
    /// host-to-page cache are emptied, so the host is served (or no longer
    /// served) at once. The API and the dashboard page both call this.
    pub async fn custom_domain_changed(&self) {
        self.public.invalidate().await;
        self.custom_domains.invalidate_all();
    }

    /// The shortest interval targets may ask for.
    pub fn with_min_interval(self, seconds: u32) -> Self {
        self.with_app(|app| app.with_min_interval(seconds))
    }

    /// The prober "check now" runs with, under the workers' settings.
    pub fn with_prober(self, prober: Option<pharos_probes::Prober>) -> Self {
        self.with_app(|app| app.with_prober(prober))
    }

    /// The transport "Send test" delivers with.
    pub fn with_transport(
        self,
        transport: Option<Arc<pharos_notify::transport::Transport>>,
    ) -> Self {
        self.with_app(|app| app.with_transport(transport))
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.app.store
    }
}

/// The address a request came from, as far as Pharos can trust it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);
