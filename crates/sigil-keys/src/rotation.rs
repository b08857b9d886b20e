//! Key rotation as a plan: the new key and the retirement of the keys it replaces.
//!
//! A new key is published at once but only signs after `propagation` (so relying parties
//! that cache the JWKS see it before they meet a token signed with it). The key it replaces
//! stops signing at that moment and stays published for `max_token_lifetime` more, until
//! every token it signed has expired.

use std::time::Duration;

use sigil_core::model::{SigningAlg, StoredKey};
use sigil_core::{TenantId, UnixTime};

use crate::KeyError;
use crate::kek::KeyEncryptionKey;
use crate::keyring::new_stored_key;

/// A retirement to apply to an existing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRetirement {
    /// Which key.
    pub kid: String,
    /// When it stops signing.
    pub retires_at: UnixTime,
    /// When it leaves the JWKS.
    pub publish_until: UnixTime,
}

/// What a rotation writes.
#[derive(Debug, Clone)]
pub struct RotationPlan {
    /// The new key.
    pub new_key: StoredKey,
    /// Keys of the same algorithm it replaces.
    pub retire: Vec<KeyRetirement>,
}

/// Plans the rotation of `alg` keys for `tenant`.
pub fn plan_rotation(
    tenant: &TenantId,
    existing: &[StoredKey],
    alg: SigningAlg,
    now: UnixTime,
    propagation: Duration,
    max_token_lifetime: Duration,
    kek: &KeyEncryptionKey,
) -> Result<RotationPlan, KeyError> {
    let activates_at = now.plus(propagation);
    let new_key = new_stored_key(tenant, alg, now, activates_at, kek)?;
    let retire = existing
        .iter()
        .filter(|k| k.alg == alg && k.retires_at.is_none_or(|t| t > activates_at))
        .map(|k| {
            let retires_at = activates_at.max(k.activates_at);
            KeyRetirement {
                kid: k.kid.clone(),
                retires_at,
                publish_until: retires_at.plus(max_token_lifetime),
            }
        })
        .collect();
    Ok(RotationPlan { new_key, retire })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_retires_only_same_alg_keys_after_propagation() {
        let (kek, _) = KeyEncryptionKey::generate();
        let t = TenantId::default_tenant();
        let es =
            new_stored_key(&t, SigningAlg::ES256, UnixTime(0), UnixTime(0), &kek).expect("key");
        let ed =
            new_stored_key(&t, SigningAlg::EdDSA, UnixTime(0), UnixTime(0), &kek).expect("key");
        let plan = plan_rotation(
            &t,
            &[es.clone(), ed],
            SigningAlg::ES256,
            UnixTime(1000),
            Duration::from_secs(300),
            Duration::from_secs(3600),
            &kek,
        )
        .expect("plan");
        assert_eq!(plan.new_key.activates_at, UnixTime(1300));
        assert_eq!(plan.new_key.alg, SigningAlg::ES256);
        assert_eq!(
            plan.retire,
            vec![KeyRetirement {
                kid: es.kid,
                retires_at: UnixTime(1300),
                publish_until: UnixTime(4900)
            }]
        );
    }
}
