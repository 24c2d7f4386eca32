//! Public status pages: the values an owner sets on a page (its slug, title,
//! theme, sections of targets under public names), the incidents and
//! announcements posted on it, and the rule that turns the shown targets'
//! states into the page's overall state. No I/O.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::TargetId;
use crate::status::TargetState;
use crate::validation::{reject_control_chars, reject_longer_than};
use crate::ValidationError;

/// A page's address part: `/status/<slug>`, unique on the instance.
/// Lowercase ASCII letters, digits and single hyphens, 2 to 64 characters,
/// starting and ending with a letter or digit, so it is safe in a URL and
/// in a host name label as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct StatusPageSlug(String);

impl StatusPageSlug {
    pub const MIN_LEN: usize = 2;
    pub const MAX_LEN: usize = 64;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let slug = raw.trim();
        if slug.is_empty() {
            return Err(ValidationError::new(field, "is required"));
        }
        if slug.len() < Self::MIN_LEN || slug.len() > Self::MAX_LEN {
            return Err(ValidationError::new(
                field,
                format!("must be {} to {} characters", Self::MIN_LEN, Self::MAX_LEN),
            ));
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if !slug.chars().all(allowed) {
            return Err(ValidationError::new(
                field,
                "may hold only lowercase letters, digits and hyphens",
            ));
        }
        if slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
            return Err(ValidationError::new(
                field,
                "must start and end with a letter or digit, with single hyphens between",
            ));
        }
        Ok(Self(slug.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StatusPageSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A one-line text shown publicly: a page's title, a section's name, a
/// target's public name, an incident's title. Trimmed, no control
/// characters, 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PublicText(String);

impl PublicText {
    pub const MAX_LEN: usize = 200;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        reject_control_chars(field, raw)?;
        let text = raw.trim();
        if text.is_empty() {
            return Err(ValidationError::new(field, "is required"));
        }
        reject_longer_than(field, text, Self::MAX_LEN)?;
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Longer public text: a page's description, an incident update's message.
/// Line breaks and tabs are kept; other control characters are refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PublicMessage(String);

impl PublicMessage {
    pub const MAX_LEN: usize = 5000;

    /// May be empty (a page without a description); see [`Self::parse_required`].
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        if raw
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(ValidationError::new(
                field,
                "must not contain control characters",
            ));
        }
        let text = raw.trim();
        reject_longer_than(field, text, Self::MAX_LEN)?;
        Ok(Self(text.to_owned()))
    }

    pub fn parse_required(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let message = Self::parse(field, raw)?;
        if message.0.is_empty() {
            return Err(ValidationError::new(field, "is required"));
        }
        Ok(message)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A logo's address: an absolute `https` (or `http`) URL without
/// credentials, at most 2048 characters. The page links it in an `<img>`;
/// nothing on the server fetches it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct LogoUrl(String);

impl LogoUrl {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        reject_control_chars(field, raw)?;
        let raw = raw.trim();
        reject_longer_than(field, raw, Self::MAX_LEN)?;
        let url = url::Url::parse(raw)
            .map_err(|_| ValidationError::new(field, "must be an absolute URL"))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
            return Err(ValidationError::new(field, "must be an http or https URL"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ValidationError::new(field, "must not carry credentials"));
        }
        Ok(Self(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw)
            }

            /// Parses `raw`, refusing on `field` with the allowed values.
            pub fn parse_field(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
                Self::parse(raw).ok_or_else(|| {
                    let names: Vec<_> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    ValidationError::new(field, format!("must be one of {}", names.join(", ")))
                })
            }
        }
    };
}

named_enum!(
    /// A page's colours.
    PageTheme { Light => "light", Dark => "dark" }
);

named_enum!(
    /// Where a posted incident stands, as status pages commonly say it.
    IncidentStatus {
        Investigating => "investigating",
        Identified => "identified",
        Monitoring => "monitoring",
        Resolved => "resolved",
    }
);

impl IncidentStatus {
    pub fn label(self) -> &'static str {
        match self {
            IncidentStatus::Investigating => "Investigating",
            IncidentStatus::Identified => "Identified",
            IncidentStatus::Monitoring => "Monitoring",
            IncidentStatus::Resolved => "Resolved",
        }
    }
}

named_enum!(
    /// What a post on a page is: an incident (something is wrong) or an
    /// announcement (news, planned work).
    PageIncidentKind { Incident => "incident", Announcement => "announcement" }
);

named_enum!(
    /// What a page says about everything it shows, in one line.
    OverallState {
        Operational => "operational",
        PartialOutage => "partial_outage",
        MajorOutage => "major_outage",
        UnderMaintenance => "under_maintenance",
    }
);

impl OverallState {
    /// The words the page shows.
    pub fn label(self) -> &'static str {
        match self {
            OverallState::Operational => "All systems operational",
            OverallState::PartialOutage => "Partial outage",
            OverallState::MajorOutage => "Major outage",
            OverallState::UnderMaintenance => "Under maintenance",
        }
    }
}

named_enum!(
    /// One target as a page shows it.
    ComponentState {
        Operational => "operational",
        Degraded => "degraded",
        Down => "down",
        Maintenance => "maintenance",
        /// Not checked yet, or paused: the page says it does not know.
        Unknown => "unknown",
    }
);

impl ComponentState {
    /// A target's shown state (paused already folded in) and whether a
    /// maintenance window holds it now. A held target is "maintenance"
    /// whatever its checks say: its failures are expected.
    pub fn of(shown: TargetState, in_maintenance: bool) -> Self {
        if in_maintenance {
            return ComponentState::Maintenance;
        }
        match shown {
            TargetState::Up => ComponentState::Operational,
            TargetState::Degraded => ComponentState::Degraded,
            TargetState::Down => ComponentState::Down,
            TargetState::Pending | TargetState::Paused => ComponentState::Unknown,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ComponentState::Operational => "Operational",
            ComponentState::Degraded => "Degraded performance",
            ComponentState::Down => "Outage",
            ComponentState::Maintenance => "Under maintenance",
            ComponentState::Unknown => "No data",
        }
    }

    /// The page's overall state from its targets' states:
    /// - every target that is not in maintenance or unknown is down (and
    ///   there is one): major outage;
    /// - some are down or degraded: partial outage;
    /// - none is down or degraded and some are in maintenance: under
    ///   maintenance;
    /// - otherwise (all operational, unknown, or no targets): operational.
    pub fn overall(states: impl IntoIterator<Item = ComponentState>) -> OverallState {
        let (mut judged, mut down, mut degraded, mut maintenance) =
            (0usize, 0usize, 0usize, 0usize);
        for state in states {
            match state {
                ComponentState::Operational => judged += 1,
                ComponentState::Degraded => {
                    judged += 1;
                    degraded += 1;
                }
                ComponentState::Down => {
                    judged += 1;
                    down += 1;
                }
                ComponentState::Maintenance => maintenance += 1,
                ComponentState::Unknown => {}
            }
        }
        if down > 0 && down == judged {
            OverallState::MajorOutage
        } else if down > 0 || degraded > 0 {
            OverallState::PartialOutage
        } else if maintenance > 0 {
            OverallState::UnderMaintenance
        } else {
            OverallState::Operational
        }
    }
}

/// One target placed on a page, under its own name unless given a public one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageEntry {
    pub target: TargetId,
    pub public_name: Option<PublicText>,
}

/// A named, ordered group of targets on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSection {
    pub name: PublicText,
    pub entries: Vec<PageEntry>,
}

/// Sections a page may have, and targets on one page: enough for large
/// pages, small enough that one page's snapshot stays cheap.
pub const MAX_SECTIONS: usize = 50;
pub const MAX_PAGE_TARGETS: usize = 1000;

/// Checks the sections as a whole: at most [`MAX_SECTIONS`] sections and
/// [`MAX_PAGE_TARGETS`] targets, and no target twice on one page (so
/// "which entry is this target" always has one answer). Returns the field
/// path of the first refusal with its message.
pub fn check_sections(sections: &[PageSection]) -> Result<(), (String, String)> {
    if sections.len() > MAX_SECTIONS {
        return Err((
            "sections".to_owned(),
            format!("at most {MAX_SECTIONS} sections"),
        ));
    }
    let total: usize = sections.iter().map(|s| s.entries.len()).sum();
    if total > MAX_PAGE_TARGETS {
        return Err((
            "sections".to_owned(),
            format!("at most {MAX_PAGE_TARGETS} targets on one page"),
        ));
    }
    let mut seen = HashSet::new();
    for (s, section) in sections.iter().enumerate() {
        for (e, entry) in section.entries.iter().enumerate() {
            if !seen.insert(entry.target) {
                return Err((
                    format!("sections[{s}].target_ids[{e}]"),
                    "this target is already on the page".to_owned(),
                ));
            }
        }
    }
    Ok(())
}

/// The name a page shows a target under: its public name on the page, else
/// the target's own name, else a neutral label. Never its address: that is
/// shown beside the name only when the page opts in.
pub fn shown_name(public_name: Option<&str>, target_name: Option<&str>) -> String {
    public_name
        .or(target_name)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("Unnamed service")
        .to_owned()
}

/// The title of the draft incident a confirmed outage opens.
pub fn auto_draft_title(shown_name: &str) -> String {
    format!("{shown_name}: outage")
}

/// Everything an owner sets on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPagePlan {
    pub title: PublicText,
    pub slug: StatusPageSlug,
    pub description: PublicMessage,
    pub logo_url: Option<LogoUrl>,
    pub theme: PageTheme,
    /// Show each target's address beside its name (off: never shown).
    pub show_target_urls: bool,
    /// A confirmed outage of a target on the page opens a draft incident.
    pub auto_draft_incidents: bool,
    pub sections: Vec<PageSection>,
}

/// An incident or announcement as first posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPageIncident {
    pub kind: PageIncidentKind,
    pub title: PublicText,
    pub status: IncidentStatus,
    /// Drafts are seen only in the dashboard, never on the public page.
    pub draft: bool,
    /// Targets of the page it affects (storage refuses any other).
    pub targets: Vec<TargetId>,
    /// The first update's message (an incident posted with none has none).
    pub message: Option<PublicMessage>,
}

/// A change to a posted incident; `None` keeps what is stored. A `status`
/// or a `message` adds an update to its timeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageIncidentChange {
    pub title: Option<PublicText>,
    pub status: Option<IncidentStatus>,
    pub draft: Option<bool>,
    pub targets: Option<Vec<TargetId>>,
    pub message: Option<PublicMessage>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_plain_lowercase_words() {
        for good in ["acme", "acme-status", "a1", "status-2026"] {
            assert_eq!(
                StatusPageSlug::parse("slug", good).expect(good).as_str(),
                good
            );
        }
        for bad in [
            "",
            "a",
            "Acme",
            "acme_status",
            "-acme",
            "acme-",
            "ac--me",
            "acmé",
            "a/b",
            "a b",
        ] {
            let err = StatusPageSlug::parse("slug", bad).expect_err(bad);
            assert_eq!(err.field, "slug");
        }
        assert!(StatusPageSlug::parse("slug", &"a".repeat(65)).is_err());
        assert!(StatusPageSlug::parse("slug", &"a".repeat(64)).is_ok());
    }

    #[test]
    fn public_texts_refuse_blank_long_and_control() {
        assert!(PublicText::parse("title", "  ").is_err());
        assert!(PublicText::parse("title", "a\u{7}b").is_err());
        assert!(PublicText::parse("title", &"x".repeat(201)).is_err());
        assert_eq!(
            PublicText::parse("title", " API ").expect("ok").as_str(),
            "API"
        );
        assert_eq!(
            PublicMessage::parse("description", "two\nlines")
                .expect("ok")
                .as_str(),
            "two\nlines"
        );
        assert!(PublicMessage::parse("description", "a\u{0}").is_err());
        assert!(PublicMessage::parse_required("message", " ").is_err());
    }

    #[test]
    fn logo_urls_are_web_addresses_without_credentials() {
        assert!(LogoUrl::parse("logo_url", "https://example.com/logo.svg").is_ok());
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "/logo.png",
            "https://user:pw@example.com/x.png",
            "ftp://example.com/x.png",
        ] {
            assert!(LogoUrl::parse("logo_url", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn overall_state_rules() {
        use ComponentState::*;
        let overall = |states: &[ComponentState]| ComponentState::overall(states.iter().copied());
        assert_eq!(overall(&[]), OverallState::Operational);
        assert_eq!(overall(&[Operational, Unknown]), OverallState::Operational);
        assert_eq!(overall(&[Operational, Down]), OverallState::PartialOutage);
        assert_eq!(
            overall(&[Operational, Degraded]),
            OverallState::PartialOutage
        );
        assert_eq!(overall(&[Down, Down]), OverallState::MajorOutage);
        assert_eq!(
            overall(&[Down, Maintenance, Unknown]),
            OverallState::MajorOutage
        );
        assert_eq!(overall(&[Down, Degraded]), OverallState::PartialOutage);
        assert_eq!(
            overall(&[Operational, Maintenance]),
            OverallState::UnderMaintenance
        );
        assert_eq!(
            overall(&[Degraded, Maintenance]),
            OverallState::PartialOutage
        );
        assert_eq!(overall(&[Unknown]), OverallState::Operational);
    }

    #[test]
    fn component_state_of_a_target() {
        assert_eq!(
            ComponentState::of(TargetState::Down, true),
            ComponentState::Maintenance
        );
        assert_eq!(
            ComponentState::of(TargetState::Down, false),
            ComponentState::Down
        );
        assert_eq!(
            ComponentState::of(TargetState::Paused, false),
            ComponentState::Unknown
        );
        assert_eq!(
            ComponentState::of(TargetState::Up, false),
            ComponentState::Operational
        );
    }

    #[test]
    fn a_target_is_on_a_page_once() {
        let t = TargetId::new();
        let section = |entries: Vec<PageEntry>| PageSection {
            name: PublicText::parse("name", "API").expect("name"),
            entries,
        };
        let entry = PageEntry {
            target: t,
            public_name: None,
        };
        assert!(check_sections(&[section(vec![entry.clone()])]).is_ok());
        let (field, _) = check_sections(&[section(vec![entry.clone()]), section(vec![entry])])
            .expect_err("twice");
        assert_eq!(field, "sections[1].target_ids[0]");
    }

    #[test]
    fn enums_round_trip() {
        for s in IncidentStatus::ALL {
            assert_eq!(IncidentStatus::parse(s.as_str()), Some(*s));
        }
        assert!(PageTheme::parse_field("theme", "blue").is_err());
        assert_eq!(
            PageIncidentKind::parse("announcement"),
            Some(PageIncidentKind::Announcement)
        );
    }
}
