use thiserror::Error;

/// A value from outside was refused. `field` names the input that was wrong,
/// so the web layer can point the user at it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// Refuses control characters, which never belong in names, emails or URLs
/// and which some parsers silently strip (hiding what was really sent).
pub fn reject_control_chars(field: &'static str, raw: &str) -> Result<(), ValidationError> {
    if raw.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Refuses a value longer than `max` characters.
pub fn reject_longer_than(
    field: &'static str,
    raw: &str,
    max: usize,
) -> Result<(), ValidationError> {
    if raw.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}
