//! The gateway's applications: realms (path prefixes with an assurance level), their routes,
//! the Cedar policies that decide them and the identity headers a permit injects. This is the
//! document the importer produces and the store keeps, one per application.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One application behind the gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    /// Its name (by default the agent or agent group it was imported from).
    pub name: String,
    /// Where the gateway forwards requests, once an operator has said so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// The protected and public path prefixes, each with its routes.
    pub realms: Vec<Realm>,
    /// Cedar policies, each annotated with `@id`.
    pub policies: String,
    /// User attributes the policies read (declared, optional, in the Cedar schema).
    #[serde(default)]
    pub user_attributes: Vec<String>,
    /// What a permit adds to the upstream request, by the `@id` of the Cedar policy.
    #[serde(default)]
    pub responses: BTreeMap<String, Vec<ResponseAction>>,
    /// Where a denied browser is sent, by the `@id` of the Cedar policy whose deny rule fired.
    #[serde(default)]
    pub deny_redirects: BTreeMap<String, String>,
    /// Headers and cookies set once, when the user signs in (SiteMinder authentication-event
    /// responses).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub login_actions: Vec<ResponseAction>,
    /// Whether the implicit SiteMinder agent headers (`SM_USER`, `SM_USERDN`, …) are sent to
    /// protected routes. Legacy apps read them; on by default for imported apps.
    #[serde(default)]
    pub legacy_headers: bool,
    /// Where this application came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// The policy-store objects an application was imported from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// `siteminder`.
    pub kind: String,
    /// The agent or agent group.
    pub agent: String,
    /// Its XID.
    pub xid: String,
}

/// A path prefix with how it is protected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Realm {
    /// Unique within the application, used as the Cedar `Realm` entity id.
    pub id: String,
    /// The display name.
    pub name: String,
    /// The enclosing realm's id, for nested realms (a request must be allowed by every realm
    /// on its chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The literal path prefix this realm covers (`*` and `?` are not wildcards here).
    pub prefix: String,
    /// False for a public realm: its routes need no sign-in and get no identity headers.
    pub protected: bool,
    /// The assurance level a session needs here (0 for none); lower sessions step up.
    #[serde(default)]
    pub assurance: u32,
    /// How users authenticate here (`password`, `client-certificate`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator: Option<String>,
    /// Idle session timeout in seconds, if the realm sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<u64>,
    /// Absolute session timeout in seconds, if the realm sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_timeout: Option<u64>,
    /// The source object's id (an XID for imports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xid: Option<String>,
    /// The realm's routes.
    pub routes: Vec<Route>,
}

/// A rule: which methods on which paths under a realm it covers, and whether it allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// Unique within the application, used as the Cedar `Rule` entity id.
    pub id: String,
    /// The display name.
    pub name: String,
    /// HTTP methods, upper case.
    pub methods: Vec<String>,
    /// How the path below the realm's prefix is matched.
    pub pattern: Pattern,
    /// `allow` or `deny`.
    pub effect: Effect,
    /// The source object's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xid: Option<String>,
}

/// A path pattern, relative to its realm's prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "text", rename_all = "lowercase")]
pub enum Pattern {
    /// `*` matches any characters, `/` included; everything else is literal.
    Glob(String),
    /// A regular expression anchored at the prefix; at the end only if it says `$`.
    Regex(String),
    /// The exact remaining path.
    Exact(String),
}

/// Whether a route allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Grants, subject to the policies.
    Allow,
    /// Denies the users of the policy it belongs to; deny wins.
    Deny,
}

/// Something a permit adds to the upstream request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseAction {
    /// `header` or `cookie`.
    pub kind: ActionKind,
    /// The header or cookie name, verbatim.
    pub name: String,
    /// Where the value comes from.
    pub value: ValueSource,
}

/// Where a response action is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionKind {
    /// A request header.
    Header,
    /// A cookie in the request's `Cookie` header.
    Cookie,
}

/// The value of an injected header or cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", content = "value", rename_all = "snake_case")]
pub enum ValueSource {
    /// A fixed string.
    Static(String),
    /// A user attribute (absent attribute: the header is left out).
    UserAttribute(String),
    /// The user's groups, joined with `^` as SiteMinder's `SM_USERGROUPS` is.
    Groups,
}
