//! Federation records: which user an identity at an external provider is.

use serde::{Deserialize, Serialize};

use crate::{TenantId, UnixTime, UserId};

/// A link from a subject at an external identity provider to a local user: the user that
/// signing in there signs in as here. A subject links to one user; a user may have several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalIdentity {
    /// Owning tenant.
    pub tenant: TenantId,
    /// The provider's name in the tenant.
    pub provider: String,
    /// The provider's identifier of the person (OIDC `sub`, SAML persistent NameID).
    pub subject: String,
    /// The local user.
    pub user_id: UserId,
    /// When the link was made.
    pub created_at: UnixTime,
}
