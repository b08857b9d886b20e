//! Encrypted credential requests and responses (OpenID4VCI 1.0 §10, §8.2, §12.2.4): a wallet
//! encrypts its request to a key the issuer publishes in `credential_request_encryption`, and
//! names in `credential_response_encryption` the key and content encryption the issuer
//! encrypts the response (200 or 202) to. A request that asks for an encrypted response must
//! itself be encrypted, so that nobody on the way can swap the key (§8.2). Errors are never
//! encrypted.
//!
//! Sigil does `ECDH-ES` on P-256 with `A128GCM` or `A256GCM` (`sigil_keys::jwe`), and no
//! compression: `zip` is refused, since inflating what a stranger sends is a risk and the
//! specification lets an issuer leave it out.

use serde_json::{Map, Value, json};

use crate::request::{VciError, VciErrorCode};

/// The key agreement Sigil does.
pub const ALG: &str = "ECDH-ES";
/// The content encryptions Sigil does.
pub const ENC_VALUES: [&str; 2] = ["A128GCM", "A256GCM"];

fn invalid(why: impl Into<String>) -> VciError {
    VciError::new(VciErrorCode::InvalidEncryptionParameters, why)
}

/// How a request reached the issuer, and what the issuer demands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Envelope {
    /// Whether the request was a JWE (`application/jwt`).
    pub encrypted: bool,
    /// Whether the issuer requires encryption (`encryption_required`).
    pub required: bool,
}

/// The key and content encryption a wallet wants its response encrypted with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseEncryption {
    /// The wallet's public P-256 JWK (`alg` `ECDH-ES`).
    pub jwk: Map<String, Value>,
    /// `A128GCM` or `A256GCM`.
    pub enc: String,
}

impl ResponseEncryption {
    /// Reads a request's `credential_response_encryption` (`{jwk, enc, zip?}`), given how the
    /// request came: it must be there when the issuer requires encryption, and then the
    /// request must have been encrypted.
    pub fn parse(value: Option<&Value>, envelope: Envelope) -> Result<Option<Self>, VciError> {
        if envelope.required && !envelope.encrypted {
            return Err(invalid(
                "this issuer requires encrypted credential requests (application/jwt)",
            ));
        }
        let Some(value) = value else {
            if envelope.required {
                return Err(invalid(
                    "this issuer requires encrypted responses: send credential_response_encryption",
                ));
            }
            return Ok(None);
        };
        if !envelope.encrypted {
            return Err(invalid(
                "a request that asks for an encrypted response must itself be encrypted",
            ));
        }
        let object = value
            .as_object()
            .ok_or_else(|| invalid("credential_response_encryption must be an object"))?;
        if object.contains_key("zip") {
            return Err(invalid(
                "this issuer does not compress responses: leave out zip",
            ));
        }
        let enc = object
            .get("enc")
            .and_then(Value::as_str)
            .filter(|e| ENC_VALUES.contains(e))
            .ok_or_else(|| invalid("enc must be A128GCM or A256GCM"))?;
        let jwk = object
            .get("jwk")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("credential_response_encryption.jwk is required"))?;
        let member = |name: &str| jwk.get(name).and_then(Value::as_str);
        if member("alg") != Some(ALG) {
            return Err(invalid("the jwk's alg must be ECDH-ES"));
        }
        let p256 = member("kty") == Some("EC")
            && member("crv") == Some("P-256")
            && member("x").is_some()
            && member("y").is_some();
        if !p256 || jwk.contains_key("d") {
            return Err(invalid("the jwk must be a public P-256 key"));
        }
        let asked = ResponseEncryption {
            jwk: jwk.clone(),
            enc: enc.to_owned(),
        };
        // Sealing nothing checks the point is on the curve now, before anything is issued
        // that could then not be sent.
        asked
            .seal(b"")
            .map_err(|_| invalid("the jwk is not a usable P-256 key"))?;
        Ok(Some(asked))
    }

    /// `plaintext` as a compact JWE to the wallet's key, `kid` naming it when it has one.
    pub fn seal(&self, plaintext: &[u8]) -> Result<String, sigil_keys::KeyError> {
        let kid = self.jwk.get("kid").and_then(Value::as_str);
        sigil_keys::jwe::encrypt_ecdh_es(
            plaintext,
            &Value::Object(self.jwk.clone()),
            &self.enc,
            kid,
        )
    }
}

/// The issuer metadata members `credential_request_encryption` (with the issuer's key) and
/// `credential_response_encryption`.
pub fn metadata(request_key: &Map<String, Value>, required: bool) -> (Value, Value) {
    (
        json!({
            "jwks": {"keys": [request_key]},
            "enc_values_supported": ENC_VALUES,
            "encryption_required": required,
        }),
        json!({
            "alg_values_supported": [ALG],
            "enc_values_supported": ENC_VALUES,
            "encryption_required": required,
        }),
    )
}

/// Checks the header of an encrypted request: addressed to the issuer's key `kid`, with a
/// content encryption the issuer offers.
pub fn check_request_header(header: &Value, kid: &str) -> Result<(), VciError> {
    if header.get("kid").and_then(Value::as_str) != Some(kid) {
        return Err(invalid(
            "the request is not encrypted to the key in credential_request_encryption",
        ));
    }
    let enc = header
        .get("enc")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !ENC_VALUES.contains(&enc) {
        return Err(invalid("the request's enc must be A128GCM or A256GCM"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wallet_key() -> Value {
        let scalar = sigil_keys::jwe::generate_p256_scalar().expect("a key");
        let mut jwk = sigil_keys::jwe::p256_public_jwk(&scalar).expect("public");
        jwk.insert("alg".into(), json!("ECDH-ES"));
        jwk.insert("kid".into(), json!("w1"));
        Value::Object(jwk)
    }

    const ENCRYPTED: Envelope = Envelope {
        encrypted: true,
        required: false,
    };

    #[test]
    fn a_well_formed_request_for_encryption_is_read() {
        let value = json!({"jwk": wallet_key(), "enc": "A256GCM"});
        let parsed = ResponseEncryption::parse(Some(&value), ENCRYPTED).expect("accepted");
        let parsed = parsed.expect("present");
        assert_eq!(parsed.enc, "A256GCM");
        let jwe = parsed.seal(b"{}").expect("sealed");
        let header: Value = serde_json::from_slice(
            &sigil_core::b64url_decode(jwe.split('.').next().unwrap_or_default())
                .unwrap_or_default(),
        )
        .unwrap_or_default();
        assert_eq!(header["kid"], "w1");
        assert_eq!(header["enc"], "A256GCM");
        assert_eq!(ResponseEncryption::parse(None, ENCRYPTED), Ok(None));
    }

    #[test]
    fn what_the_issuer_does_not_do_is_invalid_encryption_parameters() {
        let key = wallet_key();
        let mut no_alg = key.clone();
        no_alg.as_object_mut().map(|o| o.remove("alg"));
        let mut rsa = key.clone();
        rsa["kty"] = json!("RSA");
        let mut off_curve = key.clone();
        off_curve["y"] = off_curve["x"].clone();
        let cases = [
            (
                json!({"jwk": key, "enc": "A256GCM", "zip": "DEF"}),
                ENCRYPTED,
            ),
            (json!({"jwk": key, "enc": "A128CBC-HS256"}), ENCRYPTED),
            (json!({"jwk": no_alg, "enc": "A128GCM"}), ENCRYPTED),
            (json!({"jwk": rsa, "enc": "A128GCM"}), ENCRYPTED),
            (json!({"jwk": off_curve, "enc": "A128GCM"}), ENCRYPTED),
            (json!({"enc": "A128GCM"}), ENCRYPTED),
            (json!({"jwk": key, "enc": "A128GCM"}), Envelope::default()),
        ];
        for (value, envelope) in cases {
            let err = ResponseEncryption::parse(Some(&value), envelope).expect_err("refused");
            assert_eq!(
                err.code,
                VciErrorCode::InvalidEncryptionParameters,
                "{value}"
            );
        }
        let required = Envelope {
            encrypted: true,
            required: true,
        };
        assert!(ResponseEncryption::parse(None, required).is_err());
        let plain_but_required = Envelope {
            encrypted: false,
            required: true,
        };
        assert!(ResponseEncryption::parse(None, plain_but_required).is_err());
    }
}
