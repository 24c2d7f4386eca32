//! Targets: what a user asks Pharos to watch, validated at the edge.

use url::{Host, Url};

use crate::address_policy::blocked_reason;
use crate::hostname::internal_name_reason;
use crate::validation::{reject_control_chars, reject_longer_than, ValidationError};

/// An http(s) URL that is safe to hand to the checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUrl(Url);

impl TargetUrl {
    pub const MAX_LEN: usize = 2048;
    const FIELD: &'static str = "url";

    /// Parses `raw` and judges the *parsed* host, never the string: the URL
    /// parser turns `0x7f.1`, `2130706433`, full-width digits and
    /// percent-encoding into the one address they mean.
    ///
    /// `allow_private` lifts the internal-name and blocked-range rules, for
    /// self-hosters watching their own network.
    pub fn parse(raw: &str, allow_private: bool) -> Result<Self, ValidationError> {
        let field = Self::FIELD;
        if raw.trim().is_empty() {
            return Err(ValidationError::new(field, "is required"));
        }
        if raw.len() > Self::MAX_LEN {
            return Err(ValidationError::new(
                field,
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        // URL parsers silently strip CR, LF and TAB; refuse them first.
        reject_control_chars(field, raw)?;
        if raw.trim() != raw {
            return Err(ValidationError::new(
                field,
                "must not start or end with spaces",
            ));
        }
        let url = Url::parse(raw)
            .map_err(|e| ValidationError::new(field, format!("is not a valid URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ValidationError::new(
                field,
                "only http and https are allowed",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ValidationError::new(
                field,
                "must not contain a user name or password",
            ));
        }
        let host = url
            .host()
            .ok_or_else(|| ValidationError::new(field, "must have a host"))?;
        if !allow_private {
            let refusal = match host {
                Host::Domain(name) => internal_name_reason(name),
                Host::Ipv4(ip) => blocked_reason(ip.into()),
                Host::Ipv6(ip) => blocked_reason(ip.into()),
            };
            if let Some(reason) = refusal {
                return Err(ValidationError::new(
                    field,
                    format!("the host is {reason}, which Pharos does not check"),
                ));
            }
        }
        if url.as_str().len() > Self::MAX_LEN {
            return Err(ValidationError::new(
                field,
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        Ok(Self(url))
    }

    /// Restores a URL that was validated before it was stored.
    pub fn from_trusted(url: Url) -> Self {
        Self(url)
    }

    pub fn as_url(&self) -> &Url {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// A host name or IP address (for TCP, ping, TLS and DNS-server checks),
/// judged like a URL's host: the parsed form, never the string.
pub fn check_host(
    field: &'static str,
    raw: &str,
    allow_private: bool,
) -> Result<(), ValidationError> {
    reject_control_chars(field, raw)?;
    if raw.trim().is_empty() {
        return Err(ValidationError::new(field, "is required"));
    }
    reject_longer_than(field, raw, 253)?;
    let bracketed = if raw.contains(':') && !raw.starts_with('[') {
        format!("[{raw}]")
    } else {
        raw.to_owned()
    };
    let host = Host::parse(&bracketed)
        .map_err(|e| ValidationError::new(field, format!("is not a valid host ({e})")))?;
    if allow_private {
        return Ok(());
    }
    let refusal = match &host {
        Host::Domain(name) => internal_name_reason(name),
        Host::Ipv4(ip) => blocked_reason((*ip).into()),
        Host::Ipv6(ip) => blocked_reason((*ip).into()),
    };
    match refusal {
        Some(reason) => Err(ValidationError::new(
            field,
            format!("the host is {reason}, which Pharos does not check"),
        )),
        None => Ok(()),
    }
}

/// An optional human name for a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetName(String);

impl TargetName {
    pub const MAX_LEN: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "name";
        reject_control_chars(FIELD, raw)?;
        let name = raw.trim();
        if name.is_empty() {
            return Err(ValidationError::new(
                FIELD,
                "must not be empty (omit it instead)",
            ));
        }
        reject_longer_than(FIELD, name, Self::MAX_LEN)?;
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Seconds between two checks of a target: from the instance's floor
/// (`PHAROS_MIN_INTERVAL_SECONDS`: 30 s unless the operator lowers it,
/// never under 10 s) to 24 h.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntervalSeconds(u32);

impl IntervalSeconds {
    /// The floor of an instance that sets none.
    pub const MIN: u32 = 30;
    /// The lowest floor an instance may set.
    pub const LOWEST: u32 = 10;
    pub const MAX: u32 = 86_400;
    pub const DEFAULT: Self = Self(300);

    /// An interval asked for, at least `floor` (the instance's).
    pub fn parse(raw: i64, floor: u32) -> Result<Self, ValidationError> {
        bounded(
            "interval_seconds",
            raw,
            floor.clamp(Self::LOWEST, Self::MAX),
            Self::MAX,
        )
        .map(Self)
    }

    /// An interval already stored: it stands even if the floor was
    /// raised since it was saved.
    pub fn stored(raw: i64) -> Result<Self, ValidationError> {
        Self::parse(raw, Self::LOWEST)
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// Seconds a check may take before it counts as timed out: 1 to 60.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutSeconds(u32);

impl TimeoutSeconds {
    pub const MIN: u32 = 1;
    pub const MAX: u32 = 60;
    pub const DEFAULT: Self = Self(10);

    pub fn parse(raw: i64) -> Result<Self, ValidationError> {
        bounded("timeout_seconds", raw, Self::MIN, Self::MAX).map(Self)
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

fn bounded(field: &'static str, raw: i64, min: u32, max: u32) -> Result<u32, ValidationError> {
    if raw < i64::from(min) || raw > i64::from(max) {
        return Err(ValidationError::new(
            field,
            format!("must be between {min} and {max}"),
        ));
    }
    // In range, so it fits.
    Ok(raw as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(raw: &str) -> String {
        match TargetUrl::parse(raw, false) {
            Ok(url) => panic!("{raw:?} was accepted as {}", url.as_str()),
            Err(e) => {
                assert_eq!(e.field, "url");
                e.message
            }
        }
    }

    #[test]
    fn public_urls_are_accepted() {
        for raw in [
            "https://example.com",
            "http://example.com:8080/health?x=1",
            "https://[2606:4700::1111]/",
            "https://8.8.8.8/",
        ] {
            assert!(TargetUrl::parse(raw, false).is_ok(), "{raw}");
        }
    }

    #[test]
    fn every_spelling_of_loopback_is_refused() {
        for raw in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://0x7f.1/",
            "http://0x7f000001/",
            "http://127.1/",
            "http://%31%32%37.0.0.1/",
            "http://\u{ff11}\u{ff12}\u{ff17}\u{ff0e}\u{ff10}\u{ff0e}\u{ff10}\u{ff0e}\u{ff11}/",
            "http://\u{2460}\u{2461}\u{2466}.0.0.\u{2460}/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://foo.localhost/",
        ] {
            refused(raw);
        }
    }

    #[test]
    fn internal_and_private_hosts_are_refused() {
        for raw in [
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://metadata.google.internal/",
            "http://printer.local/",
            "http://intranet/",
            "http://0.0.0.0/",
        ] {
            refused(raw);
        }
    }

    #[test]
    fn malformed_urls_are_refused_with_a_reason() {
        assert!(refused("ftp://example.com/").contains("http"));
        assert!(refused("javascript:alert(1)").contains("http"));
        assert!(refused("http://user:pass@example.com/").contains("user"));
        assert!(refused("http://exa\nmple.com/").contains("control"));
        assert!(refused("http://example.com/\t").contains("control"));
        assert!(refused("").contains("required"));
        assert!(refused("not a url").contains("valid URL"));
        assert!(refused(&format!("https://example.com/{}", "a".repeat(2100))).contains("2048"));
    }

    #[test]
    fn private_targets_can_be_allowed_explicitly() {
        assert!(TargetUrl::parse("http://127.0.0.1:8080/", true).is_ok());
        assert!(TargetUrl::parse("ftp://127.0.0.1/", true).is_err());
    }

    #[test]
    fn bare_hosts_are_judged_like_url_hosts() {
        assert!(check_host("host", "example.com", false).is_ok());
        assert!(check_host("host", "2606:4700::1111", false).is_ok());
        for raw in [
            "127.0.0.1",
            "0x7f.1",
            "2130706433",
            "::1",
            "[::ffff:10.0.0.1]",
            "localhost",
            "db",
            "169.254.169.254",
        ] {
            assert!(check_host("host", raw, false).is_err(), "{raw}");
        }
        assert!(check_host("host", "127.0.0.1", true).is_ok());
        assert!(check_host("host", "exa mple.com", true).is_err());
    }

    #[test]
    fn interval_and_timeout_bounds() {
        assert!(IntervalSeconds::parse(29, IntervalSeconds::MIN).is_err());
        assert!(IntervalSeconds::parse(30, IntervalSeconds::MIN).is_ok());
        assert!(IntervalSeconds::parse(86_401, IntervalSeconds::MIN).is_err());
        // An instance may lower its floor to 10 s, never below.
        assert!(IntervalSeconds::parse(10, 10).is_ok());
        assert!(IntervalSeconds::parse(9, 5).is_err());
        // A stored interval stands whatever the floor is now.
        assert!(IntervalSeconds::stored(10).is_ok());
        assert!(TimeoutSeconds::parse(0).is_err());
        assert!(TimeoutSeconds::parse(60).is_ok());
        assert!(TimeoutSeconds::parse(i64::MAX).is_err());
    }
}
