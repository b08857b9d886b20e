//! Groups of users: what access policies, attribute mappings and provisioning (SCIM) refer to
//! instead of to people one by one.

use serde::{Deserialize, Serialize};

use crate::{GroupId, TenantId, UnixTime};

/// Longest group name, in characters.
pub const MAX_GROUP_NAME: usize = 200;

/// A group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Owning tenant.
    pub tenant: TenantId,
    /// Stable identifier.
    pub id: GroupId,
    /// Display name, unique in the tenant ignoring case.
    pub name: String,
    /// What the group is for.
    pub description: Option<String>,
    /// The identifier a provisioning client (SCIM) knows the group by.
    pub external_id: Option<String>,
    /// Creation time.
    pub created_at: UnixTime,
    /// Last change (of the group or its members).
    pub updated_at: UnixTime,
    /// Counts changes, starting at 1 (the management API's ETag); membership changes count.
    pub revision: i64,
}

/// Why a group name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "a group name must be 1 to 200 characters, without control characters or surrounding spaces"
)]
pub struct GroupNameError;

/// Checks a group name: 1 to 200 characters, no control characters, no whitespace at either
/// end.
pub fn validate_group_name(name: &str) -> Result<(), GroupNameError> {
    let count = name.chars().count();
    let ok = (1..=MAX_GROUP_NAME).contains(&count)
        && name.trim() == name
        && !name.chars().any(char::is_control);
    if ok { Ok(()) } else { Err(GroupNameError) }
}

/// The form group names are unique in: lower-cased.
pub fn normalize_group_name(name: &str) -> String {
    name.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names() {
        assert!(validate_group_name("Engineering").is_ok());
        assert!(validate_group_name("Ünïcode ok").is_ok());
        for bad in ["", " lead", "trail ", "tab\tin", &"x".repeat(201)] {
            assert!(validate_group_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(normalize_group_name("Engineering"), "engineering");
    }
}
