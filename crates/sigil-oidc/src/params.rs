//! Request parameters of OAuth endpoints (form bodies and query strings).
//!
//! RFC 6749 §3.1 and §3.2: parameters without a value are treated as omitted, and request
//! and response parameters must not be included more than once. Sizes are bounded so a hostile
//! request costs little.

use crate::error::OAuthError;

/// Most parameters any Sigil endpoint reads; more is refused.
pub const MAX_PARAMS: usize = 64;
/// Longest parameter value accepted (JWT client assertions and ID token hints fit easily).
pub const MAX_VALUE_LEN: usize = 16 * 1024;

/// Parsed, de-duplicated parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` bytes (a body or a query string).
    pub fn parse(input: &[u8]) -> Result<Self, OAuthError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, value) in form_urlencoded::parse(input) {
            if pairs.len() >= MAX_PARAMS {
                return Err(OAuthError::invalid_request("too many parameters"));
            }
            if name.len() > 128 || value.len() > MAX_VALUE_LEN {
                return Err(OAuthError::invalid_request("a parameter is too long"));
            }
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {} is repeated",
                    sanitize(&name)
                )));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        pairs.retain(|(_, v)| !v.is_empty());
        Ok(Params { pairs })
    }

    /// Builds parameters from known-good pairs (tests, internal callers).
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Params {
            pairs: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A required parameter, or `invalid_request` naming it.
    pub fn require(&self, name: &'static str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("the {name} parameter is missing")))
    }

    /// Whether a parameter is present.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The parameters as pairs, in request order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

/// Keeps error descriptions within the characters RFC 6749 allows (%x20-21 / %x23-5B / %x5D-7E)
/// and short.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .filter(|c| matches!(*c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e'))
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_and_drops_empty_values() {
        let p = Params::parse(b"a=1&b=&c=x%20y+z").expect("parses");
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None, "empty means omitted");
        assert_eq!(p.get("c"), Some("x y z"));
    }

    #[test]
    fn refuses_repeats_and_excess() {
        let err = Params::parse(b"scope=a&scope=b").expect_err("repeat");
        assert_eq!(err.code, crate::error::ErrorCode::InvalidRequest);
        assert!(err.description.contains("scope"));
        let many: String = (0..65).map(|i| format!("p{i}=1&")).collect();
        assert!(Params::parse(many.as_bytes()).is_err());
        let long = format!("a={}", "x".repeat(MAX_VALUE_LEN + 1));
        assert!(Params::parse(long.as_bytes()).is_err());
    }

    #[test]
    fn sanitize_keeps_descriptions_legal() {
        assert_eq!(sanitize("a\"b\\c\nd"), "abcd");
    }

    proptest! {
        #[test]
        fn never_panics(input in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = Params::parse(&input);
        }
    }
}
