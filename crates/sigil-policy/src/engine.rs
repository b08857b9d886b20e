//! Cedar behind Sigil's own types: the schema every application's policies are validated
//! against, and one decision for one realm.
//!
//! The model: `principal` is a `User` who is `in` their groups and directory; `action` is the
//! HTTP method; `resource` is the `Realm` being entered (in its parent realm and its
//! `Application`); `context.fired` holds the routes of that realm the request matched, so
//! route patterns (which Cedar cannot express: it has no regular expressions) are matched in
//! Rust and decided in Cedar.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, Policy,
    PolicyId, PolicySet, Request, ResourceConstraint, RestrictedExpression, Schema, ValidationMode,
    Validator,
};
use time::OffsetDateTime;

/// The Cedar namespace of Sigil's access policies.
pub const NAMESPACE: &str = "Sigil";

/// The HTTP methods policies can name (Cedar actions). Any other method is denied.
pub const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/// The action of signing in to a client, which sign-on policies decide.
pub const SIGN_IN: &str = "SignIn";

/// Why a policy set cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The generated schema did not parse (an attribute name Cedar cannot hold).
    #[error("schema: {0}")]
    Schema(String),
    /// The policies are not Cedar.
    #[error("policies do not parse: {0}")]
    Parse(String),
    /// Every policy needs a unique `@id("…")`: decisions name the policies that made them.
    #[error("{0}")]
    Id(String),
    /// Strict validation against the schema failed.
    #[error("policies do not validate: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// A request or entity Cedar refused (ill-formed ids or values).
    #[error("request: {0}")]
    Request(String),
}

/// The Cedar schema for applications whose policies read these user attributes.
pub fn schema_text(user_attributes: &[String]) -> String {
    let attrs: Vec<String> = user_attributes
        .iter()
        .map(|a| format!("{}?: String", quoted(a)))
        .collect();
    let actions: Vec<String> = METHODS.iter().map(|m| quoted(m)).collect();
    format!(
        "namespace {NAMESPACE} {{\n\
         \x20 entity Directory;\n\
         \x20 entity Group in [Group, Directory];\n\
         \x20 entity User in [Group, Directory] = {{ {attrs} }};\n\
         \x20 entity Application;\n\
         \x20 entity Realm in [Realm, Application];\n\
         \x20 entity Rule;\n\
         \x20 entity Client;\n\
         \x20 type RequestContext = {{ fired: Set<Rule>, clientIp: ipaddr, now: datetime, weekday: Long, assurance: Long, amr: Set<String> }};\n\
         \x20 action {actions} appliesTo {{ principal: [User, Client], resource: Realm, context: RequestContext }};\n\
         \x20 action \"{SIGN_IN}\" appliesTo {{ principal: User, resource: Client, context: RequestContext }};\n\
         }}\n",
        attrs = attrs.join(", "),
        actions = actions.join(", "),
    )
}

/// A Cedar string literal.
pub fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// The canonical form of a user or group id: directory names are case-insensitive.
pub fn entity_key(id: &str) -> String {
    id.trim().to_lowercase()
}

/// What kind of principal asks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// A person (`Sigil::User`).
    #[default]
    User,
    /// An OAuth client acting for itself, with a client-credentials token (`Sigil::Client`).
    Client,
}

/// Who is asking.
#[derive(Debug, Clone, Default)]
pub struct Principal {
    /// A user or a client.
    pub kind: PrincipalKind,
    /// The user's id (`directory:DN` for imported directories), or the client's id.
    pub id: String,
    /// Group ids the user is in.
    pub groups: Vec<String>,
    /// The directories the user belongs to.
    pub directories: Vec<String>,
    /// User attributes, for policies and injected headers.
    pub attributes: BTreeMap<String, String>,
}

impl Principal {
    /// A user with groups and attributes; an id of the form `directory:…` puts them in that
    /// directory.
    pub fn new(id: String, groups: Vec<String>, attributes: BTreeMap<String, String>) -> Self {
        let directories = id
            .split_once(':')
            .map(|(dir, _)| vec![dir.to_owned()])
            .unwrap_or_default();
        Self {
            kind: PrincipalKind::User,
            id,
            groups,
            directories,
            attributes,
        }
    }

    /// An OAuth client acting for itself: no groups, directories or attributes.
    pub fn client(client_id: String) -> Self {
        Self {
            kind: PrincipalKind::Client,
            id: client_id,
            ..Self::default()
        }
    }
}

/// What is known about the request besides who and where.
#[derive(Debug, Clone)]
pub struct Circumstances {
    /// The session's assurance level (0 when not signed in).
    pub assurance: u32,
    /// How the user authenticated (`pwd`, `pop`, …).
    pub amr: Vec<String>,
    /// The client's address.
    pub client_ip: IpAddr,
    /// When.
    pub now: OffsetDateTime,
}

/// One application's policies, parsed and validated once.
pub struct PolicyEngine {
    /// Per realm: the policies whose scope is that realm (`resource == Realm::"id"`) plus
    /// those about no one realm; Cedar evaluates every policy of the set it is given.
    by_realm: HashMap<String, PolicySet>,
    /// The policies about no one realm, for realms without policies of their own.
    shared: PolicySet,
    reads: Reads,
    authorizer: Authorizer,
    /// Entity type names, parsed once: parsing one costs more than a decision's evaluation.
    types: Types,
}

/// Which context values some policy mentions.
struct Reads {
    client_ip: bool,
    time: bool,
    amr: bool,
}

struct Types {
    user: EntityTypeName,
    group: EntityTypeName,
    directory: EntityTypeName,
    application: EntityTypeName,
    realm: EntityTypeName,
    rule: EntityTypeName,
    client: EntityTypeName,
    action: EntityTypeName,
}

impl Types {
    fn new() -> Result<Self, PolicyError> {
        let name = |kind: &str| {
            EntityTypeName::from_str(&format!("{NAMESPACE}::{kind}"))
                .map_err(|e| PolicyError::Schema(e.to_string()))
        };
        Ok(Self {
            user: name("User")?,
            group: name("Group")?,
            directory: name("Directory")?,
            application: name("Application")?,
            realm: name("Realm")?,
            rule: name("Rule")?,
            client: name("Client")?,
            action: name("Action")?,
        })
    }
}

impl std::fmt::Debug for PolicyEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyEngine").finish_non_exhaustive()
    }
}

/// One realm's decision: allowed or not, and the policies that determined it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether Cedar allowed.
    pub allowed: bool,
    /// The `@id`s of the permits that allowed or the forbids that denied (empty when nothing
    /// permitted).
    pub determining: Vec<String>,
}

impl PolicyEngine {
    /// Parses policies and validates them strictly against the schema for these attributes.
    pub fn new(policies: &str, user_attributes: &[String]) -> Result<Self, PolicyError> {
        let policies_text = policies;
        let (schema, _) = Schema::from_cedarschema_str(&schema_text(user_attributes))
            .map_err(|e| PolicyError::Schema(e.to_string()))?;
        let parsed =
            PolicySet::from_str(policies).map_err(|e| PolicyError::Parse(e.to_string()))?;
        let mut keyed = Vec::new();
        let mut seen = HashSet::new();
        for policy in parsed.policies() {
            let id = policy
                .annotation("id")
                .ok_or_else(|| PolicyError::Id(format!("a policy has no @id: {policy}")))?
                .to_owned();
            if !seen.insert(id.clone()) {
                return Err(PolicyError::Id(format!("two policies have @id {id:?}")));
            }
            keyed.push(policy.new_id(PolicyId::new(&id)));
        }
        let policies =
            PolicySet::from_policies(keyed).map_err(|e| PolicyError::Parse(e.to_string()))?;
        let result = Validator::new(schema).validate(&policies, ValidationMode::Strict);
        if !result.validation_passed() {
            return Err(PolicyError::Invalid(
                result.validation_errors().map(|e| e.to_string()).collect(),
            ));
        }
        let types = Types::new()?;
        let (by_realm, shared) = split_by_realm(&policies, &types.realm)?;
        Ok(Self {
            by_realm,
            shared,
            reads: Reads {
                client_ip: policies_text.contains("clientIp"),
                time: policies_text.contains("now") || policies_text.contains("weekday"),
                amr: policies_text.contains("amr"),
            },
            authorizer: Authorizer::new(),
            types,
        })
    }

    /// Whether some policy reads the client's address, the time or the authentication
    /// methods: decisions then depend on more than who asks for what at which assurance.
    pub fn reads_circumstances(&self) -> bool {
        self.reads.client_ip || self.reads.time || self.reads.amr
    }

    /// Decides one request for the innermost realm of `realm_chain` (the realm and its
    /// ancestors, innermost first); `fired` holds the ids of the routes the request matched.
    pub fn decide(
        &self,
        application: &str,
        principal: &Principal,
        method: &str,
        realm_chain: &[&str],
        fired: &[&str],
        circumstances: &Circumstances,
    ) -> Result<Verdict, PolicyError> {
        let prepared = self.prepare(
            application,
            principal,
            method,
            realm_chain,
            fired,
            circumstances,
        )?;
        prepared.decide(realm_chain.first().copied().unwrap_or_default())
    }

    /// Builds what every realm's decision for one request shares: the entities (the user, their
    /// groups and directories, the realms of the chain) and the context. `fired` may hold the
    /// routes of every realm on the chain: a route belongs to one realm, and a policy names
    /// both its realm and its route.
    pub fn prepare(
        &self,
        application: &str,
        principal: &Principal,
        method: &str,
        realm_chain: &[&str],
        fired: &[&str],
        circumstances: &Circumstances,
    ) -> Result<Prepared<'_>, PolicyError> {
        let request_error = |e: &dyn std::fmt::Display| PolicyError::Request(e.to_string());
        let ty = &self.types;
        // User and group ids are case-insensitive directory names; client ids are exact.
        let user = match principal.kind {
            PrincipalKind::User => uid(&ty.user, &entity_key(&principal.id)),
            PrincipalKind::Client => uid(&ty.client, &principal.id),
        };
        let mut entities = Vec::new();
        let mut parents = HashSet::new();
        for group in &principal.groups {
            let g = uid(&ty.group, &entity_key(group));
            entities.push(Entity::new_no_attrs(g.clone(), HashSet::new()));
            parents.insert(g);
        }
        for directory in &principal.directories {
            let d = uid(&ty.directory, directory);
            entities.push(Entity::new_no_attrs(d.clone(), HashSet::new()));
            parents.insert(d);
        }
        let attrs: HashMap<String, RestrictedExpression> = principal
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), RestrictedExpression::new_string(v.clone())))
            .collect();
        entities.push(Entity::new(user.clone(), attrs, parents).map_err(|e| request_error(&e))?);
        for (i, id) in realm_chain.iter().enumerate() {
            let parent = match realm_chain.get(i + 1) {
                Some(outer) => uid(&ty.realm, outer),
                None => uid(&ty.application, application),
            };
            entities.push(Entity::new_no_attrs(
                uid(&ty.realm, id),
                HashSet::from([parent]),
            ));
        }
        let fired = fired
            .iter()
            .map(|r| RestrictedExpression::new_entity_uid(uid(&ty.rule, r)));
        let mut pairs = vec![
            ("fired".to_owned(), RestrictedExpression::new_set(fired)),
            (
                "assurance".to_owned(),
                RestrictedExpression::new_long(circumstances.assurance.into()),
            ),
        ];
        // Extension values cost more to build than a decision costs to evaluate: the context
        // carries them only when some policy's text mentions them.
        if self.reads.client_ip {
            pairs.push((
                "clientIp".to_owned(),
                RestrictedExpression::new_ip(circumstances.client_ip.to_string()),
            ));
        }
        if self.reads.time {
            pairs.push((
                "now".to_owned(),
                RestrictedExpression::new_datetime(cedar_datetime(circumstances.now)),
            ));
            pairs.push((
                "weekday".to_owned(),
                RestrictedExpression::new_long(
                    circumstances.now.weekday().number_from_monday().into(),
                ),
            ));
        }
        if self.reads.amr {
            pairs.push((
                "amr".to_owned(),
                RestrictedExpression::new_set(
                    circumstances
                        .amr
                        .iter()
                        .map(|m| RestrictedExpression::new_string(m.clone())),
                ),
            ));
        }
        Ok(Prepared {
            engine: self,
            user,
            action: uid(&ty.action, method),
            entities: Entities::from_entities(entities, None).map_err(|e| request_error(&e))?,
            context: Context::from_pairs(pairs).map_err(|e| request_error(&e))?,
        })
    }
}

/// One request's entities and context, ready for a decision per realm.
pub struct Prepared<'e> {
    engine: &'e PolicyEngine,
    user: EntityUid,
    action: EntityUid,
    entities: Entities,
    context: Context,
}

impl Prepared<'_> {
    /// Decides the request for one realm, with that realm's policies and those that are not
    /// about one realm.
    pub fn decide(&self, realm: &str) -> Result<Verdict, PolicyError> {
        let engine = self.engine;
        let policies = engine.by_realm.get(realm).unwrap_or(&engine.shared);
        self.evaluate(uid(&engine.types.realm, realm), policies)
    }

    /// Decides a sign-in (prepared with the [`SIGN_IN`] action) to one client.
    pub fn decide_client(&self, client: &str) -> Result<Verdict, PolicyError> {
        let engine = self.engine;
        self.evaluate(uid(&engine.types.client, client), &engine.shared)
    }

    fn evaluate(&self, resource: EntityUid, policies: &PolicySet) -> Result<Verdict, PolicyError> {
        let engine = self.engine;
        let request = Request::new(
            self.user.clone(),
            self.action.clone(),
            resource,
            self.context.clone(),
            None,
        )
        .map_err(|e| PolicyError::Request(e.to_string()))?;
        let response = engine
            .authorizer
            .is_authorized(&request, policies, &self.entities);
        let mut determining: Vec<String> = response
            .diagnostics()
            .reason()
            .map(|id| id.to_string())
            .collect();
        determining.sort();
        // An evaluation error (an attribute missing at run time) makes that policy not apply;
        // Cedar's default deny then keeps the request out.
        Ok(Verdict {
            allowed: response.decision() == Decision::Allow,
            determining,
        })
    }
}

fn uid(kind: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(kind.clone(), EntityId::new(id))
}

/// Splits a policy set by the realm each policy's scope names.
fn split_by_realm(
    policies: &PolicySet,
    realm_type: &EntityTypeName,
) -> Result<(HashMap<String, PolicySet>, PolicySet), PolicyError> {
    let mut shared = Vec::new();
    let mut own: HashMap<String, Vec<Policy>> = HashMap::new();
    for policy in policies.policies() {
        match policy.resource_constraint() {
            ResourceConstraint::Eq(realm) if realm.type_name() == realm_type => own
                .entry(realm.id().unescaped().to_owned())
                .or_default()
                .push(policy.clone()),
            _ => shared.push(policy.clone()),
        }
    }
    let set = |list: Vec<Policy>| {
        PolicySet::from_policies(list).map_err(|e| PolicyError::Parse(e.to_string()))
    };
    let by_realm = own
        .into_iter()
        .map(|(realm, mut list)| {
            list.extend(shared.iter().cloned());
            Ok((realm, set(list)?))
        })
        .collect::<Result<_, PolicyError>>()?;
    Ok((by_realm, set(shared)?))
}

fn cedar_datetime(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICIES: &str = r#"
        @id("admins")
        permit (principal in Sigil::Group::"corp:admins", action == Sigil::Action::"GET",
                resource == Sigil::Realm::"r")
        when { context.fired.contains(Sigil::Rule::"r/all") && context.assurance >= 5
               && context.clientIp.isInRange(ip("10.0.0.0/8")) };
        @id("no-contractors")
        forbid (principal, action, resource) when { principal has "kind" && principal["kind"] == "contractor" };
    "#;

    fn facts(ip: &str) -> Circumstances {
        Circumstances {
            assurance: 5,
            amr: vec!["pwd".into()],
            client_ip: ip.parse().expect("test input is valid"),
            now: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn admin(kind: &str) -> Principal {
        Principal {
            kind: PrincipalKind::User,
            id: "corp:alice".into(),
            groups: vec!["CORP:Admins".into()],
            directories: vec![],
            attributes: BTreeMap::from([("kind".into(), kind.into())]),
        }
    }

    #[test]
    fn permits_and_forbids_name_themselves() {
        let engine = PolicyEngine::new(POLICIES, &["kind".into()]).expect("test input is valid");
        let decide = |p: &Principal, ip: &str, fired: &[&str]| {
            engine
                .decide("app", p, "GET", &["r"], fired, &facts(ip))
                .expect("test input is valid")
        };
        let yes = decide(&admin("staff"), "10.1.2.3", &["r/all"]);
        assert_eq!(
            yes,
            Verdict {
                allowed: true,
                determining: vec!["admins".into()]
            }
        );
        assert!(!decide(&admin("staff"), "192.0.2.1", &["r/all"]).allowed);
        assert!(!decide(&admin("staff"), "10.1.2.3", &[]).allowed);
        let no = decide(&admin("contractor"), "10.1.2.3", &["r/all"]);
        assert_eq!(no.determining, vec!["no-contractors".to_owned()]);
        assert!(!no.allowed);
    }

    #[test]
    fn clients_are_principals_by_their_exact_id() {
        let policies = r#"
            @id("reporting") permit (principal == Sigil::Client::"Rep0rt-Svc", action == Sigil::Action::"GET", resource);
            @id("staff") permit (principal in Sigil::Group::"corp:staff", action, resource)
                when { principal has "kind" && principal["kind"] == "staff" };
        "#;
        let engine = PolicyEngine::new(policies, &["kind".into()]).expect("validates");
        let decide = |p: &Principal, method: &str| {
            engine
                .decide("app", p, method, &["r"], &[], &facts("10.0.0.1"))
                .expect("decides")
        };
        let client = Principal::client("Rep0rt-Svc".into());
        let allowed = decide(&client, "GET");
        assert!(allowed.allowed);
        assert_eq!(allowed.determining, vec!["reporting".to_owned()]);
        assert!(
            !decide(&client, "POST").allowed,
            "only what its policy permits"
        );
        assert!(
            !decide(&Principal::client("rep0rt-svc".into()), "GET").allowed,
            "client ids are exact"
        );
        let namesake = Principal::new("Rep0rt-Svc".into(), vec![], BTreeMap::new());
        assert!(
            !decide(&namesake, "GET").allowed,
            "a user is not the client"
        );
    }

    #[test]
    fn policies_must_validate_and_carry_ids() {
        let no_id = "permit (principal, action, resource);";
        assert!(matches!(
            PolicyEngine::new(no_id, &[]),
            Err(PolicyError::Id(_))
        ));
        let unknown_attr =
            r#"@id("x") permit (principal, action, resource) when { principal.age > 3 };"#;
        assert!(matches!(
            PolicyEngine::new(unknown_attr, &[]),
            Err(PolicyError::Invalid(_))
        ));
        let twice = r#"@id("x") permit (principal, action, resource); @id("x") forbid (principal, action, resource);"#;
        assert!(matches!(
            PolicyEngine::new(twice, &[]),
            Err(PolicyError::Id(_))
        ));
        assert!(matches!(
            PolicyEngine::new("permit (", &[]),
            Err(PolicyError::Parse(_))
        ));
    }
}
