//! Managing users: create, read, list, change, set a password, delete.
//!
//! Changes are optimistic: an update names the revision it was based on (the API's `If-Match`)
//! and the store applies it only if that is still the stored revision, so two administrators
//! never overwrite each other blindly. Callers without a revision (the CLI) read, change and
//! write in a short retry loop instead.

use serde_json::json;
use sigil_core::model::{AuditEvent, AuditKind, User, validate_username};
use sigil_core::{TenantId, UserId};
use sigil_store::UserQuery;

use super::{AdminError, Precondition, check_page, invalid};
use crate::provider::Provider;

/// How often a change without a precondition is retried when it races another.
const RETRIES: usize = 3;

/// A new user.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// Sign-in name.
    pub username: String,
    /// Initial password, if the user signs in with one.
    pub password: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Whether the e-mail address is known to be the user's.
    pub email_verified: bool,
    /// Display name.
    pub name: Option<String>,
    /// The identifier a provisioning client knows the user by.
    pub external_id: Option<String>,
    /// Further profile attributes (SCIM JSON).
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Created disabled (a provisioned account not yet active).
    pub disabled: bool,
}

/// Changes to a user; `None` leaves a field alone, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    /// New sign-in name.
    pub username: Option<String>,
    /// New e-mail address, or none.
    pub email: Option<Option<String>>,
    /// Whether the e-mail address is verified.
    pub email_verified: Option<bool>,
    /// New display name, or none.
    pub name: Option<Option<String>>,
    /// Disables (no sign-in, tokens stop working) or enables the user.
    pub disabled: Option<bool>,
    /// New external identifier, or none.
    pub external_id: Option<Option<String>>,
    /// New further profile attributes (replacing the old ones).
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
    /// New password (checked against the policy and hashed before the change is written).
    pub password: Option<String>,
}

/// An e-mail address as the API's schema describes it: at most 254 characters, one `@`
/// between non-empty parts, no whitespace or control characters. (Deliverability is the
/// mail system's business.)
fn check_email(email: Option<&str>) -> Result<(), AdminError> {
    let Some(e) = email else { return Ok(()) };
    let well_formed = e.chars().count() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if well_formed {
        Ok(())
    } else {
        Err(invalid("email", "email is not an e-mail address"))
    }
}

fn clean_name(name: Option<String>) -> Result<Option<String>, AdminError> {
    match name {
        Some(n) if n.chars().count() > 200 => {
            Err(invalid("name", "name must be at most 200 characters"))
        }
        Some(n) if n.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

fn check_username(username: &str) -> Result<(), AdminError> {
    validate_username(username).map_err(|e| invalid("username", e.to_string()))
}

impl UserPatch {
    /// Applies the patch to `user`, validating each changed field.
    fn apply(self, user: &mut User) -> Result<(), AdminError> {
        if let Some(username) = self.username {
            check_username(&username)?;
            user.username = username;
        }
        if let Some(email) = self.email {
            check_email(email.as_deref())?;
            if email != user.email {
                user.email_verified = false;
            }
            user.email = email;
        }
        if let Some(verified) = self.email_verified {
            user.email_verified = verified && user.email.is_some();
        }
        if let Some(name) = self.name {
            user.name = clean_name(name)?;
        }
        if let Some(disabled) = self.disabled {
            user.disabled = disabled;
        }
        if let Some(external_id) = self.external_id {
            user.external_id = external_id;
        }
        if let Some(attributes) = self.attributes {
            user.attributes = attributes;
        }
        Ok(())
    }
}

impl Provider {
    async fn hash_new_password(
        &self,
        password: String,
        username: &str,
    ) -> Result<String, AdminError> {
        self.passwords
            .check_policy(&password, username)
            .map_err(|e| invalid("password", format!("password {e}")))?;
        self.passwords
            .hash(password)
            .await
            .map_err(|e| invalid("password", e.to_string()))
    }

    /// Creates a user; the password is checked against the policy and hashed with argon2id.
    pub async fn create_user(
        &self,
        tenant: &TenantId,
        new: NewUser,
        actor: &str,
    ) -> Result<User, AdminError> {
        self.require_tenant(tenant).await?;
        check_username(&new.username)?;
        check_email(new.email.as_deref())?;
        let name = clean_name(new.name)?;
        let password_hash = match new.password {
            Some(pw) => Some(self.hash_new_password(pw, &new.username).await?),
            None => None,
        };
        let now = self.now();
        let user = User {
            tenant: tenant.clone(),
            id: UserId::generate(),
            email_verified: new.email_verified && new.email.is_some(),
            username: new.username,
            email: new.email,
            name,
            password_hash,
            disabled: new.disabled,
            external_id: new.external_id,
            attributes: new.attributes,
            created_at: now,
            updated_at: now,
            revision: 1,
        };
        let audit = AuditEvent::new(tenant, now, AuditKind::UserCreated, actor)
            .user(&user.id)
            .details(json!({"username": user.username}));
        self.store.create_user(&user, &audit).await?;
        Ok(user)
    }

    /// Reads a user.
    pub async fn get_user(&self, tenant: &TenantId, id: &UserId) -> Result<User, AdminError> {
        self.store
            .get_user(tenant, id)
            .await?
            .ok_or(AdminError::NotFound("user"))
    }

    /// Finds a user by subject or, failing that, by username (what the CLI accepts).
    pub async fn find_user(&self, tenant: &TenantId, name_or_id: &str) -> Result<User, AdminError> {
        if let Ok(id) = UserId::parse(name_or_id)
            && let Some(user) = self.store.get_user(tenant, &id).await?
        {
            return Ok(user);
        }
        self.store
            .find_user_by_username(tenant, &sigil_core::model::normalize_username(name_or_id))
            .await?
            .ok_or(AdminError::NotFound("user"))
    }

    /// Lists a page of users (at most [`super::MAX_PAGE`]) and whether more follow.
    pub async fn list_users(
        &self,
        tenant: &TenantId,
        mut query: UserQuery,
    ) -> Result<(Vec<User>, bool), AdminError> {
        let limit = query.limit;
        check_page(limit)?;
        if let Some(prefix) = query.username_prefix.take() {
            query.username_prefix = Some(sigil_core::model::normalize_username(&prefix));
        }
        // One more than asked tells whether there is a next page.
        query.limit = limit + 1;
        let mut users = self.store.list_users(tenant, &query).await?;
        let more = users.len() > limit as usize;
        users.truncate(limit as usize);
        Ok((users, more))
    }

    /// The users a search finds: a slice and how many match in all.
    pub async fn search_users(
        &self,
        tenant: &TenantId,
        search: &sigil_store::Search<sigil_store::UserField>,
    ) -> Result<sigil_store::Found<User>, AdminError> {
        self.require_tenant(tenant).await?;
        Ok(self.store.search_users(tenant, search).await?)
    }

    /// Reads, changes and writes a user, optimistically: with a precondition, once; without,
    /// retrying a few times when another change slips in between.
    async fn change_user(
        &self,
        tenant: &TenantId,
        id: &UserId,
        expect: Precondition,
        audit: impl Fn(&User) -> AuditEvent,
        change: impl Fn(&mut User) -> Result<(), AdminError>,
    ) -> Result<User, AdminError> {
        for _ in 0..RETRIES {
            let stored = self.get_user(tenant, id).await?;
            // A refused value is reported whatever the revision.
            let mut user = stored.clone();
            change(&mut user)?;
            expect.check(stored.revision, "user")?;
            user.updated_at = self.now();
            if self.store.update_user(&user, &audit(&user)).await? {
                user.revision += 1;
                return Ok(user);
            }
            if expect != Precondition::None {
                return Err(AdminError::Stale("user"));
            }
        }
        Err(AdminError::Stale("user"))
    }

    /// Changes a user's profile, status or password.
    pub async fn update_user(
        &self,
        tenant: &TenantId,
        id: &UserId,
        mut patch: UserPatch,
        expect: Precondition,
        actor: &str,
    ) -> Result<User, AdminError> {
        let changed: Vec<&str> = [
            ("username", patch.username.is_some()),
            ("email", patch.email.is_some()),
            ("email_verified", patch.email_verified.is_some()),
            ("name", patch.name.is_some()),
            ("disabled", patch.disabled.is_some()),
            ("external_id", patch.external_id.is_some()),
            ("attributes", patch.attributes.is_some()),
            ("password", patch.password.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, set)| set.then_some(field))
        .collect();
        let password_hash = match patch.password.take() {
            Some(password) => {
                let username = match &patch.username {
                    Some(name) => name.clone(),
                    None => self.get_user(tenant, id).await?.username,
                };
                Some(self.hash_new_password(password, &username).await?)
            }
            None => None,
        };
        let now = self.now();
        self.change_user(
            tenant,
            id,
            expect,
            |user| {
                AuditEvent::new(tenant, now, AuditKind::UserUpdated, actor)
                    .user(&user.id)
                    .details(json!({"fields": changed, "disabled": user.disabled}))
            },
            |user| {
                patch.clone().apply(user)?;
                if let Some(hash) = &password_hash {
                    user.password_hash = Some(hash.clone());
                }
                Ok(())
            },
        )
        .await
    }

    /// Sets a user's password (checked against the policy, hashed with argon2id).
    pub async fn set_password(
        &self,
        tenant: &TenantId,
        id: &UserId,
        password: String,
        actor: &str,
    ) -> Result<User, AdminError> {
        let user = self.get_user(tenant, id).await?;
        let hash = self.hash_new_password(password, &user.username).await?;
        let now = self.now();
        self.change_user(
            tenant,
            id,
            Precondition::None,
            |user| AuditEvent::new(tenant, now, AuditKind::UserPasswordSet, actor).user(&user.id),
            |user| {
                user.password_hash = Some(hash.clone());
                Ok(())
            },
        )
        .await
    }

    /// Deletes a user, their sessions and consents, and revokes their grants.
    pub async fn delete_user(
        &self,
        tenant: &TenantId,
        id: &UserId,
        expect: Precondition,
        actor: &str,
    ) -> Result<(), AdminError> {
        let audit = AuditEvent::new(tenant, self.now(), AuditKind::UserDeleted, actor).user(id);
        if self
            .store
            .delete_user(tenant, id, expect.revision(), &audit)
            .await?
        {
            return Ok(());
        }
        // Nothing was deleted: tell a missing user from a changed one.
        self.get_user(tenant, id).await?;
        Err(AdminError::Stale("user"))
    }
}
