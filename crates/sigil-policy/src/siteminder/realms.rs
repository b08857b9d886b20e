//! Directories, authentication schemes, realms and rules: the applications' shape.

use std::collections::BTreeSet;

use super::report::Level;
use super::xps::XpsObject;
use super::{Importer, RuleInfo};
use crate::app::{Application, Effect, Pattern, Realm, Route, Source};
use crate::engine::METHODS;

/// Rule actions that are authentication events, not HTTP methods.
const AUTH_EVENTS: [&str; 5] = [
    "OnAuthAccept",
    "OnAuthReject",
    "OnAuthAttempt",
    "OnAuthChallenge",
    "OnAuthUserNotFound",
];
/// Rule actions that are authorization events.
const AZ_EVENTS: [&str; 2] = ["OnAccessAccept", "OnAccessReject"];

/// A directory's entity-id prefix: its name in lower case, other characters as `-`.
pub(super) fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

impl<'a> Importer<'a> {
    pub(super) fn translate_realms(&mut self) {
        self.translate_directories();
        self.translate_schemes();
        let export = self.export;
        let affiliate: BTreeSet<usize> = export
            .of_class("CA.SM::Domain")
            .filter(|(_, d)| d.bool("IsAffiliate") == Some(true))
            .map(|(i, _)| i)
            .collect();
        for &domain in &affiliate {
            let object = &export.objects[domain];
            self.report(
                Level::Error,
                "affiliate-domain",
                format!("affiliate domain {} is not imported (federation partnerships are configured in Sigil directly)", object.name()),
                None,
                &[object],
            );
            self.skip_subtree(domain);
        }
        for (index, realm) in export.of_class("CA.SM::Realm") {
            if self.skipped.contains(&index) {
                continue;
            }
            self.translate_realm(index, realm);
        }
    }

    fn skip_subtree(&mut self, root: usize) {
        self.skipped.insert(root);
        for (i, _) in self.export.objects.iter().enumerate() {
            if self.within(i, root) {
                self.skipped.insert(i);
            }
        }
    }

    fn within(&self, mut index: usize, root: usize) -> bool {
        while let Some(parent) = self.export.objects[index].parent {
            if parent == root {
                return true;
            }
            index = parent;
        }
        false
    }

    fn translate_directories(&mut self) {
        let export = self.export;
        let mut used = BTreeSet::new();
        for (_, dir) in export.of_class("CA.SM::UserDirectory") {
            let mut id = slug(dir.name());
            if id.is_empty() || !used.insert(id.clone()) {
                id = format!("{id}-{}", used.len());
                used.insert(id.clone());
            }
            self.report(
                Level::NeedsInput,
                "directory-connection",
                format!(
                    "directory {} ({} {}) must be connected to Sigil (SCIM or a directory sync) as `{id}`; its bind password is encrypted with the export passphrase and is not migrated",
                    dir.name(),
                    dir.string("Namespace").unwrap_or(""),
                    dir.string("Server").unwrap_or("")
                ),
                None,
                &[dir],
            );
            self.directories.insert(dir.xid.clone(), id);
        }
    }

    fn translate_schemes(&mut self) {
        for (_, scheme) in self.export.of_class("CA.SM::AuthScheme") {
            if scheme.string("Library").is_some() || scheme.string("Param").is_some() {
                self.report(
                    Level::Info,
                    "auth-scheme-params-dropped",
                    format!(
                        "authentication scheme {}: its library and parameters (login forms) are not carried over; Sigil's own sign-in replaces them",
                        scheme.name()
                    ),
                    None,
                    &[scheme],
                );
            }
            if authenticator(scheme).is_none() {
                self.report(
                    Level::Warning,
                    "custom-auth-scheme",
                    format!(
                        "authentication scheme {} of type {} has no Sigil equivalent; its realms keep its protection level",
                        scheme.name(),
                        scheme.string("AuthSchemeType").unwrap_or("?")
                    ),
                    None,
                    &[scheme],
                );
            }
        }
    }

    /// The realm's domain name, agent (or group) and effective prefix.
    fn realm_place(
        &self,
        index: usize,
        realm: &XpsObject,
    ) -> Option<(String, (usize, String), String)> {
        let domain = self
            .export
            .ancestor(index, "CA.SM::Domain")
            .or_else(|| self.linked(realm, "DomainLink"))?
            .1
            .name()
            .to_owned();
        let agent = self
            .linked(realm, "AgentLink")
            .or_else(|| self.linked(realm, "AgentGroupLink"))
            .map(|(i, a)| (i, a.name().to_owned()))?;
        let mut prefix = String::new();
        let mut seen = vec![index];
        let mut at = Some((index, realm));
        while let Some((i, r)) = at {
            prefix.insert_str(0, r.string("ResourceFilter").unwrap_or(""));
            at = self.parent_realm(i, r);
            if let Some((p, _)) = at
                && seen.contains(&p)
            {
                return None;
            }
            seen.extend(at.map(|(p, _)| p));
        }
        Some((domain, agent, prefix))
    }

    fn parent_realm(&self, index: usize, realm: &XpsObject) -> Option<(usize, &XpsObject)> {
        self.linked(realm, "ParentRealmLink")
            .or_else(|| self.export.ancestor(index, "CA.SM::Realm"))
    }

    fn translate_realm(&mut self, index: usize, realm: &XpsObject) {
        let Some((domain, (agent_index, app_name), prefix)) = self.realm_place(index, realm) else {
            self.skipped.insert(index);
            self.report(
                Level::Error,
                "realm-unplaced",
                format!("realm {} has no domain, no agent, or a cycle of parent realms; it is not imported", realm.name()),
                None,
                &[realm],
            );
            return;
        };
        let export = self.export;
        let realm_id = format!("{domain}/{}", realm.name());
        let parent = self.parent_realm(index, realm).map(|(_, p)| {
            let domain = self
                .export
                .ancestor(index, "CA.SM::Domain")
                .map_or("", |(_, d)| d.name());
            format!("{domain}/{}", p.name())
        });
        let scheme = self.linked(realm, "AuthSchemeLink").map(|(_, s)| s);
        let protected = realm.bool("ProtectAll").unwrap_or(true);
        if parent.is_some() {
            self.report(
                Level::Info,
                "nested-security-and",
                format!(
                    "realm {} is nested: a request must be allowed by every realm on its chain",
                    realm.name()
                ),
                Some(&app_name),
                &[realm],
            );
        }
        if !protected {
            self.report(
                Level::Info,
                "unprotected-realm",
                format!(
                    "realm {} is unprotected: its routes are public and get no identity headers",
                    realm.name()
                ),
                Some(&app_name),
                &[realm],
            );
        }
        let idle = realm
            .number("IdleTimeout")
            .and_then(|n| u64::try_from(n).ok())
            .filter(|&n| n > 0);
        let max = realm
            .number("MaxTimeout")
            .and_then(|n| u64::try_from(n).ok())
            .filter(|&n| n > 0);
        if protected && idle.is_none() && max.is_none() {
            self.report(
                Level::Info,
                "timeout-unset",
                format!(
                    "realm {} sets no session timeouts: the platform default applies",
                    realm.name()
                ),
                Some(&app_name),
                &[realm],
            );
        }
        let mut routes = Vec::new();
        for (rule_index, rule) in export.children(index, "CA.SM::Rule") {
            if let Some(route) =
                self.translate_rule(rule_index, rule, &app_name, &realm_id, protected)
            {
                routes.push(route);
            }
        }
        let agent = &export.objects[agent_index];
        let draft = self.app_mut(&app_name);
        let app = draft.app.get_or_insert_with(|| Application {
            name: app_name.clone(),
            upstream: None,
            realms: Vec::new(),
            policies: String::new(),
            user_attributes: Vec::new(),
            responses: Default::default(),
            deny_redirects: Default::default(),
            login_actions: Vec::new(),
            legacy_headers: true,
            source: Some(Source {
                kind: "siteminder".into(),
                agent: agent.name().to_owned(),
                xid: agent.xid.clone(),
            }),
        });
        app.realms.push(Realm {
            id: realm_id.clone(),
            name: realm.name().to_owned(),
            parent,
            prefix,
            protected,
            assurance: scheme
                .filter(|_| protected)
                .and_then(|s| s.number("Level"))
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0),
            authenticator: scheme.and_then(authenticator).map(str::to_owned),
            idle_timeout: idle,
            max_timeout: max,
            xid: Some(realm.xid.clone()),
            routes,
        });
    }

    fn translate_rule(
        &mut self,
        index: usize,
        rule: &XpsObject,
        app: &str,
        realm_id: &str,
        protected_realm: bool,
    ) -> Option<Route> {
        let actions = rule.strings("Actions");
        let event = actions.iter().any(|a| AUTH_EVENTS.contains(&a.as_str()));
        let deny = rule.bool("AllowAccess") == Some(false);
        let mut info = RuleInfo {
            app: app.to_owned(),
            realm_id: realm_id.to_owned(),
            route_id: format!("{realm_id}/{}", rule.name()),
            protected_realm,
            emitted: false,
            deny,
            event,
            methods: Vec::new(),
        };
        let result = self.rule_route(rule, &actions, &mut info);
        info.emitted = result.is_some();
        let event = info.event;
        self.rules.insert(index, info);
        let tally = &mut self.app_mut(app).summary.routes;
        match &result {
            Some((_, true)) => tally.warned += 1,
            Some((_, false)) => tally.mapped += 1,
            // Authentication-event rules become sign-in actions, not routes.
            None if event => {}
            None => {
                tally.refused += 1;
                self.skipped.insert(index);
            }
        }
        result.map(|(route, _)| route)
    }

    /// The route for a rule, and whether it was translated with a warning.
    fn rule_route(
        &mut self,
        rule: &XpsObject,
        actions: &[String],
        info: &mut RuleInfo,
    ) -> Option<(Route, bool)> {
        let app = info.app.clone();
        if rule.bool("IsEnabled") == Some(false) {
            let linked_from = self.policies_linking(&rule.xid);
            let names: Vec<&str> = linked_from.iter().map(|p| p.name()).collect();
            let mut objects = vec![rule];
            objects.extend(linked_from.iter().copied());
            self.report(
                Level::Info,
                "disabled-rule",
                format!(
                    "rule {} is disabled and is not imported (linked from: {})",
                    rule.name(),
                    names.join(", ")
                ),
                Some(&app),
                &objects,
            );
            return None;
        }
        if info.event {
            self.report(
                Level::Warning,
                "auth-event-rule",
                format!("rule {} fires on an authentication event: its responses become a post-login hook, not per-request headers", rule.name()),
                Some(&app),
                &[rule],
            );
            return None;
        }
        if actions.iter().any(|a| AZ_EVENTS.contains(&a.as_str())) {
            self.report(
                Level::Warning,
                "az-event-rule",
                format!(
                    "rule {} fires on an authorization event, which has no gateway equivalent",
                    rule.name()
                ),
                Some(&app),
                &[rule],
            );
            return None;
        }
        let mut methods = Vec::new();
        for action in actions {
            let method = action.to_ascii_uppercase();
            if METHODS.contains(&method.as_str()) {
                methods.push(method);
            } else {
                self.report(
                    Level::Warning,
                    "unsupported",
                    format!(
                        "rule {}: action {action} is not an HTTP method and is ignored",
                        rule.name()
                    ),
                    Some(&app),
                    &[rule],
                );
            }
        }
        let condition = rule
            .string("ActiveExprString")
            .or(rule.string("TimeRestriction"));
        if let Some(condition) = condition.filter(|c| !c.trim().is_empty()) {
            self.report(
                Level::Error,
                "rule-condition-untranslated",
                format!(
                    "rule {} carries a condition ({condition}) that cannot be translated; {}",
                    rule.name(),
                    if info.deny {
                        "the deny applies unconditionally"
                    } else {
                        "its permits are withheld"
                    }
                ),
                Some(&app),
                &[rule],
            );
            if !info.deny {
                return None;
            }
        }
        let resource = rule.string("Resource").unwrap_or("*").to_owned();
        let mut warned = false;
        let pattern = if rule.bool("RegularExpression") == Some(true) {
            if let Err(e) = regex::RegexBuilder::new(&resource)
                .size_limit(1 << 20)
                .build()
            {
                self.report(
                    Level::Error,
                    "invalid-regex",
                    format!("rule {}: {resource:?} is not a regular expression Sigil can compile ({e}); {}", rule.name(),
                        if info.deny { "the deny covers the whole realm" } else { "the rule is not imported" }),
                    Some(&app),
                    &[rule],
                );
                if !info.deny {
                    return None;
                }
                Pattern::Glob("*".into())
            } else {
                warned = true;
                self.report(
                    Level::Warning,
                    "regex-semantics",
                    format!("rule {}: regular expression {resource:?} is anchored at the realm prefix and at the end only if it says `$`; confirm against SiteMinder", rule.name()),
                    Some(&app),
                    &[rule],
                );
                Pattern::Regex(resource)
            }
        } else if resource.contains('*') {
            Pattern::Glob(resource)
        } else {
            warned = true;
            self.report(
                Level::Warning,
                "exact-match-query-string",
                format!("rule {}: {resource:?} has no wildcard and is matched exactly, against the path without its query string", rule.name()),
                Some(&app),
                &[rule],
            );
            Pattern::Exact(resource)
        };
        info.methods = methods.clone();
        Some((
            Route {
                id: info.route_id.clone(),
                name: rule.name().to_owned(),
                methods,
                pattern,
                effect: if info.deny {
                    Effect::Deny
                } else {
                    Effect::Allow
                },
                xid: Some(rule.xid.clone()),
            },
            warned,
        ))
    }

    /// The policies with a link to this rule.
    fn policies_linking(&self, rule_xid: &str) -> Vec<&'a XpsObject> {
        let export = self.export;
        export
            .of_class("CA.SM::PolicyLink")
            .filter(|(_, l)| l.links("RuleLink").contains(&rule_xid))
            .filter_map(|(i, _)| export.ancestor(i, "CA.SM::Policy").map(|(_, p)| p))
            .collect()
    }

    /// Agent mappings, unmapped methods and cookie domains, once every part is in.
    pub(super) fn finish_apps(&mut self) {
        let names: Vec<String> = self.apps.keys().cloned().collect();
        for name in names {
            let Some(app) = self.apps.get(&name).and_then(|d| d.app.clone()) else {
                continue;
            };
            let agent = app
                .source
                .as_ref()
                .and_then(|s| self.export.get(&s.xid))
                .map(|(_, o)| o);
            let agents: Vec<&XpsObject> = agent.into_iter().collect();
            let upstream = self.options.agent_map.get(&name).cloned();
            if upstream.is_none() {
                self.report(
                    Level::NeedsInput,
                    "agent-host-mapping",
                    format!("agent {name}: the export holds no host name; give its base URL in the agent map"),
                    Some(&name),
                    &agents,
                );
            }
            let granted: BTreeSet<&str> = app
                .realms
                .iter()
                .flat_map(|r| &r.routes)
                .flat_map(|r| r.methods.iter().map(String::as_str))
                .collect();
            let missing: Vec<&str> = METHODS
                .iter()
                .copied()
                .filter(|m| !granted.contains(m))
                .collect();
            if !missing.is_empty() {
                self.report(
                    Level::Info,
                    "unmapped-methods",
                    format!(
                        "{name}: no rule grants {}; those requests are denied",
                        missing.join(", ")
                    ),
                    Some(&name),
                    &agents,
                );
            }
            if app
                .responses
                .values()
                .flatten()
                .any(|a| a.kind == crate::app::ActionKind::Cookie)
                || self.login_cookies(&name)
            {
                self.report(
                    Level::NeedsInput,
                    "cookie-domain",
                    format!("{name}: cookies were set in the agent's cookie domain, which is agent configuration; say which domain the gateway uses"),
                    Some(&name),
                    &agents,
                );
            }
            if let Some(app) = self.apps.get_mut(&name).and_then(|d| d.app.as_mut()) {
                app.upstream = upstream;
            }
        }
    }
}

/// The Sigil authenticator for a SiteMinder authentication scheme type.
fn authenticator(scheme: &XpsObject) -> Option<&'static str> {
    Some(match scheme.string("AuthSchemeType")? {
        "HTMLForm" | "Basic" | "BasicOverSSL" => "password",
        "X509Cert" => "client-certificate",
        "X509CertOrForm" | "X509CertOrBasic" => "client-certificate-or-password",
        "X509CertAndForm" | "X509CertAndBasic" => "client-certificate-and-password",
        "SAML2" | "OIDCRPAUTH" | "WSFED" => "federation",
        "Anonymous" => "anonymous",
        _ => return None,
    })
}
