//! Client authentication at the token, introspection, revocation and device authorization
//! endpoints: `client_secret_basic`, `client_secret_post`, `private_key_jwt` (RFC 7523) and
//! `none` for public clients. Exactly one method per request; it must be the one the client
//! registered.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use sigil_core::model::{Artifact, ArtifactKind, AuthMethod, Client};
use sigil_core::{ClientId, Digest32, UnixTime};
use sigil_keys::{DecodedJws, VerifyingJwk};

use crate::endpoints;
use crate::error::OAuthError;
use crate::params::Params;
use crate::provider::{Provider, TenantCtx};

/// RFC 7523 §2.2 assertion type.
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Clock skew tolerated on assertion times, seconds.
const SKEW: i64 = 60;
/// Longest assertion lifetime accepted, seconds.
const MAX_ASSERTION_LIFETIME: i64 = 600;

/// The credentials a request presents, before any lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// HTTP Basic.
    Basic {
        /// Client id.
        client_id: String,
        /// Secret.
        secret: String,
    },
    /// Secret in the form body.
    Post {
        /// Client id.
        client_id: String,
        /// Secret.
        secret: String,
    },
    /// A JWT assertion.
    Assertion {
        /// Client id (the assertion's `sub`).
        client_id: String,
        /// The compact JWT.
        assertion: String,
    },
    /// Only a client id: a public client.
    PublicId {
        /// Client id.
        client_id: String,
    },
}

impl Presented {
    fn client_id(&self) -> &str {
        match self {
            Presented::Basic { client_id, .. }
            | Presented::Post { client_id, .. }
            | Presented::Assertion { client_id, .. }
            | Presented::PublicId { client_id } => client_id,
        }
    }

    fn method(&self) -> AuthMethod {
        match self {
            Presented::Basic { .. } => AuthMethod::ClientSecretBasic,
            Presented::Post { .. } => AuthMethod::ClientSecretPost,
            Presented::Assertion { .. } => AuthMethod::PrivateKeyJwt,
            Presented::PublicId { .. } => AuthMethod::None,
        }
    }
}

/// `application/x-www-form-urlencoded` decoding of one Basic credential part (RFC 6749 §2.3.1).
fn form_decode(part: &str) -> String {
    if !part.contains(['%', '+']) {
        return part.to_owned();
    }
    form_urlencoded::parse(format!("v={part}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The client id and secret of an HTTP Basic `Authorization` header (RFC 6749 §2.3.1: both
/// form-encoded).
pub fn parse_basic(header: &str) -> Result<(String, String), OAuthError> {
    let bad =
        || OAuthError::invalid_client("malformed HTTP Basic credentials").with_basic_challenge();
    let (scheme, value) = header.split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client(
            "unsupported Authorization scheme",
        ));
    }
    let decoded = STANDARD.decode(value.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    Ok((form_decode(id), form_decode(secret)))
}

#[derive(Deserialize)]
struct AssertionSubject {
    sub: Option<String>,
    iss: Option<String>,
}

/// Works out which credentials a request presents. Refuses more than one method at once
/// (RFC 6749 §2.3) and a `client_id` parameter that disagrees with the credentials.
pub fn presented_credentials(
    authorization: Option<&str>,
    params: &Params,
) -> Result<Presented, OAuthError> {
    let param_id = params.get("client_id");
    let assertion = params.get("client_assertion");
    let secret = params.get("client_secret");
    let methods = usize::from(authorization.is_some())
        + usize::from(assertion.is_some())
        + usize::from(secret.is_some());
    if methods > 1 {
        return Err(OAuthError::invalid_request(
            "more than one client authentication method was used",
        ));
    }
    let presented = if let Some(header) = authorization {
        let (client_id, secret) = parse_basic(header)?;
        Presented::Basic { client_id, secret }
    } else if let Some(assertion) = assertion {
        if params.get("client_assertion_type") != Some(JWT_BEARER_ASSERTION) {
            return Err(OAuthError::invalid_request(
                "client_assertion_type must be the RFC 7523 JWT bearer type",
            ));
        }
        let jws = DecodedJws::decode(assertion, crate::params::MAX_VALUE_LEN)
            .map_err(|_| OAuthError::invalid_client("client_assertion is not a valid JWT"))?;
        let subject: AssertionSubject = jws
            .claims()
            .map_err(|_| OAuthError::invalid_client("client_assertion claims are malformed"))?;
        let client_id = subject
            .sub
            .or(subject.iss)
            .ok_or_else(|| OAuthError::invalid_client("client_assertion has no sub"))?;
        Presented::Assertion {
            client_id,
            assertion: assertion.to_owned(),
        }
    } else if let Some(secret) = secret {
        let client_id =
            param_id.ok_or_else(|| OAuthError::invalid_request("client_secret needs client_id"))?;
        Presented::Post {
            client_id: client_id.to_owned(),
            secret: secret.to_owned(),
        }
    } else if let Some(client_id) = param_id {
        Presented::PublicId {
            client_id: client_id.to_owned(),
        }
    } else {
        return Err(OAuthError::invalid_client(
            "client authentication is required",
        ));
    };
    if let Some(id) = param_id
        && id != presented.client_id()
    {
        return Err(OAuthError::invalid_request(
            "client_id does not match the client credentials",
        ));
    }
    Ok(presented)
}

#[derive(Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    aud: crate::tokens::Audience,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    jti: Option<String>,
}

impl Provider {
    /// Authenticates the client of a request.
    pub async fn authenticate_client(
        &self,
        t: &TenantCtx,
        authorization: Option<&str>,
        params: &Params,
    ) -> Result<Arc<Client>, OAuthError> {
        let presented = presented_credentials(authorization, params)?;
        let basic = matches!(presented, Presented::Basic { .. });
        let result = self.check_credentials(t, &presented).await;
        match result {
            Err(e) if basic && e.code == crate::error::ErrorCode::InvalidClient => {
                Err(e.with_basic_challenge())
            }
            other => other,
        }
    }

    async fn check_credentials(
        &self,
        t: &TenantCtx,
        presented: &Presented,
    ) -> Result<Arc<Client>, OAuthError> {
        let unknown = || OAuthError::invalid_client("client authentication failed");
        let id = ClientId::parse(presented.client_id()).map_err(|_| unknown())?;
        let client = self.client(&t.id, &id).await?.ok_or_else(unknown)?;
        if client.disabled || client.auth_method != presented.method() {
            return Err(unknown());
        }
        match presented {
            Presented::Basic { secret, .. } | Presented::Post { secret, .. } => {
                let stored = client.secret_digest.ok_or_else(unknown)?;
                if !stored.ct_eq(&Digest32::of(secret)) {
                    return Err(unknown());
                }
            }
            Presented::Assertion { assertion, .. } => {
                self.verify_assertion(t, &client, assertion).await?
            }
            Presented::PublicId { .. } => {}
        }
        Ok(client)
    }

    async fn verify_assertion(
        &self,
        t: &TenantCtx,
        client: &Client,
        assertion: &str,
    ) -> Result<(), OAuthError> {
        let fail = |why: &'static str| OAuthError::invalid_client(why);
        let jws = DecodedJws::decode(assertion, crate::params::MAX_VALUE_LEN)
            .map_err(|_| fail("client_assertion is not a valid JWT"))?;
        if let Some(typ) = &jws.header.typ
            && !(jws.has_typ("JWT") || jws.has_typ("client-authentication+jwt"))
        {
            tracing::debug!(typ, "client assertion with a foreign typ");
            return Err(fail(
                "client_assertion has the typ of another kind of token",
            ));
        }
        self.verify_assertion_signature(client, &jws).await?;
        let claims: AssertionClaims = jws
            .claims()
            .map_err(|_| fail("client_assertion claims are malformed"))?;
        let now = self.now().0;
        if claims.iss != client.id.as_str() || claims.sub != client.id.as_str() {
            return Err(fail("client_assertion iss and sub must be the client_id"));
        }
        let token_endpoint = t.url(endpoints::TOKEN);
        // RFC 9126 §2: the PAR endpoint's URL names this server too.
        let par_endpoint = t.url(endpoints::PAR);
        if !(claims.aud.contains(&t.issuer)
            || claims.aud.contains(&token_endpoint)
            || claims.aud.contains(&par_endpoint))
        {
            return Err(fail("client_assertion aud must be the issuer"));
        }
        if claims.exp <= now - SKEW {
            return Err(fail("client_assertion has expired"));
        }
        if claims.exp > now + MAX_ASSERTION_LIFETIME + SKEW {
            return Err(fail("client_assertion lives too long"));
        }
        if claims.nbf.is_some_and(|nbf| nbf > now + SKEW)
            || claims.iat.is_some_and(|iat| iat > now + SKEW)
        {
            return Err(fail("client_assertion is not yet valid"));
        }
        let jti = claims
            .jti
            .filter(|j| !j.is_empty() && j.len() <= 256)
            .ok_or_else(|| fail("client_assertion needs a jti"))?;
        let seen = Artifact {
            tenant: t.id.clone(),
            kind: ArtifactKind::AssertionJti,
            key: Digest32::of(format!("{}\u{0}{jti}", client.id)),
            payload: serde_json::Value::Null,
            expires_at: UnixTime(claims.exp + SKEW),
            consumed_at: None,
        };
        if !self.store.put_artifact(&seen, UnixTime(now)).await? {
            return Err(fail("client_assertion was already used"));
        }
        Ok(())
    }

    async fn verify_assertion_signature(
        &self,
        client: &Client,
        jws: &DecodedJws,
    ) -> Result<(), OAuthError> {
        let kid = jws.header.kid.as_deref();
        let try_set = |jwks: &serde_json::Value| {
            VerifyingJwk::parse_set(jwks)
                .into_iter()
                .filter(|k| k.accepts(kid, jws.alg))
                .any(|k| jws.verify(&k.key).is_ok())
        };
        let verified = match (&client.jwks, &client.jwks_uri) {
            (Some(jwks), _) => try_set(jwks),
            (None, Some(uri)) => {
                let unreachable =
                    |_| OAuthError::invalid_client("the client's jwks_uri could not be fetched");
                try_set(&*self.remote_json(uri, false).await.map_err(unreachable)?)
                    || try_set(&*self.remote_json(uri, true).await.map_err(unreachable)?)
            }
            (None, None) => false,
        };
        if verified {
            Ok(())
        } else {
            Err(OAuthError::invalid_client(
                "client_assertion signature does not verify",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> Params {
        Params::parse(q.as_bytes()).expect("params")
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("my%20client:p%3Ass+word"));
        let p = presented_credentials(Some(&header), &params("")).expect("basic");
        assert_eq!(
            p,
            Presented::Basic {
                client_id: "my client".into(),
                secret: "p:ss word".into()
            }
        );
    }

    #[test]
    fn one_method_only_and_ids_must_agree() {
        let header = format!("Basic {}", STANDARD.encode("a:b"));
        assert!(
            presented_credentials(Some(&header), &params("client_secret=x&client_id=a")).is_err()
        );
        assert!(presented_credentials(Some(&header), &params("client_id=other")).is_err());
        assert!(presented_credentials(Some(&header), &params("client_id=a")).is_ok());
        assert!(presented_credentials(None, &params("client_secret=x")).is_err());
        assert_eq!(
            presented_credentials(None, &params("client_id=a")).expect("public"),
            Presented::PublicId {
                client_id: "a".into()
            }
        );
        let err = presented_credentials(None, &params("")).expect_err("nothing");
        assert_eq!(err.code, crate::error::ErrorCode::InvalidClient);
    }

    #[test]
    fn malformed_basic_is_invalid_client_with_challenge() {
        for h in [
            "Basic !!!",
            "Basic",
            &format!("Basic {}", STANDARD.encode("nocolon")),
        ] {
            let err = presented_credentials(Some(h), &params("")).expect_err("malformed");
            assert_eq!(err.code, crate::error::ErrorCode::InvalidClient);
        }
    }

    #[test]
    fn assertion_needs_the_right_type() {
        let p = params("client_assertion=a.b.c");
        assert_eq!(
            presented_credentials(None, &p).expect_err("type").code,
            crate::error::ErrorCode::InvalidRequest
        );
    }

    proptest::proptest! {
        #[test]
        fn parsing_credentials_never_panics(header in proptest::option::of(".{0,300}"), body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            if let Ok(p) = Params::parse(&body) {
                let _ = presented_credentials(header.as_deref(), &p);
            }
        }
    }
}
