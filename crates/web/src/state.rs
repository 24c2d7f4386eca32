//! What every handler can reach.

use std::net::IpAddr;
use std::sync::Arc;

use pharos_storage::Store;

use crate::auth::rate_limit::RateLimits;
use crate::auth::SessionConfig;

/// Settings of the web layer, filled from the binary's configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub session: SessionConfig,
    pub limits: crate::auth::rate_limit::RateLimitSettings,
    /// Lifts the blocked-address rules on target URLs.
    pub allow_private_targets: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy
    /// that sets it).
    pub trust_forwarded_for: bool,
    /// The origin Pharos is served at, when known (`https://status.example`).
    pub public_origin: Option<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<WebConfig>,
    pub limits: Arc<RateLimits>,
    /// Renders Prometheus metrics at /metrics, when a recorder is installed.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Runs "check now" requests; `None` answers them 503.
    pub prober: Option<pharos_probes::Prober>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: WebConfig) -> Self {
        let limits = Arc::new(RateLimits::new(&config.limits));
        Self {
            store,
            config: Arc::new(config),
            limits,
            metrics: None,
            prober: None,
        }
    }

    pub fn with_metrics(
        mut self,
        handle: Option<metrics_exporter_prometheus::PrometheusHandle>,
    ) -> Self {
        self.metrics = handle;
        self
    }

    /// The prober "check now" runs with, under the workers' settings.
    pub fn with_prober(mut self, prober: Option<pharos_probes::Prober>) -> Self {
        self.prober = prober;
        self
    }
}

/// The address a request came from, as far as Pharos can trust it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);
