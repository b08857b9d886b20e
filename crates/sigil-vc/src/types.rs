//! Credential types: what a credential of one kind says (its `vct`, display names, claims),
//! which of its claims a holder may keep to themselves, how long it lasts, and which user
//! attribute fills each claim. A type is an OpenID4VCI credential configuration; its `id` is
//! the `credential_configuration_id` wallets ask for.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// How one claim of a credential type is shown to people, per language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Display {
    /// The name shown.
    pub name: String,
    /// BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// A longer description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Where a claim's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimSource {
    /// The user's subject identifier.
    Subject,
    /// The username.
    Username,
    /// The display name.
    Name,
    /// The e-mail address.
    Email,
    /// The names of the user's groups.
    Groups,
    /// A member of the user's profile attributes (SCIM JSON), by dotted path: `title`,
    /// `name.givenName`, `urn:…:enterprise:2.0:User.department` is not reachable this way and
    /// is written with `/` instead: `urn:…:enterprise:2.0:User/department`.
    Attribute(String),
}

impl ClaimSource {
    /// The text form: `sub`, `username`, `name`, `email`, `groups`, `attributes.PATH`.
    pub fn as_text(&self) -> String {
        match self {
            ClaimSource::Subject => "sub".into(),
            ClaimSource::Username => "username".into(),
            ClaimSource::Name => "name".into(),
            ClaimSource::Email => "email".into(),
            ClaimSource::Groups => "groups".into(),
            ClaimSource::Attribute(path) => format!("attributes.{path}"),
        }
    }

    /// Reads the text form.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "sub" => ClaimSource::Subject,
            "username" => ClaimSource::Username,
            "name" => ClaimSource::Name,
            "email" => ClaimSource::Email,
            "groups" => ClaimSource::Groups,
            other => {
                let path = other.strip_prefix("attributes.")?;
                if path.is_empty() || path.split(['.', '/']).any(str::is_empty) {
                    return None;
                }
                ClaimSource::Attribute(path.to_owned())
            }
        })
    }
}

impl Serialize for ClaimSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_text())
    }
}

impl<'de> Deserialize<'de> for ClaimSource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ClaimSource::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown claim source {text:?}: use sub, username, name, email, groups or attributes.PATH"
            ))
        })
    }
}

/// One claim of a credential type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimSpec {
    /// The claim's name in the credential (a top-level claim).
    pub name: String,
    /// Where its value comes from.
    pub source: ClaimSource,
    /// Whether the holder may withhold it (an SD-JWT disclosure) or it is always shown.
    #[serde(default = "yes")]
    pub disclosable: bool,
    /// How it is shown to people.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub display: Vec<Display>,
}

fn yes() -> bool {
    true
}

/// The format a credential type is issued in (its OpenID4VCI Credential Format Profile).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialFormat {
    /// An SD-JWT VC: claims selectively disclosable.
    #[default]
    #[serde(rename = "dc+sd-jwt")]
    SdJwtVc,
    /// A W3C Verifiable Credential (Data Model 2.0) secured as a JWT by VC-JOSE-COSE: every
    /// claim is shown whenever it is presented.
    #[serde(rename = "jwt_vc_json")]
    JwtVcJson,
}

impl CredentialFormat {
    /// The format identifier (`dc+sd-jwt`, `jwt_vc_json`).
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialFormat::SdJwtVc => crate::sd_jwt_vc::SD_JWT_VC,
            CredentialFormat::JwtVcJson => crate::w3c::JWT_VC_JSON,
        }
    }
}

/// A credential type (an OpenID4VCI credential configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialType {
    /// The `credential_configuration_id`.
    pub id: String,
    /// The format credentials of this type are issued in; `dc+sd-jwt` unless set.
    #[serde(default)]
    pub format: CredentialFormat,
    /// The SD-JWT VC type (`vct`), a URI; for `dc+sd-jwt` types.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub vct: String,
    /// The W3C credential's own type, after `VerifiableCredential` in its `type`
    /// (`EmployeeCredential`); for `jwt_vc_json` types.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub vc_type: String,
    /// JSON-LD contexts a W3C credential names after the VCDM 2.0 base context, which is
    /// enough without them (its `@vocab` covers the type's own terms).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contexts: Vec<String>,
    /// How the credential is shown to people.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub display: Vec<Display>,
    /// Its claims, in display order.
    pub claims: Vec<ClaimSpec>,
    /// How long an issued credential is valid, seconds.
    pub lifetime_secs: u64,
    /// Whether only a credential offer starts issuance: when set, a wallet that signs its user
    /// in (the authorization code flow) cannot ask for this type without an offer's
    /// `issuer_state`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub offer_required: bool,
    /// Whether an administrator approves each credential before it is first issued: until
    /// then the wallet's request is deferred (OpenID4VCI §9).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approval_required: bool,
    /// Whether holder keys must come with a key attestation from a trusted wallet provider
    /// (OpenID4VCI Appendix D), and of what strength.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_attestation: Option<crate::key_attestation::KeyAttestationPolicy>,
}

/// What the issuer knows about the user a credential is for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserFacts {
    /// Subject identifier.
    pub sub: String,
    /// Username.
    pub username: String,
    /// Display name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Group names.
    pub groups: Vec<String>,
    /// Profile attributes (SCIM JSON).
    pub attributes: Map<String, Value>,
}

/// Claims Sigil sets itself in every credential, and SD-JWT's own.
pub const RESERVED_CLAIMS: [&str; 12] = [
    "iss",
    "sub",
    "vct",
    "vct#integrity",
    "iat",
    "nbf",
    "exp",
    "cnf",
    "status",
    "_sd",
    "_sd_alg",
    "...",
];

/// Names a W3C credential type may not give its claims: `credentialSubject` members Sigil
/// sets itself or JSON-LD keeps for itself.
pub const RESERVED_SUBJECT_CLAIMS: [&str; 3] = ["id", "type", "@context"];

/// The identifier of the ready-made credential type.
pub const EMPLOYEE: &str = "employee";

impl CredentialType {
    /// The ready-made `employee` type of an issuer: name, e-mail and groups, each
    /// selectively disclosable, valid for a year. Its `vct` is `{issuer}/vct/employee`, where
    /// Sigil serves its type metadata.
    pub fn employee(issuer: &str) -> Self {
        let claim = |name: &str, source, shown: &str| ClaimSpec {
            name: name.to_owned(),
            source,
            disclosable: true,
            display: vec![Display {
                name: shown.to_owned(),
                locale: Some("en".into()),
                description: None,
            }],
        };
        CredentialType {
            id: EMPLOYEE.into(),
            format: CredentialFormat::SdJwtVc,
            vct: format!("{}/vct/{EMPLOYEE}", issuer.trim_end_matches('/')),
            vc_type: String::new(),
            contexts: Vec::new(),
            display: vec![Display {
                name: "Employee".into(),
                locale: Some("en".into()),
                description: Some("Who you are at this organisation".into()),
            }],
            claims: vec![
                claim("name", ClaimSource::Name, "Name"),
                claim("email", ClaimSource::Email, "E-mail address"),
                claim("groups", ClaimSource::Groups, "Groups"),
            ],
            lifetime_secs: 365 * 24 * 3600,
            offer_required: false,
            approval_required: false,
            key_attestation: None,
        }
    }

    /// The claim values for `user`: a claim whose source the user has no value for is left
    /// out (an empty group list included).
    pub fn claim_values(&self, user: &UserFacts) -> Map<String, Value> {
        let mut out = Map::new();
        for claim in &self.claims {
            let value = match &claim.source {
                ClaimSource::Subject => Some(json!(user.sub)),
                ClaimSource::Username => Some(json!(user.username)),
                ClaimSource::Name => user.name.as_ref().map(|n| json!(n)),
                ClaimSource::Email => user.email.as_ref().map(|e| json!(e)),
                ClaimSource::Groups => (!user.groups.is_empty()).then(|| json!(user.groups)),
                ClaimSource::Attribute(path) => attribute(&user.attributes, path).cloned(),
            };
            if let Some(v) = value.filter(|v| !v.is_null()) {
                out.insert(claim.name.clone(), v);
            }
        }
        out
    }

    /// The W3C credential's `type`: `VerifiableCredential` and the type's own.
    pub fn w3c_types(&self) -> [&str; 2] {
        ["VerifiableCredential", self.vc_type.as_str()]
    }

    /// Checks what an administrator defined: an identifier, a `vct` (SD-JWT VC) or a
    /// `vc_type` and absolute contexts (W3C), claims with distinct names that are not the
    /// ones Sigil sets itself, a lifetime.
    pub fn validate(&self) -> Result<(), String> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !id_ok {
            return Err("id must be 1-64 letters, digits, '-', '_' or '.'".into());
        }
        let reserved: &[&str] = match self.format {
            CredentialFormat::SdJwtVc => {
                if self.vct.is_empty() || !self.vct.contains(':') {
                    return Err("vct must be a URI".into());
                }
                &RESERVED_CLAIMS
            }
            CredentialFormat::JwtVcJson => {
                let name_ok = !self.vc_type.is_empty()
                    && self.vc_type != "VerifiableCredential"
                    && !self.vc_type.contains(char::is_whitespace);
                if !name_ok {
                    return Err(
                        "vc_type must name the credential's own type (EmployeeCredential)".into(),
                    );
                }
                if !self.contexts.iter().all(|c| url::Url::parse(c).is_ok()) {
                    return Err("contexts must be absolute URLs".into());
                }
                &RESERVED_SUBJECT_CLAIMS
            }
        };
        if self.claims.is_empty() {
            return Err("a credential type needs at least one claim".into());
        }
        let mut seen = std::collections::HashSet::new();
        for claim in &self.claims {
            if reserved.contains(&claim.name.as_str()) || claim.name.is_empty() {
                return Err(format!(
                    "{:?} is not a claim name a type may use",
                    claim.name
                ));
            }
            if !seen.insert(claim.name.as_str()) {
                return Err(format!("claim {:?} appears twice", claim.name));
            }
        }
        if !(60..=10 * 365 * 24 * 3600).contains(&self.lifetime_secs) {
            return Err("lifetime_secs must be between a minute and ten years".into());
        }
        if let Some(policy) = &self.key_attestation {
            policy
                .validate()
                .map_err(|e| format!("key_attestation: {e}"))?;
        }
        Ok(())
    }

    /// The names of the claims a holder may withhold (none, for W3C credentials, which are
    /// shown whole).
    pub fn disclosable(&self) -> impl Iterator<Item = &str> {
        let selective = self.format == CredentialFormat::SdJwtVc;
        self.claims
            .iter()
            .filter(move |c| selective && c.disclosable)
            .map(|c| c.name.as_str())
    }
}

/// Follows a path through profile attributes: `.` between members, except that the part
/// before a `/` is one member name (a schema URN full of dots).
fn attribute<'a>(attributes: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let (first, rest) = match path.split_once('/') {
        Some((urn, rest)) => (urn, Some(rest)),
        None => match path.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (path, None),
        },
    };
    let value = attributes.get(first)?;
    match rest {
        None => Some(value),
        Some(rest) => attribute(value.as_object()?, rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> UserFacts {
        UserFacts {
            sub: "u1".into(),
            username: "alice".into(),
            name: Some("Alice Example".into()),
            email: None,
            groups: vec!["staff".into()],
            attributes: json!({
                "title": "Engineer",
                "name": {"givenName": "Alice"},
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"}
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        }
    }

    #[test]
    fn employee_values_leave_out_what_the_user_lacks() {
        let t = CredentialType::employee("https://id.example.com/");
        assert_eq!(t.vct, "https://id.example.com/vct/employee");
        let values = t.claim_values(&alice());
        assert_eq!(
            Value::Object(values),
            json!({"name": "Alice Example", "groups": ["staff"]})
        );
        assert_eq!(
            t.disclosable().collect::<Vec<_>>(),
            ["name", "email", "groups"]
        );
    }

    #[test]
    fn attribute_paths_reach_nested_and_urn_members() {
        let user = alice();
        for (path, expected) in [
            ("attributes.title", json!("Engineer")),
            ("attributes.name.givenName", json!("Alice")),
            (
                "attributes.urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/department",
                json!("R&D"),
            ),
        ] {
            let source = ClaimSource::parse(path).expect(path);
            assert_eq!(source.as_text(), path);
            let t = CredentialType {
                claims: vec![ClaimSpec {
                    name: "x".into(),
                    source,
                    disclosable: false,
                    display: vec![],
                }],
                ..CredentialType::employee("https://i")
            };
            assert_eq!(t.claim_values(&user).get("x"), Some(&expected), "{path}");
        }
        for bad in ["attributes.", "attributes.a..b", "phone", "attributes./x"] {
            assert_eq!(ClaimSource::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn validation_refuses_reserved_and_repeated_claims() {
        let good = CredentialType::employee("https://i");
        assert_eq!(good.validate(), Ok(()));
        let mut bad = good.clone();
        bad.claims[0].name = "iss".into();
        assert!(bad.validate().is_err());
        let mut bad = good.clone();
        bad.claims[1].name = "name".into();
        assert!(bad.validate().is_err());
        let mut bad = good.clone();
        bad.id = "emp loyee".into();
        assert!(bad.validate().is_err());
        let mut bad = good.clone();
        bad.lifetime_secs = 1;
        assert!(bad.validate().is_err());
        let mut w3c = good;
        w3c.format = CredentialFormat::JwtVcJson;
        assert!(w3c.validate().is_err(), "a W3C type needs vc_type");
        w3c.vc_type = "EmployeeCredential".into();
        assert_eq!(w3c.validate(), Ok(()));
        assert_eq!(w3c.disclosable().count(), 0);
        for (name, ok) in [("iss", true), ("id", false), ("type", false)] {
            let mut t = w3c.clone();
            t.claims[0].name = name.into();
            assert_eq!(t.validate().is_ok(), ok, "{name}");
        }
        w3c.contexts = vec!["not a url".into()];
        assert!(w3c.validate().is_err());
    }

    #[test]
    fn types_read_and_write_as_json() {
        let t = CredentialType::employee("https://i");
        let text = serde_json::to_value(&t).expect("serialises");
        assert_eq!(text["claims"][2]["source"], "groups");
        assert_eq!(text["format"], "dc+sd-jwt");
        let mut older = text.clone();
        older.as_object_mut().map(|o| o.remove("format"));
        let read: CredentialType = serde_json::from_value(older).expect("parses");
        assert_eq!(
            read.format,
            CredentialFormat::SdJwtVc,
            "types saved before formats"
        );
        let back: CredentialType = serde_json::from_value(text).expect("parses");
        assert_eq!(back, t);
    }
}
