//! One access decision, the same for the gateway and for `sigil gateway explain`: the realm
//! with the longest prefix, the routes it fires, one Cedar decision per realm on its chain
//! (nested realms are ANDed), then step-up when the session's assurance is too low, then the
//! identity headers the permits carry.

use std::collections::{BTreeMap, BTreeSet};

use regex::{Regex, RegexBuilder};
use serde::Serialize;

use crate::app::{ActionKind, Application, Effect, Pattern, Realm, ResponseAction, ValueSource};
use crate::engine::{Circumstances, METHODS, PolicyEngine, PolicyError, Principal, PrincipalKind};

/// What happens to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Forwarded with identity headers.
    Allow,
    /// Refused (403).
    Deny,
    /// Forwarded without sign-in and without identity headers.
    Public,
    /// The user must sign in, or sign in again more strongly, first.
    StepUp,
}

/// Something that took part in a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matched {
    /// `realm`, `rule` or `policy`.
    pub kind: &'static str,
    /// Its id.
    pub id: String,
    /// For realms and rules, the display name; for policies, `permit` or `forbid` is implied
    /// by the outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A decision with everything needed to act on it and to explain it.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    /// The outcome.
    pub decision: Outcome,
    /// Why, in a sentence.
    pub reason: String,
    /// Headers to set on the upstream request (after stripping every injectable name).
    pub headers: BTreeMap<String, String>,
    /// Cookies to add to the upstream request.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub cookies: BTreeMap<String, String>,
    /// For a step-up, the assurance level needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_assurance: Option<u32>,
    /// For a deny, where to send a browser instead of the deny page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect: Option<String>,
    /// The realms, rules and policies that decided, outermost realm first.
    pub matched: Vec<Matched>,
    /// The session limits of the realm chain (the tightest of each), for the gateway.
    #[serde(skip)]
    pub limits: SessionLimits,
}

/// How long a session may sit idle, and live at most, to enter a realm chain (seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionLimits {
    /// Longest allowed time since the session was last used.
    pub idle: Option<u64>,
    /// Longest allowed time since the user signed in.
    pub max: Option<u64>,
}

/// The names the gateway injects for an application: any incoming header or cookie of one of
/// these names is removed before the request is forwarded.
#[derive(Debug, Clone, Default)]
pub struct InjectedNames {
    /// Header names, lowercase.
    pub headers: BTreeSet<String>,
    /// Cookie names, as configured (cookie names are case-sensitive).
    pub cookies: BTreeSet<String>,
}

impl Decision {
    fn new(decision: Outcome, reason: impl Into<String>, matched: Vec<Matched>) -> Self {
        Self {
            decision,
            reason: reason.into(),
            headers: BTreeMap::new(),
            cookies: BTreeMap::new(),
            required_assurance: None,
            redirect: None,
            matched,
            limits: SessionLimits::default(),
        }
    }
}

enum Matcher {
    Regex(Regex),
    Exact(String),
}

impl Matcher {
    fn new(pattern: &Pattern) -> Result<Self, PolicyError> {
        let source = match pattern {
            Pattern::Exact(s) => return Ok(Self::Exact(s.clone())),
            Pattern::Glob(g) => {
                let parts: Vec<String> = g.split('*').map(regex::escape).collect();
                format!("^{}$", parts.join(".*"))
            }
            Pattern::Regex(r) => format!("^(?:{r})"),
        };
        RegexBuilder::new(&source)
            .dot_matches_new_line(true)
            .size_limit(1 << 20)
            .build()
            .map(Self::Regex)
            .map_err(|e| PolicyError::Parse(format!("route pattern {source:?}: {e}")))
    }

    fn matches(&self, rest: &str) -> bool {
        match self {
            Self::Regex(r) => r.is_match(rest),
            Self::Exact(s) => s == rest,
        }
    }
}

struct CompiledRealm {
    chain: Vec<usize>,
    routes: Vec<Matcher>,
}

/// An application ready to decide requests: patterns compiled, policies validated, realms
/// ordered by prefix length.
pub struct CompiledApp {
    app: Application,
    engine: PolicyEngine,
    /// By the application's realm index.
    realms: Vec<CompiledRealm>,
    /// Realm indexes, longest prefix first.
    by_prefix: Vec<usize>,
}

impl std::fmt::Debug for CompiledApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledApp")
            .field("name", &self.app.name)
            .finish_non_exhaustive()
    }
}

impl CompiledApp {
    /// Compiles an application; fails on an invalid pattern, policy or realm reference.
    pub fn new(app: Application) -> Result<Self, PolicyError> {
        let engine = PolicyEngine::new(&app.policies, &app.user_attributes)?;
        let mut realms = Vec::with_capacity(app.realms.len());
        for (index, realm) in app.realms.iter().enumerate() {
            let routes = realm
                .routes
                .iter()
                .map(|r| Matcher::new(&r.pattern))
                .collect::<Result<_, _>>()?;
            realms.push(CompiledRealm {
                chain: realm_chain(&app.realms, index)?,
                routes,
            });
        }
        let mut by_prefix: Vec<usize> = (0..app.realms.len()).collect();
        by_prefix.sort_by_key(|&i| std::cmp::Reverse(app.realms[i].prefix.len()));
        Ok(Self {
            app,
            engine,
            realms,
            by_prefix,
        })
    }

    /// The application.
    pub fn app(&self) -> &Application {
        &self.app
    }

    /// Whether a decision depends only on the principal, the method, the path and the
    /// assurance (no policy reads the client's address, the time or `amr`), so it may be
    /// reused for the same four.
    pub fn decisions_reusable(&self) -> bool {
        !self.engine.reads_circumstances()
    }

    /// The lowest assurance any protected realm asks for: that of an ordinary sign-in.
    pub fn ordinary_assurance(&self) -> u32 {
        self.app
            .realms
            .iter()
            .filter(|r| r.protected && r.assurance > 0)
            .map(|r| r.assurance)
            .min()
            .unwrap_or(0)
    }

    /// Decides a request for an already normalised path. `principal` is `None` when nobody is
    /// signed in.
    pub fn decide(
        &self,
        method: &str,
        path: &str,
        principal: Option<&Principal>,
        circumstances: &Circumstances,
    ) -> Result<Decision, PolicyError> {
        let method = method.to_ascii_uppercase();
        let Some(&best_index) = self
            .by_prefix
            .iter()
            .find(|&&i| path.starts_with(&self.app.realms[i].prefix))
        else {
            return Ok(Decision::new(
                Outcome::Deny,
                "no realm covers this path",
                vec![],
            ));
        };
        let best = &self.realms[best_index];
        let realm = &self.app.realms[best_index];
        let mut matched = vec![self.matched_realm(realm)];
        if !realm.protected {
            return Ok(self.public(best_index, &method, path, matched));
        }
        let Some(principal) = principal else {
            let mut d = Decision::new(Outcome::StepUp, "sign-in required", matched);
            d.required_assurance = Some(self.required_assurance(best));
            return Ok(d);
        };
        if !METHODS.contains(&method.as_str()) {
            return Ok(Decision::new(
                Outcome::Deny,
                format!("no policy can grant {method}"),
                matched,
            ));
        }
        matched.clear();
        // Outermost first, as SiteMinder's nested security checks them.
        let fired: Vec<(usize, Vec<usize>)> = best
            .chain
            .iter()
            .rev()
            .map(|&index| (index, self.fired(index, &method, path)))
            .collect();
        let fired_ids: Vec<&str> = fired
            .iter()
            .flat_map(|(index, routes)| {
                routes
                    .iter()
                    .map(|&r| self.app.realms[*index].routes[r].id.as_str())
            })
            .collect();
        let chain: Vec<&str> = best
            .chain
            .iter()
            .map(|&i| self.app.realms[i].id.as_str())
            .collect();
        let prepared = self.engine.prepare(
            &self.app.name,
            principal,
            &method,
            &chain,
            &fired_ids,
            circumstances,
        )?;
        let mut permits = Vec::new();
        for (index, routes) in &fired {
            let realm = &self.app.realms[*index];
            matched.push(self.matched_realm(realm));
            for &r in routes {
                matched.push(Matched {
                    kind: "rule",
                    id: realm.routes[r].id.clone(),
                    name: Some(realm.routes[r].name.clone()),
                });
            }
            let verdict = prepared.decide(&realm.id)?;
            matched.extend(verdict.determining.iter().map(|id| Matched {
                kind: "policy",
                id: id.clone(),
                name: None,
            }));
            if !verdict.allowed {
                let reason = if verdict.determining.is_empty() {
                    format!("no policy of realm {} allows this", realm.name)
                } else {
                    format!("denied in realm {}", realm.name)
                };
                let mut d = Decision::new(Outcome::Deny, reason, matched);
                d.redirect = verdict
                    .determining
                    .iter()
                    .find_map(|id| self.app.deny_redirects.get(id).cloned());
                return Ok(d);
            }
            permits.extend(verdict.determining);
        }
        let required = self.required_assurance(best);
        if circumstances.assurance < required {
            let mut d = Decision::new(
                Outcome::StepUp,
                format!(
                    "assurance {} is below the {required} this realm needs",
                    circumstances.assurance
                ),
                matched,
            );
            d.required_assurance = Some(required);
            return Ok(d);
        }
        let mut d = Decision::new(
            Outcome::Allow,
            "allowed by every realm on the chain",
            matched,
        );
        d.limits = self.limits(best);
        self.add_identity(&mut d, &permits, principal, realm);
        Ok(d)
    }

    fn matched_realm(&self, realm: &Realm) -> Matched {
        Matched {
            kind: "realm",
            id: realm.id.clone(),
            name: Some(realm.name.clone()),
        }
    }

    /// Every header and cookie name a decision for this application can inject, including
    /// the legacy `SM_*` profile.
    pub fn injected_names(&self) -> InjectedNames {
        let mut names = InjectedNames::default();
        let actions = self.app.responses.values().flatten();
        for action in actions.chain(&self.app.login_actions) {
            match action.kind {
                ActionKind::Header => names.headers.insert(action.name.to_ascii_lowercase()),
                ActionKind::Cookie => names.cookies.insert(action.name.clone()),
            };
        }
        if self.app.legacy_headers {
            names
                .headers
                .extend(LEGACY_HEADERS.iter().map(|h| h.to_ascii_lowercase()));
        }
        names
    }

    fn limits(&self, best: &CompiledRealm) -> SessionLimits {
        let chain = best.chain.iter().map(|&i| &self.app.realms[i]);
        SessionLimits {
            idle: chain.clone().filter_map(|r| r.idle_timeout).min(),
            max: chain.filter_map(|r| r.max_timeout).min(),
        }
    }

    fn required_assurance(&self, best: &CompiledRealm) -> u32 {
        best.chain
            .iter()
            .map(|&i| self.app.realms[i].assurance)
            .max()
            .unwrap_or(0)
    }

    /// Indexes of the realm's routes that match the method and the path below its prefix.
    fn fired(&self, index: usize, method: &str, path: &str) -> Vec<usize> {
        let realm = &self.app.realms[index];
        let compiled = &self.realms[index];
        let rest = &path[realm.prefix.len().min(path.len())..];
        realm
            .routes
            .iter()
            .zip(&compiled.routes)
            .enumerate()
            .filter(|(_, (route, matcher))| {
                route.methods.iter().any(|m| m == method) && matcher.matches(rest)
            })
            .map(|(i, _)| i)
            .collect()
    }

    fn public(
        &self,
        index: usize,
        method: &str,
        path: &str,
        mut matched: Vec<Matched>,
    ) -> Decision {
        let realm = &self.app.realms[index];
        let fired = self.fired(index, method, path);
        for &r in &fired {
            matched.push(Matched {
                kind: "rule",
                id: realm.routes[r].id.clone(),
                name: Some(realm.routes[r].name.clone()),
            });
        }
        let effects: Vec<Effect> = fired.iter().map(|&r| realm.routes[r].effect).collect();
        if effects.contains(&Effect::Deny) {
            Decision::new(
                Outcome::Deny,
                "a deny rule of a public realm matches",
                matched,
            )
        } else if effects.contains(&Effect::Allow) {
            Decision::new(Outcome::Public, "a public route", matched)
        } else {
            Decision::new(
                Outcome::Deny,
                "no route of this public realm matches",
                matched,
            )
        }
    }

    /// The headers and cookies of the application's sign-in responses (SiteMinder's
    /// authentication-event responses) for `principal`, with its values as they are now, at
    /// sign-in.
    pub fn login_values(&self, principal: &Principal) -> (Headers, Headers) {
        let (mut headers, mut cookies) = (Headers::new(), Headers::new());
        for action in &self.app.login_actions {
            let Some(value) = action_value(action, principal) else {
                continue;
            };
            match action.kind {
                ActionKind::Header => headers.insert(action.name.clone(), value),
                ActionKind::Cookie => cookies.insert(action.name.clone(), value),
            };
        }
        (headers, cookies)
    }

    fn add_identity(
        &self,
        decision: &mut Decision,
        permits: &[String],
        principal: &Principal,
        realm: &Realm,
    ) {
        for action in permits
            .iter()
            .filter_map(|p| self.app.responses.get(p))
            .flatten()
        {
            let Some(value) = action_value(action, principal) else {
                continue;
            };
            let target = match action.kind {
                ActionKind::Header => &mut decision.headers,
                ActionKind::Cookie => &mut decision.cookies,
            };
            target.insert(action.name.clone(), value);
        }
        // The SiteMinder profile names a signed-in user; a client acting for itself is none, and
        // a legacy application must never take it for one.
        if self.app.legacy_headers && principal.kind == PrincipalKind::User {
            let dn = principal
                .id
                .split_once(':')
                .map_or(principal.id.as_str(), |(_, dn)| dn);
            let login = principal
                .attributes
                .get("username")
                .map_or(dn, String::as_str);
            let values = [
                login.to_owned(),
                dn.to_owned(),
                realm.name.clone(),
                realm.xid.clone().unwrap_or_else(|| realm.id.clone()),
                realm.authenticator.clone().unwrap_or_default(),
                principal.directories.first().cloned().unwrap_or_default(),
            ];
            for (name, value) in LEGACY_HEADERS.into_iter().zip(values) {
                decision.headers.entry(name.to_owned()).or_insert(value);
            }
        }
    }
}

/// Header or cookie names to values.
pub type Headers = BTreeMap<String, String>;

/// The value a response action gives `principal`, if it has one.
fn action_value(action: &ResponseAction, principal: &Principal) -> Option<String> {
    match &action.value {
        ValueSource::Static(v) => Some(v.clone()),
        ValueSource::UserAttribute(a) => principal.attributes.get(a).cloned(),
        ValueSource::Groups => Some(principal.groups.join("^")),
    }
}

/// The SiteMinder web agent's profile headers, set when an application keeps them.
const LEGACY_HEADERS: [&str; 6] = [
    "SM_USER",
    "SM_USERDN",
    "SM_REALM",
    "SM_REALMOID",
    "SM_AUTHTYPE",
    "SM_AUTHDIRNAME",
];

/// The realm and its ancestors, innermost first; refuses unknown parents and cycles.
fn realm_chain(realms: &[Realm], index: usize) -> Result<Vec<usize>, PolicyError> {
    let mut chain = vec![index];
    let mut at = index;
    while let Some(parent) = &realms[at].parent {
        let next = realms
            .iter()
            .position(|r| &r.id == parent)
            .ok_or_else(|| PolicyError::Parse(format!("realm {parent:?} is not defined")))?;
        if chain.contains(&next) {
            return Err(PolicyError::Parse(format!(
                "realm {parent:?} contains itself"
            )));
        }
        chain.push(next);
        at = next;
    }
    Ok(chain)
}
