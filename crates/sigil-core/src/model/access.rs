//! Applications behind the identity-aware gateway, as stored: the document is
//! `sigil_policy::Application` in JSON (this crate does not depend on the policy crate).

use serde::{Deserialize, Serialize};

use crate::{TenantId, UnixTime};

/// One gateway application and its version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessApp {
    /// Owning tenant.
    pub tenant: TenantId,
    /// Its name, unique in the tenant.
    pub name: String,
    /// 1 when first saved, one more on every save.
    pub version: i64,
    /// Realms, routes, Cedar policies and identity headers.
    pub document: serde_json::Value,
    /// When it was first saved.
    pub created_at: UnixTime,
    /// When it was last saved.
    pub updated_at: UnixTime,
}
