//! Managing groups and their members.

use std::collections::HashSet;

use serde_json::json;
use sigil_core::model::{
    AuditEvent, AuditKind, Group, User, normalize_group_name, validate_group_name,
};
use sigil_core::{GroupId, TenantId, UserId};

use super::{AdminError, Precondition, check_page, clean_description, invalid};
use crate::provider::Provider;

/// Changes to a group; `None` leaves a field alone, `Some(None)` clears the description.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupPatch {
    /// New name.
    pub name: Option<String>,
    /// New description, or none.
    pub description: Option<Option<String>>,
    /// New external identifier, or none.
    pub external_id: Option<Option<String>>,
    /// The complete new list of members.
    pub members: Option<Vec<UserId>>,
}

/// A new group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewGroup {
    /// Name, unique in the tenant ignoring case.
    pub name: String,
    /// What the group is for.
    pub description: Option<String>,
    /// The identifier a provisioning client knows the group by.
    pub external_id: Option<String>,
    /// Its first members.
    pub members: Vec<UserId>,
}

fn check_name(name: &str) -> Result<(), AdminError> {
    validate_group_name(name).map_err(|e| invalid("name", e.to_string()))
}

impl Provider {
    /// Creates a group.
    pub async fn create_group(
        &self,
        tenant: &TenantId,
        name: String,
        description: Option<String>,
        actor: &str,
    ) -> Result<Group, AdminError> {
        let new = NewGroup {
            name,
            description,
            ..NewGroup::default()
        };
        self.create_group_with(tenant, new, actor).await
    }

    /// Creates a group with an external identifier and first members.
    pub async fn create_group_with(
        &self,
        tenant: &TenantId,
        new: NewGroup,
        actor: &str,
    ) -> Result<Group, AdminError> {
        self.require_tenant(tenant).await?;
        check_name(&new.name)?;
        self.check_users_exist(tenant, &new.members).await?;
        let now = self.now();
        let mut group = Group {
            tenant: tenant.clone(),
            id: GroupId::generate(),
            name: new.name,
            description: clean_description(new.description)?,
            external_id: new.external_id,
            created_at: now,
            updated_at: now,
            revision: 1,
        };
        let audit = AuditEvent::new(tenant, now, AuditKind::GroupCreated, actor)
            .details(json!({"group_id": group.id, "name": group.name}));
        self.store.create_group(&group, &audit).await?;
        if !new.members.is_empty() {
            let audit = AuditEvent::new(tenant, now, AuditKind::GroupUpdated, actor)
                .details(json!({"group_id": group.id, "added": new.members}));
            if !self
                .store
                .update_group_and_members(&group, &new.members, &[], &audit)
                .await?
            {
                return Err(AdminError::Stale("group"));
            }
            group.revision += 1;
        }
        Ok(group)
    }

    /// Refuses member lists naming users that do not exist.
    async fn check_users_exist(
        &self,
        tenant: &TenantId,
        users: &[UserId],
    ) -> Result<(), AdminError> {
        for user in users {
            if self.store.get_user(tenant, user).await?.is_none() {
                return Err(invalid("members", format!("there is no user {user}")));
            }
        }
        Ok(())
    }

    /// Every member of a group, by user id.
    pub async fn all_members(
        &self,
        tenant: &TenantId,
        group: &GroupId,
    ) -> Result<Vec<User>, AdminError> {
        let mut all = Vec::new();
        loop {
            let page = self
                .store
                .list_members(
                    tenant,
                    group,
                    all.last().map(|u: &User| &u.id),
                    super::MAX_PAGE,
                )
                .await?;
            let done = page.len() < super::MAX_PAGE as usize;
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }

    /// The groups a search finds: a slice and how many match in all.
    pub async fn search_groups(
        &self,
        tenant: &TenantId,
        search: &sigil_store::Search<sigil_store::GroupField>,
    ) -> Result<sigil_store::Found<Group>, AdminError> {
        self.require_tenant(tenant).await?;
        Ok(self.store.search_groups(tenant, search).await?)
    }

    /// Reads a group.
    pub async fn get_group(&self, tenant: &TenantId, id: &GroupId) -> Result<Group, AdminError> {
        self.store
            .get_group(tenant, id)
            .await?
            .ok_or(AdminError::NotFound("group"))
    }

    /// Finds a group by id or, failing that, by name (what the CLI accepts).
    pub async fn find_group(
        &self,
        tenant: &TenantId,
        name_or_id: &str,
    ) -> Result<Group, AdminError> {
        if let Ok(id) = GroupId::parse(name_or_id)
            && let Some(group) = self.store.get_group(tenant, &id).await?
        {
            return Ok(group);
        }
        let name = normalize_group_name(name_or_id);
        self.store
            .list_groups(tenant, Some(&name), None, 1)
            .await?
            .into_iter()
            .find(|g| normalize_group_name(&g.name) == name)
            .ok_or(AdminError::NotFound("group"))
    }

    /// A page of groups by name (at most [`super::MAX_PAGE`]), optionally only names starting
    /// with `prefix` (ignoring case), after the group named `after`; and whether more follow.
    pub async fn list_groups(
        &self,
        tenant: &TenantId,
        prefix: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Group>, bool), AdminError> {
        check_page(limit)?;
        let prefix = prefix.map(normalize_group_name);
        let after = after.map(normalize_group_name);
        let mut groups = self
            .store
            .list_groups(tenant, prefix.as_deref(), after.as_deref(), limit + 1)
            .await?;
        let more = groups.len() > limit as usize;
        groups.truncate(limit as usize);
        Ok((groups, more))
    }

    /// Renames or describes a group.
    pub async fn update_group(
        &self,
        tenant: &TenantId,
        id: &GroupId,
        patch: GroupPatch,
        expect: Precondition,
        actor: &str,
    ) -> Result<Group, AdminError> {
        let stored = self.get_group(tenant, id).await?;
        let mut group = stored.clone();
        if let Some(name) = patch.name {
            check_name(&name)?;
            group.name = name;
        }
        if let Some(description) = patch.description {
            group.description = clean_description(description)?;
        }
        if let Some(external_id) = patch.external_id {
            group.external_id = external_id;
        }
        let (add, remove) = match &patch.members {
            Some(members) => {
                let current: HashSet<UserId> = self
                    .all_members(tenant, id)
                    .await?
                    .into_iter()
                    .map(|u| u.id)
                    .collect();
                let wanted: HashSet<&UserId> = members.iter().collect();
                let add: Vec<UserId> = members
                    .iter()
                    .filter(|m| !current.contains(*m))
                    .cloned()
                    .collect();
                self.check_users_exist(tenant, &add).await?;
                let remove = current
                    .into_iter()
                    .filter(|c| !wanted.contains(c))
                    .collect();
                (add, remove)
            }
            None => (Vec::new(), Vec::new()),
        };
        expect.check(stored.revision, "group")?;
        group.updated_at = self.now();
        let mut details = json!({"group_id": id, "name": group.name});
        if !add.is_empty() || !remove.is_empty() {
            details["added"] = json!(add);
            details["removed"] = json!(remove);
        }
        let audit = AuditEvent::new(tenant, group.updated_at, AuditKind::GroupUpdated, actor)
            .details(details);
        if !self
            .store
            .update_group_and_members(&group, &add, &remove, &audit)
            .await?
        {
            return Err(AdminError::Stale("group"));
        }
        group.revision += 1;
        Ok(group)
    }

    /// Deletes a group and its memberships (its members stay).
    pub async fn delete_group(
        &self,
        tenant: &TenantId,
        id: &GroupId,
        expect: Precondition,
        actor: &str,
    ) -> Result<(), AdminError> {
        let audit = AuditEvent::new(tenant, self.now(), AuditKind::GroupDeleted, actor)
            .details(json!({"group_id": id}));
        if self
            .store
            .delete_group(tenant, id, expect.revision(), &audit)
            .await?
        {
            return Ok(());
        }
        self.get_group(tenant, id).await?;
        Err(AdminError::Stale("group"))
    }

    /// Adds a user to a group: the member, and false if they already were one.
    pub async fn add_member(
        &self,
        tenant: &TenantId,
        group: &GroupId,
        user: &UserId,
        actor: &str,
    ) -> Result<(User, bool), AdminError> {
        self.get_group(tenant, group).await?;
        let member = self.get_user(tenant, user).await?;
        let now = self.now();
        let audit = AuditEvent::new(tenant, now, AuditKind::GroupMemberAdded, actor)
            .user(user)
            .details(json!({"group_id": group}));
        let added = self
            .store
            .add_member(tenant, group, user, now, &audit)
            .await?;
        Ok((member, added))
    }

    /// Removes a user from a group.
    pub async fn remove_member(
        &self,
        tenant: &TenantId,
        group: &GroupId,
        user: &UserId,
        actor: &str,
    ) -> Result<(), AdminError> {
        let now = self.now();
        let audit = AuditEvent::new(tenant, now, AuditKind::GroupMemberRemoved, actor)
            .user(user)
            .details(json!({"group_id": group}));
        if self
            .store
            .remove_member(tenant, group, user, now, &audit)
            .await?
        {
            return Ok(());
        }
        self.get_group(tenant, group).await?;
        Err(AdminError::NotFound("member"))
    }

    /// A page of a group's members by user id (at most [`super::MAX_PAGE`]), and whether
    /// more follow.
    pub async fn list_members(
        &self,
        tenant: &TenantId,
        group: &GroupId,
        after: Option<&UserId>,
        limit: u32,
    ) -> Result<(Vec<User>, bool), AdminError> {
        check_page(limit)?;
        self.get_group(tenant, group).await?;
        let mut users = self
            .store
            .list_members(tenant, group, after, limit + 1)
            .await?;
        let more = users.len() > limit as usize;
        users.truncate(limit as usize);
        Ok((users, more))
    }

    /// The groups each of these users (a page of them) belongs to, in one query.
    pub async fn groups_of_users(
        &self,
        tenant: &TenantId,
        users: &[UserId],
    ) -> Result<Vec<(UserId, Group)>, AdminError> {
        Ok(self.store.list_groups_of_users(tenant, users).await?)
    }

    /// The groups a user belongs to, by name.
    pub async fn user_groups(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> Result<Vec<Group>, AdminError> {
        self.get_user(tenant, user).await?;
        Ok(self.store.list_user_groups(tenant, user).await?)
    }
}
