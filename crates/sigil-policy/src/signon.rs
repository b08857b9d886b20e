//! Sign-on policies: who may sign in to a client (an OpenID Connect relying party, later a SAML
//! service provider), and how strongly. Cedar policies over the [`SIGN_IN`] action with the
//! client as resource, on the same schema as gateway applications (users in groups and
//! directories; context with assurance, `amr`, client IP and time), plus an assurance level
//! the sign-in must reach: a weaker one is sent to authenticate again.

use std::collections::BTreeMap;
use std::str::FromStr;

use cedar_policy::{ActionConstraint, EntityUid, PolicySet, ResourceConstraint};

use serde::{Deserialize, Serialize};

use crate::decide::Outcome;
use crate::engine::{Circumstances, PolicyEngine, PolicyError, Principal, SIGN_IN};

/// One client's sign-on policy, as administrators write it and the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignOnPolicy {
    /// Cedar policies, each with an `@id`; a sign-in is allowed when one permits and none
    /// forbids (`resource` is `Sigil::Client::"<client id>"`, `action` is
    /// `Sigil::Action::"SignIn"`).
    pub policies: String,
    /// The assurance level a sign-in needs (0: any).
    #[serde(default)]
    pub assurance: u32,
    /// The assurance level of each way of signing in (`acr`); Sigil's defaults when empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub levels: BTreeMap<String, u32>,
    /// User attributes the policies read (declared in the schema).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_attributes: Vec<String>,
    /// The directory users and groups are named in (`directory:name`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
}

/// What a sign-on policy says about one sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignOnDecision {
    /// `allow`, `deny`, or `step-up` (authenticate again, more strongly).
    pub decision: Outcome,
    /// Why, in a sentence.
    pub reason: String,
    /// For a step-up, the level needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_assurance: Option<u32>,
    /// The `@id`s of the permits that allowed or the forbids that denied.
    pub policies: Vec<String>,
}

/// A sign-on policy, validated and ready.
pub struct CompiledSignOn {
    policy: SignOnPolicy,
    engine: PolicyEngine,
}

impl std::fmt::Debug for CompiledSignOn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledSignOn").finish_non_exhaustive()
    }
}

impl CompiledSignOn {
    /// Parses and strictly validates the policies; refuses any that is about requests rather
    /// than sign-ins (it could never apply, which is a mistake worth saying).
    pub fn new(policy: SignOnPolicy) -> Result<Self, PolicyError> {
        let engine = PolicyEngine::new(&policy.policies, &policy.user_attributes)?;
        let parsed =
            PolicySet::from_str(&policy.policies).map_err(|e| PolicyError::Parse(e.to_string()))?;
        for statement in parsed.policies() {
            let signs_in = |uid: &EntityUid| uid.id().unescaped() == SIGN_IN;
            let action_ok = match statement.action_constraint() {
                ActionConstraint::Any => true,
                ActionConstraint::Eq(uid) => signs_in(&uid),
                ActionConstraint::In(uids) => uids.iter().any(signs_in),
            };
            let is_client = |uid: &EntityUid| uid.type_name().basename() == "Client";
            let resource_ok = match statement.resource_constraint() {
                ResourceConstraint::Eq(uid) | ResourceConstraint::In(uid) => is_client(&uid),
                _ => true,
            };
            if !(action_ok && resource_ok) {
                let id = statement.annotation("id").unwrap_or_default();
                return Err(PolicyError::Invalid(vec![format!(
                    "policy {id:?} is not about signing in to a client (action {SIGN_IN}, resource Sigil::Client)"
                )]));
            }
        }
        Ok(Self { policy, engine })
    }

    /// The policy.
    pub fn policy(&self) -> &SignOnPolicy {
        &self.policy
    }

    /// Decides `principal`'s sign-in to `client`: Cedar first (a refusal is final), then the
    /// assurance.
    pub fn decide(
        &self,
        client: &str,
        principal: &Principal,
        circumstances: &Circumstances,
    ) -> Result<SignOnDecision, PolicyError> {
        let prepared = self
            .engine
            .prepare("", principal, SIGN_IN, &[], &[], circumstances)?;
        let verdict = prepared.decide_client(client)?;
        let (decision, reason, required) = if !verdict.allowed {
            let reason = if verdict.determining.is_empty() {
                "no policy allows this user to sign in here"
            } else {
                "a policy forbids this user to sign in here"
            };
            (Outcome::Deny, reason.to_owned(), None)
        } else if circumstances.assurance < self.policy.assurance {
            let reason = format!(
                "assurance {} is below the {} this client needs",
                circumstances.assurance, self.policy.assurance
            );
            (Outcome::StepUp, reason, Some(self.policy.assurance))
        } else {
            (Outcome::Allow, "allowed".to_owned(), None)
        };
        Ok(SignOnDecision {
            decision,
            reason,
            required_assurance: required,
            policies: verdict.determining,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use time::OffsetDateTime;

    use super::*;

    const POLICIES: &str = r#"
        @id("staff-only")
        permit (principal in Sigil::Group::"staff", action == Sigil::Action::"SignIn",
                resource == Sigil::Client::"payroll");
        @id("no-interns")
        forbid (principal, action, resource) when { principal has "title" && principal.title == "intern" };
    "#;

    fn policy() -> CompiledSignOn {
        CompiledSignOn::new(SignOnPolicy {
            policies: POLICIES.into(),
            assurance: 2,
            levels: BTreeMap::new(),
            user_attributes: vec!["title".into()],
            directory: None,
        })
        .expect("valid")
    }

    fn facts(assurance: u32) -> Circumstances {
        Circumstances {
            assurance,
            amr: vec![],
            client_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            now: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn user(groups: &[&str], title: &str) -> Principal {
        let attributes = BTreeMap::from([("title".to_owned(), title.to_owned())]);
        let groups = groups.iter().map(|g| (*g).to_owned()).collect();
        Principal::new("ann".into(), groups, attributes)
    }

    #[test]
    fn members_sign_in_with_enough_assurance_and_others_do_not() {
        let p = policy();
        let decide =
            |u: &Principal, level, client| p.decide(client, u, &facts(level)).expect("decides");
        let staff = user(&["staff"], "clerk");
        let yes = decide(&staff, 2, "payroll");
        assert_eq!(
            (yes.decision, yes.policies.clone()),
            (Outcome::Allow, vec!["staff-only".to_owned()])
        );
        let weak = decide(&staff, 1, "payroll");
        assert_eq!(
            (weak.decision, weak.required_assurance),
            (Outcome::StepUp, Some(2))
        );
        assert_eq!(
            decide(&user(&["sales"], "clerk"), 2, "payroll").decision,
            Outcome::Deny
        );
        assert_eq!(
            decide(&staff, 2, "crm").decision,
            Outcome::Deny,
            "another client"
        );
        let intern = decide(&user(&["staff"], "intern"), 2, "payroll");
        assert_eq!(
            (intern.decision, intern.policies),
            (Outcome::Deny, vec!["no-interns".to_owned()])
        );
    }

    #[test]
    fn policies_about_requests_rather_than_sign_ins_are_refused() {
        let wrong = SignOnPolicy {
            policies: r#"@id("x") permit (principal, action == Sigil::Action::"GET", resource == Sigil::Client::"payroll");"#.into(),
            assurance: 0,
            levels: BTreeMap::new(),
            user_attributes: vec![],
            directory: None,
        };
        assert!(matches!(
            CompiledSignOn::new(wrong),
            Err(PolicyError::Invalid(_))
        ));
    }
}
