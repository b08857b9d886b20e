//! Decisions reused for repeated requests: Cedar costs about 50 µs a request, and a user
//! browsing an application asks the same question many times. A decision is reused only when
//! it can depend on nothing but who asks (the very identity read from the store, held by the
//! entry so it cannot be mistaken for a later one), the method, the normalised path and the
//! session's assurance — not when a policy reads the client's address, the time or `amr` —
//! and for at most [`IDENTITY_TTL`] seconds. The cache belongs to one version of the
//! application and goes with it when a new version is loaded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sigil_policy::{Circumstances, CompiledApp, Decision, PolicyError, Principal};

use crate::identity::{IDENTITY_TTL, insert_bounded};

/// Who (the identity's address, kept alive by the entry), method, path, assurance.
type Key = (usize, String, String, u32);
type Entry = (i64, Arc<Principal>, Decision);

/// The reusable decisions of one application version.
pub struct Decisions {
    reusable: bool,
    cache: Mutex<HashMap<Key, Entry>>,
}

impl Decisions {
    /// A cache for `app`, which stays empty when its decisions cannot be reused.
    pub fn new(app: &CompiledApp) -> Self {
        Self {
            reusable: app.decisions_reusable(),
            cache: Mutex::default(),
        }
    }

    /// `app`'s decision, reused when it may be.
    pub fn decide(
        &self,
        app: &CompiledApp,
        method: &str,
        path: &str,
        principal: Option<&Arc<Principal>>,
        circumstances: &Circumstances,
        now: i64,
    ) -> Result<Decision, PolicyError> {
        let Some(principal) = principal.filter(|_| self.reusable) else {
            return app.decide(method, path, principal.map(Arc::as_ref), circumstances);
        };
        let key = (
            Arc::as_ptr(principal) as usize,
            method.to_owned(),
            path.to_owned(),
            circumstances.assurance,
        );
        if let Some((at, _, decision)) = self.lock().get(&key)
            && (0..IDENTITY_TTL).contains(&(now - at))
        {
            return Ok(decision.clone());
        }
        let decision = app.decide(method, path, Some(principal), circumstances)?;
        insert_bounded(
            &mut self.lock(),
            key,
            (now, principal.clone(), decision.clone()),
        );
        Ok(decision)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Entry>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::net::{IpAddr, Ipv4Addr};

    use sigil_policy::{Application, Outcome};
    use time::OffsetDateTime;

    use super::*;

    fn app(condition: &str) -> CompiledApp {
        let app: Application = serde_json::from_value(serde_json::json!({
            "name": "a",
            "realms": [{"id": "r", "name": "R", "prefix": "/", "protected": true, "routes": [
                {"id": "all", "name": "all", "methods": ["GET"], "pattern": {"kind": "glob", "text": "*"}, "effect": "allow"}
            ]}],
            "policies": format!("@id(\"staff\") permit (principal in Sigil::Group::\"staff\", action, resource) {condition};"),
        }))
        .expect("an application");
        CompiledApp::new(app).expect("compiles")
    }

    fn facts() -> Circumstances {
        Circumstances {
            assurance: 1,
            amr: vec![],
            client_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            now: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn user(groups: &[&str]) -> Arc<Principal> {
        let groups = groups.iter().map(|g| (*g).to_owned()).collect();
        Arc::new(Principal::new("ann".into(), groups, BTreeMap::new()))
    }

    #[test]
    fn a_decision_is_reused_for_the_same_identity_only_and_not_for_long() {
        let app = app("");
        let cache = Decisions::new(&app);
        let decide = |p: &Arc<Principal>, now| {
            cache
                .decide(&app, "GET", "/x", Some(p), &facts(), now)
                .expect("decides")
                .decision
        };
        let staff = user(&["staff"]);
        assert_eq!(decide(&staff, 0), Outcome::Allow);
        // The same name with other groups is another identity (a later read from the store).
        assert_eq!(decide(&user(&[]), 1), Outcome::Deny);
        assert_eq!(decide(&staff, 2), Outcome::Allow);
        assert_eq!(cache.lock().len(), 2);
        decide(&staff, IDENTITY_TTL + 1);
        let at = cache.lock().values().map(|(at, _, _)| *at).max();
        assert_eq!(at, Some(IDENTITY_TTL + 1), "decided again once old");
    }

    #[test]
    fn decisions_that_read_the_address_or_the_time_are_not_reused() {
        let app = app("when { context.clientIp.isLoopback() }");
        let cache = Decisions::new(&app);
        let staff = user(&["staff"]);
        let decision = cache.decide(&app, "GET", "/x", Some(&staff), &facts(), 0);
        assert_eq!(decision.expect("decides").decision, Outcome::Allow);
        assert!(cache.lock().is_empty());
    }
}
