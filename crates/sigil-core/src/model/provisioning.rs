//! Provisioning tokens: the static bearer tokens that HR systems which cannot run an OAuth
//! client-credentials flow present to the SCIM endpoint. Only their digest is stored.

use serde::{Deserialize, Serialize};

use crate::digest::Digest32;
use crate::{TenantId, UnixTime};

/// The prefix of every provisioning token, so that one found in a log or a repository is
/// recognisable (and secret scanners can match it).
pub const PROVISIONING_TOKEN_PREFIX: &str = "sigil_scim_";

/// A provisioning token as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisioningToken {
    /// Owning tenant: the token provisions this tenant only.
    pub tenant: TenantId,
    /// Identifier (not secret), shown in listings and audit events.
    pub id: String,
    /// What the administrator called it (the HR system it was given to).
    pub name: String,
    /// SHA-256 of the token.
    pub digest: Digest32,
    /// Creation time.
    pub created_at: UnixTime,
}
