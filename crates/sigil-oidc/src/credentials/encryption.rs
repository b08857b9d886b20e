//! The issuer's side of encrypted credential requests and responses (OpenID4VCI 1.0 §10):
//! each tenant has a P-256 key for `ECDH-ES` (made on first use, sealed at rest like the
//! issuer CA) that its metadata publishes in `credential_request_encryption`; a request sent
//! as `application/jwt` is decrypted with it before it is read, and a response the wallet
//! asked to have encrypted is sealed to the wallet's key (`sigil_vc::encryption`).
//! `[credentials] encryption_required` refuses anything else.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use sigil_core::{b64url_decode, b64url_encode};
use sigil_keys::PublicKey;
use sigil_keys::jwe::{decrypt_ecdh_es, generate_p256_scalar, p256_public_jwk};
use sigil_vc::VciError;
use sigil_vc::encryption::{ALG, Envelope, check_request_header};
use sigil_vc::request::VciErrorCode;
use zeroize::Zeroizing;

use super::IssuerError;
use crate::error::{ErrorCode, OAuthError};
use crate::provider::{Provider, TenantCtx};

/// The stored kind of a tenant's request encryption key (one, id [`KEY_ID`]).
const KEY_KIND: &str = "request_encryption_key";
const KEY_ID: &str = "key";

/// A credential or deferred credential request's body, as it came.
#[derive(Debug, Clone, Copy)]
pub enum RequestBody<'a> {
    /// `application/json`.
    Json(&'a [u8]),
    /// `application/jwt`: a compact JWE of the JSON request.
    Jwt(&'a [u8]),
}

/// A request encryption key: the private scalar and the public JWK.
pub(crate) type RequestKey = (Zeroizing<Vec<u8>>, Map<String, Value>);

fn seal_context(t: &TenantCtx) -> Vec<u8> {
    format!("sigil credential request encryption:{}", t.id).into_bytes()
}

fn unreadable() -> OAuthError {
    OAuthError::new(
        ErrorCode::ServerError,
        "the request encryption key is unreadable",
    )
}

impl Provider {
    /// The tenant's request encryption key: its private scalar and its public JWK (`kid`
    /// its thumbprint, `use` `enc`, `alg` `ECDH-ES`). Made and stored when there is none; a
    /// node that loses a race to make it uses the one stored. A key found already stored is
    /// kept in memory (it never changes); one just made is read again next time, so that
    /// nodes racing to make it settle on the one that was stored last.
    pub(crate) async fn request_encryption_key(
        &self,
        t: &TenantCtx,
    ) -> Result<Arc<RequestKey>, OAuthError> {
        let cached = self
            .caches
            .request_keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&t.id)
            .cloned();
        if let Some(key) = cached {
            return Ok(key);
        }
        if let Some(stored) = self.stored_issuer_record(t, KEY_KIND, KEY_ID).await? {
            let key = Arc::new(self.open_request_key(t, &stored)?);
            self.caches
                .request_keys
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(t.id.clone(), key.clone());
            return Ok(key);
        }
        self.new_request_key(t).await.map(Arc::new)
    }

    /// Makes and stores the tenant's request encryption key; the one stored after.
    async fn new_request_key(&self, t: &TenantCtx) -> Result<RequestKey, OAuthError> {
        let scalar = generate_p256_scalar()
            .map_err(|_| OAuthError::new(ErrorCode::ServerError, "no key could be made"))?;
        let sealed = self.kek.seal(&seal_context(t), &scalar);
        let now = self.now();
        self.save_issuer_record(
            (t, super::certificates::SYSTEM),
            KEY_KIND,
            KEY_ID,
            json!({"sealed_key": b64url_encode(sealed)}),
            now,
        )
        .await?;
        match self.stored_issuer_record(t, KEY_KIND, KEY_ID).await? {
            Some(stored) => self.open_request_key(t, &stored),
            None => Err(unreadable()),
        }
    }

    fn open_request_key(&self, t: &TenantCtx, stored: &Value) -> Result<RequestKey, OAuthError> {
        let sealed = stored["sealed_key"]
            .as_str()
            .and_then(b64url_decode)
            .ok_or_else(unreadable)?;
        let scalar = self
            .kek
            .open(&seal_context(t), &sealed)
            .map_err(|_| unreadable())?;
        let mut jwk = p256_public_jwk(&scalar).map_err(|_| unreadable())?;
        let key = PublicKey::from_jwk(&jwk).map_err(|_| unreadable())?;
        jwk.insert("kid".into(), json!(sigil_keys::jwk::thumbprint(&key)));
        jwk.insert("use".into(), json!("enc"));
        jwk.insert("alg".into(), json!(ALG));
        Ok((scalar, jwk))
    }

    /// The JSON of a credential or deferred credential request, decrypted when it came
    /// encrypted, and how it came.
    pub(super) async fn open_request(
        &self,
        t: &TenantCtx,
        body: RequestBody<'_>,
    ) -> Result<(Zeroizing<Vec<u8>>, Envelope), IssuerError> {
        let required = self.config.credentials.encryption_required;
        let jwe = match body {
            RequestBody::Json(json) => {
                let envelope = Envelope {
                    encrypted: false,
                    required,
                };
                return Ok((Zeroizing::new(json.to_vec()), envelope));
            }
            RequestBody::Jwt(jwe) => jwe,
        };
        let invalid = |why: &str| VciError::new(VciErrorCode::InvalidEncryptionParameters, why);
        let jwe = std::str::from_utf8(jwe)
            .map_err(|_| invalid("the request is not a compact JWE"))?
            .trim();
        let key = self.request_encryption_key(t).await?;
        let (scalar, jwk) = (&key.0, &key.1);
        let (header, plain) = decrypt_ecdh_es(jwe, scalar)
            .map_err(|e| invalid(&format!("the request cannot be decrypted: {e}")))?;
        let kid = jwk.get("kid").and_then(Value::as_str).unwrap_or_default();
        check_request_header(&header, kid)?;
        Ok((
            plain,
            Envelope {
                encrypted: true,
                required,
            },
        ))
    }

    /// The metadata members `credential_request_encryption` and
    /// `credential_response_encryption`.
    pub(super) async fn encryption_metadata(
        &self,
        t: &TenantCtx,
    ) -> Result<(Value, Value), OAuthError> {
        let key = self.request_encryption_key(t).await?;
        Ok(sigil_vc::encryption::metadata(
            &key.1,
            self.config.credentials.encryption_required,
        ))
    }
}
