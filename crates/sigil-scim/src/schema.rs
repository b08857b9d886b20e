//! SCIM schemas (RFC 7643 §2, §4 and §7): attribute definitions with their characteristics,
//! the User, Enterprise User and Group schemas of §4, their representation for the `/Schemas`
//! endpoint (§8.7.1), and the URNs of the protocol messages (RFC 7644).

use serde_json::{Map, Value, json};

/// The core User schema (RFC 7643 §4.1).
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The Enterprise User extension (RFC 7643 §4.3).
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core Group schema (RFC 7643 §4.2).
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The schema of a schema definition (RFC 7643 §7).
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
/// A list of query results (RFC 7644 §3.4.2).
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// A PATCH request (RFC 7644 §3.5.2).
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// A bulk request (RFC 7644 §3.7).
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// A bulk response (RFC 7644 §3.7).
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
/// A query sent with POST to `/.search` (RFC 7644 §3.4.3).
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// An error response (RFC 7644 §3.12).
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// An attribute's data type (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A sequence of characters.
    String,
    /// `true` or `false`.
    Boolean,
    /// A real number.
    Decimal,
    /// A whole number.
    Integer,
    /// An `xsd:dateTime` string.
    DateTime,
    /// Base64-encoded bytes.
    Binary,
    /// A URI of a resource.
    Reference,
    /// An object of sub-attributes.
    Complex,
}

/// Whether and when an attribute may be changed (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    /// Set by the server only.
    ReadOnly,
    /// Set and changed freely.
    ReadWrite,
    /// Set once (when the resource or the value is created), never changed.
    Immutable,
    /// Set by clients, never returned.
    WriteOnly,
}

/// When an attribute is returned (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    /// Always, whatever the request asks.
    Always,
    /// Never.
    Never,
    /// Unless excluded.
    Default,
    /// Only when asked for.
    Request,
}

/// Over which set an attribute's values are unique (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    /// Not unique.
    None,
    /// Unique among this server's resources.
    Server,
    /// Globally unique.
    Global,
}

impl Kind {
    /// The name used in schema representations.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Boolean => "boolean",
            Kind::Decimal => "decimal",
            Kind::Integer => "integer",
            Kind::DateTime => "dateTime",
            Kind::Binary => "binary",
            Kind::Reference => "reference",
            Kind::Complex => "complex",
        }
    }
}

impl Mutability {
    /// The name used in schema representations.
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

impl Returned {
    /// The name used in schema representations.
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

impl Uniqueness {
    /// The name used in schema representations.
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// An attribute definition with its characteristics (RFC 7643 §2.2, §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The name, in the schema's spelling.
    pub name: &'static str,
    /// The data type.
    pub kind: Kind,
    /// Whether the attribute holds an array of values.
    pub multi_valued: bool,
    /// Whether a resource must have it.
    pub required: bool,
    /// Whether string values compare with case.
    pub case_exact: bool,
    /// Whether and when it may change.
    pub mutability: Mutability,
    /// When it is returned.
    pub returned: Returned,
    /// Over which set its values are unique.
    pub uniqueness: Uniqueness,
    /// Suggested values (`type` of an e-mail address, …).
    pub canonical_values: Vec<&'static str>,
    /// For references, the resource types referred to.
    pub reference_types: Vec<&'static str>,
    /// For complex attributes, the sub-attributes.
    pub sub_attributes: Vec<Attribute>,
    /// What it is for.
    pub description: &'static str,
}

impl Attribute {
    /// A single-valued, optional, case-insensitive, read-write attribute returned by default.
    pub(crate) fn new(name: &'static str, kind: Kind, description: &'static str) -> Self {
        Self {
            name,
            kind,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: Vec::new(),
            reference_types: Vec::new(),
            sub_attributes: Vec::new(),
            description,
        }
    }

    pub(crate) fn string(name: &'static str, description: &'static str) -> Self {
        Self::new(name, Kind::String, description)
    }

    pub(crate) fn complex(
        name: &'static str,
        description: &'static str,
        subs: Vec<Attribute>,
    ) -> Self {
        Self {
            sub_attributes: subs,
            ..Self::new(name, Kind::Complex, description)
        }
    }

    pub(crate) fn multi(self) -> Self {
        Self {
            multi_valued: true,
            ..self
        }
    }

    pub(crate) fn required(self) -> Self {
        Self {
            required: true,
            ..self
        }
    }

    pub(crate) fn exact(self) -> Self {
        Self {
            case_exact: true,
            ..self
        }
    }

    pub(crate) fn mutable(self, mutability: Mutability) -> Self {
        Self { mutability, ..self }
    }

    pub(crate) fn returned(self, returned: Returned) -> Self {
        Self { returned, ..self }
    }

    pub(crate) fn unique(self, uniqueness: Uniqueness) -> Self {
        Self { uniqueness, ..self }
    }

    pub(crate) fn canonical(self, values: &[&'static str]) -> Self {
        Self {
            canonical_values: values.to_vec(),
            ..self
        }
    }

    pub(crate) fn refs(self, types: &[&'static str]) -> Self {
        Self {
            reference_types: types.to_vec(),
            ..self
        }
    }

    /// A sub-attribute, by name ignoring case.
    pub fn sub(&self, name: &str) -> Option<&Attribute> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The representation of RFC 7643 §7.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        let mut put = |key: &str, value: Value| object.insert(key.to_owned(), value);
        put("name", self.name.into());
        put("type", self.kind.as_str().into());
        put("multiValued", self.multi_valued.into());
        put("description", self.description.into());
        put("required", self.required.into());
        put("caseExact", self.case_exact.into());
        put("mutability", self.mutability.as_str().into());
        put("returned", self.returned.as_str().into());
        put("uniqueness", self.uniqueness.as_str().into());
        if !self.canonical_values.is_empty() {
            put("canonicalValues", self.canonical_values.clone().into());
        }
        if !self.reference_types.is_empty() {
            put("referenceTypes", self.reference_types.clone().into());
        }
        if self.kind == Kind::Complex {
            let subs = self.sub_attributes.iter().map(Attribute::to_json).collect();
            put("subAttributes", Value::Array(subs));
        }
        Value::Object(object)
    }
}

/// A schema: its URN and its attributes (RFC 7643 §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// The URN.
    pub id: &'static str,
    /// A human-readable name.
    pub name: &'static str,
    /// What resources of this schema are.
    pub description: &'static str,
    /// The attributes, without the common ones (`id`, `externalId`, `meta`).
    pub attributes: Vec<Attribute>,
}

impl Schema {
    /// An attribute, by name ignoring case (RFC 7643 §2.1).
    pub fn find(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The representation served at `/Schemas/{id}` (RFC 7643 §7, §8.7.1), `location` being
    /// that URL.
    pub fn to_json(&self, location: &str) -> Value {
        json!({
            "schemas": [SCHEMA_SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(Attribute::to_json).collect::<Vec<_>>(),
            "meta": {"resourceType": "Schema", "location": location},
        })
    }
}

pub use crate::definitions::{
    common_attributes, enterprise_user_schema, group_schema, user_schema,
};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn attribute<'a>(schema: &'a Value, name: &str) -> &'a Value {
        schema["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()
    }

    #[test]
    fn the_user_schema_json_has_every_characteristic() {
        let json = user_schema().to_json("https://example.com/scim/v2/Schemas/x");
        assert_eq!(json["schemas"], json!([SCHEMA_SCHEMA]));
        assert_eq!(json["id"], USER_SCHEMA);
        assert_eq!(json["meta"]["resourceType"], "Schema");
        let user_name = attribute(&json, "userName");
        assert_eq!(user_name["uniqueness"], "server");
        assert_eq!(user_name["required"], true);
        assert_eq!(user_name["caseExact"], false);
        assert_eq!(user_name["type"], "string");
        assert_eq!(user_name["mutability"], "readWrite");
        assert_eq!(user_name["returned"], "default");
        assert_eq!(user_name["multiValued"], false);
        assert!(user_name.get("subAttributes").is_none());
        let password = attribute(&json, "password");
        assert_eq!(password["mutability"], "writeOnly");
        assert_eq!(password["returned"], "never");
        let emails = attribute(&json, "emails");
        assert_eq!(emails["multiValued"], true);
        let types = &emails["subAttributes"][2];
        assert_eq!(types["canonicalValues"], json!(["work", "home", "other"]));
        let groups = attribute(&json, "groups");
        assert_eq!(
            groups["subAttributes"][1]["referenceTypes"],
            json!(["User", "Group"])
        );
        assert_eq!(
            attribute(&json, "profileUrl")["referenceTypes"],
            json!(["external"])
        );
    }

    #[test]
    fn lookups_ignore_case() {
        assert_eq!(user_schema().find("USERNAME").unwrap().name, "userName");
        assert!(
            user_schema().find("id").is_none(),
            "common attributes are not listed"
        );
        let manager = enterprise_user_schema().find("manager").unwrap();
        assert_eq!(
            manager.sub("DISPLAYNAME").unwrap().mutability,
            Mutability::ReadOnly
        );
        let members = group_schema().find("members").unwrap();
        assert_eq!(members.sub("$ref").unwrap().reference_types, vec!["User"]);
        assert!(group_schema().find("displayName").unwrap().required);
        assert_eq!(common_attributes()[0].returned, Returned::Always);
    }
}
