//! Group SQL, written once for both dialects (placeholders and bytewise order aside).

use sigil_core::{GroupId, TenantId, UserId};

use crate::listing::{Dialect, Listing, Param};

/// Binds: tenant, id, name, normalised name, description, external id, created_at, updated_at,
/// revision.
pub(crate) const INSERT: &str =
    "INSERT INTO user_groups (tenant_id, id, name, name_normalized, description, external_id,
    created_at, updated_at, revision)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// Binds: tenant, id.
pub(crate) const GET: &str = "SELECT * FROM user_groups WHERE tenant_id = ? AND id = ?";

/// Binds: name, normalised name, description, external id, updated_at, tenant, id, revision.
pub(crate) const UPDATE: &str =
    "UPDATE user_groups SET name = ?, name_normalized = ?, description = ?, external_id = ?,
    updated_at = ?, revision = revision + 1 WHERE tenant_id = ? AND id = ? AND revision = ?";

/// Binds: tenant, id, revision, revision.
pub(crate) const DELETE: &str =
    "DELETE FROM user_groups WHERE tenant_id = ? AND id = ? AND (? IS NULL OR revision = ?)";

/// Binds: tenant, group, user, added_at.
pub(crate) const ADD_MEMBER: &str =
    "INSERT INTO group_members (tenant_id, group_id, user_id, added_at)
    VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING";

/// Binds: tenant, group, user.
pub(crate) const REMOVE_MEMBER: &str =
    "DELETE FROM group_members WHERE tenant_id = ? AND group_id = ? AND user_id = ?";

/// A membership change is a change of the group. Binds: updated_at, tenant, id.
pub(crate) const TOUCH: &str = "UPDATE user_groups SET revision = revision + 1, updated_at = ?
    WHERE tenant_id = ? AND id = ?";

/// A page of groups by normalised name.
pub(crate) fn list(
    dialect: Dialect,
    tenant: &TenantId,
    prefix: Option<&str>,
    after: Option<&str>,
    limit: u32,
) -> Listing {
    let name = dialect.bytewise("name_normalized");
    let mut sql = String::from("SELECT * FROM user_groups WHERE tenant_id = ?");
    let mut params = vec![Param::Text(tenant.as_str().to_owned())];
    if let Some(prefix) = prefix {
        sql.push_str(&format!(" AND {name} >= ? AND {name} < ?"));
        params.push(Param::Text(prefix.to_owned()));
        params.push(Param::Text(format!("{prefix}{}", char::MAX)));
    }
    if let Some(after) = after {
        sql.push_str(&format!(" AND {name} > ?"));
        params.push(Param::Text(after.to_owned()));
    }
    sql.push_str(&format!(" ORDER BY {name} LIMIT ?"));
    params.push(Param::Int(i64::from(limit)));
    Listing {
        sql: dialect.placeholders(&sql),
        params,
    }
}

/// A page of a group's members (the users) by user id.
pub(crate) fn members(
    dialect: Dialect,
    tenant: &TenantId,
    group: &GroupId,
    after: Option<&UserId>,
    limit: u32,
) -> Listing {
    let id = dialect.bytewise("m.user_id");
    let mut sql = String::from(
        "SELECT u.* FROM group_members m
         JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id
         WHERE m.tenant_id = ? AND m.group_id = ?",
    );
    let mut params = vec![
        Param::Text(tenant.as_str().to_owned()),
        Param::Text(group.as_str().to_owned()),
    ];
    if let Some(after) = after {
        sql.push_str(&format!(" AND {id} > ?"));
        params.push(Param::Text(after.as_str().to_owned()));
    }
    sql.push_str(&format!(" ORDER BY {id} LIMIT ?"));
    params.push(Param::Int(i64::from(limit)));
    Listing {
        sql: dialect.placeholders(&sql),
        params,
    }
}

/// The groups a user belongs to, by normalised name. Binds: tenant, user.
pub(crate) fn of_user(dialect: Dialect) -> String {
    dialect.placeholders(&format!(
        "SELECT g.* FROM group_members m
         JOIN user_groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
         WHERE m.tenant_id = ? AND m.user_id = ? ORDER BY {}",
        dialect.bytewise("g.name_normalized")
    ))
}

/// The memberships of `n` users with their groups. Binds: tenant, then the `n` user ids.
pub(crate) fn of_users(dialect: Dialect, n: usize) -> String {
    let list = vec!["?"; n].join(", ");
    dialect.placeholders(&format!(
        "SELECT m.user_id AS member_id, g.* FROM group_members m
         JOIN user_groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
         WHERE m.tenant_id = ? AND m.user_id IN ({list}) ORDER BY {}",
        dialect.bytewise("g.name_normalized")
    ))
}

/// Implements [`sigil_store::GroupStore`] for a backend (one body for both; only the store
/// type, dialect and read pool differ). Expects `begin`, `backend`, `conflict_or_backend`,
/// `insert_audit` and `bind_params` in the invoking backend module.
macro_rules! impl_group_store {
    ($store:ident, $dialect:ident, $reader:ident) => {
        /// This backend's dialect.
        const DIALECT: $crate::listing::Dialect = $crate::listing::Dialect::$dialect;

        fn sql(text: &str) -> String {
            DIALECT.placeholders(text)
        }

        /// Adds (`add`) or removes one membership inside a transaction; whether it changed.
        async fn write_membership(
            tx: &mut sqlx::Transaction<'static, sqlx::$dialect>,
            add: bool,
            tenant: &TenantId,
            group: &GroupId,
            user: &UserId,
            at: UnixTime,
        ) -> StoreResult<bool> {
            let statement = sql(if add {
                $crate::groups::ADD_MEMBER
            } else {
                $crate::groups::REMOVE_MEMBER
            });
            let mut query = sqlx::query(&statement)
                .bind(tenant.as_str())
                .bind(group.as_str())
                .bind(user.as_str());
            if add {
                query = query.bind(at.0);
            }
            Ok(query
                .execute(&mut **tx)
                .await
                .map_err(backend)?
                .rows_affected()
                == 1)
        }

        impl $store {
            /// Adds (`add`) or removes a membership and, if that changed anything, counts it as a
            /// change of the group, in one transaction.
            async fn change_membership(
                &self,
                add: bool,
                tenant: &TenantId,
                group: &GroupId,
                user: &UserId,
                at: UnixTime,
                audit: &AuditEvent,
            ) -> StoreResult<bool> {
                let mut tx = self.begin().await?;
                let changed = write_membership(&mut tx, add, tenant, group, user, at).await?;
                if changed {
                    sqlx::query(&sql($crate::groups::TOUCH))
                        .bind(at.0)
                        .bind(tenant.as_str())
                        .bind(group.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    insert_audit(&mut tx, audit).await?;
                    tx.commit().await.map_err(backend)?;
                }
                Ok(changed)
            }
        }

        #[async_trait]
        impl GroupStore for $store {
            async fn create_group(&self, g: &Group, audit: &AuditEvent) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(&sql($crate::groups::INSERT))
                    .bind(g.tenant.as_str())
                    .bind(g.id.as_str())
                    .bind(&g.name)
                    .bind(normalize_group_name(&g.name))
                    .bind(g.description.as_deref())
                    .bind(g.external_id.as_deref())
                    .bind(g.created_at.0)
                    .bind(g.updated_at.0)
                    .bind(g.revision)
                    .execute(&mut *tx)
                    .await
                    .map_err(conflict_or_backend("group"))?;
                insert_audit(&mut tx, audit).await?;
                tx.commit().await.map_err(backend)
            }

            async fn get_group(
                &self,
                tenant: &TenantId,
                id: &GroupId,
            ) -> StoreResult<Option<Group>> {
                sqlx::query(&sql($crate::groups::GET))
                    .bind(tenant.as_str())
                    .bind(id.as_str())
                    .fetch_optional(&self.$reader)
                    .await
                    .map_err(backend)?
                    .as_ref()
                    .map($crate::records::group)
                    .transpose()
            }

            async fn list_groups(
                &self,
                tenant: &TenantId,
                prefix: Option<&str>,
                after: Option<&str>,
                limit: u32,
            ) -> StoreResult<Vec<Group>> {
                let listing = $crate::groups::list(DIALECT, tenant, prefix, after, limit);
                bind_params(sqlx::query(&listing.sql), &listing.params)
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(backend)?
                    .iter()
                    .map($crate::records::group)
                    .collect()
            }

            async fn update_group(&self, g: &Group, audit: &AuditEvent) -> StoreResult<bool> {
                self.update_group_and_members(g, &[], &[], audit).await
            }

            async fn update_group_and_members(
                &self,
                g: &Group,
                add: &[UserId],
                remove: &[UserId],
                audit: &AuditEvent,
            ) -> StoreResult<bool> {
                let mut tx = self.begin().await?;
                let updated = sqlx::query(&sql($crate::groups::UPDATE))
                    .bind(&g.name)
                    .bind(normalize_group_name(&g.name))
                    .bind(g.description.as_deref())
                    .bind(g.external_id.as_deref())
                    .bind(g.updated_at.0)
                    .bind(g.tenant.as_str())
                    .bind(g.id.as_str())
                    .bind(g.revision)
                    .execute(&mut *tx)
                    .await
                    .map_err(conflict_or_backend("group"))?
                    .rows_affected()
                    == 1;
                if !updated {
                    return Ok(false);
                }
                let changes = add
                    .iter()
                    .map(|u| (true, u))
                    .chain(remove.iter().map(|u| (false, u)));
                for (adding, user) in changes {
                    write_membership(&mut tx, adding, &g.tenant, &g.id, user, g.updated_at).await?;
                }
                insert_audit(&mut tx, audit).await?;
                tx.commit().await.map_err(backend)?;
                Ok(true)
            }

            async fn search_groups(
                &self,
                tenant: &TenantId,
                search: &sigil_store::Search<sigil_store::GroupField>,
            ) -> StoreResult<sigil_store::Found<Group>> {
                let (count, page) = $crate::search::groups(DIALECT, tenant, search)?;
                $crate::search::run!(
                    self.$reader,
                    count,
                    page,
                    search.limit,
                    $crate::records::group
                )
            }

            async fn delete_group(
                &self,
                tenant: &TenantId,
                id: &GroupId,
                revision: Option<i64>,
                audit: &AuditEvent,
            ) -> StoreResult<bool> {
                let mut tx = self.begin().await?;
                let deleted = sqlx::query(&sql($crate::groups::DELETE))
                    .bind(tenant.as_str())
                    .bind(id.as_str())
                    .bind(revision)
                    .bind(revision)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?
                    .rows_affected()
                    == 1;
                if deleted {
                    insert_audit(&mut tx, audit).await?;
                    tx.commit().await.map_err(backend)?;
                }
                Ok(deleted)
            }

            async fn add_member(
                &self,
                tenant: &TenantId,
                group: &GroupId,
                user: &UserId,
                at: UnixTime,
                audit: &AuditEvent,
            ) -> StoreResult<bool> {
                self.change_membership(true, tenant, group, user, at, audit)
                    .await
            }

            async fn remove_member(
                &self,
                tenant: &TenantId,
                group: &GroupId,
                user: &UserId,
                at: UnixTime,
                audit: &AuditEvent,
            ) -> StoreResult<bool> {
                self.change_membership(false, tenant, group, user, at, audit)
                    .await
            }

            async fn list_members(
                &self,
                tenant: &TenantId,
                group: &GroupId,
                after: Option<&UserId>,
                limit: u32,
            ) -> StoreResult<Vec<User>> {
                let listing = $crate::groups::members(DIALECT, tenant, group, after, limit);
                bind_params(sqlx::query(&listing.sql), &listing.params)
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(backend)?
                    .iter()
                    .map($crate::records::user)
                    .collect()
            }

            async fn list_groups_of_users(
                &self,
                tenant: &TenantId,
                users: &[UserId],
            ) -> StoreResult<Vec<(UserId, Group)>> {
                if users.is_empty() {
                    return Ok(Vec::new());
                }
                let statement = $crate::groups::of_users(DIALECT, users.len());
                let mut query = sqlx::query(&statement).bind(tenant.as_str());
                for user in users {
                    query = query.bind(user.as_str());
                }
                query
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(backend)?
                    .iter()
                    .map(|row| {
                        use $crate::rows::RowExt;
                        Ok((row.user("member_id")?, $crate::records::group(row)?))
                    })
                    .collect()
            }

            async fn list_user_groups(
                &self,
                tenant: &TenantId,
                user: &UserId,
            ) -> StoreResult<Vec<Group>> {
                sqlx::query(&$crate::groups::of_user(DIALECT))
                    .bind(tenant.as_str())
                    .bind(user.as_str())
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(backend)?
                    .iter()
                    .map($crate::records::group)
                    .collect()
            }
        }
    };
}
pub(crate) use impl_group_store;
