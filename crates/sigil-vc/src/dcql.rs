//! The Digital Credentials Query Language (OpenID4VP 1.0 §6): what a verifier asks for —
//! credentials by format and type, the claims it needs (by path, with accepted values and
//! alternative claim sets), and which combinations of credentials will do. A verifier checks
//! what came back against its query; a wallet picks the credentials and claims that answer it.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A DCQL query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DcqlQuery {
    /// The credentials asked for.
    pub credentials: Vec<CredentialQuery>,
    /// Which combinations of them satisfy the query; all of them when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_sets: Option<Vec<CredentialSet>>,
}

/// One credential asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialQuery {
    /// The identifier the response is keyed by.
    pub id: String,
    /// The credential format (`dc+sd-jwt`).
    pub format: String,
    /// Whether several credentials may answer it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub multiple: bool,
    /// Format-specific constraints (`vct_values` for SD-JWT VC).
    #[serde(default)]
    pub meta: Map<String, Value>,
    /// The claims asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimsQuery>>,
    /// Alternative sets of claim ids, most preferred first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_sets: Option<Vec<Vec<String>>>,
    /// Whether the holder must prove possession of the credential's key (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_cryptographic_holder_binding: Option<bool>,
    /// Which authorities the issuer must be certified by (§6.1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_authorities: Option<Vec<TrustedAuthority>>,
}

/// A Trusted Authorities Query (§6.1.1): the issuer is to be certified by one of `values`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedAuthority {
    /// `aki` (Authority Key Identifiers, the one type Sigil evaluates), `etsi_tl`,
    /// `openid_federation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What identifies the authorities, per type.
    pub values: Vec<String>,
}

/// The trusted authority type of Authority Key Identifiers.
pub const AKI: &str = "aki";

/// One claim asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimsQuery {
    /// Its identifier, for `claim_sets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Where it is: object member names, array indexes, `null` for every element.
    pub path: Vec<Value>,
    /// The values accepted, when only some are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
}

/// A set of alternative credential combinations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialSet {
    /// Each option: credential query ids that together satisfy the set.
    pub options: Vec<Vec<String>>,
    /// Whether the set must be satisfied (default true).
    #[serde(default = "yes")]
    pub required: bool,
}

fn yes() -> bool {
    true
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl DcqlQuery {
    /// Reads and checks a query: unique, well-formed ids; paths of strings, indexes and
    /// nulls; claim sets and credential sets that name what exists.
    pub fn parse(value: &Value) -> Result<Self, String> {
        let query: DcqlQuery =
            serde_json::from_value(value.clone()).map_err(|e| format!("not a DCQL query: {e}"))?;
        query.validate()?;
        Ok(query)
    }

    fn validate(&self) -> Result<(), String> {
        if self.credentials.is_empty() {
            return Err("credentials must not be empty".into());
        }
        let mut ids = HashSet::new();
        for c in &self.credentials {
            if !valid_id(&c.id) || !ids.insert(c.id.as_str()) {
                return Err(format!("credential id {:?} is malformed or repeated", c.id));
            }
            c.validate()?;
        }
        for set in self.credential_sets.iter().flatten() {
            if set.options.is_empty() {
                return Err("a credential set needs options".into());
            }
            for id in set.options.iter().flatten() {
                if !ids.contains(id.as_str()) {
                    return Err(format!("credential set names unknown credential {id:?}"));
                }
            }
        }
        Ok(())
    }

    /// The credential query with id `id`.
    pub fn credential(&self, id: &str) -> Option<&CredentialQuery> {
        self.credentials.iter().find(|c| c.id == id)
    }

    /// Whether the credential query ids answered satisfy the query: every required credential
    /// set has an option wholly answered (every credential when there are no sets).
    pub fn satisfied_by(&self, answered: &HashSet<&str>) -> bool {
        match &self.credential_sets {
            None => self
                .credentials
                .iter()
                .all(|c| answered.contains(c.id.as_str())),
            Some(sets) => sets.iter().filter(|s| s.required).all(|s| {
                s.options
                    .iter()
                    .any(|o| o.iter().all(|id| answered.contains(id.as_str())))
            }),
        }
    }
}

impl CredentialQuery {
    fn validate(&self) -> Result<(), String> {
        if self.format == crate::sd_jwt_vc::SD_JWT_VC && self.vct_values().is_empty() {
            return Err(format!(
                "credential {:?}: meta.vct_values is required for dc+sd-jwt",
                self.id
            ));
        }
        if self.format == crate::w3c::JWT_VC_JSON {
            let well_formed = self.type_values().is_some_and(|alternatives| {
                !alternatives.is_empty() && alternatives.iter().all(|a| !a.is_empty())
            });
            if !well_formed {
                return Err(format!(
                    "credential {:?}: meta.type_values must be a non-empty array of non-empty arrays of strings for jwt_vc_json",
                    self.id
                ));
            }
        }
        let authorities_ok = self.trusted_authorities.as_ref().is_none_or(|list| {
            !list.is_empty()
                && list.iter().all(|a| {
                    !a.kind.is_empty()
                        && !a.values.is_empty()
                        && a.values.iter().all(|v| !v.is_empty())
                })
        });
        if !authorities_ok {
            return Err(format!(
                "credential {:?}: trusted_authorities must be a non-empty array of {{type, values}} with non-empty values",
                self.id
            ));
        }
        let claims = self.claims.as_deref().unwrap_or_default();
        if self.claims.as_ref().is_some_and(Vec::is_empty) {
            return Err(format!(
                "credential {:?}: claims must not be empty",
                self.id
            ));
        }
        let mut claim_ids = HashSet::new();
        for claim in claims {
            if claim.path.is_empty() {
                return Err(format!("credential {:?}: a claim path is empty", self.id));
            }
            let path_ok = claim
                .path
                .iter()
                .all(|p| p.is_string() || p.is_null() || p.as_u64().is_some());
            if !path_ok {
                return Err(format!(
                    "credential {:?}: a claim path element is invalid",
                    self.id
                ));
            }
            if let Some(id) = &claim.id
                && (!valid_id(id) || !claim_ids.insert(id.as_str()))
            {
                return Err(format!(
                    "credential {:?}: claim id {id:?} is malformed or repeated",
                    self.id
                ));
            }
        }
        if let Some(sets) = &self.claim_sets {
            if claims.is_empty() || sets.is_empty() {
                return Err(format!(
                    "credential {:?}: claim_sets without claims",
                    self.id
                ));
            }
            for id in sets.iter().flatten() {
                if !claim_ids.contains(id.as_str()) {
                    return Err(format!(
                        "credential {:?}: claim set names unknown claim {id:?}",
                        self.id
                    ));
                }
            }
        }
        Ok(())
    }

    /// The `vct` values accepted, for SD-JWT VC queries.
    pub fn vct_values(&self) -> Vec<&str> {
        self.meta
            .get("vct_values")
            .and_then(Value::as_array)
            .map(|v| v.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// The `type_values` of a W3C credential query: alternatives, each a set of types the
    /// credential's `type` must all include (OpenID4VP 1.0 Appendix B.1.1). `None` when
    /// malformed. Types are compared as written: Sigil does no JSON-LD expansion, so the
    /// types of `jwt_vc_json` credentials are taken as the terms they are.
    pub fn type_values(&self) -> Option<Vec<Vec<&str>>> {
        self.meta
            .get("type_values")?
            .as_array()?
            .iter()
            .map(|alternative| {
                alternative
                    .as_array()?
                    .iter()
                    .map(Value::as_str)
                    .collect::<Option<Vec<&str>>>()
            })
            .collect()
    }

    /// Whether a credential whose issuer-signed part carries the chain `x5c` may answer
    /// this query as far as its `trusted_authorities` go: no such query, or one of its `aki`
    /// values among the chain's authority key identifiers. Types Sigil cannot evaluate
    /// (`etsi_tl`, `openid_federation`) restrict nothing here; the verifier's own trust still
    /// decides.
    pub fn trusts_chain(&self, x5c: Option<&[String]>) -> bool {
        let wanted: Vec<&str> = self
            .trusted_authorities
            .iter()
            .flatten()
            .filter(|a| a.kind == AKI)
            .flat_map(|a| a.values.iter().map(String::as_str))
            .collect();
        if wanted.is_empty() {
            return true;
        }
        let named = crate::trust::authority_key_ids(x5c.unwrap_or_default());
        named.iter().any(|id| wanted.contains(&id.as_str()))
    }

    /// Whether holder binding is required (the default).
    pub fn requires_holder_binding(&self) -> bool {
        self.require_cryptographic_holder_binding.unwrap_or(true)
    }

    /// What a credential of `format` with processed claims `claims` answers: the requested
    /// claims, each at its path (only those; nothing else of the credential), or `None` when
    /// it does not answer the query (format, type, a missing or unaccepted claim).
    pub fn answer(&self, format: &str, claims: &Map<String, Value>) -> Option<Map<String, Value>> {
        if format != self.format {
            return None;
        }
        let vcts = self.vct_values();
        if self.format == crate::sd_jwt_vc::SD_JWT_VC {
            let vct = claims.get("vct").and_then(Value::as_str)?;
            if !vcts.is_empty() && !vcts.contains(&vct) {
                return None;
            }
        }
        if self.format == crate::w3c::JWT_VC_JSON {
            let types = crate::w3c::types_of(claims);
            let alternatives = self.type_values()?;
            if !alternatives
                .iter()
                .any(|wanted| wanted.iter().all(|t| types.contains(t)))
            {
                return None;
            }
        }
        let Some(queries) = &self.claims else {
            return Some(Map::new());
        };
        let by_id: HashMap<&str, &ClaimsQuery> = queries
            .iter()
            .filter_map(|q| q.id.as_deref().map(|id| (id, q)))
            .collect();
        let chosen: Vec<&ClaimsQuery> = match &self.claim_sets {
            None => queries.iter().collect(),
            Some(sets) => sets
                .iter()
                .map(|set| {
                    set.iter()
                        .filter_map(|id| by_id.get(id.as_str()).copied())
                        .collect::<Vec<_>>()
                })
                .find(|set| set.iter().all(|q| q.matches(claims)))?,
        };
        let mut out = Map::new();
        for query in chosen {
            let found = query.select(claims)?;
            insert_at(&mut out, &query.path, found);
        }
        Some(out)
    }
}

impl ClaimsQuery {
    fn matches(&self, claims: &Map<String, Value>) -> bool {
        self.select(claims).is_some()
    }

    /// The claim's value in `claims` (an array of every match under a `null` path element),
    /// when it is there and accepted.
    pub fn select(&self, claims: &Map<String, Value>) -> Option<Value> {
        let root = Value::Object(claims.clone());
        let found = resolve(&root, &self.path)?;
        let accepted = |v: &Value| self.values.as_ref().is_none_or(|vals| vals.contains(v));
        match &found {
            Resolved::One(v) => accepted(v).then(|| v.clone()),
            Resolved::Many(list) => {
                let kept: Vec<Value> = list.iter().filter(|v| accepted(v)).cloned().collect();
                (!kept.is_empty()).then_some(Value::Array(kept))
            }
        }
    }
}

enum Resolved {
    One(Value),
    Many(Vec<Value>),
}

fn resolve(value: &Value, path: &[Value]) -> Option<Resolved> {
    let Some((head, rest)) = path.split_first() else {
        return Some(Resolved::One(value.clone()));
    };
    match head {
        Value::String(name) => resolve(value.as_object()?.get(name)?, rest),
        Value::Number(n) => resolve(
            value.as_array()?.get(usize::try_from(n.as_u64()?).ok()?)?,
            rest,
        ),
        Value::Null => {
            let all: Vec<Value> = value
                .as_array()?
                .iter()
                .filter_map(|v| match resolve(v, rest)? {
                    Resolved::One(v) => Some(v),
                    Resolved::Many(v) => Some(Value::Array(v)),
                })
                .collect();
            (!all.is_empty()).then_some(Resolved::Many(all))
        }
        _ => None,
    }
}

/// Puts `value` at `path` in `out`, creating objects on the way (array steps keep the
/// selected values as they were selected).
fn insert_at(out: &mut Map<String, Value>, path: &[Value], value: Value) {
    let Some(Value::String(first)) = path.first() else {
        return;
    };
    let rest = &path[1..];
    if rest.is_empty() || !rest[0].is_string() {
        out.insert(first.clone(), value);
        return;
    }
    let child = out
        .entry(first.clone())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(child) = child {
        insert_at(child, rest, value);
    }
}

/// The top-level claim names a query's claims start with: what a wallet discloses (for
/// SD-JWTs whose disclosable claims are top-level).
pub fn top_level_names(query: &CredentialQuery) -> Vec<String> {
    query
        .claims
        .iter()
        .flatten()
        .filter_map(|c| c.path.first().and_then(Value::as_str).map(str::to_owned))
        .collect()
}
