//! Signing key life cycle: the first keys of a tenant, rotation, listing.

use std::time::Duration;

use serde_json::json;
use sigil_core::TenantId;
use sigil_core::model::{AuditEvent, AuditKind, SigningAlg, StoredKey};
use sigil_keys::keyring::new_stored_key;
use sigil_keys::{KeyRing, plan_rotation};

use crate::error::OAuthError;
use crate::provider::Provider;

/// A key as `sigil keys list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeySummary {
    /// Key id.
    pub kid: String,
    /// Algorithm.
    pub alg: &'static str,
    /// `pending`, `active`, `retired` or `expired`.
    pub state: &'static str,
    /// Creation time.
    pub created_at: i64,
    /// When it signs from.
    pub activates_at: i64,
    /// When it stopped signing.
    pub retires_at: Option<i64>,
    /// When it leaves the JWKS.
    pub publish_until: Option<i64>,
}

impl Provider {
    /// Loads a tenant's keys, first creating (active at once) a key for every algorithm that
    /// has none: a new tenant has no relying parties that could have cached its JWKS.
    pub(crate) async fn load_keyring(&self, tenant: &TenantId) -> Result<KeyRing, OAuthError> {
        let now = self.now();
        let mut stored = self.store.list_keys(tenant).await?;
        let missing: Vec<SigningAlg> = SigningAlg::ALL
            .into_iter()
            .filter(|alg| {
                !stored
                    .iter()
                    .any(|k| k.alg == *alg && k.retires_at.is_none_or(|t| now < t))
            })
            .collect();
        if !missing.is_empty() {
            let mut new_keys = Vec::new();
            let mut events = Vec::new();
            for alg in missing {
                let key = new_stored_key(tenant, alg, now, now, &self.kek).map_err(key_failure)?;
                events.push(key_event(tenant, &key, now, "system"));
                new_keys.push(key);
            }
            self.store.save_keys(&new_keys, &events).await?;
            stored.extend(new_keys);
        }
        KeyRing::load(&stored, &self.kek).map_err(key_failure)
    }

    /// Makes sure a tenant has keys (at start-up, so the first request does not pay for RSA
    /// key generation).
    pub async fn ensure_keys(&self, tenant: &TenantId) -> Result<(), OAuthError> {
        self.keyring(tenant).await.map(|_| ())
    }

    /// Rotates the keys of `algs` (all algorithms when empty). Each new key is published now
    /// and signs after `activate_after` (the configured propagation delay when `None`).
    pub async fn rotate_keys(
        &self,
        tenant: &TenantId,
        algs: &[SigningAlg],
        activate_after: Option<Duration>,
        actor: &str,
    ) -> Result<Vec<KeySummary>, OAuthError> {
        let now = self.now();
        let propagation =
            activate_after.unwrap_or(Duration::from_secs(self.config.keys.propagation_delay));
        let mut existing = self.store.list_keys(tenant).await?;
        let algs = if algs.is_empty() {
            SigningAlg::ALL.to_vec()
        } else {
            algs.to_vec()
        };
        let mut changed: Vec<StoredKey> = Vec::new();
        let mut events = Vec::new();
        for alg in algs {
            let plan = plan_rotation(
                tenant,
                &existing,
                alg,
                now,
                propagation,
                self.config.tokens.max_jwt_lifetime(),
                &self.kek,
            )
            .map_err(key_failure)?;
            for r in &plan.retire {
                if let Some(k) = existing.iter_mut().find(|k| k.kid == r.kid) {
                    k.retires_at = Some(r.retires_at);
                    k.publish_until = Some(r.publish_until);
                    changed.retain(|c| c.kid != k.kid);
                    changed.push(k.clone());
                }
            }
            events.push(key_event(tenant, &plan.new_key, now, actor));
            changed.push(plan.new_key.clone());
            existing.push(plan.new_key);
        }
        self.store.save_keys(&changed, &events).await?;
        self.invalidate_caches();
        Ok(changed.iter().map(|k| summarize(k, now)).collect())
    }

    /// Every key of a tenant with its state now.
    pub async fn list_keys(&self, tenant: &TenantId) -> Result<Vec<KeySummary>, OAuthError> {
        let now = self.now();
        Ok(self
            .store
            .list_keys(tenant)
            .await?
            .iter()
            .map(|k| summarize(k, now))
            .collect())
    }

    /// The JWK Set a tenant publishes.
    pub async fn jwks(&self, tenant: &TenantId) -> Result<serde_json::Value, OAuthError> {
        Ok(self.keyring(tenant).await?.jwks(self.now()))
    }
}

fn summarize(k: &StoredKey, now: sigil_core::UnixTime) -> KeySummary {
    KeySummary {
        kid: k.kid.clone(),
        alg: k.alg.as_str(),
        state: k.state(now),
        created_at: k.created_at.0,
        activates_at: k.activates_at.0,
        retires_at: k.retires_at.map(|t| t.0),
        publish_until: k.publish_until.map(|t| t.0),
    }
}

fn key_event(
    tenant: &TenantId,
    key: &StoredKey,
    now: sigil_core::UnixTime,
    actor: &str,
) -> AuditEvent {
    AuditEvent::new(tenant, now, AuditKind::KeyCreated, actor).details(json!({
        "kid": key.kid, "alg": key.alg.as_str(), "activates_at": key.activates_at.0,
    }))
}

fn key_failure(e: sigil_keys::KeyError) -> OAuthError {
    tracing::error!(error = %e, "signing key failure");
    OAuthError::new(
        crate::error::ErrorCode::ServerError,
        "signing keys are unavailable",
    )
}
