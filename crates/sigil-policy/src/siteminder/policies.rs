//! Policies: who (user policies), from where (IP restrictions), when (time restrictions, which
//! fail closed) and which rules, as one Cedar statement per policy × rule pair.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;

use super::report::Level;
use super::xps::XpsObject;
use super::{Importer, RuleInfo};
use crate::engine::{NAMESPACE, entity_key, quoted};

/// `PolicyFlags` bits.
const EXCLUDE: i64 = 0x01;
const AND: i64 = 0x04;

/// A policy's principal and context conditions, or why its permits are withheld.
#[derive(Default)]
struct Conditions {
    /// Who: the users the policy names.
    principal: Option<String>,
    /// From where: client IP conditions.
    context: Vec<String>,
    /// Excluded users.
    unless: Option<String>,
    /// User attributes the clauses read.
    attributes: BTreeSet<String>,
    /// A restriction could not be translated: permits are withheld; forbids still apply,
    /// without the untranslated part (fail closed).
    withheld: bool,
    /// A user policy could not be translated: forbids apply to every user.
    users_failed: bool,
    /// The policy names no users: it neither grants nor denies.
    nobody: bool,
}

impl Importer<'_> {
    pub(super) fn translate_policies(&mut self) {
        let export = self.export;
        for (index, policy) in export.of_class("CA.SM::Policy") {
            if self.skipped.contains(&index) {
                continue;
            }
            if policy.bool("IsEnabled") == Some(false) {
                self.skipped.insert(index);
                self.report(
                    Level::Info,
                    "disabled-policy",
                    format!("policy {} is disabled and is not imported", policy.name()),
                    None,
                    &[policy],
                );
                continue;
            }
            let domain = export
                .ancestor(index, "CA.SM::Domain")
                .or_else(|| self.linked(policy, "DomainLink"))
                .map_or("", |(_, d)| d.name())
                .to_owned();
            let conditions = self.conditions(index, policy);
            // One statement per rule, however many links name it (their responses merge).
            let mut pairs: BTreeMap<usize, Vec<&XpsObject>> = BTreeMap::new();
            for (_, link) in export.children(index, "CA.SM::PolicyLink") {
                if !link.links("RuleGroupLink").is_empty() {
                    self.report(Level::Error, "rule-group", format!("policy {} links a rule group, which is not imported; that grant is withheld", policy.name()), None, &[policy, link]);
                }
                if !link.links("ResponseGroupLink").is_empty() {
                    self.report(
                        Level::Warning,
                        "response-group",
                        format!(
                            "policy {} links a response group, whose headers are not injected",
                            policy.name()
                        ),
                        None,
                        &[policy, link],
                    );
                }
                if let Some((rule, _)) = self.linked(link, "RuleLink") {
                    pairs.entry(rule).or_default().push(link);
                }
            }
            for (rule_index, links) in pairs {
                self.emit_pair(&domain, policy, &conditions, rule_index, &links);
            }
        }
    }

    fn emit_pair(
        &mut self,
        domain: &str,
        policy: &XpsObject,
        conditions: &Conditions,
        rule_index: usize,
        links: &[&XpsObject],
    ) {
        let Some(rule) = self.rules.get(&rule_index).cloned() else {
            return;
        };
        let rule_object = &self.export.objects[rule_index];
        if rule.event {
            self.attach_login_actions(&rule, links);
            return;
        }
        if !rule.emitted {
            return;
        }
        if !rule.protected_realm {
            self.report(
                Level::Info,
                "public-rule-in-policy",
                format!("policy {} links {}, a rule of an unprotected realm: it is public whatever the policy says", policy.name(), rule_object.name()),
                Some(&rule.app),
                &[policy, rule_object],
            );
            return;
        }
        if conditions.nobody {
            return;
        }
        let summary = &mut self.app_mut(&rule.app).summary;
        if conditions.withheld && !rule.deny {
            summary.policies.refused += 1;
            return;
        }
        let id = format!("{domain}/{}/{}", policy.name(), rule_object.name());
        let text = statement(&id, &rule, conditions);
        if conditions.withheld {
            summary.policies.warned += 1;
        } else {
            summary.policies.mapped += 1;
        }
        let mut actions = Vec::new();
        let mut redirect = None;
        for link in links {
            if let Some(translated) = link
                .links("ResponseLink")
                .first()
                .and_then(|xid| self.responses.get(*xid))
            {
                actions.extend(translated.actions.iter().cloned());
                redirect = redirect.or(translated.deny_redirect.clone());
            }
        }
        let Some(app) = self.app_mut(&rule.app).app.as_mut() else {
            return;
        };
        app.policies.push_str(&text);
        for a in &conditions.attributes {
            if !app.user_attributes.contains(a) {
                app.user_attributes.push(a.clone());
            }
        }
        if rule.deny {
            if let Some(url) = redirect {
                app.deny_redirects.insert(id, url);
            }
        } else if !actions.is_empty() {
            app.responses.insert(id, actions);
        }
    }

    fn attach_login_actions(&mut self, rule: &RuleInfo, links: &[&XpsObject]) {
        let actions: Vec<_> = links
            .iter()
            .filter_map(|l| {
                l.links("ResponseLink")
                    .first()
                    .and_then(|x| self.responses.get(*x))
            })
            .flat_map(|t| t.actions.clone())
            .collect();
        if let Some(app) = self.app_mut(&rule.app).app.as_mut() {
            app.login_actions.extend(actions);
        }
    }

    /// Whether an application has cookies set at sign-in.
    pub(super) fn login_cookies(&self, app: &str) -> bool {
        self.apps
            .get(app)
            .and_then(|d| d.app.as_ref())
            .is_some_and(|a| {
                a.login_actions
                    .iter()
                    .any(|x| x.kind == crate::app::ActionKind::Cookie)
            })
    }

    fn conditions(&mut self, index: usize, policy: &XpsObject) -> Conditions {
        let mut c = Conditions::default();
        if let Some(t) = policy
            .string("TimeRestriction")
            .filter(|t| !t.trim().is_empty())
        {
            c.withheld = true;
            self.report(
                Level::Error,
                "time-restriction-undecoded",
                format!(
                    "policy {}: time restriction {t:?} cannot be decoded; its permits are withheld",
                    policy.name()
                ),
                None,
                &[policy],
            );
        }
        let active = policy
            .string("ActiveExprString")
            .filter(|a| !a.trim().is_empty());
        if active.is_some() || !policy.links("VariablesLink").is_empty() {
            c.withheld = true;
            self.report(Level::Error, "active-policy", format!("policy {} depends on an active expression or variables; its permits are withheld", policy.name()), None, &[policy]);
        }
        let ips = policy.strings("IPAddresses");
        if !ips.is_empty() {
            match ips
                .iter()
                .map(|ip| ip_condition(ip))
                .collect::<Option<Vec<_>>>()
            {
                Some(terms) => c.context.push(terms.join(" || ")),
                None => {
                    c.withheld = true;
                    self.report(Level::Error, "ip-restriction", format!("policy {}: IP restriction {ips:?} cannot be translated; its permits are withheld", policy.name()), None, &[policy]);
                }
            }
        }
        self.user_conditions(index, policy, &mut c);
        c
    }

    fn user_conditions(&mut self, index: usize, policy: &XpsObject, c: &mut Conditions) {
        let export = self.export;
        let mut any_of = Vec::new();
        let mut all_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut excluded = Vec::new();
        for (_, user) in export.children(index, "CA.SM::UserPolicy") {
            let flags = user.number("PolicyFlags").unwrap_or(0);
            let directory = user
                .links("UserDirectoryLink")
                .first()
                .or(user.links("UserDirectory").first())
                .map(|xid| {
                    self.directories
                        .get(*xid)
                        .cloned()
                        .unwrap_or_else(|| (*xid).to_owned())
                })
                .unwrap_or_default();
            let Some(term) = self.user_term(policy, user, &directory, &mut c.attributes) else {
                c.withheld = true;
                c.users_failed = true;
                continue;
            };
            if flags & EXCLUDE != 0 {
                excluded.push(term);
            } else if flags & AND != 0 {
                all_of.entry(directory).or_default().push(term);
            } else {
                any_of.push(term);
            }
        }
        any_of.extend(all_of.into_values().map(|terms| {
            if terms.len() == 1 {
                terms.concat()
            } else {
                format!("({})", terms.join(" && "))
            }
        }));
        if any_of.is_empty() && !c.users_failed {
            c.nobody = true;
            self.report(
                Level::Warning,
                "policy-without-users",
                format!("policy {} names no users; it grants nothing", policy.name()),
                None,
                &[policy],
            );
        } else if !any_of.is_empty() {
            c.principal = Some(any_of.join(" || "));
        }
        if !excluded.is_empty() {
            c.unless = Some(excluded.join(" || "));
        }
    }

    fn user_term(
        &mut self,
        policy: &XpsObject,
        user: &XpsObject,
        directory: &str,
        attributes: &mut BTreeSet<String>,
    ) -> Option<String> {
        let path = user.string("FilterPath").unwrap_or("").trim();
        let resolution = user.string("PolicyResolution").unwrap_or("");
        let entity = |kind: &str, id: &str| format!("{NAMESPACE}::{kind}::{}", quoted(id));
        let key = format!("{directory}:{}", entity_key(path));
        match resolution {
            "User" => Some(format!("principal == {}", entity("User", &key))),
            "UserGroup" => Some(format!("principal in {}", entity("Group", &key))),
            "All" => Some(format!("principal in {}", entity("Directory", directory))),
            "UserProp" | "Query" => match ldap_condition(path) {
                Some((cond, used)) => {
                    attributes.extend(used);
                    Some(cond)
                }
                None => {
                    self.report(Level::Error, "ldap-filter", format!("policy {}: LDAP filter {path:?} is more than equality tests; the permits it narrows are withheld", policy.name()), None, &[policy, user]);
                    None
                }
            },
            other => {
                self.report(Level::Error, "user-resolution", format!("policy {}: user policy resolution {other:?} cannot be translated; the permits it narrows are withheld", policy.name()), None, &[policy, user]);
                None
            }
        }
    }
}

/// The Cedar statement for one policy × rule pair.
fn statement(id: &str, rule: &RuleInfo, c: &Conditions) -> String {
    let actions: Vec<String> = rule
        .methods
        .iter()
        .map(|m| format!("{NAMESPACE}::Action::{}", quoted(m)))
        .collect();
    let mut text = format!(
        "@id({})\n{} (\n  principal,\n  action in [{}],\n  resource == {NAMESPACE}::Realm::{}\n)\nwhen {{ context.fired.contains({NAMESPACE}::Rule::{}) }}",
        quoted(id),
        if rule.deny { "forbid" } else { "permit" },
        actions.join(", "),
        quoted(&rule.realm_id),
        quoted(&rule.route_id),
    );
    // A forbid whose user policies were not all translated applies to every user (fail closed).
    let principal = c
        .principal
        .as_ref()
        .filter(|_| !(rule.deny && c.users_failed));
    for when in principal.into_iter().chain(&c.context) {
        let _ = write!(text, "\nwhen {{ {when} }}");
    }
    if let Some(unless) = &c.unless {
        let _ = write!(text, "\nunless {{ {unless} }}");
    }
    text.push_str(";\n\n");
    text
}

/// `10.20.0.0/255.255.0.0`, `10.20.0.0/16` or one address, as a Cedar condition.
fn ip_condition(spec: &str) -> Option<String> {
    let spec = spec.trim();
    let Some((addr, mask)) = spec.split_once('/') else {
        let ip: IpAddr = spec.parse().ok()?;
        return Some(format!(
            "context.clientIp == ip({})",
            quoted(&ip.to_string())
        ));
    };
    let addr: IpAddr = addr.trim().parse().ok()?;
    let prefix = match mask.trim().parse::<u8>() {
        Ok(p) => p,
        Err(_) => ipnet::ipv4_mask_to_prefix(mask.trim().parse().ok()?).ok()?,
    };
    let net = ipnet::IpNet::new(addr, prefix).ok()?;
    Some(format!(
        "context.clientIp.isInRange(ip({}))",
        quoted(&net.trunc().to_string())
    ))
}

/// An LDAP filter of equality tests (`(a=b)`, `(&(a=b)(c=d*))`, `(a=*)`) as a Cedar condition
/// on user attributes, with the attributes it reads. Anything else is refused.
fn ldap_condition(filter: &str) -> Option<(String, Vec<String>)> {
    let filter = filter.trim();
    let inner = filter
        .strip_prefix('(')
        .and_then(|f| f.strip_suffix(')'))
        .unwrap_or(filter);
    if let Some(list) = inner.strip_prefix('&') {
        let mut terms = Vec::new();
        let mut attrs = Vec::new();
        let mut rest = list.trim();
        while !rest.is_empty() {
            let end = rest.find(')')?;
            let (cond, used) = ldap_condition(&rest[..=end])?;
            terms.push(cond);
            attrs.extend(used);
            rest = rest[end + 1..].trim();
        }
        return (!terms.is_empty()).then(|| (terms.join(" && "), attrs));
    }
    let (attr, value) = inner.split_once('=')?;
    let valid_attr = attr.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && attr.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid_attr
        || value.is_empty()
        || value.contains(['(', ')', '\\', '&', '|', '!', '='])
        || attr.ends_with(['<', '>', '~', ':'])
    {
        return None;
    }
    let name = quoted(attr);
    let has = format!("principal has {name}");
    let cond = if value == "*" {
        has
    } else if value.contains('*') {
        format!("{has} && principal[{name}] like {}", quoted(value))
    } else {
        format!("{has} && principal[{name}] == {}", quoted(value))
    };
    Some((format!("({cond})"), vec![attr.to_owned()]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_restrictions() {
        assert_eq!(
            ip_condition("10.20.0.0/255.255.0.0").expect("test input is valid"),
            r#"context.clientIp.isInRange(ip("10.20.0.0/16"))"#
        );
        assert_eq!(
            ip_condition("10.21.4.17").expect("test input is valid"),
            r#"context.clientIp == ip("10.21.4.17")"#
        );
        assert_eq!(
            ip_condition("10.0.0.9/8").expect("test input is valid"),
            r#"context.clientIp.isInRange(ip("10.0.0.0/8"))"#
        );
        assert!(ip_condition("10.0.0.0/255.0.255.0").is_none());
        assert!(ip_condition("10.0.0.1-10.0.0.9").is_none());
    }

    #[test]
    fn ldap_equality_filters_only() {
        let (c, a) = ldap_condition("(employeeType=permanent)").expect("test input is valid");
        assert_eq!(
            c,
            r#"(principal has "employeeType" && principal["employeeType"] == "permanent")"#
        );
        assert_eq!(a, vec!["employeeType"]);
        let (c, a) = ldap_condition("(&(ou=sales)(title=Sr*))").expect("test input is valid");
        assert!(c.contains(r#"principal["title"] like "Sr*""#) && c.contains(" && "));
        assert_eq!(a, vec!["ou", "title"]);
        for bad in [
            "(|(a=b)(c=d))",
            "(!(a=b))",
            "(a>=3)",
            "(a~=b)",
            "(a=\\2a)",
            "(&)",
            "(=x)",
            "(a=)",
        ] {
            assert!(ldap_condition(bad).is_none(), "{bad}");
        }
    }
}
