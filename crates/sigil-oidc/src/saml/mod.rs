//! Sigil as a SAML 2.0 identity provider: service providers registered from their metadata
//! (access documents of kind `SamlServiceProvider`, versioned), the IdP's metadata and its
//! signing certificate (the tenant's RS256 key, certified by itself), single sign-on
//! ([`sso`]) and SP-initiated single logout ([`slo`]). The XML itself is [`sigil_saml`]'s business.

pub mod binding;
mod certificate;
pub mod initiated;
pub mod post_form;
pub mod slo;
pub mod sso;

pub use sigil_saml::outgoing::PostForm;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sigil_core::UnixTime;
use sigil_core::model::{AccessApp, AccessKind, AuditEvent, AuditKind, SigningAlg};
use sigil_saml::metadata::{IdpMetadata, SpMetadata, parse_sp_metadata};

use crate::admin::{AdminError, check_slug, invalid};
use crate::provider::{Provider, TenantCtx};

/// Where the IdP's single sign-on service is, under the tenant's issuer.
pub const SSO_PATH: &str = "/saml/sso";
/// How long signed IdP metadata says it is valid (`validUntil`).
pub const SIGNED_METADATA_VALIDITY: std::time::Duration =
    std::time::Duration::from_secs(7 * 24 * 3600);
/// Where the IdP's metadata is, under the tenant's issuer (also its entity id).
pub const METADATA_PATH: &str = "/saml/metadata";

/// A registered service provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceProvider {
    /// What its metadata says.
    pub metadata: SpMetadata,
    /// SAML attribute name to user field (`email`, `name`, `username`, `groups`, `sub`).
    #[serde(default = "default_attribute_map")]
    pub attribute_map: BTreeMap<String, String>,
    /// Whether its assertions are encrypted (to the first encryption certificate of its
    /// metadata).
    #[serde(default)]
    pub encrypt_assertions: bool,
    /// Whether its requests may be signed with SHA-1 or RSA keys under 2048 bits (an old SP
    /// that cannot do better; each such request is logged).
    #[serde(default)]
    pub allow_legacy_algorithms: bool,
}

/// Attributes sent when an SP is imported without a mapping.
fn default_attribute_map() -> BTreeMap<String, String> {
    [
        ("email", "email"),
        ("name", "name"),
        ("username", "username"),
        ("groups", "groups"),
    ]
    .into_iter()
    .map(|(a, f)| (a.to_owned(), f.to_owned()))
    .collect()
}

/// The user fields an attribute can carry.
const FIELDS: &[&str] = &["email", "name", "username", "groups", "sub"];

/// A registered SP with its name and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceProviderView {
    /// Its name in the tenant.
    pub name: String,
    /// 1 when imported, one more on every change.
    pub version: i64,
    /// Its IdP-initiated sign-in link.
    pub login_url: String,
    /// The SP.
    #[serde(flatten)]
    pub sp: ServiceProvider,
}

impl ServiceProviderView {
    /// The certificates (and algorithms) its messages must be signed with.
    pub(crate) fn trust(&self) -> sigil_saml::verify::Trust<'_> {
        sigil_saml::verify::Trust {
            certificates: &self.sp.metadata.signing_certificates,
            allow_legacy: self.sp.allow_legacy_algorithms,
        }
    }
}

fn corrupt(record: &AccessApp, e: impl std::fmt::Display) -> AdminError {
    AdminError::Store(sigil_store::StoreError::Corrupt(format!(
        "SAML service provider {}: {e}",
        record.name
    )))
}

/// How an SP is to be served, beyond what its metadata says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpSettings {
    /// SAML attribute name to user field; `email`, `name`, `username` and `groups` under those
    /// names when absent.
    pub attribute_map: Option<BTreeMap<String, String>>,
    /// Encrypt its assertions.
    pub encrypt_assertions: bool,
    /// Accept its requests signed with SHA-1 or RSA keys under 2048 bits (logged).
    pub allow_legacy_algorithms: bool,
}

impl Provider {
    /// Registers (or replaces) a service provider from its metadata XML, under `name` (by
    /// default a name derived from its entity id).
    pub async fn import_saml_sp(
        &self,
        t: &TenantCtx,
        actor: &str,
        name: Option<&str>,
        metadata_xml: &str,
        settings: SpSettings,
    ) -> Result<ServiceProviderView, AdminError> {
        let metadata =
            parse_sp_metadata(metadata_xml).map_err(|e| invalid("metadata", e.to_string()))?;
        let encrypt_assertions = settings.encrypt_assertions;
        if encrypt_assertions && metadata.encryption_certificates.is_empty() {
            return Err(invalid(
                "encrypt_assertions",
                "the SP's metadata has no encryption certificate",
            ));
        }
        let name = match name {
            Some(n) => n.to_owned(),
            None => default_name(&metadata.entity_id),
        };
        check_slug(&name, "a service provider")?;
        let attribute_map = settings.attribute_map.unwrap_or_else(default_attribute_map);
        if let Some((attr, field)) = attribute_map
            .iter()
            .find(|(_, f)| !FIELDS.contains(&f.as_str()))
        {
            return Err(invalid(
                "attribute_map",
                format!("{attr}: {field} is not one of {}", FIELDS.join(", ")),
            ));
        }
        if let Some(other) = self.saml_sp_by_entity_id(t, &metadata.entity_id).await?
            && other.name != name
        {
            return Err(AdminError::Conflict(format!(
                "entity id {} (registered as {})",
                metadata.entity_id, other.name
            )));
        }
        let sp = ServiceProvider {
            metadata,
            attribute_map,
            encrypt_assertions,
            allow_legacy_algorithms: settings.allow_legacy_algorithms,
        };
        let now = self.now();
        let record = AccessApp {
            tenant: t.id.clone(),
            kind: AccessKind::SamlServiceProvider,
            name: name.clone(),
            version: 0,
            document: serde_json::to_value(&sp).map_err(|e| invalid("metadata", e.to_string()))?,
            created_at: now,
            updated_at: now,
        };
        let event = AuditEvent::new(&t.id, now, AuditKind::SamlSpSaved, actor)
            .details(json!({"sp": name, "entity_id": sp.metadata.entity_id}));
        self.store.save_access_apps(&[record], &[event]).await?;
        self.saml_sp(t, &name).await
    }

    /// The SP `name`.
    pub async fn saml_sp(
        &self,
        t: &TenantCtx,
        name: &str,
    ) -> Result<ServiceProviderView, AdminError> {
        let record = self
            .store
            .get_access_app(&t.id, AccessKind::SamlServiceProvider, name)
            .await?
            .ok_or(AdminError::NotFound("SAML service provider"))?;
        view(t, &record)
    }

    /// The tenant's SPs, by name.
    pub async fn saml_sps(&self, t: &TenantCtx) -> Result<Vec<ServiceProviderView>, AdminError> {
        self.store
            .list_access_apps(&t.id, AccessKind::SamlServiceProvider)
            .await?
            .iter()
            .map(|r| view(t, r))
            .collect()
    }

    /// Removes the SP `name`.
    pub async fn delete_saml_sp(
        &self,
        t: &TenantCtx,
        actor: &str,
        name: &str,
    ) -> Result<(), AdminError> {
        let event = AuditEvent::new(&t.id, self.now(), AuditKind::SamlSpDeleted, actor)
            .details(json!({"sp": name}));
        let deleted = self
            .store
            .delete_access_app(&t.id, AccessKind::SamlServiceProvider, name, &event)
            .await?;
        if deleted {
            Ok(())
        } else {
            Err(AdminError::NotFound("SAML service provider"))
        }
    }

    /// The SP whose entity id is `entity_id`.
    pub(crate) async fn saml_sp_by_entity_id(
        &self,
        t: &TenantCtx,
        entity_id: &str,
    ) -> Result<Option<ServiceProviderView>, AdminError> {
        let records = self
            .store
            .list_access_apps(&t.id, AccessKind::SamlServiceProvider)
            .await?;
        for record in &records {
            let sp = view(t, record)?;
            if sp.sp.metadata.entity_id == entity_id {
                return Ok(Some(sp));
            }
        }
        Ok(None)
    }

    /// The tenant's SAML signing key (its RS256 key) and that key's certificate.
    pub(crate) async fn saml_signer(
        &self,
        t: &TenantCtx,
        now: UnixTime,
    ) -> Result<(std::sync::Arc<sigil_keys::SigningKey>, Vec<u8>), AdminError> {
        let key = self
            .keyring(&t.id)
            .await
            .map_err(|e| invalid("keys", e.to_string()))?
            .signer(SigningAlg::RS256, now)
            .ok_or_else(|| invalid("keys", "the tenant has no RS256 signing key"))?;
        let der = self
            .key_certificate(t, &key, "Sigil SAML identity provider", &[], now)
            .await?;
        Ok((key, der))
    }

    /// The tenant's P-256 signing key and its certificate, for SPs that accept ECDSA; none
    /// when the tenant has no such key.
    pub(crate) async fn saml_ec_signer(
        &self,
        t: &TenantCtx,
        now: UnixTime,
    ) -> Option<(std::sync::Arc<sigil_keys::SigningKey>, Vec<u8>)> {
        let key = self
            .keyring(&t.id)
            .await
            .ok()?
            .signer(SigningAlg::ES256, now)?;
        let der = self
            .key_certificate(t, &key, "Sigil SAML identity provider", &[], now)
            .await
            .ok()?;
        Some((key, der))
    }

    /// The key and certificate that sign for `sp`: the P-256 key when its metadata says it
    /// accepts ECDSA-SHA256, the RSA key otherwise.
    pub(crate) async fn saml_signer_for(
        &self,
        t: &TenantCtx,
        sp: &ServiceProviderView,
        now: UnixTime,
    ) -> Result<(std::sync::Arc<sigil_keys::SigningKey>, Vec<u8>), AdminError> {
        if sp.sp.metadata.accepts_ecdsa()
            && let Some(ec) = self.saml_ec_signer(t, now).await
        {
            return Ok(ec);
        }
        self.saml_signer(t, now).await
    }

    /// The IdP's metadata XML; `signed`: signed with the key it publishes, valid for
    /// [`SIGNED_METADATA_VALIDITY`].
    pub async fn saml_idp_metadata(
        &self,
        t: &TenantCtx,
        signed: bool,
    ) -> Result<String, AdminError> {
        let now = self.now();
        let (key, der) = self.saml_signer(t, now).await?;
        let metadata = IdpMetadata {
            entity_id: t.url(METADATA_PATH),
            sso_url: t.url(SSO_PATH),
            slo_url: t.url(slo::SLO_PATH),
            certificates: vec![der.clone()],
            ecdsa_certificate: self.saml_ec_signer(t, now).await.map(|(_, ec)| ec),
        };
        if !signed {
            return Ok(metadata.to_xml());
        }
        let valid_until = now.0 + SIGNED_METADATA_VALIDITY.as_secs() as i64;
        metadata
            .to_signed_xml(&key, &der, valid_until)
            .map_err(|e| invalid("keys", e.to_string()))
    }
}

fn view(t: &TenantCtx, record: &AccessApp) -> Result<ServiceProviderView, AdminError> {
    let sp: ServiceProvider =
        serde_json::from_value(record.document.clone()).map_err(|e| corrupt(record, e))?;
    Ok(ServiceProviderView {
        name: record.name.clone(),
        version: record.version,
        login_url: t.url(&format!("/saml/sp/{}/login", record.name)),
        sp,
    })
}

/// A name from an entity id: its host (or last path segment), lowercased, other characters
/// as hyphens.
fn default_name(entity_id: &str) -> String {
    let base = url::Url::parse(entity_id)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| {
            entity_id
                .rsplit([':', '/'])
                .next()
                .unwrap_or("sp")
                .to_owned()
        });
    let name: String = base
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(64)
        .collect();
    name.trim_matches('-').to_owned()
}
