//! Accounts: email addresses and passwords as they arrive from outside.

use crate::validation::{reject_control_chars, ValidationError};

/// A trimmed, lower-cased email address of a plausible shape. Compared
/// case-insensitively by construction: two spellings are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "email";
        reject_control_chars(FIELD, raw)?;
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(ValidationError::new(FIELD, "is required"));
        }
        if email.len() > Self::MAX_LEN {
            return Err(ValidationError::new(
                FIELD,
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err(ValidationError::new(
                FIELD,
                "must look like name@example.com",
            ));
        };
        let plausible = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !email.chars().any(char::is_whitespace)
            && !email.contains(['<', '>', '"', ',', ';', '(', ')', '[', ']', '\\']);
        if !plausible {
            return Err(ValidationError::new(
                FIELD,
                "must look like name@example.com",
            ));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password. Long enough to resist guessing, short enough that hashing
/// it cannot be used to burn CPU.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub const MIN_LEN: usize = 10;
    pub const MAX_LEN: usize = 256;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let len = raw.chars().count();
        if len < Self::MIN_LEN {
            return Err(ValidationError::new(
                field,
                format!("must be at least {} characters", Self::MIN_LEN),
            ));
        }
        if len > Self::MAX_LEN {
            return Err(ValidationError::new(
                field,
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        if raw.chars().any(|c| c.is_control()) {
            return Err(ValidationError::new(
                field,
                "must not contain control characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What a single-use link sent to an account's address is for. Each is
/// stored only as a keyed hash and expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountTokenPurpose {
    /// `<public URL>/reset-password?token=...`: sets a new password.
    PasswordReset,
    /// `<public URL>/verify-email?token=...`: proves the address.
    EmailVerification,
}

impl AccountTokenPurpose {
    pub const ALL: [AccountTokenPurpose; 2] = [
        AccountTokenPurpose::PasswordReset,
        AccountTokenPurpose::EmailVerification,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountTokenPurpose::PasswordReset => "password_reset",
            AccountTokenPurpose::EmailVerification => "email_verification",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lowercased() {
        let email = Email::parse("  Alice@Example.COM ").expect("valid");
        assert_eq!(email.as_str(), "alice@example.com");
    }

    #[test]
    fn bad_emails_are_refused() {
        for raw in [
            "",
            "   ",
            "alice",
            "alice@",
            "@example.com",
            "a b@example.com",
            "alice@example",
            "a@b.c\n",
            "<a>@example.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn passwords_have_bounds() {
        assert!(Password::parse("password", "short").is_err());
        assert!(Password::parse("password", &"x".repeat(257)).is_err());
        assert!(Password::parse("password", "correct horse battery").is_ok());
    }
}
