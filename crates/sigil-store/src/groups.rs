//! Groups and their members.

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, Group, User};
use sigil_core::{GroupId, TenantId, UnixTime, UserId};

use crate::StoreResult;
use crate::search::{Found, GroupField, Search};

/// Groups and memberships. A membership change counts as a change of its group (revision and
/// `updated_at`), so a group's entity tag covers its members.
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Creates a group; `Conflict` when the tenant has one of that name (ignoring case).
    async fn create_group(&self, group: &Group, audit: &AuditEvent) -> StoreResult<()>;
    /// A group by id.
    async fn get_group(&self, tenant: &TenantId, id: &GroupId) -> StoreResult<Option<Group>>;
    /// A page of a tenant's groups by normalised name (bytewise), optionally only names
    /// starting with `prefix` (normalised), after the normalised name `after`.
    async fn list_groups(
        &self,
        tenant: &TenantId,
        prefix: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<Group>>;
    /// Replaces a group's name and description if its stored revision is still
    /// `group.revision`, storing `group.revision + 1`; false when gone or changed since;
    /// `Conflict` when the new name is taken.
    async fn update_group(&self, group: &Group, audit: &AuditEvent) -> StoreResult<bool>;
    /// Like [`GroupStore::update_group`], and in the same transaction makes the users in `add`
    /// members and ends the memberships of those in `remove` (what a SCIM replace or patch of
    /// `members` amounts to). The users in `add` must exist.
    async fn update_group_and_members(
        &self,
        group: &Group,
        add: &[UserId],
        remove: &[UserId],
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
    /// The groups matching a search, the slice asked for, and how many match in all.
    async fn search_groups(
        &self,
        tenant: &TenantId,
        search: &Search<GroupField>,
    ) -> StoreResult<Found<Group>>;
    /// Deletes a group and its memberships (optionally only at a revision); false if there was
    /// no such group or it changed.
    async fn delete_group(
        &self,
        tenant: &TenantId,
        id: &GroupId,
        revision: Option<i64>,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
    /// Makes a user a member; false if they already were. The group and user must exist.
    async fn add_member(
        &self,
        tenant: &TenantId,
        group: &GroupId,
        user: &UserId,
        at: UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
    /// Ends a membership; false if there was none.
    async fn remove_member(
        &self,
        tenant: &TenantId,
        group: &GroupId,
        user: &UserId,
        at: UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
    /// A page of a group's members by user id (bytewise), after `after`.
    async fn list_members(
        &self,
        tenant: &TenantId,
        group: &GroupId,
        after: Option<&UserId>,
        limit: u32,
    ) -> StoreResult<Vec<User>>;
    /// Every group a user belongs to, by normalised name.
    async fn list_user_groups(&self, tenant: &TenantId, user: &UserId) -> StoreResult<Vec<Group>>;
    /// Every membership of these users (at most a few hundred), as (user, group) pairs in one
    /// query: the groups of a page of users.
    async fn list_groups_of_users(
        &self,
        tenant: &TenantId,
        users: &[UserId],
    ) -> StoreResult<Vec<(UserId, Group)>>;
}
