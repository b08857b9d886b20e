//! The management API's bodies (`/api/v1`): what clients send and receive, with the OpenAPI
//! schemas the published document is generated from. Kept apart from the handlers so that
//! the CLI prints the same shapes and a Rust client could depend on this crate alone.
//!
//! Versioning: `/api/v1` only ever gains fields. Request bodies refuse unknown fields (a typo
//! must not be silently ignored), so a field is added to a request only as optional.

pub mod clients;
pub mod keys;
pub mod problem;
pub mod sessions;
pub mod users;

pub use clients::{
    ClientCreate, ClientPage, ClientResource, ClientUpdate, ClientWithSecret, PageParams,
};
pub use keys::{KeyAlg, KeyList, KeyResource, KeyRotation};
pub use problem::{FieldError, Problem};
pub use sessions::{RevokeSessionsParams, SessionList, SessionResource};
pub use users::{
    PasswordSet, UserCreate, UserListParams, UserPage, UserResource, UserSort, UserUpdate,
};

use serde::{Deserialize, Deserializer};

/// RFC 3339 text for a Unix time, as every timestamp in the API is written.
pub fn rfc3339(t: sigil_core::UnixTime) -> String {
    time::OffsetDateTime::from_unix_timestamp(t.0)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Deserializes a field that may be absent (`None`), `null` (`Some(None)`) or a value, as a
/// JSON merge patch (RFC 7396) distinguishes them. Use with `#[serde(default)]`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(
            rfc3339(sigil_core::UnixTime(1_800_000_000)),
            "2027-01-15T08:00:00Z"
        );
    }
}
