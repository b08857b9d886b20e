//! The gateway as an OpenID Connect client of Sigil: the authorization code flow with PKCE
//! (S256), `state` and `nonce`, and the ID token validated in full (signature against the
//! issuer's published keys, `iss`, `aud`/`azp`, `exp`, `iat`, `nonce`, and `auth_time` after the
//! sign-in started when a fresh sign-in was asked for). Hand-written rather than taken from a
//! general OIDC client crate: it talks to exactly one provider whose algorithms Sigil's own
//! key code already verifies; the claim checks are the broker's own
//! ([`sigil_oidc::federation::upstream::check_id_token_claims`]).

use std::time::{Duration, Instant};

use serde::Deserialize;
use sigil_keys::{DecodedJws, VerifyingJwk};
use sigil_oidc::federation::upstream::{Expected, check_id_token_claims, s256};
use sigil_oidc::logout_token::{ExpectedLogout, LogoutNotice, check_logout_token_claims};
use tokio::sync::{OnceCell, RwLock};

use crate::cookies::LoginState;

/// The key set is fetched again for an unknown `kid` at most this often.
const JWKS_REFRESH: Duration = Duration::from_secs(30);

/// Why a sign-in could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum RpError {
    /// Sigil's discovery document or key set could not be read.
    #[error("the identity provider is unreachable: {0}")]
    Provider(String),
    /// The token endpoint refused the code.
    #[error("the token endpoint refused the code: {0}")]
    Token(String),
    /// The ID token did not validate.
    #[error("the ID token is not acceptable: {0}")]
    IdToken(&'static str),
}

/// Where Sigil's endpoints are.
#[derive(Debug, Clone, Deserialize)]
struct Endpoints {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    end_session_endpoint: Option<String>,
}

/// Who signed in, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// The subject.
    pub sub: String,
    /// `acr`.
    pub acr: Option<String>,
    /// `amr`.
    pub amr: Vec<String>,
    /// `auth_time`.
    pub auth_time: i64,
    /// The session at Sigil (`sid`).
    pub sid: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

/// The gateway's registration at Sigil.
#[derive(Debug, Clone)]
pub struct ClientRegistration {
    /// Sigil's issuer identifier.
    pub issuer: String,
    /// The gateway's `client_id`.
    pub client_id: String,
    /// Its secret (`client_secret_basic`); `None` for a public client (PKCE alone).
    pub client_secret: Option<String>,
    /// Its redirect URI (`{public URL}/.sigil/callback`).
    pub redirect_uri: String,
}

/// The client.
pub struct RelyingParty {
    registration: ClientRegistration,
    http: reqwest::Client,
    endpoints: OnceCell<Endpoints>,
    keys: RwLock<(Vec<VerifyingJwk>, Option<Instant>)>,
}

impl RelyingParty {
    /// A client for `registration`; nothing is fetched until the first sign-in.
    pub fn new(registration: ClientRegistration) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            registration,
            http,
            endpoints: OnceCell::new(),
            keys: RwLock::new((Vec::new(), None)),
        }
    }

    async fn endpoints(&self) -> Result<&Endpoints, RpError> {
        self.endpoints
            .get_or_try_init(|| async {
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    self.registration.issuer.trim_end_matches('/')
                );
                let endpoints: Endpoints = self.get_json(&url).await?;
                if endpoints.issuer != self.registration.issuer {
                    return Err(RpError::Provider(format!(
                        "the discovery document names issuer {}",
                        endpoints.issuer
                    )));
                }
                Ok(endpoints)
            })
            .await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, RpError> {
        let response = self
            .http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| RpError::Provider(e.to_string()))?;
        response
            .json()
            .await
            .map_err(|e| RpError::Provider(e.to_string()))
    }

    /// The authorization request that starts `login`. `acr_values` asks for a stronger
    /// sign-in; `fresh` asks Sigil to authenticate the user again (`prompt=login`).
    pub async fn authorization_url(
        &self,
        login: &LoginState,
        acr_values: &[String],
        fresh: bool,
    ) -> Result<String, RpError> {
        let endpoints = self.endpoints().await?;
        let mut url = url::Url::parse(&endpoints.authorization_endpoint)
            .map_err(|e| RpError::Provider(e.to_string()))?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.registration.client_id)
                .append_pair("redirect_uri", &self.registration.redirect_uri)
                .append_pair("scope", "openid")
                .append_pair("state", &login.state)
                .append_pair("nonce", &login.nonce)
                .append_pair("code_challenge", &s256(&login.verifier))
                .append_pair("code_challenge_method", "S256");
            if !acr_values.is_empty() {
                query.append_pair("acr_values", &acr_values.join(" "));
            }
            if fresh {
                query.append_pair("prompt", "login");
            }
        }
        Ok(url.into())
    }

    /// Where to send a user signing out (Sigil's end-session endpoint), if Sigil has one.
    pub async fn logout_url(&self) -> Option<String> {
        let endpoints = self.endpoints().await.ok()?;
        let mut url = url::Url::parse(endpoints.end_session_endpoint.as_deref()?).ok()?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.registration.client_id);
        Some(url.into())
    }

    /// Exchanges the code of `login` and validates the ID token; `iss` is the authorization
    /// response's `iss` parameter (RFC 9207), checked when present.
    pub async fn finish(
        &self,
        login: &LoginState,
        code: &str,
        iss: Option<&str>,
        now: i64,
    ) -> Result<SignIn, RpError> {
        if iss.is_some_and(|i| i != self.registration.issuer) {
            return Err(RpError::Token("the response names another issuer".into()));
        }
        let endpoints = self.endpoints().await?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.registration.redirect_uri.as_str()),
            ("code_verifier", login.verifier.as_str()),
        ];
        let mut request = self.http.post(&endpoints.token_endpoint);
        match &self.registration.client_secret {
            Some(secret) => {
                request = request.basic_auth(
                    form_encode(&self.registration.client_id),
                    Some(form_encode(secret)),
                );
            }
            None => form.push(("client_id", self.registration.client_id.as_str())),
        }
        let response = request
            .form(&form)
            .send()
            .await
            .map_err(|e| RpError::Provider(e.to_string()))?;
        if !response.status().is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(RpError::Token(body.chars().take(300).collect()));
        }
        let tokens: TokenResponse = response
            .json()
            .await
            .map_err(|e| RpError::Token(e.to_string()))?;
        let id_token = tokens
            .id_token
            .ok_or(RpError::Token("no id_token in the response".into()))?;
        self.validate(&id_token, login, now).await
    }

    /// A JWT Sigil signed (its signature checked against Sigil's keys): its header's `typ`
    /// and its claims, not yet checked.
    async fn signed_claims(
        &self,
        token: &str,
    ) -> Result<(Option<String>, serde_json::Map<String, serde_json::Value>), RpError> {
        let jws =
            DecodedJws::decode(token, 16 * 1024).map_err(|_| RpError::IdToken("malformed"))?;
        self.verify_signature(&jws).await?;
        let claims = jws
            .claims()
            .map_err(|_| RpError::IdToken("malformed claims"))?;
        Ok((jws.header.typ, claims))
    }

    async fn validate(&self, token: &str, login: &LoginState, now: i64) -> Result<SignIn, RpError> {
        let (_, claims) = self.signed_claims(token).await?;
        let expected = Expected {
            issuer: &self.registration.issuer,
            client_id: &self.registration.client_id,
            nonce: &login.nonce,
            now,
            authenticated_after: login.step_up.as_ref().map(|_| login.started),
        };
        let verified = check_id_token_claims(claims, &expected).map_err(RpError::IdToken)?;
        let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        Ok(SignIn {
            acr: verified.claims.get("acr").and_then(text),
            amr: verified
                .claims
                .get("amr")
                .and_then(serde_json::Value::as_array)
                .map(|a| a.iter().filter_map(text).collect())
                .unwrap_or_default(),
            sid: verified.claims.get("sid").and_then(text),
            sub: verified.sub,
            auth_time: verified.auth_time,
        })
    }

    /// Validates a logout token Sigil sent over the back channel (Back-Channel Logout §2.6):
    /// its signature against Sigil's keys, then its claims.
    pub async fn logout_notice(&self, token: &str, now: i64) -> Result<LogoutNotice, RpError> {
        let (typ, claims) = self.signed_claims(token).await?;
        let expected = ExpectedLogout {
            issuer: &self.registration.issuer,
            client_id: &self.registration.client_id,
            typ: typ.as_deref(),
            now,
        };
        check_logout_token_claims(&claims, &expected).map_err(RpError::IdToken)
    }

    async fn verify_signature(&self, jws: &DecodedJws) -> Result<(), RpError> {
        let kid = jws.header.kid.as_deref();
        for attempt in 0..2 {
            {
                let keys = self.keys.read().await;
                if let Some(key) = keys.0.iter().find(|k| k.accepts(kid, jws.alg)) {
                    return jws
                        .verify(&key.key)
                        .map_err(|_| RpError::IdToken("bad signature"));
                }
            }
            if attempt == 0 && !self.refresh_keys().await? {
                break;
            }
        }
        Err(RpError::IdToken("signed with an unknown key"))
    }

    /// Fetches the key set again unless it was fetched moments ago; whether it was.
    async fn refresh_keys(&self) -> Result<bool, RpError> {
        let mut keys = self.keys.write().await;
        if keys.1.is_some_and(|at| at.elapsed() < JWKS_REFRESH) {
            return Ok(false);
        }
        let uri = self.endpoints().await?.jwks_uri.clone();
        let set: serde_json::Value = self.get_json(&uri).await?;
        *keys = (VerifyingJwk::parse_set(&set), Some(Instant::now()));
        Ok(true)
    }
}

/// `application/x-www-form-urlencoded` encoding, which RFC 6749 §2.3.1 asks for the
/// credentials of HTTP Basic client authentication.
fn form_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
