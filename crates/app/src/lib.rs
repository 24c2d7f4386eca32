//! What Pharos does for people and programs, independent of how they ask:
//! the JSON API (with a session or an API key), the HTML pages, `pharos
//! admin` and, later, agents all call these use cases, so they can never
//! disagree.
//!
//! Every use case takes an [`Actor`] (who acts, in which organization,
//! with which role) and answers with an [`AppError`] when it refuses.
//! Nothing here knows HTTP: the web layer maps errors to answers in one
//! place (`pharos_web::error`).

pub mod account_links;
pub mod accounts;
mod actor;
pub mod agents;
pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod badges;
pub mod channels;
pub mod custom_domains;
pub mod dashboard;
mod error;
pub mod events;
pub mod heartbeat;
pub mod incidents;
pub mod instance;
pub mod invitations;
pub mod labels;
pub mod live;
pub mod locations;
pub mod maintenance;
pub mod members;
pub mod organization;
pub mod passwords;
pub mod rate_limit;
pub mod sealing;
pub mod sessions;
pub mod status_pages;
pub mod subscribers;
pub mod targets;
pub mod tokens;
pub mod two_factor;

use std::sync::Arc;
use std::time::Duration;

use pharos_notify::transport::Transport;
use pharos_probes::Prober;
use pharos_storage::Store;

pub use actor::{Actor, Credential};
pub use error::{AppError, AppResult, Unavailable};
pub use rate_limit::{RateLimitSettings, RateLimits};
pub use sealing::Sealer;
pub use tokens::TokenHasher;

/// Settings the use cases follow, filled from the binary's configuration.
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// Lifts the blocked-address rules on target URLs and hosts.
    pub allow_private_targets: bool,
    /// A session unused this long ends.
    pub session_idle_timeout: Duration,
    /// A session ends this long after it began, used or not.
    pub session_absolute_timeout: Duration,
    pub limits: RateLimitSettings,
    /// The URL users reach Pharos at, for links in notifications and
    /// account mail.
    pub public_url: String,
    /// How long a password reset link works.
    pub password_reset_minutes: u32,
    /// Accounts must prove their address before adding channels or
    /// inviting anyone.
    pub require_email_verification: bool,
    /// How many failures in a row from one agent make its location down.
    pub agent_confirmation: pharos_domain::status::Confirmation,
    /// The shortest interval a target may ask for
    /// (`PHAROS_MIN_INTERVAL_SECONDS`).
    pub min_interval_seconds: u32,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            session_idle_timeout: Duration::from_secs(7 * 86_400),
            session_absolute_timeout: Duration::from_secs(30 * 86_400),
            limits: RateLimitSettings::default(),
            public_url: "http://localhost:8080".to_owned(),
            password_reset_minutes: 60,
            require_email_verification: false,
            agent_confirmation: pharos_domain::status::Confirmation::default(),
            min_interval_seconds: pharos_domain::target::IntervalSeconds::MIN,
        }
    }
}

/// Everything a use case can reach.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub settings: Arc<AppSettings>,
    pub limits: Arc<RateLimits>,
    /// Keys every stored token hash (sessions and API keys today;
    /// invitations, reset links and agent tokens later).
    pub tokens: Arc<TokenHasher>,
    /// Runs "check now"; `None` answers it as unavailable.
    pub prober: Option<Prober>,
    /// Seals channel secrets at rest, under a key derived from the
    /// instance secret.
    pub sealer: Arc<Sealer>,
    /// Delivers "Send test"; `None` answers it as unavailable.
    pub transport: Option<Arc<Transport>>,
    /// The shared pollers behind live dashboards (`live`).
    pub live: Arc<live::LiveHub>,
    /// What public badges show, briefly reused (see `badges`).
    pub badges: Arc<badges::BadgeCache>,
    /// The instance's public status, briefly reused (see `instance`).
    pub instance_status: Arc<instance::StatusCache>,
    /// Reads TXT records to verify custom domains (the system's DNS
    /// servers; tests give their own).
    pub txt: Arc<dyn pharos_probes::txt::TxtLookup>,
    /// Turns for agents' result pushes (`agents::CONCURRENT_PUSHES`).
    pub agent_pushes: Arc<tokio::sync::Semaphore>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, settings: AppSettings, secret: &[u8]) -> Self {
        let limits = Arc::new(RateLimits::new(&settings.limits));
        Self {
            store,
            settings: Arc::new(settings),
            limits,
            tokens: Arc::new(TokenHasher::new(secret)),
            prober: None,
            sealer: Arc::new(Sealer::new(secret)),
            transport: None,
            live: Arc::new(live::LiveHub::default()),
            badges: Arc::default(),
            instance_status: Arc::default(),
            txt: Arc::new(pharos_probes::txt::DnsTxt::system()),
            agent_pushes: Arc::new(tokio::sync::Semaphore::new(agents::CONCURRENT_PUSHES)),
        }
    }

    /// Live dashboards poll every `interval` (tests make it short).
    pub fn with_live_interval(mut self, interval: Duration) -> Self {
        self.live = Arc::new(live::LiveHub::new(interval));
        self
    }

    /// The transport "Send test" delivers with (the sender's settings).
    pub fn with_transport(mut self, transport: Option<Arc<Transport>>) -> Self {
        self.transport = transport;
        self
    }

    /// Where custom domains' TXT records are read.
    pub fn with_txt_lookup(mut self, txt: Arc<dyn pharos_probes::txt::TxtLookup>) -> Self {
        self.txt = txt;
        self
    }

    /// How many failures in a row from one agent make its location down.
    pub fn with_agent_confirmation(mut self, failures: u32) -> Self {
        let mut settings = (*self.settings).clone();
        settings.agent_confirmation = pharos_domain::status::Confirmation {
            failures_to_confirm: failures.max(1),
        };
        self.settings = Arc::new(settings);
        self
    }

    /// The shortest interval targets may ask for (10 s at the lowest).
    pub fn with_min_interval(mut self, seconds: u32) -> Self {
        let mut settings = (*self.settings).clone();
        settings.min_interval_seconds = seconds.clamp(
            pharos_domain::target::IntervalSeconds::LOWEST,
            pharos_domain::target::IntervalSeconds::MAX,
        );
        self.settings = Arc::new(settings);
        self
    }

    /// The prober "check now" runs with, under the workers' settings.
    pub fn with_prober(mut self, prober: Option<Prober>) -> Self {
        self.prober = prober;
        self
    }
}
