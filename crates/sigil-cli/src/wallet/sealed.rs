//! Encrypted credential requests (OpenID4VCI 1.0 §10): where an issuer publishes a key in
//! `credential_request_encryption` and offers `ECDH-ES` responses, the wallet encrypts each
//! credential and deferred credential request to that key, with a fresh P-256 key of its own
//! in `credential_response_encryption`, and decrypts the answer with it. The issuer's answer
//! then travels sealed, whatever the transport does.

use anyhow::Context;

use super::access::AccessGrant;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Map, Value, json};
use sigil_keys::jwe::{decrypt_ecdh_es, encrypt_ecdh_es, generate_p256_scalar, p256_public_jwk};
use sigil_vc::encryption::{ALG, ENC_VALUES};
use zeroize::Zeroizing;

/// One request's encryption: the issuer's key, and the wallet's key for the answer.
pub(super) struct Sealing {
    issuer_key: Value,
    issuer_kid: String,
    enc: &'static str,
    scalar: Zeroizing<Vec<u8>>,
    own: Map<String, Value>,
}

impl Sealing {
    /// Encryption as the issuer metadata `meta` offers it (a P-256 `ECDH-ES` key with a
    /// `kid`, a content encryption both sides do), with a new key for the answer; `None`
    /// when the issuer offers none.
    pub(super) fn offered(meta: &Value) -> anyhow::Result<Option<Self>> {
        let (request, response) = (
            &meta["credential_request_encryption"],
            &meta["credential_response_encryption"],
        );
        let offers = |list: &Value, value: &str| {
            list.as_array()
                .is_some_and(|l| l.iter().any(|v| v.as_str() == Some(value)))
        };
        let key = request["jwks"]["keys"].as_array().and_then(|keys| {
            keys.iter().find(|k| {
                k["kty"] == "EC" && k["crv"] == "P-256" && k["alg"] == ALG && k["kid"].is_string()
            })
        });
        let enc = ENC_VALUES.into_iter().find(|e| {
            offers(&request["enc_values_supported"], e)
                && offers(&response["enc_values_supported"], e)
        });
        let (Some(key), Some(enc)) = (key, enc) else {
            return Ok(None);
        };
        if !offers(&response["alg_values_supported"], ALG) {
            return Ok(None);
        }
        let scalar = generate_p256_scalar()?;
        let mut own = p256_public_jwk(&scalar)?;
        own.insert("alg".into(), json!(ALG));
        own.insert("kid".into(), json!(sigil_core::random::identifier()));
        Ok(Some(Sealing {
            issuer_key: key.clone(),
            issuer_kid: key["kid"].as_str().unwrap_or_default().to_owned(),
            enc,
            scalar,
            own,
        }))
    }

    /// POSTs JSON `body` to `url` with the access token (the request `post` starts),
    /// encrypted when `sealing` is given; the JSON answer (decrypted when it came encrypted),
    /// or the server's error.
    pub(super) async fn send(
        sealing: Option<&Sealing>,
        (access, post, url, now): (
            &AccessGrant,
            impl Fn() -> reqwest::RequestBuilder,
            &str,
            i64,
        ),
        mut body: Value,
        what: &str,
    ) -> anyhow::Result<Value> {
        let (payload, media) = match sealing {
            None => (body.to_string(), "application/json"),
            Some(s) => {
                body["credential_response_encryption"] = json!({"jwk": s.own, "enc": s.enc});
                let jwe = encrypt_ecdh_es(
                    body.to_string().as_bytes(),
                    &s.issuer_key,
                    s.enc,
                    Some(&s.issuer_kid),
                )?;
                (jwe, "application/jwt")
            }
        };
        let build = || post().header(CONTENT_TYPE, media).body(payload.clone());
        let (status, headers, text) = access.send(build, url, now, what).await?;
        let sealed = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/jwt"));
        anyhow::ensure!((200..300).contains(&status), "{what}: {status} {text}");
        let plain = match (sealed, sealing) {
            (true, Some(s)) => {
                let (header, plain) = decrypt_ecdh_es(text.trim(), &s.scalar)
                    .with_context(|| format!("{what}: the answer cannot be decrypted"))?;
                anyhow::ensure!(
                    header["kid"] == s.own["kid"] && header["enc"] == s.enc,
                    "{what}: the answer is not encrypted as asked"
                );
                plain.to_vec()
            }
            (false, Some(_)) => anyhow::bail!("{what}: the issuer answered unencrypted"),
            (true, None) => anyhow::bail!("{what}: an encrypted answer was not asked for"),
            (false, None) => text.into_bytes(),
        };
        serde_json::from_slice(&plain).with_context(|| format!("{what}: not JSON"))
    }
}
