//! SCIM Groups (RFC 7643 §4.2) over Sigil's groups. Members are users (Sigil's groups do not
//! nest); a replace or patch of `members` becomes one change of the group and its
//! memberships, in one transaction.

use serde_json::{Map, Value, json};
use sigil_core::model::{Group, User};
use sigil_core::{GroupId, UserId};
use sigil_oidc::admin::{AdminError, GroupPatch, NewGroup, Precondition};

use super::{
    PATCH_RETRIES, ResourceType, Scim, SearchParams, admin_error, invalid_value, list_response,
    version,
};
use crate::error::ScimError;
use crate::patch::{PatchOperation, apply_patch, parse_patch_request};
use crate::query::{group_condition, group_sort};
use crate::resource::canonicalize;
use crate::schema::{GROUP_SCHEMA, group_schema};

/// The group fields a SCIM Group sets.
struct GroupFields {
    name: String,
    external_id: Option<String>,
    members: Vec<UserId>,
}

/// Reads a Group body into its fields.
fn parse_group(body: &Value) -> Result<GroupFields, ScimError> {
    let doc = canonicalize(body, group_schema(), &[])?;
    let text = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_owned);
    let name = text("displayName").ok_or_else(|| invalid_value("displayName is required"))?;
    let mut members = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for member in doc
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(kind) = member.get("type").and_then(Value::as_str)
            && !kind.eq_ignore_ascii_case("User")
        {
            return Err(invalid_value(format!(
                "members are users; a member of type {kind:?} is not supported"
            )));
        }
        let value = member
            .get("value")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid_value("every member needs a value (a user's id)"))?;
        let id = UserId::parse(value)
            .map_err(|_| invalid_value(format!("there is no user {value:?}")))?;
        if seen.insert(id.clone()) {
            members.push(id);
        }
    }
    Ok(GroupFields {
        name,
        external_id: text("externalId"),
        members,
    })
}

impl GroupFields {
    /// Every field as a change; `members` only when `with_members` (a patch that leaves them
    /// alone must not cost a pass over a group of fifty thousand).
    fn into_patch(self, with_members: bool) -> GroupPatch {
        GroupPatch {
            name: Some(self.name),
            description: None,
            external_id: Some(self.external_id),
            members: with_members.then_some(self.members),
        }
    }
}

/// Whether any operation may change `members`.
fn touches_members(ops: &[PatchOperation]) -> bool {
    let names_members = |text: &str| {
        let text = text
            .strip_prefix(GROUP_SCHEMA)
            .map_or(text, |rest| rest.trim_start_matches(':'));
        text.get(..7)
            .is_some_and(|head| head.eq_ignore_ascii_case("members"))
    };
    ops.iter().any(|op| match &op.path {
        Some(path) => names_members(path),
        None => op
            .value
            .as_ref()
            .and_then(Value::as_object)
            .is_some_and(|v| v.keys().any(|k| names_members(k))),
    })
}

impl Scim<'_> {
    /// A group as a SCIM Group (with `members` when they are given).
    fn group_resource(&self, group: &Group, members: Option<&[User]>) -> Map<String, Value> {
        let mut doc = Map::new();
        doc.insert("schemas".into(), json!([GROUP_SCHEMA]));
        doc.insert("id".into(), json!(group.id));
        if let Some(external) = &group.external_id {
            doc.insert("externalId".into(), json!(external));
        }
        doc.insert("displayName".into(), json!(group.name));
        if let Some(members) = members.filter(|m| !m.is_empty()) {
            let members: Vec<Value> = members
                .iter()
                .map(|u| {
                    json!({
                        "value": u.id,
                        "$ref": self.location("Users", u.id.as_str()),
                        "display": u.name.as_deref().unwrap_or(&u.username),
                        "type": "User",
                    })
                })
                .collect();
            doc.insert("members".into(), Value::Array(members));
        }
        doc.insert(
            "meta".into(),
            json!({
                "resourceType": "Group",
                "created": group.created_at.rfc3339(),
                "lastModified": group.updated_at.rfc3339(),
                "location": self.location("Groups", group.id.as_str()),
                "version": version(group.revision),
            }),
        );
        doc
    }

    async fn full_group_resource(&self, group: &Group) -> Result<Map<String, Value>, ScimError> {
        let members = self
            .provider
            .all_members(self.tenant, &group.id)
            .await
            .map_err(admin_error)?;
        Ok(self.group_resource(group, Some(&members)))
    }

    async fn load_group(&self, id: &str) -> Result<Group, ScimError> {
        let id = GroupId::parse(id).map_err(|_| ScimError::not_found("group not found"))?;
        self.provider
            .get_group(self.tenant, &id)
            .await
            .map_err(admin_error)
    }

    /// `POST /Groups`.
    pub async fn create_group(&self, body: &Value) -> Result<Value, ScimError> {
        let fields = parse_group(body)?;
        let new = NewGroup {
            name: fields.name,
            description: None,
            external_id: fields.external_id,
            members: fields.members,
        };
        let group = self
            .provider
            .create_group_with(self.tenant, new, self.actor)
            .await
            .map_err(admin_error)?;
        Ok(Value::Object(self.full_group_resource(&group).await?))
    }

    /// `GET /Groups/{id}`: the Group and its revision.
    pub async fn get_group(
        &self,
        id: &str,
        params: &SearchParams,
    ) -> Result<(Value, i64), ScimError> {
        let group = self.load_group(id).await?;
        let resource = if params.returns("members") {
            self.full_group_resource(&group).await?
        } else {
            self.group_resource(&group, None)
        };
        Ok((
            ResourceType::Group.project(&Value::Object(resource), params),
            group.revision,
        ))
    }

    /// `PUT /Groups/{id}`.
    pub async fn replace_group(
        &self,
        id: &str,
        body: &Value,
        expect: Precondition,
    ) -> Result<Value, ScimError> {
        let group = self.load_group(id).await?;
        let fields = parse_group(body)?;
        let group = self
            .provider
            .update_group(
                self.tenant,
                &group.id,
                fields.into_patch(true),
                expect,
                self.actor,
            )
            .await
            .map_err(admin_error)?;
        Ok(Value::Object(self.full_group_resource(&group).await?))
    }

    /// `PATCH /Groups/{id}`: applies the operations to the stored Group, all or nothing.
    pub async fn patch_group(
        &self,
        id: &str,
        body: &Value,
        expect: Precondition,
    ) -> Result<Value, ScimError> {
        let ops = parse_patch_request(body)?;
        for _ in 0..PATCH_RETRIES {
            let group = self.load_group(id).await?;
            if let Precondition::Revision(r) = expect
                && r != group.revision
            {
                return Err(admin_error(AdminError::Stale("group")));
            }
            let with_members = touches_members(&ops);
            let mut doc = if with_members {
                self.full_group_resource(&group).await?
            } else {
                self.group_resource(&group, None)
            };
            apply_patch(&mut doc, &ops, group_schema(), &[])?;
            let fields = parse_group(&Value::Object(doc))?;
            match self
                .provider
                .update_group(
                    self.tenant,
                    &group.id,
                    fields.into_patch(with_members),
                    Precondition::Revision(group.revision),
                    self.actor,
                )
                .await
            {
                Ok(group) => return Ok(Value::Object(self.full_group_resource(&group).await?)),
                Err(AdminError::Stale(_)) if expect == Precondition::None => {}
                Err(e) => return Err(admin_error(e)),
            }
        }
        Err(admin_error(AdminError::Stale("group")))
    }

    /// `DELETE /Groups/{id}`.
    pub async fn delete_group(&self, id: &str, expect: Precondition) -> Result<(), ScimError> {
        let group = self.load_group(id).await?;
        self.provider
            .delete_group(self.tenant, &group.id, expect, self.actor)
            .await
            .map_err(admin_error)
    }

    /// `GET /Groups` and `POST /Groups/.search`.
    pub async fn search_groups(&self, params: &SearchParams) -> Result<Value, ScimError> {
        let search = params.search(group_condition, group_sort, sigil_store::GroupField::Name)?;
        let found = self
            .provider
            .search_groups(self.tenant, &search)
            .await
            .map_err(admin_error)?;
        let with_members = params.returns("members");
        let mut resources = Vec::with_capacity(found.items.len());
        for group in &found.items {
            let resource = if with_members {
                self.full_group_resource(group).await?
            } else {
                self.group_resource(group, None)
            };
            resources.push(ResourceType::Group.project(&Value::Object(resource), params));
        }
        Ok(list_response(found.total, search.offset + 1, resources))
    }
}
