//! A private signing key parsed once and kept ready to sign.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
};
use serde_json::{Map, Value};
use sigil_core::b64url_decode;
use sigil_core::model::SigningAlg;
use zeroize::Zeroizing;

use crate::KeyError;
use crate::jwk::{PublicKey, thumbprint};
use crate::jws::JwsAlg;

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A loaded private key with its public half and key id.
pub struct SigningKey {
    kid: String,
    alg: SigningAlg,
    pair: Pair,
    public: PublicKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({} {})", self.alg.as_str(), self.kid)
    }
}

impl SigningKey {
    /// Generates a new key: RSA 2048, P-256 or Ed25519. Returns it with its PKCS#8 bytes.
    pub fn generate(alg: SigningAlg) -> Result<(Self, Zeroizing<Vec<u8>>), KeyError> {
        let rng = SystemRandom::new();
        let der = match alg {
            SigningAlg::RS256 => {
                let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Crypto)?;
                let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
                    .map_err(|_| KeyError::Crypto)?;
                Zeroizing::new(der.as_ref().to_vec())
            }
            SigningAlg::ES256 => Zeroizing::new(
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| KeyError::Crypto)?
                    .as_ref()
                    .to_vec(),
            ),
            SigningAlg::EdDSA => Zeroizing::new(
                Ed25519KeyPair::generate_pkcs8(&rng)
                    .map_err(|_| KeyError::Crypto)?
                    .as_ref()
                    .to_vec(),
            ),
        };
        Ok((Self::from_pkcs8(alg, &der)?, der))
    }

    /// The PKCS#8 encoding of a P-256 or RSA key (for the certificate builder).
    pub fn pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        use aws_lc_rs::encoding::{AsDer as _, Pkcs8V1Der};
        match &self.pair {
            Pair::Ec(pair) => pair
                .to_pkcs8v1()
                .map(|d| Zeroizing::new(d.as_ref().to_vec()))
                .map_err(|_| KeyError::Crypto),
            Pair::Rsa(pair) => {
                let der: Pkcs8V1Der<'static> = pair.as_der().map_err(|_| KeyError::Crypto)?;
                Ok(Zeroizing::new(der.as_ref().to_vec()))
            }
            Pair::Ed(_) => Err(KeyError::Invalid("only P-256 and RSA keys are exported")),
        }
    }

    /// Loads a PKCS#8 private key.
    pub fn from_pkcs8(alg: SigningAlg, der: &[u8]) -> Result<Self, KeyError> {
        let bad = |_| KeyError::Invalid("PKCS#8 key does not match its algorithm");
        let pair = match alg {
            SigningAlg::RS256 => Pair::Rsa(RsaKeyPair::from_pkcs8(der).map_err(bad)?),
            SigningAlg::ES256 => Pair::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(bad)?,
            ),
            SigningAlg::EdDSA => Pair::Ed(Ed25519KeyPair::from_pkcs8(der).map_err(bad)?),
        };
        Self::from_pair(alg, pair)
    }

    /// Loads a private JWK (RSA with CRT parameters, EC P-256, or OKP Ed25519). The key id is
    /// the JWK's `kid` when present, else its thumbprint.
    pub fn from_private_jwk(alg: SigningAlg, jwk: &Map<String, Value>) -> Result<Self, KeyError> {
        let part = |name: &str| -> Result<Vec<u8>, KeyError> {
            jwk.get(name)
                .and_then(Value::as_str)
                .and_then(b64url_decode)
                .ok_or(KeyError::Invalid(
                    "a private JWK member is missing or malformed",
                ))
        };
        let bad = |_| KeyError::Invalid("private JWK rejected");
        let pair = match alg {
            SigningAlg::RS256 => {
                let components = aws_lc_rs::rsa::KeyPairComponents {
                    public_key: aws_lc_rs::rsa::PublicKeyComponents {
                        n: part("n")?,
                        e: part("e")?,
                    },
                    d: part("d")?,
                    p: part("p")?,
                    q: part("q")?,
                    dP: part("dp")?,
                    dQ: part("dq")?,
                    qInv: part("qi")?,
                };
                Pair::Rsa(RsaKeyPair::from_components(&components).map_err(bad)?)
            }
            SigningAlg::ES256 => {
                let mut point = vec![4u8];
                point.extend(part("x")?);
                point.extend(part("y")?);
                Pair::Ec(
                    EcdsaKeyPair::from_private_key_and_public_key(
                        &ECDSA_P256_SHA256_FIXED_SIGNING,
                        &part("d")?,
                        &point,
                    )
                    .map_err(bad)?,
                )
            }
            SigningAlg::EdDSA => Pair::Ed(
                Ed25519KeyPair::from_seed_and_public_key(&part("d")?, &part("x")?).map_err(bad)?,
            ),
        };
        let mut key = Self::from_pair(alg, pair)?;
        if let Some(kid) = jwk.get("kid").and_then(Value::as_str) {
            kid.clone_into(&mut key.kid);
        }
        Ok(key)
    }

    fn from_pair(alg: SigningAlg, pair: Pair) -> Result<Self, KeyError> {
        let public = match &pair {
            Pair::Rsa(k) => {
                let p = k.public_key();
                PublicKey::Rsa {
                    n: p.modulus().big_endian_without_leading_zero().to_vec(),
                    e: p.exponent().big_endian_without_leading_zero().to_vec(),
                }
            }
            Pair::Ec(k) => {
                let point = k.public_key().as_ref();
                let (x, y) = point
                    .get(1..33)
                    .zip(point.get(33..65))
                    .ok_or(KeyError::Invalid("unexpected EC public key encoding"))?;
                PublicKey::P256 {
                    x: x.try_into().map_err(|_| KeyError::Crypto)?,
                    y: y.try_into().map_err(|_| KeyError::Crypto)?,
                }
            }
            Pair::Ed(k) => PublicKey::Ed25519 {
                x: k.public_key()
                    .as_ref()
                    .try_into()
                    .map_err(|_| KeyError::Crypto)?,
            },
        };
        Ok(SigningKey {
            kid: thumbprint(&public),
            alg,
            pair,
            public,
        })
    }

    /// Key id (`kid`).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Algorithm.
    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// The matching verification algorithm.
    pub fn jws_alg(&self) -> JwsAlg {
        match self.alg {
            SigningAlg::RS256 => JwsAlg::RS256,
            SigningAlg::ES256 => JwsAlg::ES256,
            SigningAlg::EdDSA => JwsAlg::EdDSA,
        }
    }

    /// Public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The public JWK as published in the JWKS: key members plus `kid`, `alg`, `use`.
    pub fn public_jwk(&self) -> Value {
        let mut jwk = self.public.jwk_members();
        jwk.insert("kid".into(), Value::String(self.kid.clone()));
        jwk.insert("alg".into(), Value::String(self.alg.as_str().into()));
        jwk.insert("use".into(), Value::String("sig".into()));
        Value::Object(jwk)
    }

    /// Signs `message` (the JWS signing input); ECDSA signatures are in JOSE `R || S` form.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        // Signing with a validated, loaded key only fails on allocation failure in the C
        // library; there is no meaningful recovery for a request at that point.
        match &self.pair {
            Pair::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
                    .expect("RSA signing with a loaded key");
                sig
            }
            Pair::Ec(k) => k
                .sign(&SystemRandom::new(), message)
                .expect("ECDSA signing with a loaded key")
                .as_ref()
                .to_vec(),
            Pair::Ed(k) => k.sign(message).as_ref().to_vec(),
        }
    }
}
