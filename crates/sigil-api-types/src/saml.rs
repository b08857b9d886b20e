//! SAML service providers Sigil is the identity provider of.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// A service provider to register (or replace) from its metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SamlServiceProviderImport {
    /// The SP's metadata XML (an `md:EntityDescriptor`).
    pub metadata: String,
    /// SAML attribute name to user field (`email`, `name`, `username`, `groups`, `sub`); by
    /// default `email`, `name`, `username` and `groups` under those names.
    #[serde(default)]
    pub attribute_map: Option<BTreeMap<String, String>>,
    /// Encrypt its assertions to the encryption certificate of its metadata.
    #[serde(default)]
    pub encrypt_assertions: bool,
    /// Accept its requests signed with SHA-1 or RSA keys under 2048 bits (an old SP that
    /// cannot do better; each such request is logged).
    #[serde(default)]
    pub allow_legacy_algorithms: bool,
}

/// A registered service provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SamlServiceProviderResource {
    /// Its name in the tenant.
    pub name: String,
    /// 1 when imported, one more on every change.
    pub version: i64,
    /// Its IdP-initiated sign-in link.
    pub login_url: String,
    /// What Sigil keeps of its metadata: `entity_id`, `consumer_services`,
    /// `signing_certificates`, `encryption_certificates`, `authn_requests_signed`,
    /// `name_id_formats`, `logout_services`.
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// SAML attribute name to user field.
    pub attribute_map: BTreeMap<String, String>,
    /// Whether its assertions are encrypted.
    pub encrypt_assertions: bool,
    /// Whether its requests may be signed with SHA-1 or RSA keys under 2048 bits.
    pub allow_legacy_algorithms: bool,
}

/// The tenant's service providers, by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SamlServiceProviderList {
    /// The service providers.
    pub items: Vec<SamlServiceProviderResource>,
}
