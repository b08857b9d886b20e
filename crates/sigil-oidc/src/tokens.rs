//! The claims of the JWTs Sigil issues: RFC 9068 access tokens and OpenID Connect ID tokens,
//! and the user claims released per scope (OpenID Connect Core §5.4).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sigil_core::model::{SigningAlg, User};
use sigil_core::{ScopeSet, b64url_encode};

/// `typ` of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// `typ` of ID tokens.
pub const ID_TOKEN_TYP: &str = "JWT";

/// One audience or several; serialised as a string when there is one (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl Audience {
    /// Builds from a list (one element becomes [`Audience::One`]).
    pub fn from_list(mut list: Vec<String>) -> Self {
        if list.len() == 1 {
            Audience::One(list.remove(0))
        } else {
            Audience::Many(list)
        }
    }

    /// Whether `aud` is among the audiences.
    pub fn contains(&self, aud: &str) -> bool {
        match self {
            Audience::One(a) => a == aud,
            Audience::Many(v) => v.iter().any(|a| a == aud),
        }
    }

    /// The audiences as a list.
    pub fn to_list(&self) -> Vec<String> {
        match self {
            Audience::One(a) => vec![a.clone()],
            Audience::Many(v) => v.clone(),
        }
    }
}

/// RFC 9068 access token claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// Issuer.
    pub iss: String,
    /// Expiry.
    pub exp: i64,
    /// Audience: the resource server(s).
    pub aud: Audience,
    /// The user's subject, or the client id for client credentials.
    pub sub: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Issued at.
    pub iat: i64,
    /// Unique id (revocation list key).
    pub jti: String,
    /// Granted scopes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// When the user authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// Authentication context class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// Authentication methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
}

impl AccessTokenClaims {
    /// Whether the token was issued to a user (not to a client for itself).
    pub fn is_user_token(&self) -> bool {
        self.auth_time.is_some()
    }
}

/// ID token claims (OpenID Connect Core §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    /// Issuer.
    pub iss: String,
    /// Subject.
    pub sub: String,
    /// The client.
    pub aud: String,
    /// Expiry.
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// When the user authenticated.
    pub auth_time: i64,
    /// The request's nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Authentication context class.
    pub acr: String,
    /// Authentication methods.
    pub amr: Vec<String>,
    /// Session id (for logout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Authorized party.
    pub azp: String,
    /// Access token hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// Profile and e-mail claims.
    #[serde(flatten)]
    pub user_claims: Map<String, Value>,
}

/// `at_hash` / `c_hash`: the left half of the hash of the value, base64url. The hash is
/// SHA-256 for RS256 and ES256, SHA-512 for Ed25519 (OpenID Connect Core errata).
pub fn half_hash(alg: SigningAlg, value: &str) -> String {
    use aws_lc_rs::digest::{SHA256, SHA512, digest};
    let algorithm = match alg {
        SigningAlg::RS256 | SigningAlg::ES256 => &SHA256,
        SigningAlg::EdDSA => &SHA512,
    };
    let d = digest(algorithm, value.as_bytes());
    let bytes = d.as_ref();
    b64url_encode(&bytes[..bytes.len() / 2])
}

/// The claims about `user` that `scopes` release.
pub fn user_claims(user: &User, scopes: &ScopeSet) -> Map<String, Value> {
    let mut claims = Map::new();
    if scopes.contains("profile") {
        claims.insert(
            "preferred_username".into(),
            Value::String(user.username.clone()),
        );
        if let Some(name) = &user.name {
            claims.insert("name".into(), Value::String(name.clone()));
        }
        claims.insert("updated_at".into(), Value::from(user.updated_at.0));
    }
    if scopes.contains("email")
        && let Some(email) = &user.email
    {
        claims.insert("email".into(), Value::String(email.clone()));
        claims.insert("email_verified".into(), Value::Bool(user.email_verified));
    }
    claims
}

/// Claims `claims_supported` advertises.
pub const CLAIMS_SUPPORTED: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "sid",
    "azp",
    "at_hash",
    "name",
    "preferred_username",
    "updated_at",
    "email",
    "email_verified",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oidc_core_appendix_a_hashes() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/vectors/oidc-core/at_hash_c_hash.json"
        ))
        .expect("vector");
        let v: Value = serde_json::from_str(&text).expect("json");
        for case in v["at_hash"].as_array().expect("list") {
            let token = case["access_token"].as_str().expect("token");
            assert_eq!(
                half_hash(SigningAlg::RS256, token),
                case["at_hash"].as_str().expect("hash")
            );
            let mut changed = token.to_owned();
            changed.push('x');
            assert_ne!(
                half_hash(SigningAlg::RS256, &changed),
                case["at_hash"].as_str().expect("hash")
            );
        }
        for case in v["c_hash"].as_array().expect("list") {
            let code = case["code"].as_str().expect("code");
            assert_eq!(
                half_hash(SigningAlg::RS256, code),
                case["c_hash"].as_str().expect("hash")
            );
        }
        assert_eq!(
            half_hash(SigningAlg::EdDSA, "x").len(),
            43,
            "SHA-512 half is 32 bytes"
        );
    }

    #[test]
    fn audience_serialises_as_string_or_list() {
        assert_eq!(
            serde_json::to_string(&Audience::from_list(vec!["a".into()])).expect("json"),
            "\"a\""
        );
        let many = Audience::from_list(vec!["a".into(), "b".into()]);
        assert_eq!(serde_json::to_string(&many).expect("json"), "[\"a\",\"b\"]");
        assert!(many.contains("b"));
        let parsed: Audience = serde_json::from_str("\"x\"").expect("parses");
        assert!(parsed.contains("x"));
    }
}
