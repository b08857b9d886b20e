//! Tenants: each is its own issuer with its own users, clients and keys.

use serde::{Deserialize, Serialize};

use crate::{TenantId, UnixTime};

/// A tenant record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Identifier, also the URL path segment (`/t/{id}`) for tenants other than `default`.
    pub id: TenantId,
    /// Name shown on hosted pages.
    pub display_name: String,
    /// When it was created.
    pub created_at: UnixTime,
}
