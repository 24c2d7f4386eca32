//! Checking one target from several locations: how many must agree before
//! the target is called down.
//!
//! Each location confirms its own failures (`status::apply` per
//! location); the target is down once a quorum of its locations is down,
//! and degraded while fewer are ("down from 1 of 3 locations").

use serde::{Deserialize, Serialize};

use crate::status::TargetState;
use crate::validation::ValidationError;

/// How many of a target's locations must report it down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quorum {
    Any,
    Majority,
    All,
    /// At least this many (1 or more).
    AtLeast(u32),
}

impl Quorum {
    /// The rule for a target that names none: majority with two or more
    /// locations (with one, majority is that one).
    pub const DEFAULT: Quorum = Quorum::Majority;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "quorum";
        match raw.trim() {
            "any" => Ok(Quorum::Any),
            "majority" => Ok(Quorum::Majority),
            "all" => Ok(Quorum::All),
            other => match other.parse::<u32>() {
                Ok(n) if n >= 1 => Ok(Quorum::AtLeast(n)),
                _ => Err(ValidationError::new(
                    FIELD,
                    "must be \"any\", \"majority\", \"all\" or a number of locations (1 or more)",
                )),
            },
        }
    }

    /// The stored and wire form.
    pub fn as_string(self) -> String {
        match self {
            Quorum::Any => "any".to_owned(),
            Quorum::Majority => "majority".to_owned(),
            Quorum::All => "all".to_owned(),
            Quorum::AtLeast(n) => n.to_string(),
        }
    }

    /// How many of `locations` must be down (at least 1, at most all).
    pub fn required(self, locations: u32) -> u32 {
        let locations = locations.max(1);
        let n = match self {
            Quorum::Any => 1,
            Quorum::Majority => locations / 2 + 1,
            Quorum::All => locations,
            Quorum::AtLeast(n) => n,
        };
        n.clamp(1, locations)
    }

    /// Refuses a number larger than the locations chosen.
    pub fn check_against(self, locations: usize) -> Result<(), ValidationError> {
        if let Quorum::AtLeast(n) = self {
            if n as usize > locations {
                return Err(ValidationError::new(
                    "quorum",
                    format!("cannot be more than the {locations} location(s) chosen"),
                ));
            }
        }
        Ok(())
    }
}

impl Serialize for Quorum {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Quorum::AtLeast(n) => s.serialize_u32(*n),
            other => s.serialize_str(&other.as_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Quorum {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u32),
            Text(String),
        }
        let parsed = match Raw::deserialize(d)? {
            Raw::Number(n) => Quorum::parse(&n.to_string()),
            Raw::Text(t) => Quorum::parse(&t),
        };
        parsed.map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// What the locations say together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdicts {
    pub state: TargetState,
    /// Locations whose own state is down.
    pub down: u32,
    pub locations: u32,
}

impl Verdicts {
    /// "down from 1 of 3 locations", for a target short of its quorum.
    pub fn describe(&self) -> Option<String> {
        (self.down > 0 && self.locations > 1)
            .then(|| format!("down from {} of {} locations", self.down, self.locations))
    }
}

/// The target's state from its locations' own states. Down at quorum;
/// degraded when some (but too few) are down, or any is degraded; up when
/// every location that has reported is up; pending until one reports.
pub fn combine(states: &[TargetState], quorum: Quorum) -> Verdicts {
    let locations = u32::try_from(states.len()).unwrap_or(u32::MAX);
    let count = |s: TargetState| {
        u32::try_from(states.iter().filter(|&&x| x == s).count()).unwrap_or(u32::MAX)
    };
    let down = count(TargetState::Down);
    let state = if down >= quorum.required(locations) && down > 0 {
        TargetState::Down
    } else if down > 0 || count(TargetState::Degraded) > 0 {
        TargetState::Degraded
    } else if count(TargetState::Up) > 0 {
        TargetState::Up
    } else {
        TargetState::Pending
    };
    Verdicts {
        state,
        down,
        locations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TargetState::*;

    #[test]
    fn one_of_three_is_degraded_two_of_three_is_down_by_majority() {
        assert_eq!(combine(&[Down, Up, Up], Quorum::Majority).state, Degraded);
        assert_eq!(
            combine(&[Down, Up, Up], Quorum::Majority).describe(),
            Some("down from 1 of 3 locations".to_owned())
        );
        assert_eq!(combine(&[Down, Down, Up], Quorum::Majority).state, Down);
        assert_eq!(combine(&[Up, Up, Up], Quorum::Majority).state, Up);
        assert_eq!(combine(&[Down, Up], Quorum::Majority).state, Degraded);
        assert_eq!(combine(&[Down], Quorum::Majority).state, Down);
    }

    #[test]
    fn any_all_and_numbers() {
        assert_eq!(combine(&[Down, Up, Up], Quorum::Any).state, Down);
        assert_eq!(combine(&[Down, Down, Up], Quorum::All).state, Degraded);
        assert_eq!(combine(&[Down, Down, Down], Quorum::All).state, Down);
        assert_eq!(combine(&[Down, Down, Up], Quorum::AtLeast(2)).state, Down);
        // A number above the locations left (an agent removed) means all.
        assert_eq!(combine(&[Down, Down], Quorum::AtLeast(3)).state, Down);
        assert_eq!(combine(&[Pending, Pending], Quorum::Any).state, Pending);
        assert_eq!(combine(&[Pending, Up], Quorum::Any).state, Up);
    }

    #[test]
    fn quorum_parses_words_and_numbers() {
        assert_eq!(Quorum::parse("any"), Ok(Quorum::Any));
        assert_eq!(Quorum::parse("2"), Ok(Quorum::AtLeast(2)));
        assert!(Quorum::parse("0").is_err());
        assert!(Quorum::parse("most").is_err());
        let q: Quorum = serde_json::from_str("3").expect("number");
        assert_eq!(q, Quorum::AtLeast(3));
        let q: Quorum = serde_json::from_str("\"all\"").expect("word");
        assert_eq!(q, Quorum::All);
        assert_eq!(
            serde_json::to_string(&Quorum::AtLeast(2)).ok().as_deref(),
            Some("2")
        );
        assert!(Quorum::AtLeast(4).check_against(3).is_err());
    }
}
