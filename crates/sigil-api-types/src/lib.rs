//! The management API's bodies (`/api/v1`): what clients send and receive, with the OpenAPI
//! schemas the published document is generated from. Kept apart from the handlers so that
//! the CLI prints the same shapes and a Rust client could depend on this crate alone.
//!
//! Versioning: `/api/v1` only ever gains fields. Request bodies refuse unknown fields (a typo
//! must not be silently ignored), so a field is added to a request only as optional.

pub mod audit;
pub mod clients;
pub mod credentials;
pub mod gateway;
pub mod groups;
pub mod hooks;
pub mod identity_providers;
pub mod keys;
pub mod problem;
pub mod saml;
pub mod sessions;
pub mod tenants;
pub mod users;

pub use audit::{AuditEventResource, AuditListParams, AuditPage, OutcomeFilter};
pub use clients::{
    ClientCreate, ClientPage, ClientResource, ClientUpdate, ClientWithSecret, PageParams,
};
pub use credentials::{
    ClientIdPrefixChoice, CredentialAction, CredentialList, CredentialOfferCreate,
    CredentialOfferResource, CredentialResource, CredentialStatusChange, DefinitionList,
    OfferGrantType, PresentationRequestCreate, PresentationRequestResource,
    PresentationResponseMode, PresentationResultResource,
};
pub use gateway::{
    EvaluateRequest, GatewayAppList, GatewayAppResource, SignOnEvaluateRequest,
    SignOnPolicyResource,
};
pub use groups::{
    GroupCreate, GroupListParams, GroupPage, GroupResource, GroupUpdate, MemberAdd, MemberPage,
};
pub use hooks::{
    AttemptResource, DeliveryListParams, DeliveryPage, DeliveryResource, HookCreate, HookList,
    HookResource, HookUpdate, HookWithSecret,
};
pub use identity_providers::{IdentityProviderList, IdentityProviderPut, IdentityProviderResource};
pub use keys::{KeyAlg, KeyList, KeyResource, KeyRotation};
pub use problem::{FieldError, Problem};
pub use saml::{SamlServiceProviderImport, SamlServiceProviderList, SamlServiceProviderResource};
pub use sessions::{RevokeSessionsParams, SessionList, SessionResource};
pub use tenants::{TenantCreate, TenantList, TenantResource};
pub use users::{
    PasswordSet, UserCreate, UserListParams, UserPage, UserResource, UserSort, UserUpdate,
};

use serde::{Deserialize, Deserializer};

/// RFC 3339 text for a Unix time, as every timestamp in the API is written.
pub fn rfc3339(t: sigil_core::UnixTime) -> String {
    t.rfc3339()
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

/// Deserializes an optional `u32` from any JSON number with no fractional part (`290.0` is
/// an integer to JSON Schema, whatever serde thinks). Use with `#[serde(default)]`.
pub fn whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let n = Option::<serde_json::Number>::deserialize(d)?;
    n.map(|n| {
        n.as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            })
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| {
                serde::de::Error::custom(format!("{n} is not a whole number from 0 to 4294967295"))
            })
    })
    .transpose()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_may_be_written_as_floats() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "whole_number")]
            n: Option<u32>,
        }
        let n = |json: &str| serde_json::from_str::<T>(json).map(|t| t.n);
        assert_eq!(n(r#"{"n": 290}"#).unwrap(), Some(290));
        assert_eq!(n(r#"{"n": 290.0}"#).unwrap(), Some(290));
        assert_eq!(n(r#"{}"#).unwrap(), None);
        for bad in [
            r#"{"n": 1.5}"#,
            r#"{"n": -1}"#,
            r#"{"n": 1e12}"#,
            r#"{"n": "3"}"#,
        ] {
            assert!(n(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(
            rfc3339(sigil_core::UnixTime(1_800_000_000)),
            "2027-01-15T08:00:00Z"
        );
    }
}
