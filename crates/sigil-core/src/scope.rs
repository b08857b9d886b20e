//! OAuth scopes (RFC 6749 §3.3): `scope-token = 1*NQCHAR`, space-delimited, order-free.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One scope token.
pub type Scope = String;

/// A set of scope tokens, kept sorted so that equal sets print and compare identically.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(BTreeSet<Scope>);

/// Why a scope string is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed scope: {0}")]
pub struct ScopeError(pub &'static str);

fn is_nqchar(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e')
}

impl ScopeSet {
    /// Parses a space-delimited scope parameter. Repeated spaces are tolerated; any other
    /// character outside NQCHAR is refused.
    pub fn parse(text: &str) -> Result<Self, ScopeError> {
        if text.len() > 2000 {
            return Err(ScopeError("longer than 2000 characters"));
        }
        let mut set = BTreeSet::new();
        for token in text.split(' ').filter(|t| !t.is_empty()) {
            if !token.chars().all(is_nqchar) {
                return Err(ScopeError(
                    "a scope token contains a character outside NQCHAR",
                ));
            }
            set.insert(token.to_owned());
        }
        Ok(ScopeSet(set))
    }

    /// A set from known-good tokens.
    pub fn from_tokens<I, S>(tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ScopeSet(tokens.into_iter().map(Into::into).collect())
    }

    /// Whether the set holds `scope`.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    /// Whether every token of `self` is in `other`.
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The tokens of `self` that are also in `other`.
    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet(self.0.intersection(&other.0).cloned().collect())
    }

    /// The tokens of either set.
    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet(self.0.union(&other.0).cloned().collect())
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The tokens in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Adds a token.
    pub fn insert(&mut self, scope: impl Into<String>) {
        self.0.insert(scope.into());
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(s)?;
            first = false;
        }
        Ok(())
    }
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScopeSet({:?})", self.to_string())
    }
}

impl Serialize for ScopeSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ScopeSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ScopeSet::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sorts_and_dedups() {
        let s = ScopeSet::parse("profile openid  email openid").expect("valid");
        assert_eq!(s.to_string(), "email openid profile");
        assert!(s.contains("openid"));
        assert!(ScopeSet::parse("").expect("empty is valid").is_empty());
    }

    #[test]
    fn refuses_characters_outside_nqchar() {
        for bad in ["a\"b", "a\\b", "a\tb", "é"] {
            assert!(ScopeSet::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn set_operations() {
        let a = ScopeSet::parse("openid email").expect("valid");
        let b = ScopeSet::parse("openid email profile").expect("valid");
        assert!(a.is_subset(&b));
        assert!(!b.is_subset(&a));
        assert_eq!(b.intersection(&a), a);
        assert_eq!(a.union(&b), b);
    }
}
