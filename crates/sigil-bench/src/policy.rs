//! Access decisions per core with 1,000 applications and 10,000 routes loaded: the
//! application found by name, the path normalised, the realm and routes matched, and Cedar
//! asked once per realm on the chain (nested realms ANDed). The same `CompiledApp::decide` the
//! gateway and `sigil gateway explain` run. Single thread, in process.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{Value, json};
use sigil_policy::app::{Effect, Pattern, Realm, Route};
use sigil_policy::{Application, Circumstances, CompiledApp, Outcome, Principal};

use crate::crypto::per_second;

const APPS: usize = 1_000;
/// Routes per application: five in the top realm, five in its nested admin realm.
const ROUTES: usize = 10;

fn route(realm: &str, i: usize, pattern: Pattern, effect: Effect) -> Route {
    Route {
        id: format!("{realm}/r{i}"),
        name: format!("r{i}"),
        methods: vec!["GET".into(), "POST".into()],
        pattern,
        effect,
        xid: None,
    }
}

fn permit(id: &str, realm: &str, rule: &str, group: &str) -> String {
    format!(
        "@id(\"{id}\")\npermit (principal, action in [Sigil::Action::\"GET\", Sigil::Action::\"POST\"], resource == Sigil::Realm::\"{realm}\")\nwhen {{ context.fired.contains(Sigil::Rule::\"{rule}\") }}\nwhen {{ principal in Sigil::Group::\"{group}\" }};\n"
    )
}

/// One application shaped like an imported SiteMinder agent.
fn application(n: usize) -> Application {
    let top = format!("app{n}/top");
    let admin = format!("app{n}/admin");
    let mut policies = String::new();
    let mut realms = Vec::new();
    for (realm, prefix, parent, group) in [
        (&top, format!("/app{n}/"), None, "dir:staff"),
        (
            &admin,
            format!("/app{n}/admin/"),
            Some(top.clone()),
            "dir:admins",
        ),
    ] {
        let mut routes = Vec::new();
        for i in 0..ROUTES / 2 {
            let (pattern, effect) = match i {
                0 => (Pattern::Glob("*".into()), Effect::Allow),
                1 => (
                    Pattern::Regex(r"reports/[0-9]{4}/[a-z]+\.pdf$".into()),
                    Effect::Allow,
                ),
                2 => (Pattern::Exact("submit".into()), Effect::Allow),
                3 => (Pattern::Glob("*/delete".into()), Effect::Deny),
                _ => (Pattern::Glob("static/*.css".into()), Effect::Allow),
            };
            let r = route(realm, i, pattern, effect);
            let text = permit(&format!("{realm}/p{i}"), realm, &r.id, group);
            policies.push_str(&if effect == Effect::Deny {
                text.replacen("permit (", "forbid (", 1)
                    .replace(group, "dir:contractors")
            } else {
                text
            });
            routes.push(r);
        }
        realms.push(Realm {
            id: realm.clone(),
            name: realm.clone(),
            parent,
            prefix,
            protected: true,
            assurance: 5,
            authenticator: Some("password".into()),
            idle_timeout: Some(1800),
            max_timeout: Some(28800),
            xid: None,
            routes,
        });
    }
    Application {
        name: format!("app{n}"),
        upstream: None,
        realms,
        policies,
        user_attributes: vec![],
        responses: Default::default(),
        deny_redirects: Default::default(),
        login_actions: vec![],
        legacy_headers: true,
        source: None,
    }
}

/// Measures decisions per second and per-decision latency.
pub fn run(seconds: u64) -> anyhow::Result<Value> {
    let start = Instant::now();
    let apps: HashMap<String, CompiledApp> = (0..APPS)
        .map(|n| {
            let app = application(n);
            Ok((app.name.clone(), CompiledApp::new(app)?))
        })
        .collect::<Result<_, sigil_policy::PolicyError>>()?;
    let load_ms = start.elapsed().as_secs_f64() * 1000.0;
    let user = Principal {
        kind: sigil_policy::PrincipalKind::User,
        id: "dir:uid=ann".into(),
        groups: vec!["dir:staff".into(), "dir:admins".into()],
        directories: vec!["dir".into()],
        attributes: [("mail".to_owned(), "ann@example.com".to_owned())].into(),
    };
    let facts = Circumstances {
        assurance: 5,
        amr: vec!["pwd".into()],
        client_ip: "10.0.0.1".parse()?,
        now: time::OffsetDateTime::now_utc(),
    };
    let requests = [
        ("GET", "/app{}/home"),
        ("GET", "/app{}/reports/2026/summary.pdf"),
        ("POST", "/app{}/admin/submit"),
        ("GET", "/app{}/admin/static/site.css"),
    ];
    let measure = |spread: usize| -> anyhow::Result<Value> {
        let mut i = 0usize;
        let mut decide = || -> Outcome {
            i = i.wrapping_add(7919);
            let (method, template) = requests[i % requests.len()];
            let name = format!("app{}", i % spread);
            let raw = template.replace("{}", &(i % spread).to_string());
            let path = sigil_policy::paths::normalize_path(&raw).unwrap_or_default();
            apps.get(&name)
                .and_then(|app| app.decide(method, &path, Some(&user), &facts).ok())
                .map_or(Outcome::Deny, |d| d.decision)
        };
        anyhow::ensure!(
            decide() == Outcome::Allow,
            "the benchmark's requests must be allowed"
        );
        let mut samples = Vec::with_capacity(200_000);
        for _ in 0..200_000 {
            let t = Instant::now();
            std::hint::black_box(decide());
            samples.push(t.elapsed().as_nanos() as u64);
        }
        samples.sort_unstable();
        let at = |q: f64| {
            samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)] as f64 / 1000.0
        };
        let rate = per_second(
            || {
                std::hint::black_box(decide());
            },
            seconds,
        );
        Ok(json!({
            "applications_hit": spread,
            "decisions_per_second": rate.round(),
            "decision_us": {"p50": at(0.50), "p99": at(0.99)},
        }))
    };
    Ok(json!({
        "benchmark": "policy-decisions",
        "applications": APPS,
        "routes": APPS * ROUTES,
        "load_and_validate_ms": load_ms.round(),
        "spread_over_all_apps": measure(APPS)?,
        "one_hot_app": measure(1)?,
    }))
}
