//! PKCE (RFC 7636) with S256 only: `plain` is refused, as OAuth 2.1 and RFC 9700 advise.

use sigil_core::{Digest32, b64url_encode};
use subtle::ConstantTimeEq;

use crate::error::OAuthError;

/// Checks a `code_challenge` at the authorization endpoint: S256 output is exactly 43
/// base64url characters.
pub fn validate_challenge(challenge: &str, method: Option<&str>) -> Result<(), OAuthError> {
    match method {
        Some("S256") => {}
        None => {
            return Err(OAuthError::invalid_request(
                "code_challenge_method must be S256",
            ));
        }
        Some("plain") => {
            return Err(OAuthError::invalid_request(
                "the plain PKCE method is not allowed; use S256",
            ));
        }
        Some(_) => {
            return Err(OAuthError::invalid_request(
                "unsupported code_challenge_method; use S256",
            ));
        }
    }
    if challenge.len() != 43 || !challenge.bytes().all(is_b64url) {
        return Err(OAuthError::invalid_request(
            "code_challenge must be a base64url SHA-256 value",
        ));
    }
    Ok(())
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// The S256 challenge of a verifier.
pub fn s256(verifier: &str) -> String {
    b64url_encode(Digest32::of(verifier.as_bytes()).0)
}

/// Checks a `code_verifier` against the stored challenge (RFC 7636 §4.6), in constant time.
pub fn verify(verifier: &str, challenge: &str) -> Result<(), OAuthError> {
    if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(is_unreserved) {
        return Err(OAuthError::invalid_grant("code_verifier is malformed"));
    }
    if bool::from(s256(verifier).as_bytes().ct_eq(challenge.as_bytes())) {
        Ok(())
    } else {
        Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/vectors/pkce-rfc7636/appendix_b_s256.json"
        ))
        .expect("vector");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        let verifier = v["code_verifier"].as_str().expect("verifier");
        let challenge = v["code_challenge"].as_str().expect("challenge");
        assert_eq!(s256(verifier), challenge);
        assert!(verify(verifier, challenge).is_ok());
        assert!(validate_challenge(challenge, Some("S256")).is_ok());
        let mut wrong = verifier.to_owned();
        wrong.replace_range(0..1, "e");
        assert!(verify(&wrong, challenge).is_err());
    }

    #[test]
    fn plain_and_malformed_refused() {
        let c = s256(&"a".repeat(43));
        assert!(validate_challenge(&c, Some("plain")).is_err());
        assert!(validate_challenge(&c, None).is_err());
        assert!(validate_challenge("short", Some("S256")).is_err());
        assert!(verify("short", &c).is_err());
        assert!(verify(&"a".repeat(129), &c).is_err());
        assert!(verify(&format!("{}!", "a".repeat(43)), &c).is_err());
    }
}
