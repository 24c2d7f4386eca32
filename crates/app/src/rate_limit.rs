//! Per-replica rate limits (GCRA, from `governor`), answered with 429 and
//! `Retry-After`. They slow guessing and floods; they are not a lockout.

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::error::{AppError, AppResult};

/// How many of each action are allowed per minute (with that many at once).
#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    pub logins_per_minute_per_client: u32,
    pub logins_per_minute_per_account: u32,
    pub registrations_per_hour_per_client: u32,
    pub target_creations_per_minute_per_organization: u32,
    /// "Check now" runs: each one makes Pharos send traffic.
    pub checks_now_per_minute_per_organization: u32,
    /// Password reset mails asked for, per client and per address.
    pub password_resets_per_hour_per_client: u32,
    pub password_resets_per_hour_per_account: u32,
    /// Reset links tried (new passwords set), per client.
    pub password_reset_uses_per_hour_per_client: u32,
    /// Verification mails asked for again, per account.
    pub verification_mails_per_hour_per_account: u32,
    /// Requests to the public routes (`/status/*`, `/badge/*`,
    /// `/api/public/*`) per client address (IPv6: per /64), apart from
    /// every dashboard limit.
    pub public_requests_per_minute_per_client: u32,
    /// Agent admission attempts (right secret or wrong), per client.
    pub agent_admissions_per_minute_per_client: u32,
    /// Agent requests (pulls, pushes, heartbeats), per agent.
    pub agent_requests_per_minute_per_agent: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            logins_per_minute_per_client: 20,
            logins_per_minute_per_account: 10,
            registrations_per_hour_per_client: 10,
            target_creations_per_minute_per_organization: 60,
            checks_now_per_minute_per_organization: 30,
            password_resets_per_hour_per_client: 10,
            password_resets_per_hour_per_account: 3,
            password_reset_uses_per_hour_per_client: 20,
            verification_mails_per_hour_per_account: 3,
            public_requests_per_minute_per_client: 600,
            agent_admissions_per_minute_per_client: 30,
            agent_requests_per_minute_per_agent: 600,
        }
    }
}

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

pub struct RateLimits {
    logins_by_client: Keyed<String>,
    logins_by_account: Keyed<String>,
    registrations_by_client: Keyed<String>,
    target_creations_by_organization: Keyed<uuid::Uuid>,
    checks_now_by_organization: Keyed<uuid::Uuid>,
    password_resets_by_client: Keyed<String>,
    password_resets_by_account: Keyed<String>,
    password_reset_uses_by_client: Keyed<String>,
    verification_mails_by_account: Keyed<uuid::Uuid>,
    public_by_client: Keyed<IpAddr>,
    agent_admissions_by_client: Keyed<String>,
    agent_requests_by_agent: Keyed<uuid::Uuid>,
}

fn per(count: u32, period: Duration) -> Quota {
    let count = NonZeroU32::new(count.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period / count.get())
        .unwrap_or_else(|| Quota::per_second(count))
        .allow_burst(count)
}

impl RateLimits {
    pub fn new(settings: &RateLimitSettings) -> Self {
        let minute = Duration::from_secs(60);
        let hour = Duration::from_secs(3600);
        Self {
            logins_by_client: RateLimiter::keyed(per(
                settings.logins_per_minute_per_client,
                minute,
            )),
            logins_by_account: RateLimiter::keyed(per(
                settings.logins_per_minute_per_account,
                minute,
            )),
            registrations_by_client: RateLimiter::keyed(per(
                settings.registrations_per_hour_per_client,
                hour,
            )),
            target_creations_by_organization: RateLimiter::keyed(per(
                settings.target_creations_per_minute_per_organization,
                minute,
            )),
            checks_now_by_organization: RateLimiter::keyed(per(
                settings.checks_now_per_minute_per_organization,
                minute,
            )),
            password_resets_by_client: RateLimiter::keyed(per(
                settings.password_resets_per_hour_per_client,
                hour,
            )),
            password_resets_by_account: RateLimiter::keyed(per(
                settings.password_resets_per_hour_per_account,
                hour,
            )),
            password_reset_uses_by_client: RateLimiter::keyed(per(
                settings.password_reset_uses_per_hour_per_client,
                hour,
            )),
            verification_mails_by_account: RateLimiter::keyed(per(
                settings.verification_mails_per_hour_per_account,
                hour,
            )),
            public_by_client: RateLimiter::keyed(per(
                settings.public_requests_per_minute_per_client,
                minute,
            )),
            agent_admissions_by_client: RateLimiter::keyed(per(
                settings.agent_admissions_per_minute_per_client,
                minute,
            )),
            agent_requests_by_agent: RateLimiter::keyed(per(
                settings.agent_requests_per_minute_per_agent,
                minute,
            )),
        }
    }

    pub fn login(&self, client: &str, account: &str) -> AppResult<()> {
        take(&self.logins_by_client, client.to_owned())?;
        take(&self.logins_by_account, account.to_owned())
    }

    pub fn registration(&self, client: &str) -> AppResult<()> {
        take(&self.registrations_by_client, client.to_owned())
    }

    pub fn target_creation(&self, organization: uuid::Uuid) -> AppResult<()> {
        take(&self.target_creations_by_organization, organization)
    }

    pub fn check_now(&self, organization: uuid::Uuid) -> AppResult<()> {
        take(&self.checks_now_by_organization, organization)
    }

    /// A reset mail asked for `account` (an address, whether or not it
    /// has an account, so the limit itself tells nothing).
    pub fn password_reset(&self, client: &str, account: &str) -> AppResult<()> {
        take(&self.password_resets_by_client, client.to_owned())?;
        take(&self.password_resets_by_account, account.to_owned())
    }

    pub fn password_reset_use(&self, client: &str) -> AppResult<()> {
        take(&self.password_reset_uses_by_client, client.to_owned())
    }

    pub fn verification_mail(&self, user: uuid::Uuid) -> AppResult<()> {
        take(&self.verification_mails_by_account, user)
    }

    /// One request to a public route from `client`. An IPv6 client is
    /// counted by its /64, the block one subscriber usually holds, so
    /// walking through its addresses gains nothing.
    pub fn public_request(&self, client: IpAddr) -> AppResult<()> {
        let key = match client {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let mut segments = v6.segments();
                    segments[4..].fill(0);
                    IpAddr::V6(Ipv6Addr::from(segments))
                }
            },
            v4 => v4,
        };
        take(&self.public_by_client, key)
    }

    pub fn agent_admission(&self, client: &str) -> AppResult<()> {
        take(&self.agent_admissions_by_client, client.to_owned())
    }

    pub fn agent_request(&self, agent: uuid::Uuid) -> AppResult<()> {
        take(&self.agent_requests_by_agent, agent)
    }

    /// Forgets keys that are back to full allowance, bounding memory.
    pub fn forget_idle_keys(&self) {
        self.logins_by_client.retain_recent();
        self.logins_by_account.retain_recent();
        self.registrations_by_client.retain_recent();
        self.target_creations_by_organization.retain_recent();
        self.checks_now_by_organization.retain_recent();
        self.password_resets_by_client.retain_recent();
        self.password_resets_by_account.retain_recent();
        self.password_reset_uses_by_client.retain_recent();
        self.verification_mails_by_account.retain_recent();
        self.public_by_client.retain_recent();
        self.agent_admissions_by_client.retain_recent();
        self.agent_requests_by_agent.retain_recent();
    }
}

fn take<K: Hash + Eq + Clone>(limiter: &Keyed<K>, key: K) -> AppResult<()> {
    limiter.check_key(&key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        AppError::RateLimited {
            retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_requests_are_counted_per_ipv6_block() {
        let limits = RateLimits::new(&RateLimitSettings {
            public_requests_per_minute_per_client: 2,
            ..RateLimitSettings::default()
        });
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        let elsewhere: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert!(limits.public_request(a).is_ok());
        assert!(limits.public_request(b).is_ok());
        assert!(matches!(
            limits.public_request(a),
            Err(AppError::RateLimited { .. })
        ));
        assert!(limits.public_request(elsewhere).is_ok());
    }
}
