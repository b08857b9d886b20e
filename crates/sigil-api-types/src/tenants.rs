//! Tenants: separate issuers, each with its own users, clients, keys and audit trail.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TenantResource {
    /// Identifier, also the path segment of its issuer (`/t/{id}`).
    pub id: String,
    /// Name shown on hosted pages.
    pub display_name: String,
    /// The tenant's issuer URL (its API is at `{issuer}/api/v1`).
    pub issuer: String,
    /// Creation time (RFC 3339).
    pub created_at: String,
}

/// A tenant to create.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantCreate {
    /// Identifier: 1 to 63 lowercase letters, digits and hyphens, not starting or ending
    /// with a hyphen.
    #[schema(
        min_length = 1,
        max_length = 63,
        pattern = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
    )]
    pub id: String,
    /// Name shown on hosted pages; the id when absent.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub display_name: Option<String>,
}

/// The tenants the caller may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TenantList {
    /// The tenants, by id.
    pub items: Vec<TenantResource>,
}
