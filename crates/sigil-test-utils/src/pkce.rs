//! PKCE pairs for tests.

/// A fresh verifier and its S256 challenge.
pub fn pair() -> (String, String) {
    let verifier = sigil_core::random::secret_token();
    let challenge = sigil_oidc::pkce::s256(&verifier);
    (verifier, challenge)
}
