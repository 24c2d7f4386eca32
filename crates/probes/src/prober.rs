//! The entry point: one [`Prober`] runs checks of every kind.

use std::sync::Arc;
use std::time::Duration;

use pharos_domain::check::{CheckOutcome, ErrorClass};

use crate::outcome::{Fail, ProbeReport, Trace};
use crate::resolver::{Resolve, SystemResolver};
use crate::settings::ProbeSettings;
use crate::tls::TlsContext;
use crate::{dns, http, ping, tcp, tls};
use pharos_domain::check_spec::CheckSpec;

/// Time a check may overrun its timeout while it winds down.
pub const TIMEOUT_MARGIN: Duration = Duration::from_millis(500);

/// Why a prober could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("an extra root certificate is not usable: {0}")]
    RootCertificate(String),
}

/// What every check shares.
pub(crate) struct ProbeContext {
    pub settings: ProbeSettings,
    pub resolver: Arc<dyn Resolve>,
    pub tls: TlsContext,
}

/// Runs checks. Cheap to clone: clones share settings, resolver and roots.
#[derive(Clone)]
pub struct Prober {
    ctx: Arc<ProbeContext>,
}

impl std::fmt::Debug for Prober {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prober")
            .field("settings", &self.ctx.settings)
            .finish_non_exhaustive()
    }
}

impl Prober {
    /// A prober resolving names through the system's DNS configuration.
    pub fn new(settings: ProbeSettings) -> Result<Self, SetupError> {
        Self::with_resolver(settings, Arc::new(SystemResolver::new()))
    }

    /// A prober with its own resolver (tests use a [`crate::StaticResolver`]).
    pub fn with_resolver(
        settings: ProbeSettings,
        resolver: Arc<dyn Resolve>,
    ) -> Result<Self, SetupError> {
        let tls = TlsContext::new(&settings.extra_root_certs)?;
        Ok(Self {
            ctx: Arc::new(ProbeContext {
                settings,
                resolver,
                tls,
            }),
        })
    }

    pub fn settings(&self) -> &ProbeSettings {
        &self.ctx.settings
    }

    /// Runs one check. It ends within `timeout` plus [`TIMEOUT_MARGIN`]
    /// whatever the target does, and a failure is a down outcome, never an
    /// error.
    pub async fn run(&self, spec: &CheckSpec, timeout: Duration) -> CheckOutcome {
        self.run_detailed(spec, timeout).await.outcome
    }

    /// [`Prober::run`], with what the check saw on the way.
    pub async fn run_detailed(&self, spec: &CheckSpec, timeout: Duration) -> ProbeReport {
        let mut trace = Trace::start(timeout);
        if let Err(e) = spec.validate() {
            return trace.finish(Err(Fail::new(
                ErrorClass::Protocol,
                format!("invalid check: {e}"),
            )));
        }
        let ctx = self.ctx.as_ref();
        // Every phase already waits only until the trace's deadline; this
        // outer bound is the backstop for anything that does not.
        let backstop = trace.deadline + TIMEOUT_MARGIN;
        let judged = tokio::time::timeout_at(backstop, async {
            match spec {
                CheckSpec::Http(c) => http::check(ctx, c, &mut trace).await,
                CheckSpec::Tcp(c) => tcp::check(ctx, c, &mut trace).await,
                CheckSpec::Ping(c) => ping::check(ctx, c, &mut trace).await,
                CheckSpec::Dns(c) => dns::check(ctx, c, &mut trace).await,
                CheckSpec::Tls(c) => tls::check(ctx, c, &mut trace).await,
            }
        })
        .await
        .unwrap_or_else(|_| {
            Err(Fail::new(
                ErrorClass::Timeout,
                format!("check timed out after {} ms", timeout.as_millis()),
            ))
        });
        trace.finish(judged)
    }
}
