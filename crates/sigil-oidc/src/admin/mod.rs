//! Administration shared by the CLI and the management API: tenants, users, groups, clients,
//! sessions, audit. Input is
//! validated here, once, whatever front end it came through; every change is audited with the
//! actor who made it.

mod audit;
mod clients;
mod global_revocation;
mod groups;
mod provisioning;
mod sessions;
mod users;

pub use clients::{ClientPatch, CreatedClient, NewClient};
pub use global_revocation::GlobalRevocationError;
pub use groups::{GroupPatch, NewGroup};
pub use users::{NewUser, UserPatch};

use sigil_core::TenantId;
use sigil_core::model::{AuditEvent, AuditKind, Tenant};
use sigil_store::StoreError;

use crate::provider::Provider;

/// Every scope of the management API with what it allows. A client holding them all (`sigil
/// client create --admin`) administers its tenant; the default tenant's `tenants:*` scopes
/// reach all tenants.
pub const MANAGEMENT_SCOPES: &[(&str, &str)] = &[
    ("users:read", "read users"),
    (
        "users:write",
        "create, change and delete users, set passwords",
    ),
    ("clients:read", "read clients"),
    (
        "clients:write",
        "register, change and delete clients, rotate secrets",
    ),
    ("groups:read", "read groups and their members"),
    (
        "groups:write",
        "create, rename and delete groups, change their members",
    ),
    ("sessions:read", "read users' sessions"),
    ("sessions:write", "end users' sessions"),
    ("keys:read", "read signing keys"),
    ("keys:write", "rotate signing keys"),
    ("audit:read", "read audit events"),
    ("tenants:read", "read tenants"),
    ("tenants:write", "create tenants"),
    ("hooks:read", "read event hooks and their deliveries"),
    ("hooks:write", "register, change and delete event hooks"),
    ("scim", "provision users and groups over SCIM 2.0"),
    ("credentials:read", "read users' verifiable credentials"),
    (
        "credentials:write",
        "offer verifiable credentials, suspend, reinstate and revoke them",
    ),
    (
        "presentations:read",
        "read the results of presentation requests",
    ),
    ("presentations:write", "start presentation requests"),
    (
        "policies:read",
        "read gateway applications and their access policies, and dry-run decisions",
    ),
    (
        "policies:write",
        "save gateway applications and their access policies",
    ),
    (
        "identity-providers:read",
        "read the external identity providers people sign in through",
    ),
    (
        "identity-providers:write",
        "add, change and remove external identity providers",
    ),
];

/// Why an administrative change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A field is invalid; `message` says why.
    #[error("{message}")]
    Invalid {
        /// The field, as named in the API (`username`, `redirect_uris`, …).
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// Something with the same identity exists.
    #[error("{0} already exists")]
    Conflict(String),
    /// The referenced tenant does not exist.
    #[error("tenant {0} does not exist")]
    NoSuchTenant(String),
    /// The record does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The record changed since the caller read it (its revision is not the expected one).
    #[error("the {0} was changed by someone else; read it again")]
    Stale(&'static str),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => AdminError::Conflict(what.to_owned()),
            other => AdminError::Store(other),
        }
    }
}

/// Longest page a list may ask for.
pub const MAX_PAGE: u32 = 200;

/// What a change expects of the stored record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Nothing: apply the change to whatever is stored now.
    None,
    /// The stored revision must be this one.
    Revision(i64),
}

impl Precondition {
    /// Refuses a record (a `what`) whose stored revision is not the expected one.
    pub(crate) fn check(self, stored: i64, what: &'static str) -> Result<(), AdminError> {
        match self {
            Precondition::Revision(expected) if expected != stored => Err(AdminError::Stale(what)),
            _ => Ok(()),
        }
    }

    /// The expected revision, if any.
    pub(crate) fn revision(self) -> Option<i64> {
        match self {
            Precondition::None => None,
            Precondition::Revision(r) => Some(r),
        }
    }
}

/// Refuses a page size outside 1..=[`MAX_PAGE`].
pub(crate) fn check_page(limit: u32) -> Result<(), AdminError> {
    if limit == 0 || limit > MAX_PAGE {
        return Err(invalid(
            "limit",
            format!("limit must be between 1 and {MAX_PAGE}"),
        ));
    }
    Ok(())
}

/// Longest description of a group or hook, in characters.
const MAX_DESCRIPTION: usize = 1000;

/// A description as stored: at most [`MAX_DESCRIPTION`] characters; blank means none.
pub(crate) fn clean_description(description: Option<String>) -> Result<Option<String>, AdminError> {
    match description {
        Some(d) if d.chars().count() > MAX_DESCRIPTION => Err(invalid(
            "description",
            "description must be at most 1000 characters",
        )),
        Some(d) if d.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// An invalid `field`.
pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> AdminError {
    AdminError::Invalid {
        field,
        message: message.into(),
    }
}

/// A name that URLs and links are keyed by (an identity provider's, a SAML SP's): 1 to 64
/// lowercase letters, digits and hyphens; `what` names what it is the name of.
pub(crate) fn check_slug(name: &str, what: &str) -> Result<(), AdminError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "name",
            format!("{what}'s name is 1 to 64 lowercase letters, digits and hyphens"),
        ))
    }
}

impl Provider {
    /// Creates a tenant (with its signing keys).
    pub async fn create_tenant(
        &self,
        id: &str,
        display_name: &str,
        actor: &str,
    ) -> Result<Tenant, AdminError> {
        let id = TenantId::parse(id).map_err(|e| invalid("id", e.to_string()))?;
        let name = display_name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(invalid(
                "display_name",
                "display name must be 1 to 200 characters",
            ));
        }
        let now = self.now();
        let tenant = Tenant {
            id: id.clone(),
            display_name: name.to_owned(),
            created_at: now,
        };
        let audit = AuditEvent::new(&id, now, AuditKind::TenantCreated, actor);
        self.store.create_tenant(&tenant, &audit).await?;
        self.invalidate_caches();
        self.ensure_keys(&id)
            .await
            .map_err(|e| invalid("id", format!("tenant created but its keys failed: {e}")))?;
        Ok(tenant)
    }

    /// Every tenant, by id.
    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, AdminError> {
        let mut tenants = self.store.list_tenants().await?;
        tenants.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        Ok(tenants)
    }

    /// A tenant.
    pub async fn get_tenant(&self, id: &TenantId) -> Result<Tenant, AdminError> {
        self.tenant(id)
            .await?
            .map(|t| (*t).clone())
            .ok_or(AdminError::NotFound("tenant"))
    }

    pub(crate) async fn require_tenant(&self, tenant: &TenantId) -> Result<(), AdminError> {
        match self.tenant(tenant).await? {
            Some(_) => Ok(()),
            None => Err(AdminError::NoSuchTenant(tenant.to_string())),
        }
    }
}
