//! Identifiers as validated newtypes: once a value has one of these types it has passed
//! its `parse`, so no code further in needs to re-check it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Why a text is not a valid identifier of some kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: {reason}")]
pub struct IdError {
    /// The identifier kind ("tenant id", "client id" …).
    pub kind: &'static str,
    /// What is wrong with it.
    pub reason: &'static str,
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Validates `text` as this kind of identifier.
            pub fn parse(text: &str) -> Result<Self, IdError> {
                let check: fn(&str) -> Result<(), &'static str> = $check;
                check(text).map_err(|reason| IdError { kind: $kind, reason })?;
                Ok(Self(text.to_owned()))
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

fn check_tenant(text: &str) -> Result<(), &'static str> {
    if text.is_empty() || text.len() > 63 {
        return Err("must be 1 to 63 characters");
    }
    if !text
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("only lower-case letters, digits and '-' are allowed");
    }
    if text.starts_with('-') || text.ends_with('-') {
        return Err("must not start or end with '-'");
    }
    Ok(())
}

/// RFC 6749 Appendix A: `client-id = *VSCHAR` (printable ASCII); we also bound the length
/// and refuse spaces so that ids survive Basic authentication and logs unambiguously.
fn check_client(text: &str) -> Result<(), &'static str> {
    if text.is_empty() || text.len() > 255 {
        return Err("must be 1 to 255 characters");
    }
    if !text.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err("only printable ASCII without spaces is allowed");
    }
    Ok(())
}

/// Subjects are opaque, stable, at most 255 ASCII characters (OpenID Connect Core §2).
fn check_opaque(text: &str) -> Result<(), &'static str> {
    if text.is_empty() || text.len() > 255 {
        return Err("must be 1 to 255 characters");
    }
    if !text.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err("only printable ASCII without spaces is allowed");
    }
    Ok(())
}

string_id!(
    /// A tenant: an isolated issuer with its own users, clients and keys.
    TenantId,
    "tenant id",
    check_tenant
);
string_id!(
    /// An OAuth client identifier.
    ClientId,
    "client id",
    check_client
);
string_id!(
    /// A user's stable subject identifier (`sub`).
    UserId,
    "user id",
    check_opaque
);
string_id!(
    /// A group of users.
    GroupId,
    "group id",
    check_opaque
);
string_id!(
    /// A session's public identifier (the `sid` claim); never the cookie secret.
    SessionId,
    "session id",
    check_opaque
);

impl TenantId {
    /// The tenant every deployment starts with.
    pub fn default_tenant() -> Self {
        TenantId("default".to_owned())
    }

    /// Whether this is the default tenant.
    pub fn is_default(&self) -> bool {
        self.0 == "default"
    }
}

impl UserId {
    /// A fresh random subject (a UUID v4).
    pub fn generate() -> Self {
        UserId(uuid::Uuid::new_v4().to_string())
    }
}

impl GroupId {
    /// A fresh random group id (a UUID v4).
    pub fn generate() -> Self {
        GroupId(uuid::Uuid::new_v4().to_string())
    }
}

impl ClientId {
    /// A fresh random client id.
    pub fn generate() -> Self {
        ClientId(crate::random::identifier())
    }
}

impl SessionId {
    /// A fresh random session id.
    pub fn generate() -> Self {
        SessionId(crate::random::identifier())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_dns_label_like() {
        assert!(TenantId::parse("default").is_ok());
        assert!(TenantId::parse("acme-eu-1").is_ok());
        for bad in ["", "-acme", "acme-", "Acme", "a b", "a/b", &"x".repeat(64)] {
            assert!(TenantId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn client_ids_are_visible_ascii() {
        assert!(ClientId::parse("s6BhdRkqt3").is_ok());
        assert!(ClientId::parse("my client").is_err());
        assert!(ClientId::parse("é").is_err());
        assert!(ClientId::parse("").is_err());
    }

    #[test]
    fn deserialising_validates() {
        assert!(serde_json::from_str::<TenantId>("\"BAD\"").is_err());
        let t: TenantId = serde_json::from_str("\"ok\"").expect("valid");
        assert_eq!(t.as_str(), "ok");
    }
}
