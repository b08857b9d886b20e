//! A tenant's loaded signing keys: which key signs now, which keys are published, and
//! verification of tokens Sigil itself signed.

use std::sync::Arc;

use serde_json::{Value, json};
use sigil_core::model::{SigningAlg, StoredKey};
use sigil_core::{TenantId, UnixTime};

use crate::KeyError;
use crate::jws::{DecodedJws, JwsError};
use crate::kek::KeyEncryptionKey;
use crate::signing_key::SigningKey;

/// Associated data binding a sealed private key to its tenant and key id.
pub fn seal_context(tenant: &TenantId, kid: &str) -> Vec<u8> {
    format!("sigil-signing-key:{tenant}:{kid}").into_bytes()
}

/// Creates a new key of `alg` that signs from `activates_at`, sealed for storage.
pub fn new_stored_key(
    tenant: &TenantId,
    alg: SigningAlg,
    now: UnixTime,
    activates_at: UnixTime,
    kek: &KeyEncryptionKey,
) -> Result<StoredKey, KeyError> {
    let (key, der) = SigningKey::generate(alg)?;
    Ok(StoredKey {
        tenant: tenant.clone(),
        kid: key.kid().to_owned(),
        alg,
        encrypted_private_key: kek.seal(&seal_context(tenant, key.kid()), &der),
        public_jwk: key.public_jwk(),
        created_at: now,
        activates_at,
        retires_at: None,
        publish_until: None,
    })
}

#[derive(Debug)]
struct Entry {
    key: Arc<SigningKey>,
    activates_at: UnixTime,
    retires_at: Option<UnixTime>,
    publish_until: Option<UnixTime>,
}

/// The loaded keys of one tenant.
#[derive(Debug, Default)]
pub struct KeyRing {
    entries: Vec<Entry>,
}

impl KeyRing {
    /// Decrypts and loads stored keys.
    pub fn load(stored: &[StoredKey], kek: &KeyEncryptionKey) -> Result<Self, KeyError> {
        let entries = stored
            .iter()
            .map(|s| {
                let der = kek.open(&seal_context(&s.tenant, &s.kid), &s.encrypted_private_key)?;
                Ok(Entry {
                    key: Arc::new(SigningKey::from_pkcs8(s.alg, &der)?),
                    activates_at: s.activates_at,
                    retires_at: s.retires_at,
                    publish_until: s.publish_until,
                })
            })
            .collect::<Result<_, KeyError>>()?;
        Ok(KeyRing { entries })
    }

    /// The key that signs `alg` at `now`: the most recently activated one not yet retired.
    pub fn signer(&self, alg: SigningAlg, now: UnixTime) -> Option<Arc<SigningKey>> {
        self.entries
            .iter()
            .filter(|e| e.key.alg() == alg && e.activates_at <= now)
            .filter(|e| e.retires_at.is_none_or(|t| now < t))
            .max_by_key(|e| e.activates_at)
            .map(|e| e.key.clone())
    }

    /// Every loaded key of `alg`, the most recently activated first (a retired key still
    /// opens what was encrypted to it while it was current).
    pub fn keys_of(&self, alg: SigningAlg) -> Vec<Arc<SigningKey>> {
        let mut keys: Vec<&Entry> = self.entries.iter().filter(|e| e.key.alg() == alg).collect();
        keys.sort_by_key(|e| std::cmp::Reverse(e.activates_at));
        keys.into_iter().map(|e| e.key.clone()).collect()
    }

    fn published(&self, now: UnixTime) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(move |e| e.publish_until.is_none_or(|t| now < t))
    }

    /// The JWK Set published at `jwks_uri`.
    pub fn jwks(&self, now: UnixTime) -> Value {
        let keys: Vec<Value> = self.published(now).map(|e| e.key.public_jwk()).collect();
        json!({ "keys": keys })
    }

    /// Verifies a JWS that Sigil signed: its `kid` must name one of our published keys and its
    /// `alg` must be that key's algorithm.
    pub fn verify(&self, jws: &DecodedJws, now: UnixTime) -> Result<(), JwsError> {
        let kid = jws.header.kid.as_deref().ok_or(JwsError::Signature)?;
        let entry = self
            .published(now)
            .find(|e| e.key.kid() == kid)
            .ok_or(JwsError::Signature)?;
        if entry.key.jws_alg() != jws.alg {
            return Err(JwsError::Algorithm);
        }
        jws.verify(entry.key.public_key())
    }

    /// A published key by `kid`: the key that signed a token Sigil issued, or signs request
    /// objects for a request made under it.
    pub fn published_key(&self, kid: &str, now: UnixTime) -> Option<Arc<SigningKey>> {
        self.published(now)
            .find(|e| e.key.kid() == kid)
            .map(|e| e.key.clone())
    }

    /// Whether a key with this `kid` is loaded (published or not).
    pub fn knows(&self, kid: &str) -> bool {
        self.entries.iter().any(|e| e.key.kid() == kid)
    }

    /// Algorithms with no key able to sign at `now`.
    pub fn missing_algs(&self, now: UnixTime) -> Vec<SigningAlg> {
        SigningAlg::ALL
            .into_iter()
            .filter(|alg| self.signer(*alg, now).is_none())
            .collect()
    }

    /// The earliest future instant at which the signer or published set changes, so a cache
    /// knows when to look again.
    pub fn next_change_after(&self, now: UnixTime) -> Option<UnixTime> {
        self.entries
            .iter()
            .flat_map(|e| [Some(e.activates_at), e.retires_at, e.publish_until])
            .flatten()
            .filter(|t| *t > now)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jws::sign_compact;

    fn ring_with(keys: &[StoredKey], kek: &KeyEncryptionKey) -> KeyRing {
        KeyRing::load(keys, kek).expect("loads")
    }

    #[test]
    fn signs_with_the_active_key_and_verifies_only_published_ones() {
        let (kek, _) = KeyEncryptionKey::generate();
        let t = TenantId::default_tenant();
        let mut old =
            new_stored_key(&t, SigningAlg::ES256, UnixTime(0), UnixTime(0), &kek).expect("key");
        let new =
            new_stored_key(&t, SigningAlg::ES256, UnixTime(100), UnixTime(200), &kek).expect("key");
        old.retires_at = Some(UnixTime(200));
        old.publish_until = Some(UnixTime(500));
        let ring = ring_with(&[old.clone(), new.clone()], &kek);

        assert_eq!(
            ring.signer(SigningAlg::ES256, UnixTime(150))
                .expect("signer")
                .kid(),
            old.kid
        );
        assert_eq!(
            ring.signer(SigningAlg::ES256, UnixTime(200))
                .expect("signer")
                .kid(),
            new.kid
        );
        assert_eq!(
            ring.jwks(UnixTime(150))["keys"].as_array().map(Vec::len),
            Some(2),
            "new key published before it signs"
        );
        assert_eq!(
            ring.jwks(UnixTime(500))["keys"].as_array().map(Vec::len),
            Some(1),
            "old key dropped after its tokens expired"
        );

        let signer = ring
            .signer(SigningAlg::ES256, UnixTime(150))
            .expect("signer");
        let token = sign_compact(&signer, "at+jwt", &json!({"sub": "x"}));
        let jws = DecodedJws::decode(&token, 8192).expect("decodes");
        assert!(ring.verify(&jws, UnixTime(499)).is_ok());
        assert!(
            ring.verify(&jws, UnixTime(500)).is_err(),
            "unpublished key no longer verifies"
        );
        assert_eq!(ring.next_change_after(UnixTime(150)), Some(UnixTime(200)));
        assert_eq!(
            ring.missing_algs(UnixTime(150)),
            vec![SigningAlg::RS256, SigningAlg::EdDSA]
        );
    }

    #[test]
    fn wrong_kek_cannot_load() {
        let (kek, _) = KeyEncryptionKey::generate();
        let (other, _) = KeyEncryptionKey::generate();
        let k = new_stored_key(
            &TenantId::default_tenant(),
            SigningAlg::EdDSA,
            UnixTime(0),
            UnixTime(0),
            &kek,
        )
        .expect("key");
        assert!(matches!(
            KeyRing::load(&[k], &other),
            Err(KeyError::Decrypt)
        ));
    }
}
