//! Named, versioned configuration documents as stored: gateway applications
//! (`sigil_policy::Application` in JSON), sign-on policies of clients
//! (`sigil_policy::SignOnPolicy`) and external identity providers
//! (`sigil_oidc::federation::IdentityProvider`) and SAML service providers
//! (`sigil_oidc::saml::ServiceProvider`); this crate depends on neither.

use serde::{Deserialize, Serialize};

use crate::{TenantId, UnixTime};

/// What an access document decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessKind {
    /// A gateway application: requests to a legacy web application.
    #[default]
    GatewayApp,
    /// A client's sign-on policy: who may sign in to it, and how strongly.
    SignOn,
    /// An external identity provider users may sign in through (federation).
    IdentityProvider,
    /// A SAML service provider Sigil signs users in to.
    SamlServiceProvider,
}

/// One access document and its version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessApp {
    /// Owning tenant.
    pub tenant: TenantId,
    /// What it decides.
    pub kind: AccessKind,
    /// Its name, unique in the tenant and kind (a sign-on policy's is its client's id).
    pub name: String,
    /// 1 when first saved, one more on every save.
    pub version: i64,
    /// The document (for an application: realms, routes, Cedar policies, identity headers).
    pub document: serde_json::Value,
    /// When it was first saved.
    pub created_at: UnixTime,
    /// When it was last saved.
    pub updated_at: UnixTime,
}
