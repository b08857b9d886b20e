//! Sigil as an OpenID Connect relying party of an external provider: its discovery document
//! (whose `issuer` must be the configured one, OpenID Connect Discovery 1.0 §4.3), its keys
//! (fetched again for an unknown `kid`, at most every 30 s), the code exchange with PKCE, and
//! the ID token validated as OpenID Connect Core 1.0 §3.1.3.7 says. Outbound HTTP goes through
//! the provider's [`JwksFetcher`](crate::JwksFetcher), so its SSRF rules and limits apply.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Map, Value};
use sigil_keys::{DecodedJws, VerifyingJwk};

use super::DISCOVERY_SUFFIX;
use crate::provider::Provider;

/// Clock leeway between Sigil and a provider, seconds.
pub const LEEWAY: i64 = 60;
/// Metadata is read again after this long.
const METADATA_TTL: Duration = Duration::from_secs(300);
/// Keys are fetched again for an unknown `kid` at most this often.
const KEYS_REFRESH: Duration = Duration::from_secs(30);
/// Largest ID token read.
const MAX_ID_TOKEN: usize = 16 * 1024;

/// What Sigil reads of a provider's discovery document.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    /// The issuer identifier.
    pub issuer: String,
    /// Where users are sent to sign in.
    pub authorization_endpoint: String,
    /// Where codes are exchanged.
    pub token_endpoint: String,
    /// The signing keys.
    pub jwks_uri: String,
    /// Claims about the user, when the ID token lacks them.
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    /// RP-initiated logout.
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    /// RFC 9207: the provider puts `iss` in every authorization response.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// PKCE methods (S256 is sent whatever this says: a provider that ignores it loses
    /// nothing, and one that lists it without S256 is refused).
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
}

struct Entry {
    metadata: Arc<Metadata>,
    fetched: Instant,
    keys: Arc<Vec<VerifyingJwk>>,
    keys_fetched: Option<Instant>,
}

/// Providers' metadata and keys by issuer, shared by every tenant that trusts the issuer.
#[derive(Default)]
pub struct UpstreamCache(RwLock<HashMap<String, Entry>>);

/// Why the provider's side of a sign-in failed: for the log and audit trail, never shown
/// verbatim to the person signing in.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The provider could not be reached, or answered nonsense.
    #[error("the identity provider is unreachable: {0}")]
    Unreachable(String),
    /// The provider's answer is not acceptable (wrong issuer, refused code, bad ID token).
    #[error("{0}")]
    Refused(String),
}

/// The parts of an ID token's claims that are checked; the rest is kept as it is.
#[derive(Deserialize)]
struct Checked {
    iss: String,
    sub: String,
    aud: Audience,
    #[serde(default)]
    azp: Option<String>,
    exp: i64,
    iat: i64,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    auth_time: Option<i64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// What an ID token must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// `iss`.
    pub issuer: &'a str,
    /// In `aud`, and `azp` when there are several audiences.
    pub client_id: &'a str,
    /// `nonce`.
    pub nonce: &'a str,
    /// Now, seconds.
    pub now: i64,
    /// When set, `auth_time` must not be earlier (a fresh sign-in was asked for).
    pub authenticated_after: Option<i64>,
}

/// An ID token that passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedIdToken {
    /// `sub`.
    pub sub: String,
    /// `auth_time` (or `iat` when absent).
    pub auth_time: i64,
    /// Every claim.
    pub claims: Map<String, Value>,
}

/// Checks an ID token's claims (its signature already verified): `iss`, `aud`/`azp`, `exp`,
/// `iat`, `nonce`, `sub`, and `auth_time` when a fresh sign-in was asked for.
pub fn check_id_token_claims(
    claims: Map<String, Value>,
    expected: &Expected<'_>,
) -> Result<VerifiedIdToken, &'static str> {
    let checked: Checked = serde_json::from_value(Value::Object(claims.clone()))
        .map_err(|_| "the ID token lacks a required claim")?;
    let audiences: Vec<&str> = match &checked.aud {
        Audience::One(a) => vec![a.as_str()],
        Audience::Many(a) => a.iter().map(String::as_str).collect(),
    };
    let now = expected.now;
    let failures = [
        (checked.iss == expected.issuer, "iss is not the issuer"),
        (
            audiences.contains(&expected.client_id),
            "aud is not this client",
        ),
        (
            audiences.len() == 1 || checked.azp.as_deref() == Some(expected.client_id),
            "azp is not this client",
        ),
        (
            checked.azp.is_none() || checked.azp.as_deref() == Some(expected.client_id),
            "azp is not this client",
        ),
        (checked.exp > now - LEEWAY, "the ID token has expired"),
        (
            checked.iat <= now + LEEWAY,
            "the ID token is issued in the future",
        ),
        (
            checked.nonce.as_deref() == Some(expected.nonce),
            "the nonce does not match",
        ),
        (
            !checked.sub.is_empty() && checked.sub.len() <= 255,
            "sub is empty or too long",
        ),
    ];
    if let Some((_, why)) = failures.iter().find(|(ok, _)| !ok) {
        return Err(why);
    }
    let auth_time = checked.auth_time.unwrap_or(checked.iat);
    if expected
        .authenticated_after
        .is_some_and(|after| auth_time < after - LEEWAY)
    {
        return Err("the user was not authenticated again");
    }
    Ok(VerifiedIdToken {
        sub: checked.sub,
        auth_time,
        claims,
    })
}

/// The S256 PKCE challenge of a verifier (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    sigil_core::Digest32::of(verifier.as_bytes()).to_b64url()
}

impl Provider {
    /// The discovery document of `issuer`, from the cache while it is fresh.
    pub(crate) async fn upstream_metadata(
        &self,
        issuer: &str,
    ) -> Result<Arc<Metadata>, UpstreamError> {
        let cached = self.caches.upstreams.read(issuer, |e| {
            (e.fetched.elapsed() < METADATA_TTL).then(|| e.metadata.clone())
        });
        if let Some(metadata) = cached.flatten() {
            return Ok(metadata);
        }
        let url = format!("{issuer}{DISCOVERY_SUFFIX}");
        let document = self
            .jwks_fetcher
            .fetch(&url)
            .await
            .map_err(UpstreamError::Unreachable)?;
        let metadata: Metadata = serde_json::from_value(document)
            .map_err(|e| UpstreamError::Unreachable(format!("{url}: {e}")))?;
        if metadata.issuer != issuer {
            return Err(UpstreamError::Refused(format!(
                "the discovery document names issuer {} rather than {issuer}",
                metadata.issuer
            )));
        }
        if metadata
            .code_challenge_methods_supported
            .as_ref()
            .is_some_and(|m| !m.iter().any(|m| m == "S256"))
        {
            return Err(UpstreamError::Refused(
                "the provider does not support PKCE with S256".into(),
            ));
        }
        let metadata = Arc::new(metadata);
        self.caches
            .upstreams
            .store_metadata(issuer, metadata.clone());
        Ok(metadata)
    }

    /// Verifies an ID token's signature with `issuer`'s keys (fetched again once for a key
    /// not seen yet) and checks its claims.
    pub(crate) async fn verify_upstream_id_token(
        &self,
        metadata: &Metadata,
        token: &str,
        expected: &Expected<'_>,
    ) -> Result<VerifiedIdToken, UpstreamError> {
        let refused = |why: &str| UpstreamError::Refused(why.to_owned());
        let jws = DecodedJws::decode(token, MAX_ID_TOKEN)
            .map_err(|_| refused("the ID token is malformed"))?;
        let kid = jws.header.kid.as_deref();
        let mut verified = false;
        for attempt in 0..2 {
            let keys = self
                .caches
                .upstreams
                .read(&metadata.issuer, |e| e.keys.clone())
                .unwrap_or_default();
            if let Some(key) = keys.iter().find(|k| k.accepts(kid, jws.alg)) {
                jws.verify(&key.key)
                    .map_err(|_| refused("the ID token's signature is not valid"))?;
                verified = true;
                break;
            }
            if attempt == 0 && !self.refresh_upstream_keys(metadata).await? {
                break;
            }
        }
        if !verified {
            return Err(refused("the ID token is signed with an unknown key"));
        }
        let claims: Map<String, Value> = jws
            .claims()
            .map_err(|_| refused("the ID token's claims are malformed"))?;
        check_id_token_claims(claims, expected).map_err(refused)
    }

    /// Fetches `metadata`'s keys unless they were fetched moments ago; whether they were.
    async fn refresh_upstream_keys(&self, metadata: &Metadata) -> Result<bool, UpstreamError> {
        let recent = self
            .caches
            .upstreams
            .read(&metadata.issuer, |e| {
                e.keys_fetched.is_some_and(|at| at.elapsed() < KEYS_REFRESH)
            })
            .unwrap_or(false);
        if recent {
            return Ok(false);
        }
        let set = self
            .jwks_fetcher
            .fetch(&metadata.jwks_uri)
            .await
            .map_err(UpstreamError::Unreachable)?;
        self.caches
            .upstreams
            .store_keys(&metadata.issuer, VerifyingJwk::parse_set(&set));
        Ok(true)
    }

    /// Exchanges `code` at the provider's token endpoint (PKCE, and HTTP Basic client
    /// authentication when Sigil has a secret there); the token response.
    pub(crate) async fn redeem_upstream_code(
        &self,
        metadata: &Metadata,
        client: (&str, Option<&str>),
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<Map<String, Value>, UpstreamError> {
        let (client_id, secret) = client;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ];
        if secret.is_none() {
            form.push(("client_id", client_id));
        }
        let basic = secret.map(|s| (client_id, s));
        let (status, body) = self
            .jwks_fetcher
            .post_form(&metadata.token_endpoint, &form, basic)
            .await
            .map_err(UpstreamError::Unreachable)?;
        let Value::Object(body) = body else {
            return Err(UpstreamError::Unreachable(
                "the token response is not a JSON object".into(),
            ));
        };
        if status != 200 {
            let error = body.get("error").and_then(Value::as_str).unwrap_or("?");
            return Err(UpstreamError::Refused(format!(
                "the token endpoint answered {status} {error}"
            )));
        }
        Ok(body)
    }

    /// The provider's UserInfo claims for `access_token`, which must be about `sub`
    /// (OpenID Connect Core 1.0 §5.3.2).
    pub(crate) async fn upstream_userinfo(
        &self,
        metadata: &Metadata,
        access_token: &str,
        sub: &str,
    ) -> Result<Map<String, Value>, UpstreamError> {
        let Some(endpoint) = &metadata.userinfo_endpoint else {
            return Ok(Map::new());
        };
        let claims = self
            .jwks_fetcher
            .fetch_with_bearer(endpoint, access_token)
            .await
            .map_err(UpstreamError::Unreachable)?;
        let Value::Object(claims) = claims else {
            return Err(UpstreamError::Unreachable(
                "the UserInfo response is not a JSON object".into(),
            ));
        };
        if claims.get("sub").and_then(Value::as_str) != Some(sub) {
            return Err(UpstreamError::Refused(
                "the UserInfo response is about someone else".into(),
            ));
        }
        Ok(claims)
    }
}

impl UpstreamCache {
    fn read<T>(&self, issuer: &str, f: impl FnOnce(&Entry) -> T) -> Option<T> {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(issuer)
            .map(f)
    }

    fn store_metadata(&self, issuer: &str, metadata: Arc<Metadata>) {
        let mut map = self.0.write().unwrap_or_else(|p| p.into_inner());
        let (keys, keys_fetched) = map
            .remove(issuer)
            .map(|old| (old.keys, old.keys_fetched))
            .unwrap_or_default();
        let fetched = Instant::now();
        map.insert(
            issuer.to_owned(),
            Entry {
                metadata,
                fetched,
                keys,
                keys_fetched,
            },
        );
    }

    fn store_keys(&self, issuer: &str, keys: Vec<VerifyingJwk>) {
        let mut map = self.0.write().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = map.get_mut(issuer) {
            entry.keys = Arc::new(keys);
            entry.keys_fetched = Some(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(extra: Value) -> Map<String, Value> {
        let mut base = json!({
            "iss": "https://idp.example", "sub": "248289761001", "aud": "sigil",
            "exp": 1_000_600, "iat": 1_000_000, "nonce": "n-0S6_WzA2Mj",
        });
        if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
            b.extend(e);
        }
        match base {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    const EXPECTED: Expected<'static> = Expected {
        issuer: "https://idp.example",
        client_id: "sigil",
        nonce: "n-0S6_WzA2Mj",
        now: 1_000_100,
        authenticated_after: None,
    };

    #[test]
    fn a_valid_id_token_passes_and_keeps_its_claims() {
        let verified =
            check_id_token_claims(claims(json!({"email": "a@x"})), &EXPECTED).expect("valid");
        assert_eq!(verified.sub, "248289761001");
        assert_eq!(verified.auth_time, 1_000_000);
        assert_eq!(verified.claims["email"], "a@x");
    }

    #[test]
    fn each_failed_check_is_refused() {
        let cases = [
            (
                json!({"iss": "https://evil.example"}),
                "iss is not the issuer",
            ),
            (json!({"aud": "someone-else"}), "aud is not this client"),
            (json!({"aud": ["sigil", "other"]}), "azp is not this client"),
            (
                json!({"aud": ["sigil", "other"], "azp": "other"}),
                "azp is not this client",
            ),
            (json!({"exp": 1_000_000}), "the ID token has expired"),
            (
                json!({"iat": 1_000_500}),
                "the ID token is issued in the future",
            ),
            (json!({"nonce": "other"}), "the nonce does not match"),
            (json!({"sub": ""}), "sub is empty or too long"),
        ];
        for (extra, why) in cases {
            let got = check_id_token_claims(claims(extra.clone()), &EXPECTED);
            assert_eq!(got.err(), Some(why), "{extra}");
        }
        let mut no_nonce = claims(json!({}));
        no_nonce.remove("nonce");
        assert!(check_id_token_claims(no_nonce, &EXPECTED).is_err());
        let mut no_exp = claims(json!({}));
        no_exp.remove("exp");
        assert!(check_id_token_claims(no_exp, &EXPECTED).is_err());
    }

    #[test]
    fn a_fresh_sign_in_needs_a_recent_auth_time() {
        let fresh = Expected {
            authenticated_after: Some(1_000_090),
            ..EXPECTED
        };
        let old = claims(json!({"auth_time": 999_000}));
        assert!(check_id_token_claims(old, &fresh).is_err());
        let new = claims(json!({"auth_time": 1_000_080}));
        assert!(check_id_token_claims(new, &fresh).is_ok());
    }
}
