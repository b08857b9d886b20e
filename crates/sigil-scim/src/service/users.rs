//! SCIM Users (RFC 7643 §4.1, with the enterprise extension of §4.3) over Sigil's users.
//!
//! `userName`, `displayName`, `active`, `externalId` and the primary e-mail address live in
//! the user's own columns (they are what sign-in, tokens and filters use); every other
//! attribute is kept as provisioned in the user's `attributes`. `password` is write-only: it
//! is checked against the password policy and hashed with argon2id like any other.

use serde_json::{Map, Value, json};
use sigil_core::UserId;
use sigil_core::model::{Group, User};
use sigil_oidc::admin::{NewUser, Precondition, UserPatch};

use super::{PATCH_RETRIES, ResourceType, Scim, SearchParams, admin_error, list_response, version};
use crate::error::ScimError;
use crate::patch::{apply_patch, parse_patch_request};
use crate::query::{user_condition, user_sort};
use crate::resource::{canonicalize, primary_value};
use crate::schema::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA, enterprise_user_schema, user_schema};

/// The user fields a SCIM User sets.
struct UserFields {
    username: String,
    external_id: Option<String>,
    display_name: Option<String>,
    /// `None` when unassigned (the user is then enabled).
    active: Option<bool>,
    email: Option<String>,
    password: Option<String>,
    attributes: Map<String, Value>,
}

fn take_string(doc: &mut Map<String, Value>, name: &str) -> Option<String> {
    match doc.remove(name) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// Splits a canonical User into Sigil's columns and the further attributes.
fn user_fields(mut doc: Map<String, Value>) -> Result<UserFields, ScimError> {
    let username = take_string(&mut doc, "userName")
        .ok_or_else(|| super::invalid_value("userName is required"))?;
    // What was assigned stays in the attributes too, so that an unassigned `active` reads
    // back unassigned; the column is what sign-in obeys.
    let active = doc.get("active").and_then(Value::as_bool);
    Ok(UserFields {
        username,
        external_id: take_string(&mut doc, "externalId"),
        display_name: take_string(&mut doc, "displayName"),
        active,
        password: take_string(&mut doc, "password"),
        email: primary_value(&doc, "emails"),
        attributes: doc,
    })
}

fn extensions() -> [&'static crate::schema::Schema; 1] {
    [enterprise_user_schema()]
}

/// Reads a User body into its fields.
fn parse_user(body: &Value) -> Result<UserFields, ScimError> {
    user_fields(canonicalize(body, user_schema(), &extensions())?)
}

impl UserFields {
    /// Every field as a change (what a replace is).
    fn into_patch(self) -> UserPatch {
        UserPatch {
            username: Some(self.username),
            email: Some(self.email),
            email_verified: None,
            name: Some(self.display_name),
            disabled: Some(self.active == Some(false)),
            external_id: Some(self.external_id),
            attributes: Some(self.attributes),
            password: self.password,
        }
    }
}

impl Scim<'_> {
    /// A user as a SCIM User.
    fn user_resource(&self, user: &User, groups: Option<&[Group]>) -> Map<String, Value> {
        let mut doc = user.attributes.clone();
        let mut schemas = vec![json!(USER_SCHEMA)];
        if doc.contains_key(ENTERPRISE_USER_SCHEMA) {
            schemas.push(json!(ENTERPRISE_USER_SCHEMA));
        }
        doc.insert("schemas".into(), Value::Array(schemas));
        doc.insert("id".into(), json!(user.id));
        if let Some(external) = &user.external_id {
            doc.insert("externalId".into(), json!(external));
        }
        doc.insert("userName".into(), json!(user.username));
        if let Some(name) = &user.name {
            doc.insert("displayName".into(), json!(name));
        }
        // `active` reads back as assigned; a user made outside SCIM (no attributes) has it too.
        if user.disabled || doc.contains_key("active") || user.attributes.is_empty() {
            doc.insert("active".into(), json!(!user.disabled));
        }
        sync_emails(&mut doc, user.email.as_deref());
        if let Some(groups) = groups.filter(|g| !g.is_empty()) {
            let groups: Vec<Value> = groups
                .iter()
                .map(|g| {
                    json!({
                        "value": g.id,
                        "$ref": self.location("Groups", g.id.as_str()),
                        "display": g.name,
                        "type": "direct",
                    })
                })
                .collect();
            doc.insert("groups".into(), Value::Array(groups));
        }
        doc.insert(
            "meta".into(),
            json!({
                "resourceType": "User",
                "created": user.created_at.rfc3339(),
                "lastModified": user.updated_at.rfc3339(),
                "location": self.location("Users", user.id.as_str()),
                "version": version(user.revision),
            }),
        );
        doc
    }

    /// A user as a SCIM User, with the groups they belong to.
    async fn full_user_resource(&self, user: &User) -> Result<Value, ScimError> {
        let groups = self
            .provider
            .user_groups(self.tenant, &user.id)
            .await
            .map_err(admin_error)?;
        Ok(Value::Object(self.user_resource(user, Some(&groups))))
    }

    /// `POST /Users`.
    pub async fn create_user(&self, body: &Value) -> Result<Value, ScimError> {
        let fields = parse_user(body)?;
        let new = NewUser {
            username: fields.username,
            password: fields.password,
            email: fields.email,
            email_verified: false,
            name: fields.display_name,
            external_id: fields.external_id,
            attributes: fields.attributes,
            disabled: fields.active == Some(false),
        };
        let user = self
            .provider
            .create_user(self.tenant, new, self.actor)
            .await
            .map_err(admin_error)?;
        Ok(Value::Object(self.user_resource(&user, Some(&[]))))
    }

    /// `GET /Users/{id}`: the User and its revision.
    pub async fn get_user(
        &self,
        id: &str,
        params: &SearchParams,
    ) -> Result<(Value, i64), ScimError> {
        let user = self.load_user(id).await?;
        let resource = if params.returns("groups") {
            self.full_user_resource(&user).await?
        } else {
            Value::Object(self.user_resource(&user, None))
        };
        Ok((ResourceType::User.project(&resource, params), user.revision))
    }

    async fn load_user(&self, id: &str) -> Result<User, ScimError> {
        let id = UserId::parse(id).map_err(|_| ScimError::not_found("user not found"))?;
        self.provider
            .get_user(self.tenant, &id)
            .await
            .map_err(admin_error)
    }

    /// `PUT /Users/{id}`: replaces every attribute the body can set.
    pub async fn replace_user(
        &self,
        id: &str,
        body: &Value,
        expect: Precondition,
    ) -> Result<Value, ScimError> {
        let user = self.load_user(id).await?;
        let fields = parse_user(body)?;
        let user = self
            .provider
            .update_user(
                self.tenant,
                &user.id,
                fields.into_patch(),
                expect,
                self.actor,
            )
            .await
            .map_err(admin_error)?;
        self.full_user_resource(&user).await
    }

    /// `PATCH /Users/{id}`: applies the operations to the stored User, all or nothing.
    pub async fn patch_user(
        &self,
        id: &str,
        body: &Value,
        expect: Precondition,
    ) -> Result<Value, ScimError> {
        let ops = parse_patch_request(body)?;
        for _ in 0..PATCH_RETRIES {
            let user = self.load_user(id).await?;
            if let Precondition::Revision(r) = expect
                && r != user.revision
            {
                return Err(admin_error(sigil_oidc::admin::AdminError::Stale("user")));
            }
            let mut doc = self.user_resource(&user, None);
            apply_patch(&mut doc, &ops, user_schema(), &extensions())?;
            let fields = parse_user(&Value::Object(doc))?;
            match self
                .provider
                .update_user(
                    self.tenant,
                    &user.id,
                    fields.into_patch(),
                    Precondition::Revision(user.revision),
                    self.actor,
                )
                .await
            {
                Ok(user) => return self.full_user_resource(&user).await,
                Err(sigil_oidc::admin::AdminError::Stale(_)) if expect == Precondition::None => {}
                Err(e) => return Err(admin_error(e)),
            }
        }
        Err(admin_error(sigil_oidc::admin::AdminError::Stale("user")))
    }

    /// `DELETE /Users/{id}`.
    pub async fn delete_user(&self, id: &str, expect: Precondition) -> Result<(), ScimError> {
        let user = self.load_user(id).await?;
        self.provider
            .delete_user(self.tenant, &user.id, expect, self.actor)
            .await
            .map_err(admin_error)
    }

    /// `GET /Users` and `POST /Users/.search`.
    pub async fn search_users(&self, params: &SearchParams) -> Result<Value, ScimError> {
        let search = params.search(user_condition, user_sort, sigil_store::UserField::Username)?;
        let found = self
            .provider
            .search_users(self.tenant, &search)
            .await
            .map_err(admin_error)?;
        let memberships = if params.returns("groups") {
            let ids: Vec<UserId> = found.items.iter().map(|u| u.id.clone()).collect();
            Some(
                self.provider
                    .groups_of_users(self.tenant, &ids)
                    .await
                    .map_err(admin_error)?,
            )
        } else {
            None
        };
        let resources = found
            .items
            .iter()
            .map(|user| {
                let groups: Option<Vec<Group>> = memberships.as_ref().map(|all| {
                    all.iter()
                        .filter(|(member, _)| *member == user.id)
                        .map(|(_, g)| g.clone())
                        .collect()
                });
                let resource = Value::Object(self.user_resource(user, groups.as_deref()));
                ResourceType::User.project(&resource, params)
            })
            .collect();
        Ok(list_response(found.total, search.offset + 1, resources))
    }
}

/// Makes `emails` agree with the user's e-mail column, which the management API may have
/// changed: the column's address is the primary one.
fn sync_emails(doc: &mut Map<String, Value>, email: Option<&str>) {
    let Some(email) = email else {
        doc.remove("emails");
        return;
    };
    let mut emails = match doc.remove("emails") {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    let known = emails.iter().any(|e| {
        e.get("value")
            .and_then(Value::as_str)
            .is_some_and(|v| v.eq_ignore_ascii_case(email))
    });
    if !known {
        for e in &mut emails {
            if let Some(o) = e.as_object_mut() {
                o.remove("primary");
            }
        }
        // Typed, so that what provisioning clients address (`emails[type eq "work"]`) is there.
        emails.insert(0, json!({"value": email, "type": "work", "primary": true}));
    }
    doc.insert("emails".into(), Value::Array(emails));
}
