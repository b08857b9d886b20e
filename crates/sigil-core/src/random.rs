//! Randomness for secrets and identifiers, from the operating system's CSPRNG.

use crate::digest::b64url_encode;

/// Fills a fixed-size array with cryptographically secure random bytes.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    // The OS RNG failing is unrecoverable for an identity provider; there is no safe fallback.
    aws_lc_rs::rand::fill(&mut out).expect("operating system random number generator failed");
    out
}

/// A 256-bit secret as base64url (43 characters): codes, refresh tokens, session secrets,
/// client secrets.
pub fn secret_token() -> String {
    b64url_encode(bytes::<32>())
}

/// A 128-bit identifier as base64url (22 characters): jti, sid, interaction ids.
pub fn identifier() -> String {
    b64url_encode(bytes::<16>())
}

/// The consonant alphabet RFC 8628 §6.1 recommends for user codes: no vowels (no words),
/// no easily confused characters.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// An RFC 8628 user code: 8 characters from a 20-letter alphabet (≈ 34.5 bits), shown as
/// `XXXX-XXXX`.
pub fn user_code() -> String {
    let mut code = String::with_capacity(9);
    let mut i = 0;
    while code.len() < 9 {
        // Rejection sampling keeps the distribution uniform (240 = 12 × 20).
        let b = bytes::<1>()[0];
        if b >= 240 {
            continue;
        }
        if i == 4 {
            code.push('-');
        }
        code.push(USER_CODE_ALPHABET[usize::from(b % 20)] as char);
        i += 1;
    }
    code
}

/// Normalises what a user typed as a user code: upper-case, dashes and spaces dropped,
/// then re-grouped as `XXXX-XXXX`. `None` when it cannot be a code of ours.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let chars: Vec<char> = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if chars.len() != 8
        || !chars
            .iter()
            .all(|c| USER_CODE_ALPHABET.contains(&(*c as u8)))
    {
        return None;
    }
    let (a, b) = chars.split_at(4);
    Some(format!(
        "{}-{}",
        a.iter().collect::<String>(),
        b.iter().collect::<String>()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_and_distinct() {
        let a = secret_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, secret_token());
        assert_eq!(identifier().len(), 22);
    }

    #[test]
    fn user_codes_use_the_alphabet_and_normalise() {
        for _ in 0..200 {
            let code = user_code();
            assert_eq!(code.len(), 9);
            assert_eq!(normalize_user_code(&code).as_deref(), Some(code.as_str()));
            assert_eq!(
                normalize_user_code(&code.to_lowercase().replace('-', " ")).as_deref(),
                Some(code.as_str())
            );
        }
        assert_eq!(
            normalize_user_code("ABCD-EFGH"),
            None,
            "vowels are not in the alphabet"
        );
        assert_eq!(normalize_user_code("BCDF"), None);
    }
}
