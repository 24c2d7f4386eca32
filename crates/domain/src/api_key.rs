//! API keys: what a person names one. (The key's format and checksum live
//! with every other token in `pharos_app::tokens`.)

use crate::validation::{reject_control_chars, reject_longer_than, ValidationError};

/// What an API key is called in the organization's list ("deploy
/// script", "CI"), so people know which one to revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyName(String);

impl ApiKeyName {
    pub const MAX_LEN: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "name";
        reject_control_chars(FIELD, raw)?;
        let name = raw.trim();
        if name.is_empty() {
            return Err(ValidationError::new(FIELD, "must not be empty"));
        }
        reject_longer_than(FIELD, name, Self::MAX_LEN)?;
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(
            ApiKeyName::parse("  CI deploy ").map(|n| n.as_str().to_owned()),
            Ok("CI deploy".to_owned())
        );
        assert_eq!(ApiKeyName::parse(" ").map_err(|e| e.field), Err("name"));
        assert!(ApiKeyName::parse(&"é".repeat(ApiKeyName::MAX_LEN)).is_ok());
        assert!(ApiKeyName::parse(&"é".repeat(ApiKeyName::MAX_LEN + 1)).is_err());
        assert!(ApiKeyName::parse("a\nb").is_err());
    }
}
