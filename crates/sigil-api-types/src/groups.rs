//! Groups and their members.

use serde::{Deserialize, Serialize};
use sigil_core::model::Group;
use utoipa::{IntoParams, ToSchema};

use crate::{UserResource, nullable, rfc3339};

/// A group of users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupResource {
    /// Stable identifier.
    pub id: String,
    /// Name, unique in the tenant ignoring case.
    pub name: String,
    /// What the group is for.
    pub description: Option<String>,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last change of the group or its members (RFC 3339).
    pub updated_at: String,
}

impl From<&Group> for GroupResource {
    fn from(g: &Group) -> Self {
        GroupResource {
            id: g.id.to_string(),
            name: g.name.clone(),
            description: g.description.clone(),
            created_at: rfc3339(g.created_at),
            updated_at: rfc3339(g.updated_at),
        }
    }
}

/// A group to create.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupCreate {
    /// Name: 1 to 200 characters, no control characters, no whitespace at either end.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](?:[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?$"
    )]
    pub name: String,
    /// What the group is for.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

/// Changes to a group, as a JSON merge patch (RFC 7396).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupUpdate {
    /// New name (the same rules as at creation).
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](?:[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?$"
    )]
    pub name: Option<String>,
    /// New description, or `null` to remove it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 1000)]
    pub description: Option<Option<String>>,
}

/// A page of groups, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupPage {
    /// The groups on this page.
    pub items: Vec<GroupResource>,
    /// The cursor of the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Query parameters of `GET /groups`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GroupListParams {
    /// Page size, 1 to 200; 50 when absent.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Where to continue: the `next_cursor` of the previous page.
    #[param(min_length = 1, max_length = 1024)]
    pub after: Option<String>,
    /// Only names starting with this (ignoring case).
    pub name_prefix: Option<String>,
}

/// A user to add to a group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberAdd {
    /// The user's id (`sub`).
    #[schema(min_length = 1, max_length = 255)]
    pub user_id: String,
}

/// A page of a group's members, by user id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberPage {
    /// The members on this page.
    pub items: Vec<UserResource>,
    /// The cursor of the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
