//! Users.

use serde::{Deserialize, Serialize};
use sigil_core::model::User;
use utoipa::{IntoParams, ToSchema};

use crate::{nullable, rfc3339};

/// A user as the API shows it. The password is never shown, not even as a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserResource {
    /// Stable subject identifier (`sub` in tokens).
    pub id: String,
    /// Sign-in name.
    pub username: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Whether the e-mail address is verified.
    pub email_verified: bool,
    /// Display name.
    pub name: Option<String>,
    /// Disabled users cannot sign in and their tokens stop working.
    pub disabled: bool,
    /// Whether the user has a password.
    pub has_password: bool,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

impl From<&User> for UserResource {
    fn from(u: &User) -> Self {
        UserResource {
            id: u.id.to_string(),
            username: u.username.clone(),
            email: u.email.clone(),
            email_verified: u.email_verified,
            name: u.name.clone(),
            disabled: u.disabled,
            has_password: u.password_hash.is_some(),
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
        }
    }
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCreate {
    /// Sign-in name: 1 to 128 characters, no control characters, no whitespace at either
    /// end; unique in the tenant ignoring case.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](?:[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?$"
    )]
    pub username: String,
    /// Initial password; checked against the password policy. Omit for users who sign in
    /// another way.
    #[serde(default)]
    #[schema(format = Password, min_length = 8, max_length = 1024)]
    pub password: Option<String>,
    /// E-mail address.
    #[serde(default)]
    #[schema(
        max_length = 254,
        pattern = r"^[^@\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+@[^@\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$"
    )]
    pub email: Option<String>,
    /// Whether the e-mail address is known to be the user's.
    #[serde(default)]
    pub email_verified: bool,
    /// Display name.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub name: Option<String>,
}

/// Changes to a user, as a JSON merge patch (RFC 7396): absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    /// New sign-in name (the same rules as at creation).
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](?:[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?$"
    )]
    pub username: Option<String>,
    /// New e-mail address, or `null` to remove it (changing it clears `email_verified`).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 254, pattern = r"^[^@\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+@[^@\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$")]
    pub email: Option<Option<String>>,
    /// Whether the e-mail address is verified.
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// New display name, or `null` to remove it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 200)]
    pub name: Option<Option<String>>,
    /// Disable (sign-in refused, tokens stop working) or enable the user.
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// A new password for a user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordSet {
    /// The password; checked against the password policy.
    #[schema(format = Password, min_length = 8, max_length = 1024)]
    pub password: String,
}

/// A page of users. The next page is at the `Link: rel="next"` URL, also given here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserPage {
    /// The users on this page.
    pub items: Vec<UserResource>,
    /// The cursor of the next page (its `after` parameter); absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The order of a user list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub enum UserSort {
    /// By username, bytewise ascending.
    #[default]
    #[serde(rename = "username")]
    Username,
    /// By username, descending.
    #[serde(rename = "-username")]
    UsernameDesc,
    /// Oldest first.
    #[serde(rename = "created_at")]
    CreatedAt,
    /// Newest first.
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
}

impl UserSort {
    /// The parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            UserSort::Username => "username",
            UserSort::UsernameDesc => "-username",
            UserSort::CreatedAt => "created_at",
            UserSort::CreatedAtDesc => "-created_at",
        }
    }
}

/// Query parameters of `GET /users`. Unknown parameters are refused, so that a misspelt
/// filter never silently lists everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// Page size, 1 to 200; 50 when absent.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Where to continue: the `next_cursor` of the previous page (same `sort`).
    #[param(min_length = 1, max_length = 1024)]
    pub after: Option<String>,
    /// Sort order.
    #[param(inline)]
    pub sort: Option<UserSort>,
    /// Only usernames starting with this (case-insensitive).
    pub username_prefix: Option<String>,
    /// Only users with exactly this e-mail address.
    pub email: Option<String>,
    /// Only disabled (`true`) or enabled (`false`) users.
    pub disabled: Option<bool>,
}
