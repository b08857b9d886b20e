//! SCIM errors (RFC 7644 §3.12): an HTTP status, an optional `scimType` and a detail, with the
//! JSON body a SCIM client expects.
//!
//! Use `bad_request` with the `ScimType` that names the fault for malformed requests,
//! `mutability` when a request would change what may not change, `conflict_uniqueness` when a
//! unique attribute is taken, `not_found` and `precondition_failed` for the resource as a whole.
//! The detail is shown to the client: never put internal state in it.

use serde_json::{Value, json};

use crate::filter::FilterError;
use crate::schema::ERROR;

/// The `scimType` of a 400 or 409 error (RFC 7644 §3.12, table 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimType {
    /// The filter syntax is invalid or names an unsupported comparison.
    InvalidFilter,
    /// The filter yields more results than the server is willing to process.
    TooMany,
    /// A unique attribute value is already in use.
    Uniqueness,
    /// The request would change an attribute that may not change.
    Mutability,
    /// The request body is not valid SCIM.
    InvalidSyntax,
    /// The `path` of a PATCH operation is invalid or names no attribute.
    InvalidPath,
    /// The `path` of a PATCH operation names nothing that could be operated on.
    NoTarget,
    /// A value is missing, of the wrong type or otherwise unacceptable.
    InvalidValue,
    /// The SCIM protocol version is not supported.
    InvalidVers,
    /// The request put confidential information in the URL.
    Sensitive,
}

impl ScimType {
    /// The name the RFC gives this type.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }
}

/// A SCIM error response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SCIM error {status}: {detail}")]
pub struct ScimError {
    /// The HTTP status code.
    pub status: u16,
    /// The `scimType`, for the statuses that have one.
    pub scim_type: Option<ScimType>,
    /// A human-readable explanation, sent to the client.
    pub detail: String,
}

impl ScimError {
    /// 400 with the given `scimType`.
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(400, Some(scim_type), detail)
    }

    /// 404: the resource does not exist.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }

    /// 409 `uniqueness`: a unique attribute value is already in use.
    pub fn conflict_uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some(ScimType::Uniqueness), detail)
    }

    /// 412: the resource changed since the version the client names (`If-Match`).
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(412, None, detail)
    }

    /// 400 `mutability`: the request would change an attribute that may not change.
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::Mutability, detail)
    }

    /// 400 `invalidValue`.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidValue, detail)
    }

    /// 400 `invalidSyntax`.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidSyntax, detail)
    }

    /// 400 `invalidPath`.
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidPath, detail)
    }

    /// 400 `noTarget`.
    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::NoTarget, detail)
    }

    fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    /// The response body of RFC 7644 §3.12, its `status` a string as the RFC shows it.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(object)) = (self.scim_type, body.as_object_mut()) {
            object.insert("scimType".into(), Value::from(t.as_str()));
        }
        body
    }
}

impl From<FilterError> for ScimError {
    /// A filter that does not parse is 400 `invalidFilter`.
    fn from(e: FilterError) -> Self {
        Self::bad_request(ScimType::InvalidFilter, e.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::filter::parse_filter;

    #[test]
    fn the_body_is_the_rfc_one() {
        let e = ScimError::bad_request(ScimType::InvalidFilter, "bad");
        assert_eq!(
            e.to_json(),
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "400",
                "scimType": "invalidFilter",
                "detail": "bad"
            })
        );
        let e = ScimError::not_found("no such user");
        assert_eq!(e.to_json()["status"], "404");
        assert!(e.to_json().get("scimType").is_none());
    }

    #[test]
    fn constructors_pick_status_and_type() {
        let e = ScimError::conflict_uniqueness("taken");
        assert_eq!((e.status, e.scim_type), (409, Some(ScimType::Uniqueness)));
        assert_eq!(ScimError::precondition_failed("x").status, 412);
        let e = ScimError::mutability("x");
        assert_eq!((e.status, e.scim_type), (400, Some(ScimType::Mutability)));
        let e: ScimError = parse_filter("userName eq").unwrap_err().into();
        assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
        assert_eq!(ScimType::InvalidVers.as_str(), "invalidVers");
        assert_eq!(ScimType::NoTarget.as_str(), "noTarget");
    }
}
