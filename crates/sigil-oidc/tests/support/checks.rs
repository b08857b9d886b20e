//! Request builders and assertion helpers shared by the protocol tests.

use std::collections::HashMap;

use serde_json::{Value, json};
use sigil_core::model::SigningAlg;
use sigil_keys::{SigningKey, sign_compact};
use sigil_oidc::admin::NewClient;
use sigil_oidc::client_auth::JWT_BEARER_ASSERTION;
use sigil_oidc::{AuthorizeOutcome, ErrorCode, InteractionStep, OAuthError, Params};

use super::{ISSUER, LOGOUT_REDIRECT, REDIRECT};

/// The registration of the standard web client.
pub fn web_client_spec() -> NewClient {
    NewClient {
        name: "Web App".into(),
        redirect_uris: vec![REDIRECT.into()],
        post_logout_redirect_uris: vec![LOGOUT_REDIRECT.into()],
        ..NewClient::default()
    }
}

/// A new ES256 key for a client's `private_key_jwt`, with its public JWK Set.
pub fn client_key() -> (SigningKey, Value) {
    let (key, _) = SigningKey::generate(SigningAlg::ES256).expect("key generates");
    let jwks = json!({ "keys": [key.public_jwk()] });
    (key, jwks)
}

/// Signs a client assertion.
pub fn sign_assertion(key: &SigningKey, typ: &str, claims: &Value) -> String {
    sign_compact(key, typ, claims)
}

/// The form pairs carrying a client assertion.
pub fn assertion_pairs(assertion: &str) -> [(&'static str, String); 2] {
    [
        ("client_assertion_type", JWT_BEARER_ASSERTION.to_owned()),
        ("client_assertion", assertion.to_owned()),
    ]
}

/// A fresh PKCE verifier and its S256 challenge.
pub fn pkce_pair() -> (String, String) {
    let verifier = sigil_core::random::secret_token();
    let challenge = sigil_oidc::pkce::s256(&verifier);
    (verifier, challenge)
}

/// An authorization request, built up parameter by parameter.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pairs: Vec<(String, String)>,
    /// The PKCE verifier matching the request's challenge, if it has one.
    pub verifier: Option<String>,
}

impl AuthRequest {
    /// A valid OpenID Connect request of the standard web client: `response_type=code`,
    /// [`REDIRECT`], `openid profile email`, state `st-1`, nonce `n-1`, PKCE S256.
    pub fn new(client_id: &str) -> Self {
        let (verifier, challenge) = pkce_pair();
        let pairs = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("scope", "openid profile email"),
            ("state", "st-1"),
            ("nonce", "n-1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ];
        AuthRequest {
            pairs: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            verifier: Some(verifier),
        }
    }

    /// Sets (or adds) a parameter.
    pub fn set(mut self, name: &str, value: &str) -> Self {
        match self.pairs.iter_mut().find(|(n, _)| n == name) {
            Some(pair) => pair.1 = value.to_owned(),
            None => self.pairs.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// Drops a parameter.
    pub fn without(mut self, name: &str) -> Self {
        self.pairs.retain(|(n, _)| n != name);
        if name == "code_challenge" {
            self.verifier = None;
        }
        self
    }

    /// Drops PKCE altogether.
    pub fn without_pkce(self) -> Self {
        self.without("code_challenge")
            .without("code_challenge_method")
    }

    /// The request as parameters.
    pub fn params(&self) -> Params {
        Params::from_pairs(self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

/// The query parameters of a URL.
pub fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .expect("absolute URL")
        .query_pairs()
        .into_owned()
        .collect()
}

/// The redirect URL of an outcome; panics on anything else.
pub fn expect_redirect(outcome: AuthorizeOutcome) -> String {
    match outcome {
        AuthorizeOutcome::Redirect(url) => url,
        other => panic!("expected a redirect, got {other:?}"),
    }
}

/// The redirect of a finished interaction step; panics on anything else.
pub fn expect_done_redirect(step: InteractionStep) -> String {
    match step {
        InteractionStep::Done(outcome) => expect_redirect(outcome),
        other => panic!("expected the interaction to finish, got {other:?}"),
    }
}

/// The interaction id of an outcome; panics on anything else.
pub fn expect_interaction(outcome: AuthorizeOutcome) -> String {
    match outcome {
        AuthorizeOutcome::Interaction(id) => id,
        other => panic!("expected an interaction, got {other:?}"),
    }
}

/// The error of an error page; panics on anything else (above all on a redirect).
pub fn expect_error_page(outcome: AuthorizeOutcome) -> OAuthError {
    match outcome {
        AuthorizeOutcome::ErrorPage(e) => e,
        other => panic!("expected an error page, never a redirect; got {other:?}"),
    }
}

/// Asserts an error response at [`REDIRECT`] with `code`, the request's `state` (`st-1`) and
/// the issuer; returns its parameters.
pub fn expect_error_redirect(
    outcome: AuthorizeOutcome,
    code: ErrorCode,
) -> HashMap<String, String> {
    let url = expect_redirect(outcome);
    assert!(
        url.starts_with(REDIRECT),
        "error goes to the registered redirect URI: {url}"
    );
    let q = query(&url);
    assert_eq!(
        q.get("error").map(String::as_str),
        Some(code.as_str()),
        "in {url}"
    );
    assert_eq!(
        q.get("state").map(String::as_str),
        Some("st-1"),
        "state echoed in {url}"
    );
    assert_eq!(
        q.get("iss").map(String::as_str),
        Some(ISSUER),
        "iss (RFC 9207) in {url}"
    );
    assert!(!q.contains_key("code"), "no code with an error: {url}");
    q
}

/// Asserts a token endpoint error with `code`; returns it.
pub fn expect_err<T: std::fmt::Debug>(
    result: Result<T, OAuthError>,
    code: ErrorCode,
) -> OAuthError {
    match result {
        Err(e) => {
            assert_eq!(e.code, code, "unexpected error: {e}");
            e
        }
        Ok(v) => panic!("expected {}, got success: {v:?}", code.as_str()),
    }
}

/// A JWT's payload, not verified.
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&sigil_core::b64url_decode(payload).expect("base64url")).expect("json")
}

/// A JWT's header.
pub fn header(token: &str) -> Value {
    let h = token.split('.').next().expect("a JWT");
    serde_json::from_slice(&sigil_core::b64url_decode(h).expect("base64url")).expect("json")
}
