//! X.509 certificates for the keys that sign credentials and status lists (`[credentials]
//! x5c`), so that verifiers can trust them the way HAIP and the SD-JWT VC draft (§3.5)
//! describe: each tenant has an issuer CA (a P-256 key made on first use and sealed at rest,
//! with a ten-year self-signed CA certificate) that verifiers add as a trust anchor, and the
//! CA issues each signing key a document-signing certificate naming the issuer (its URL, and
//! its host as a DNS name or IP address). Tokens carry `x5c` with that leaf; the CA stays out,
//! as a trust anchor must. The same CA certifies the keys that sign the verifier's request
//! objects (OpenID4VP `x509_hash` / `x509_san_dns`), which HAIP wants not self-signed.

use serde_json::{Value, json};
use sigil_core::model::{AuditEvent, AuditKind, SigningAlg, VcDefinition};
use sigil_core::{Digest32, UnixTime, b64_decode, b64_encode, b64url_decode, b64url_encode};
use sigil_keys::SigningKey;
use sigil_keys::x509::{LeafUse, ca_certificate, issued_certificate};

use crate::admin::AdminError;
use crate::error::{ErrorCode, OAuthError};
use crate::provider::{Provider, TenantCtx};

/// The stored kind of a tenant's issuer CA (one, id [`CA_ID`]).
const CA_KIND: &str = "issuer_ca";
const CA_ID: &str = "ca";
/// The stored kind of signing keys' certificates (by key id).
const LEAF_KIND: &str = "issuer_certificate";
/// The stored kind of request-signing keys' certificates (by key id).
const VERIFIER_LEAF_KIND: &str = "verifier_issued_certificate";
/// Who records what Sigil makes on its own.
pub(super) const SYSTEM: &str = "system";
/// Lifetimes, days.
const CA_DAYS: i64 = 3650;
const LEAF_DAYS: i64 = 365;
/// A leaf this close to its end is replaced, seconds.
const RENEW_BEFORE: i64 = 30 * 24 * 3600;

fn failed(what: &str, e: impl std::fmt::Display) -> OAuthError {
    OAuthError::new(ErrorCode::ServerError, format!("{what}: {e}"))
}

fn seal_context(t: &TenantCtx) -> Vec<u8> {
    format!("sigil issuer ca:{}", t.id).into_bytes()
}

impl Provider {
    /// The `x5c` chain of tokens `key` signs for tenant `t`, when `[credentials] x5c` is on.
    pub(crate) async fn issuer_x5c(
        &self,
        t: &TenantCtx,
        key: &SigningKey,
        now: UnixTime,
    ) -> Result<Option<Vec<String>>, OAuthError> {
        if !self.config.credentials.x5c {
            return Ok(None);
        }
        let ca = self.issuer_ca(t, now).await?;
        let leaf = self.issuer_leaf(t, key, (&ca.key, &ca.der), now).await?;
        Ok(Some(ca.x5c_after(&leaf)))
    }

    /// The tenant's issuer CA certificate (DER), the trust anchor verifiers add; made on
    /// first use.
    pub async fn issuer_ca_certificate(&self, t: &TenantCtx) -> Result<Vec<u8>, OAuthError> {
        Ok(self.issuer_ca(t, self.now()).await?.der)
    }

    pub(super) async fn stored_issuer_record(
        &self,
        t: &TenantCtx,
        kind: &str,
        id: &str,
    ) -> Result<Option<Value>, OAuthError> {
        Ok(self
            .store
            .list_vc_definitions(&t.id, kind)
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .map(|d| d.definition))
    }

    /// Stores one of the issuer's own records (`kind`, `id`), audited as `actor`'s doing.
    pub(super) async fn save_issuer_record(
        &self,
        (t, actor): (&TenantCtx, &str),
        kind: &str,
        id: &str,
        definition: Value,
        now: UnixTime,
    ) -> Result<(), OAuthError> {
        let record = VcDefinition {
            tenant: t.id.clone(),
            kind: kind.into(),
            id: id.into(),
            definition,
            created_at: now,
            updated_at: now,
        };
        let audit = AuditEvent::new(&t.id, now, AuditKind::VcDefinitionSaved, actor)
            .details(json!({"kind": kind, "id": id}));
        self.store.put_vc_definition(&record, &audit).await?;
        Ok(())
    }

    /// The CA: an operator's ([`Provider::import_issuer_ca`]), or else made and stored when
    /// there is none. A node that loses a race to make it uses the one stored.
    async fn issuer_ca(&self, t: &TenantCtx, now: UnixTime) -> Result<IssuerCa, OAuthError> {
        if let Some(stored) = self.stored_issuer_record(t, CA_KIND, CA_ID).await? {
            return self.open_ca(t, &stored);
        }
        let (key, pkcs8) = SigningKey::generate(SigningAlg::ES256)
            .map_err(|e| failed("the issuer CA key cannot be made", e))?;
        let name = format!("{} credential issuer CA", t.issuer);
        let der = ca_certificate(&key, &name, now, CA_DAYS)
            .map_err(|e| failed("the issuer CA cannot be made", e))?;
        let sealed = self.kek.seal(&seal_context(t), &pkcs8);
        let definition = json!({"der": b64_encode(&der), "sealed_key": b64url_encode(sealed)});
        self.save_issuer_record((t, SYSTEM), CA_KIND, CA_ID, definition, now)
            .await?;
        match self.stored_issuer_record(t, CA_KIND, CA_ID).await? {
            Some(stored) => self.open_ca(t, &stored),
            None => Ok(IssuerCa {
                key,
                der,
                chain: Vec::new(),
            }),
        }
    }

    /// Replaces the tenant's issuer CA with an operator's (`sigil credentials
    /// import-issuer-ca`): PEM certificates (the CA, then any intermediates above it) and
    /// its PKCS#8 P-256 key, checked, the key sealed at rest. Signing keys get certificates
    /// from it as they next sign (a leaf of another CA is not current).
    pub async fn import_issuer_ca(
        &self,
        t: &TenantCtx,
        actor: &str,
        certificates: &str,
        key: &str,
    ) -> Result<(), AdminError> {
        let now = self.now();
        let imported =
            sigil_vc::trust::read_imported_ca(certificates, key, now.0).map_err(|message| {
                AdminError::Invalid {
                    field: "certificate",
                    message,
                }
            })?;
        let sealed = self.kek.seal(&seal_context(t), &imported.pkcs8);
        let chain: Vec<String> = imported.chain.iter().map(b64_encode).collect();
        let definition = json!({
            "der": b64_encode(&imported.certificate),
            "sealed_key": b64url_encode(sealed),
            "chain": chain,
            "imported": true,
        });
        self.save_issuer_record((t, actor), CA_KIND, CA_ID, definition, now)
            .await
            .map_err(crate::presentations::oauth_admin)
    }

    fn open_ca(&self, t: &TenantCtx, stored: &Value) -> Result<IssuerCa, OAuthError> {
        let unreadable = || OAuthError::new(ErrorCode::ServerError, "the issuer CA is unreadable");
        let der = stored["der"]
            .as_str()
            .and_then(b64_decode)
            .ok_or_else(unreadable)?;
        let sealed = stored["sealed_key"]
            .as_str()
            .and_then(b64url_decode)
            .ok_or_else(unreadable)?;
        let pkcs8 = self
            .kek
            .open(&seal_context(t), &sealed)
            .map_err(|_| unreadable())?;
        let key = SigningKey::from_pkcs8(SigningAlg::ES256, &pkcs8).map_err(|_| unreadable())?;
        let chain = stored["chain"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c.as_str().and_then(b64_decode).ok_or_else(unreadable))
            .collect::<Result<_, _>>()?;
        Ok(IssuerCa { key, der, chain })
    }

    /// The certificate (DER) the tenant's CA issues for `key` to sign request objects with,
    /// naming `dns`, the stored one while it is current; and the intermediates (base64 DER)
    /// that follow it in `x5c`.
    pub(crate) async fn verifier_certificate(
        &self,
        t: &TenantCtx,
        key: &SigningKey,
        dns: &[String],
        now: UnixTime,
    ) -> Result<(Vec<u8>, Vec<String>), OAuthError> {
        let ca = self.issuer_ca(t, now).await?;
        let leaf = Leaf {
            kind: VERIFIER_LEAF_KIND,
            common_name: format!("{} verifier", t.issuer),
            purpose: LeafUse::RequestSigning,
            names: dns.to_vec(),
        };
        let der = self.leaf(t, key, &leaf, (&ca.key, &ca.der), now).await?;
        let chain = ca.x5c_after(&der).split_off(1);
        Ok((der, chain))
    }

    /// The certificate of credential signing key `key`, naming the issuer's URL and host.
    async fn issuer_leaf(
        &self,
        t: &TenantCtx,
        key: &SigningKey,
        ca: (&SigningKey, &[u8]),
        now: UnixTime,
    ) -> Result<Vec<u8>, OAuthError> {
        let mut names = vec![t.issuer.clone()];
        if let Some(host) = url::Url::parse(&t.issuer)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_owned()))
        {
            names.push(host);
        }
        let leaf = Leaf {
            kind: LEAF_KIND,
            common_name: format!("{} credential issuer", t.issuer),
            purpose: LeafUse::DocumentSigning,
            names,
        };
        self.leaf(t, key, &leaf, ca, now).await
    }

    /// The certificate the CA issues `key` as `leaf` says, the stored one while it is current
    /// (same CA, same names, not near its end).
    async fn leaf(
        &self,
        t: &TenantCtx,
        key: &SigningKey,
        leaf: &Leaf,
        ca: (&SigningKey, &[u8]),
        now: UnixTime,
    ) -> Result<Vec<u8>, OAuthError> {
        let ca_digest = Digest32::of(ca.1).to_b64url();
        if let Some(stored) = self.stored_issuer_record(t, leaf.kind, key.kid()).await? {
            let current = stored["ca"] == json!(ca_digest)
                && stored["names"] == json!(leaf.names)
                && stored["not_after"]
                    .as_i64()
                    .is_some_and(|end| end - now.0 > RENEW_BEFORE);
            if let (true, Some(der)) = (current, stored["der"].as_str().and_then(b64_decode)) {
                return Ok(der);
            }
        }
        let der = issued_certificate(
            key,
            (&leaf.common_name, leaf.purpose),
            &leaf.names,
            ca,
            now,
            LEAF_DAYS,
        )
        .map_err(|e| failed("the signing key's certificate cannot be made", e))?;
        let definition = json!({
            "der": b64_encode(&der),
            "names": leaf.names,
            "ca": ca_digest,
            "not_after": now.0 - 60 + LEAF_DAYS * 24 * 3600,
        });
        self.save_issuer_record((t, SYSTEM), leaf.kind, key.kid(), definition, now)
            .await?;
        Ok(der)
    }
}

/// A tenant's issuer CA: its key, its certificate, and (for an operator's CA) the
/// intermediates above it.
struct IssuerCa {
    key: SigningKey,
    der: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

impl IssuerCa {
    /// The `x5c` of a token signed by the key of `leaf`: the leaf, then the intermediates
    /// above the CA when it is not the root itself. The CA, a trust anchor, stays out; so
    /// does a self-signed CA's certificate.
    fn x5c_after(&self, leaf: &[u8]) -> Vec<String> {
        std::iter::once(leaf)
            .chain(self.chain.iter().map(Vec::as_slice))
            .map(b64_encode)
            .collect()
    }
}

/// A kind of certificate the tenant's CA issues.
struct Leaf {
    /// Where it is stored.
    kind: &'static str,
    common_name: String,
    purpose: LeafUse,
    names: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x5c_is_the_leaf_then_the_intermediates_never_the_ca() {
        let (key, _) = SigningKey::generate(SigningAlg::ES256).expect("key");
        let ca = IssuerCa {
            key,
            der: b"ca".to_vec(),
            chain: vec![b"intermediate".to_vec()],
        };
        assert_eq!(
            ca.x5c_after(b"leaf"),
            [b64_encode(b"leaf"), b64_encode(b"intermediate")]
        );
        let own = IssuerCa {
            chain: Vec::new(),
            ..ca
        };
        assert_eq!(own.x5c_after(b"leaf"), [b64_encode(b"leaf")]);
    }
}
