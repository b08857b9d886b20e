//! End users who sign in.

use serde::{Deserialize, Serialize};

use crate::{TenantId, UnixTime, UserId};

/// A user record. The password is only ever held as an argon2id PHC string.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Owning tenant.
    pub tenant: TenantId,
    /// Stable subject identifier (`sub`).
    pub id: UserId,
    /// Sign-in name as entered at creation (lookups use [`normalize_username`]).
    pub username: String,
    /// E-mail address, if known.
    pub email: Option<String>,
    /// Whether the e-mail address was verified.
    pub email_verified: bool,
    /// Full display name.
    pub name: Option<String>,
    /// argon2id PHC string; `None` for users who cannot sign in with a password.
    pub password_hash: Option<String>,
    /// Disabled users cannot sign in and their tokens stop working.
    pub disabled: bool,
    /// The identifier a provisioning client (an HR system over SCIM) knows the user by.
    pub external_id: Option<String>,
    /// Profile attributes beyond the columns above, as SCIM JSON (name parts, phone numbers,
    /// addresses, every e-mail address, the enterprise extension), kept as provisioned.
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Creation time.
    pub created_at: UnixTime,
    /// Last change to the profile (the `updated_at` claim).
    pub updated_at: UnixTime,
    /// Counts changes, starting at 1: the management API's ETag, and what an update expects
    /// so that two administrators never overwrite each other blindly.
    pub revision: i64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("tenant", &self.tenant)
            .field("id", &self.id)
            .field("username", &self.username)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// Why a username is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid username: {0}")]
pub struct UsernameError(pub &'static str);

/// Checks a username for creation: 1–128 characters, no control characters, no leading or
/// trailing whitespace.
pub fn validate_username(name: &str) -> Result<(), UsernameError> {
    if name.is_empty() || name.chars().count() > 128 {
        return Err(UsernameError("must be 1 to 128 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(UsernameError("must not contain control characters"));
    }
    if name.trim() != name {
        return Err(UsernameError("must not start or end with whitespace"));
    }
    Ok(())
}

/// The form usernames are looked up by: trimmed and lower-cased, so `Alice` and `alice`
/// are one account.
pub fn normalize_username(name: &str) -> String {
    name.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(validate_username("alice").is_ok());
        assert!(validate_username("alice@example.com").is_ok());
        assert!(validate_username(" alice").is_err());
        assert!(validate_username("al\nice").is_err());
        assert!(validate_username("").is_err());
        assert_eq!(normalize_username(" Alice "), "alice");
    }
}
