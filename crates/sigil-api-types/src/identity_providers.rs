//! External identity providers Sigil signs people in through (docs/FEDERATION.md): OpenID
//! providers and SAML identity providers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A provider to add under a name, or to replace (a new version). Its identifier (an OpenID
/// provider's issuer, a SAML IdP's entity id) cannot change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityProviderPut {
    /// `oidc` or `saml`.
    #[schema(example = "oidc")]
    pub kind: String,
    /// What the sign-in page calls it (default: its name).
    #[serde(default)]
    pub display_name: Option<String>,
    /// OpenID: its discovery URL (`…/.well-known/openid-configuration`) or its issuer.
    #[serde(default)]
    pub discovery_url: Option<String>,
    /// OpenID: Sigil's client id there.
    #[serde(default)]
    pub client_id: Option<String>,
    /// OpenID: Sigil's client secret there (stored sealed, never shown); none for a public
    /// client (PKCE alone).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// OpenID: the scopes asked for (with `openid`); `openid email profile` when absent.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// SAML: its metadata XML (an `md:EntityDescriptor` with an IdP descriptor).
    #[serde(default)]
    pub metadata: Option<String>,
    /// SAML: accept its SHA-1 signatures and RSA keys under 2048 bits (each use logged).
    #[serde(default)]
    pub allow_legacy_algorithms: bool,
    /// E-mail domains whose users sign in there (home-realm discovery).
    #[serde(default)]
    pub domains: Vec<String>,
    /// Account field (`username`, `email`, `name`, `groups`) to the claim or SAML attribute
    /// that fills it, over the defaults of the kind.
    #[serde(default)]
    pub claims: BTreeMap<String, String>,
    /// The provider's group names to local group names.
    #[serde(default)]
    pub groups: BTreeMap<String, String>,
    /// Only let in identities linked to an account already (no just-in-time accounts).
    #[serde(default)]
    pub link_only: bool,
}

/// A provider as the API shows it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IdentityProviderResource {
    /// Its name (`/login/idp/{name}`, `idp_hint={name}`).
    pub name: String,
    /// 1 when added, one more on every change.
    pub version: i64,
    /// `oidc` or `saml`.
    pub kind: String,
    /// What the sign-in page calls it.
    pub display_name: String,
    /// Its identifier: an OpenID provider's issuer, a SAML IdP's entity id.
    pub issuer: String,
    /// OpenID: Sigil's client id there.
    pub client_id: Option<String>,
    /// OpenID: whether Sigil holds a client secret for it.
    pub client_secret_set: bool,
    /// OpenID: the scopes asked for.
    pub scopes: Vec<String>,
    /// SAML: whether its legacy algorithms are accepted.
    pub allow_legacy_algorithms: bool,
    /// Its e-mail domains.
    pub domains: Vec<String>,
    /// Account field to claim or attribute.
    pub claims: BTreeMap<String, String>,
    /// The provider's groups to local groups.
    pub groups: BTreeMap<String, String>,
    /// Whether only linked identities sign in.
    pub link_only: bool,
    /// OpenID: the redirect URI to register at the provider.
    pub redirect_uri: String,
    /// OpenID: the post-logout redirect URI to register there.
    pub post_logout_redirect_uri: String,
    /// SAML: Sigil's service-provider metadata for this IdP (also Sigil's entity id there).
    pub sp_metadata_url: Option<String>,
}

/// The tenant's providers, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IdentityProviderList {
    /// The providers.
    pub items: Vec<IdentityProviderResource>,
}
