//! How an organization sorts its targets: tags (any number a target, each
//! with a colour) and groups (at most one a target; the dashboard folds
//! them and shows their worst state).

use std::fmt;

use crate::status::TargetState;
use crate::validation::{reject_control_chars, reject_longer_than, ValidationError};

/// A tag's name: 1 to 40 characters, trimmed, no control characters.
/// Unique in its organization whatever the letter case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagName(String);

impl TagName {
    pub const MAX_LEN: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        label("name", raw, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A group's name: 1 to 80 characters, trimmed, no control characters.
/// Unique in its organization whatever the letter case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName(String);

impl GroupName {
    pub const MAX_LEN: usize = 80;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        label("name", raw, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn label(field: &'static str, raw: &str, max: usize) -> Result<String, ValidationError> {
    reject_control_chars(field, raw)?;
    let name = raw.trim();
    if name.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    reject_longer_than(field, name, max)?;
    Ok(name.to_owned())
}

/// A tag's colour, from a fixed palette rather than any `#rrggbb`: every
/// palette colour has a light and a dark shade whose text passes WCAG AA
/// contrast in both themes, and a class name the stylesheet knows, so no
/// inline style (which the CSP forbids) is ever needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TagColor {
    Grey,
    Red,
    Orange,
    Yellow,
    Green,
    Teal,
    Blue,
    Purple,
    Pink,
}

impl TagColor {
    pub const ALL: [TagColor; 9] = [
        TagColor::Grey,
        TagColor::Red,
        TagColor::Orange,
        TagColor::Yellow,
        TagColor::Green,
        TagColor::Teal,
        TagColor::Blue,
        TagColor::Purple,
        TagColor::Pink,
    ];

    pub const DEFAULT: TagColor = TagColor::Grey;

    pub fn as_str(self) -> &'static str {
        match self {
            TagColor::Grey => "grey",
            TagColor::Red => "red",
            TagColor::Orange => "orange",
            TagColor::Yellow => "yellow",
            TagColor::Green => "green",
            TagColor::Teal => "teal",
            TagColor::Blue => "blue",
            TagColor::Purple => "purple",
            TagColor::Pink => "pink",
        }
    }

    /// The colour a stored or submitted name stands for.
    pub fn from_name(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }

    /// Parses a submitted colour, naming `field` when it is none of the
    /// palette's.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        Self::from_name(raw.trim()).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
            ValidationError::new(field, format!("must be one of {}", names.join(", ")))
        })
    }
}

impl fmt::Display for TagColor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// "Worst first": the order the dashboard lists targets and groups in,
/// down before degraded before pending before up, paused last. Storage
/// sorts by the same rank (`rows::SEVERITY_SQL`), which a test pins to
/// this function.
pub fn severity(state: TargetState) -> u8 {
    match state {
        TargetState::Down => 0,
        TargetState::Degraded => 1,
        TargetState::Pending => 2,
        TargetState::Up => 3,
        TargetState::Paused => 4,
    }
}

/// The state a group shows: the worst of its targets' shown states;
/// `None` for an empty group.
pub fn worst_state(states: impl IntoIterator<Item = TargetState>) -> Option<TargetState> {
    states.into_iter().min_by_key(|s| severity(*s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(
            TagName::parse("  prod ").map(|n| n.0),
            Ok("prod".to_owned())
        );
        assert_eq!(TagName::parse(" ").map_err(|e| e.field), Err("name"));
        assert!(TagName::parse(&"x".repeat(41)).is_err());
        assert!(TagName::parse(&"é".repeat(40)).is_ok());
        assert!(GroupName::parse("a\u{7}b").is_err());
        assert!(GroupName::parse(&"g".repeat(80)).is_ok());
        assert!(GroupName::parse(&"g".repeat(81)).is_err());
    }

    #[test]
    fn colours_come_from_the_palette() {
        for c in TagColor::ALL {
            assert_eq!(TagColor::parse("color", c.as_str()), Ok(c));
        }
        let refused = TagColor::parse("color", "#ff0000");
        assert_eq!(refused.map_err(|e| e.field), Err("color"));
        assert!(TagColor::parse("color", "Red").is_err());
    }

    #[test]
    fn the_worst_state_wins() {
        use TargetState::*;
        assert_eq!(worst_state([Up, Paused, Degraded, Up]), Some(Degraded));
        assert_eq!(worst_state([Up, Down, Pending]), Some(Down));
        assert_eq!(worst_state([Paused]), Some(Paused));
        assert_eq!(worst_state([]), None);
    }
}
