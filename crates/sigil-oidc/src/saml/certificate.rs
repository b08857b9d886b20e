//! The certificate SAML metadata publishes for a signing key: self-signed (SAML peers pin
//! it, they do not chain it), made when first needed and kept in the store, so that it stays
//! the same from request to request and node to node until the key rotates or the
//! certificate nears its end.

use serde_json::{Value, json};
use sigil_core::model::{AuditEvent, AuditKind, VcDefinition};
use sigil_core::{UnixTime, b64_decode, b64_encode};
use sigil_keys::SigningKey;
use sigil_keys::x509::self_signed_certificate;

use crate::admin::AdminError;
use crate::provider::{Provider, TenantCtx};

/// The stored kind of key certificates (one per key id; the name dates from when the
/// verifier had one too).
const KIND: &str = "verifier_certificate";
/// How long a certificate is valid, days.
const VALIDITY_DAYS: i64 = 365;
/// A certificate this close to its end is replaced, seconds.
const RENEW_BEFORE: i64 = 30 * 24 * 3600;

impl Provider {
    /// The DER certificate of `key` (named `common_name`) for `dns`, the stored one while it
    /// is current.
    pub(crate) async fn key_certificate(
        &self,
        t: &TenantCtx,
        key: &SigningKey,
        common_name: &str,
        dns: &[String],
        now: UnixTime,
    ) -> Result<Vec<u8>, AdminError> {
        let stored = self
            .store
            .list_vc_definitions(&t.id, KIND)
            .await?
            .into_iter()
            .find(|d| d.id == key.kid());
        if let Some(d) = stored {
            let current = d.definition.get("dns") == Some(&json!(dns))
                && d.definition
                    .get("not_after")
                    .and_then(Value::as_i64)
                    .is_some_and(|end| end - now.0 > RENEW_BEFORE);
            let der = d
                .definition
                .get("der")
                .and_then(Value::as_str)
                .and_then(b64_decode);
            if let (true, Some(der)) = (current, der) {
                return Ok(der);
            }
        }
        let der =
            self_signed_certificate(key, common_name, dns, now, VALIDITY_DAYS).map_err(|e| {
                AdminError::Invalid {
                    field: "certificate",
                    message: e.to_string(),
                }
            })?;
        let definition = VcDefinition {
            tenant: t.id.clone(),
            kind: KIND.into(),
            id: key.kid().to_owned(),
            definition: json!({
                "der": b64_encode(&der),
                "dns": dns,
                "not_after": now.0 - 60 + VALIDITY_DAYS * 24 * 3600,
            }),
            created_at: now,
            updated_at: now,
        };
        let audit = AuditEvent::new(&t.id, now, AuditKind::VcDefinitionSaved, "system")
            .details(json!({"kind": KIND, "id": key.kid()}));
        self.store.put_vc_definition(&definition, &audit).await?;
        Ok(der)
    }
}
