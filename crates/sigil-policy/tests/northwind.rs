//! The shared synthetic SiteMinder export (`tests/data/northwind-export.xml`, copied from
//! `../shared/siteminder/`) imported and compared with its oracle
//! (`tests/data/northwind-expected.md`): inventory, the exact report, applications, realms,
//! routes, Cedar statements, and the decisions the oracle's semantics imply.

use std::collections::{BTreeMap, BTreeSet};

use sigil_policy::app::{Effect, Pattern};
use sigil_policy::siteminder::report::Level;
use sigil_policy::siteminder::{Import, ImportOptions, import};
use sigil_policy::{Circumstances, CompiledApp, Outcome, Principal};
use time::OffsetDateTime;

const EXPORT: &str = include_str!("data/northwind-export.xml");
const CORP: &str = "nw-corporate-ldap";
const PARTNER: &str = "nw-partner-ad";

fn northwind() -> Import {
    import(EXPORT, &ImportOptions::default()).expect("the sample imports")
}

fn app<'a>(import: &'a Import, name: &str) -> &'a sigil_policy::Application {
    import
        .applications
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no application {name}"))
}

#[test]
fn inventory_matches_the_oracle() {
    let report = northwind().report;
    let want: BTreeMap<String, usize> = [
        ("Agent", 4),
        ("AgentGroup", 1),
        ("AgentType", 1),
        ("AgentTypeAttr", 3),
        ("AuthScheme", 2),
        ("Domain", 2),
        ("Policy", 8),
        ("PolicyLink", 14),
        ("Realm", 7),
        ("Response", 6),
        ("ResponseAttr", 13),
        ("Rule", 13),
        ("UserDirectory", 2),
        ("UserPolicy", 12),
    ]
    .into_iter()
    .map(|(c, n)| (c.to_owned(), n))
    .collect();
    assert_eq!(report.inventory, want);
    assert!(report.complete, "every XREF of the sample resolves");
}

#[test]
fn the_report_is_exactly_the_oracles() {
    let report = northwind().report;
    let mut got: BTreeMap<(Level, String), usize> = BTreeMap::new();
    for f in &report.findings {
        *got.entry((f.level, f.code.clone())).or_default() += 1;
    }
    let want: BTreeMap<(Level, String), usize> = [
        (Level::Error, "active-response", 1),
        (Level::Error, "time-restriction-undecoded", 1),
        (Level::Warning, "regex-semantics", 2),
        (Level::Warning, "exact-match-query-string", 1),
        (Level::Warning, "generated-attribute", 1),
        (Level::Warning, "auth-event-rule", 1),
        (Level::Warning, "dn-attribute", 1),
        (Level::Info, "disabled-rule", 1),
        (Level::Info, "nested-security-and", 4),
        (Level::Info, "unprotected-realm", 1),
        (Level::Info, "public-rule-in-policy", 1),
        (Level::Info, "timeout-unset", 1),
        (Level::Info, "auth-scheme-params-dropped", 2),
        (Level::Info, "unmapped-methods", 3),
        (Level::NeedsInput, "agent-host-mapping", 3),
        (Level::NeedsInput, "cookie-domain", 3),
        (Level::NeedsInput, "directory-connection", 2),
    ]
    .into_iter()
    .map(|(l, c, n)| ((l, c.to_owned()), n))
    .collect();
    assert_eq!(got, want);

    let named = |code: &str| -> BTreeSet<String> {
        report
            .findings
            .iter()
            .filter(|f| f.code == code)
            .flat_map(|f| f.objects.iter().map(|o| o.name.clone()))
            .collect()
    };
    assert!(named("active-response").contains("Admin-Entitlements-Header"));
    assert!(named("time-restriction-undecoded").contains("HR-Payroll-Officers"));
    assert_eq!(
        named("regex-semantics"),
        BTreeSet::from(["HR-Profile-Edit".into(), "Claims-Read-ById".into()])
    );
    assert_eq!(
        named("exact-match-query-string"),
        BTreeSet::from(["Claims-Submit".into()])
    );
    assert!(named("disabled-rule").is_superset(&BTreeSet::from([
        "Payroll-Export-Legacy".into(),
        "HR-Payroll-Officers".into()
    ])));
    assert!(named("public-rule-in-policy").contains("Public-Get"));
    assert_eq!(
        named("timeout-unset"),
        BTreeSet::from(["Claims-API-Adjusters".into()])
    );
    let generated = report
        .findings
        .iter()
        .find(|f| f.code == "generated-attribute")
        .expect("test input is valid");
    assert!(generated.message.contains("SM_USERGROUPS"));
    let dn = report
        .findings
        .iter()
        .find(|f| f.code == "dn-attribute")
        .expect("test input is valid");
    assert!(dn.message.contains("HR_MANAGER_OF"));
    // Every finding names the XIDs it concerns.
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.objects.iter().all(|o| o.xid.starts_with("CA.SM::")))
    );
}

#[test]
fn applications_realms_and_assurance() {
    let import = northwind();
    let names: BTreeSet<&str> = import
        .applications
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["nw-claims-farm", "nw-hr-agent", "nw-portal-agent"])
    );
    let realm = |app_name: &str, realm: &str| {
        app(&import, app_name)
            .realms
            .iter()
            .find(|r| r.name == realm)
            .cloned()
            .unwrap_or_else(|| panic!("no realm {realm}"))
    };
    for (a, r, prefix, level, idle, max, protected) in [
        (
            "nw-portal-agent",
            "Portal",
            "/portal/",
            5,
            Some(1800),
            Some(28800),
            true,
        ),
        (
            "nw-portal-agent",
            "Portal-Admin",
            "/portal/admin/",
            15,
            Some(900),
            Some(7200),
            true,
        ),
        (
            "nw-portal-agent",
            "Portal-Public",
            "/portal/public/",
            0,
            None,
            None,
            false,
        ),
        (
            "nw-hr-agent",
            "HR-SelfService",
            "/hr/",
            5,
            Some(1200),
            Some(14400),
            true,
        ),
        (
            "nw-hr-agent",
            "HR-Payroll",
            "/hr/payroll/",
            15,
            Some(600),
            Some(3600),
            true,
        ),
        (
            "nw-claims-farm",
            "Claims-API",
            "/claims/api/",
            5,
            Some(3600),
            Some(43200),
            true,
        ),
        (
            "nw-claims-farm",
            "Claims-API-Adjusters",
            "/claims/api/v2/adjust/",
            15,
            None,
            None,
            true,
        ),
    ] {
        let got = realm(a, r);
        assert_eq!(
            (
                got.prefix.as_str(),
                got.assurance,
                got.idle_timeout,
                got.max_timeout,
                got.protected
            ),
            (prefix, level, idle, max, protected),
            "{r}"
        );
    }
    assert_eq!(
        realm("nw-portal-agent", "Portal-Admin").parent.as_deref(),
        Some("NW-Employee-Apps/Portal")
    );
    assert_eq!(
        realm("nw-portal-agent", "Portal-Admin")
            .authenticator
            .as_deref(),
        Some("client-certificate-or-password")
    );
    assert!(
        import
            .applications
            .iter()
            .all(|a| a.legacy_headers && a.upstream.is_none())
    );
}

#[test]
fn routes_match_the_rule_table() {
    let import = northwind();
    let routes: BTreeMap<String, (Vec<String>, Pattern, Effect)> = import
        .applications
        .iter()
        .flat_map(|a| &a.realms)
        .flat_map(|r| &r.routes)
        .map(|r| {
            (
                r.name.clone(),
                (r.methods.clone(), r.pattern.clone(), r.effect),
            )
        })
        .collect();
    let glob = |s: &str| Pattern::Glob(s.into());
    let want = [
        ("Portal-GetPost-All", "GET POST", glob("*"), Effect::Allow),
        ("Admin-Console", "GET POST PUT", glob("*"), Effect::Allow),
        (
            "Admin-UserDelete-Deny",
            "POST",
            glob("users/*/delete"),
            Effect::Deny,
        ),
        ("Public-Get", "GET", glob("*"), Effect::Allow),
        ("HR-Read-Pages", "GET", glob("*.jsp"), Effect::Allow),
        (
            "HR-Profile-Edit",
            "POST",
            Pattern::Regex(r"profile/[0-9]{6}/(edit|save)\.do".into()),
            Effect::Allow,
        ),
        ("Payroll-Read", "GET", glob("*"), Effect::Allow),
        (
            "Claims-Read-ById",
            "GET",
            Pattern::Regex("v[12]/claims/[A-Z]{2}[0-9]{8}$".into()),
            Effect::Allow,
        ),
        (
            "Claims-Submit",
            "POST",
            Pattern::Exact("v2/claims".into()),
            Effect::Allow,
        ),
        (
            "Claims-Bulk-Deny",
            "GET POST",
            glob("v*/claims/bulk*"),
            Effect::Deny,
        ),
        ("Adjust-Write", "POST PUT", glob("*"), Effect::Allow),
    ];
    assert_eq!(routes.len(), want.len(), "{:?}", routes.keys());
    for (name, methods, pattern, effect) in want {
        let methods: Vec<String> = methods.split(' ').map(str::to_owned).collect();
        assert_eq!(routes[name], (methods, pattern, effect), "{name}");
    }
}

#[test]
fn nine_cedar_statements_that_validate() {
    let import = northwind();
    let mut permits = 0;
    let mut forbids = 0;
    for app in &import.applications {
        permits += app.policies.matches("\npermit (").count();
        forbids += app.policies.matches("\nforbid (").count();
        CompiledApp::new(app.clone())
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", app.name, app.policies));
    }
    assert_eq!((permits, forbids), (7, 2));
    let hr = app(&import, "nw-hr-agent");
    assert!(!hr.policies.contains("Payroll-Read"), "row 7 is withheld");
    assert!(!hr.policies.contains("Payroll-Export-Legacy"));
    let portal = app(&import, "nw-portal-agent");
    assert!(portal.policies.contains(
        r#"unless { principal in Sigil::Group::"nw-corporate-ldap:cn=suspended-contractors,ou=groups,dc=northwind,dc=example" }"#
    ));
    let dashboard: BTreeMap<_, _> = import
        .report
        .dashboard
        .iter()
        .map(|d| {
            (
                d.app.as_str(),
                (
                    d.policies.mapped,
                    d.policies.refused,
                    d.routes.refused,
                    d.ready,
                ),
            )
        })
        .collect();
    assert_eq!(dashboard["nw-hr-agent"], (2, 1, 1, false));
    assert_eq!(dashboard["nw-portal-agent"], (3, 0, 0, false));
}

fn user(dir: &str, uid: &str, groups: &[&str], attrs: &[(&str, &str)]) -> Principal {
    Principal {
        kind: sigil_policy::PrincipalKind::User,
        id: format!("{dir}:{uid}"),
        groups: groups.iter().map(|g| format!("{dir}:{g}")).collect(),
        directories: vec![dir.to_owned()],
        attributes: attrs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn at(assurance: u32) -> Circumstances {
    Circumstances {
        assurance,
        amr: vec!["pwd".into()],
        client_ip: "10.20.1.1".parse().expect("test input is valid"),
        now: OffsetDateTime::UNIX_EPOCH,
    }
}

const EMPLOYEES: &str = "cn=employees,ou=groups,dc=northwind,dc=example";
const ADMINS: &str = "cn=portal-admins,ou=groups,dc=northwind,dc=example";
const HELPDESK: &str = "cn=helpdesk,ou=groups,dc=northwind,dc=example";
const SUSPENDED: &str = "cn=suspended-contractors,ou=groups,dc=northwind,dc=example";

#[test]
fn portal_decisions_follow_siteminder_semantics() {
    let import = northwind();
    let portal =
        CompiledApp::new(app(&import, "nw-portal-agent").clone()).expect("test input is valid");
    let ann = user(
        CORP,
        "uid=ann,ou=people,dc=northwind,dc=example",
        &[EMPLOYEES],
        &[("mail", "ann@nw.example")],
    );
    let d = portal
        .decide("GET", "/portal/home", Some(&ann), &at(5))
        .expect("test input is valid");
    assert_eq!(d.decision, Outcome::Allow, "{d:?}");
    assert_eq!(d.headers["NW_EMAIL"], "ann@nw.example");
    assert_eq!(d.headers["NW_APP"], "portal");
    assert_eq!(
        d.headers["SM_USERDN"],
        "uid=ann,ou=people,dc=northwind,dc=example"
    );
    assert_eq!(d.headers["SM_REALM"], "Portal");
    assert!(
        !d.headers.contains_key("NW_EMPLOYEE_ID"),
        "absent attributes send no header"
    );
    assert!(
        d.matched
            .iter()
            .any(|m| m.id == "NW-Employee-Apps/Portal-Employees/Portal-GetPost-All")
    );
    assert_eq!(
        portal
            .decide("PUT", "/portal/home", Some(&ann), &at(5))
            .expect("test input is valid")
            .decision,
        Outcome::Deny
    );
    assert_eq!(
        portal
            .decide("DELETE", "/portal/home", Some(&ann), &at(5))
            .expect("test input is valid")
            .decision,
        Outcome::Deny
    );

    // Excluded, not forbidden: the suspended contractor is simply not granted.
    let sam = user(
        CORP,
        "uid=sam,ou=people,dc=northwind,dc=example",
        &[EMPLOYEES, SUSPENDED],
        &[],
    );
    let d = portal
        .decide("GET", "/portal/home", Some(&sam), &at(5))
        .expect("test input is valid");
    assert_eq!(d.decision, Outcome::Deny);

    // Nested realms AND: an admin who is not an employee is denied by the Portal realm.
    let jdoe = user(CORP, "uid=jdoe,ou=people,dc=northwind,dc=example", &[], &[]);
    let d = portal
        .decide("GET", "/portal/admin/console", Some(&jdoe), &at(15))
        .expect("test input is valid");
    assert_eq!(d.decision, Outcome::Deny);
    assert!(d.reason.contains("Portal"), "{}", d.reason);
    let admin = user(
        CORP,
        "uid=ada,ou=people,dc=northwind,dc=example",
        &[EMPLOYEES, ADMINS],
        &[],
    );
    // Step-up: level 5 does not reach the level-15 admin realm; 15 does.
    let d = portal
        .decide("GET", "/portal/admin/console", Some(&admin), &at(5))
        .expect("test input is valid");
    assert_eq!(
        (d.decision, d.required_assurance),
        (Outcome::StepUp, Some(15))
    );
    let d = portal
        .decide("GET", "/portal/admin/console", Some(&admin), &at(15))
        .expect("test input is valid");
    assert_eq!(d.decision, Outcome::Allow, "{d:?}");
    assert!(
        !d.headers.contains_key("NW_ENTITLEMENTS"),
        "the active response is not injected"
    );
    // Deny wins for the helpdesk, with the deny redirect.
    let helper = user(
        CORP,
        "uid=hal,ou=people,dc=northwind,dc=example",
        &[EMPLOYEES, ADMINS, HELPDESK],
        &[],
    );
    let d = portal
        .decide(
            "POST",
            "/portal/admin/users/42/delete",
            Some(&helper),
            &at(15),
        )
        .expect("test input is valid");
    assert_eq!(d.decision, Outcome::Deny);
    assert_eq!(
        d.redirect.as_deref(),
        Some("https://portal.northwind.example/portal/public/denied.html")
    );
    assert_eq!(
        portal
            .decide(
                "POST",
                "/portal/admin/users/42/delete",
                Some(&admin),
                &at(15)
            )
            .expect("test input is valid")
            .decision,
        Outcome::Allow
    );

    // Public: no sign-in, no headers; only the methods its rules name.
    let d = portal
        .decide("GET", "/portal/public/help.html", None, &at(0))
        .expect("test input is valid");
    assert_eq!(d.decision, Outcome::Public);
    assert!(d.headers.is_empty());
    assert_eq!(
        portal
            .decide("POST", "/portal/public/x", None, &at(0))
            .expect("test input is valid")
            .decision,
        Outcome::Deny
    );
    // Anyone else must sign in; paths outside every realm are denied.
    let d = portal
        .decide("GET", "/portal/home", None, &at(0))
        .expect("test input is valid");
    assert_eq!(
        (d.decision, d.required_assurance),
        (Outcome::StepUp, Some(5))
    );
    assert_eq!(
        portal
            .decide("GET", "/elsewhere", Some(&ann), &at(5))
            .expect("test input is valid")
            .decision,
        Outcome::Deny
    );
}

#[test]
fn hr_and_claims_decisions() {
    let import = northwind();
    let hr = CompiledApp::new(app(&import, "nw-hr-agent").clone()).expect("test input is valid");
    let ann = user(
        CORP,
        "uid=ann,ou=people,dc=northwind,dc=example",
        &[EMPLOYEES],
        &[("departmentNumber", "4711")],
    );
    let d = hr
        .decide("GET", "/hr/index.jsp", Some(&ann), &at(5))
        .expect("test input is valid");
    assert_eq!(d.decision, Outcome::Allow);
    assert_eq!(d.headers["HR_COSTCENTER"], "4711");
    assert_eq!(d.cookies["NWHRLANG"], "en-GB");
    assert_eq!(
        hr.decide("GET", "/hr/index.html", Some(&ann), &at(5))
            .expect("test input is valid")
            .decision,
        Outcome::Deny
    );
    assert_eq!(
        hr.decide("POST", "/hr/profile/123456/save.do", Some(&ann), &at(5))
            .expect("test input is valid")
            .decision,
        Outcome::Allow
    );
    assert_eq!(
        hr.decide("POST", "/hr/profile/12345/save.do", Some(&ann), &at(5))
            .expect("test input is valid")
            .decision,
        Outcome::Deny
    );
    // Row 7 withheld: even a permanent payroll officer from the right network is denied.
    let officer = user(
        CORP,
        "uid=pat,ou=people,dc=northwind,dc=example",
        &[
            EMPLOYEES,
            "cn=payroll-officers,ou=groups,dc=northwind,dc=example",
        ],
        &[("employeeType", "permanent")],
    );
    assert_eq!(
        hr.decide("GET", "/hr/payroll/slip.jsp", Some(&officer), &at(15))
            .expect("test input is valid")
            .decision,
        Outcome::Deny
    );

    let claims =
        CompiledApp::new(app(&import, "nw-claims-farm").clone()).expect("test input is valid");
    let partner = user(
        PARTNER,
        "cn=bob,ou=people,dc=partners,dc=northwind,dc=example",
        &["CN=Claims-Partners,OU=Groups,DC=partners,DC=northwind,DC=example"],
        &[("company", "Acme")],
    );
    let d = claims
        .decide(
            "GET",
            "/claims/api/v1/claims/AB12345678",
            Some(&partner),
            &at(5),
        )
        .expect("test input is valid");
    assert_eq!(d.decision, Outcome::Allow, "{d:?}");
    assert_eq!(d.headers["NW_PARTNER_ID"], "Acme");
    assert_eq!(
        claims
            .decide(
                "GET",
                "/claims/api/v1/claims/AB12345678/x",
                Some(&partner),
                &at(5)
            )
            .expect("test input is valid")
            .decision,
        Outcome::Deny
    );
    assert_eq!(
        claims
            .decide("POST", "/claims/api/v2/claims", Some(&partner), &at(5))
            .expect("test input is valid")
            .decision,
        Outcome::Allow
    );
    assert_eq!(
        claims
            .decide("POST", "/claims/api/v2/claims/", Some(&partner), &at(5))
            .expect("test input is valid")
            .decision,
        Outcome::Deny
    );
    // Partner-Bulk-Block forbids everyone in the partner directory.
    let d = claims
        .decide(
            "POST",
            "/claims/api/v1/claims/bulk-upload",
            Some(&partner),
            &at(5),
        )
        .expect("test input is valid");
    assert_eq!(d.decision, Outcome::Deny);
    assert!(
        d.matched
            .iter()
            .any(|m| m.id == "NW-Partner-Claims/Partner-Bulk-Block/Claims-Bulk-Deny")
    );
    // Nested AND: no Claims-API rule grants POST below v2/adjust/, so adjusters are denied
    // there, as SiteMinder's nested security would deny them.
    let adjuster = user(
        PARTNER,
        "cn=al,dc=partners,dc=northwind,dc=example",
        &["CN=Claims-Adjusters,OU=Groups,DC=partners,DC=northwind,DC=example"],
        &[],
    );
    let d = claims
        .decide("POST", "/claims/api/v2/adjust/7", Some(&adjuster), &at(15))
        .expect("test input is valid");
    assert_eq!(d.decision, Outcome::Deny);
    assert!(d.reason.contains("Claims-API"), "{}", d.reason);
}

#[test]
fn an_agent_map_supplies_upstreams() {
    let options = ImportOptions {
        agent_map: [
            ("nw-portal-agent", "https://portal.northwind.example"),
            ("nw-hr-agent", "https://hr.northwind.example"),
            ("nw-claims-farm", "https://claims.northwind.example"),
        ]
        .into_iter()
        .map(|(a, u)| (a.to_owned(), u.to_owned()))
        .collect(),
        ..ImportOptions::default()
    };
    let import = import(EXPORT, &options).expect("test input is valid");
    assert!(
        import
            .report
            .findings
            .iter()
            .all(|f| f.code != "agent-host-mapping")
    );
    assert_eq!(
        app(&import, "nw-hr-agent").upstream.as_deref(),
        Some("https://hr.northwind.example")
    );
    let text = import.report.to_text();
    assert!(
        text.contains("nw-portal-agent") && text.contains("[active-response]"),
        "{text}"
    );
}

#[test]
fn the_portal_sign_in_cookie_takes_the_attribute_at_sign_in() {
    let import = northwind();
    let portal =
        CompiledApp::new(app(&import, "nw-portal-agent").clone()).expect("test input is valid");
    let ann = user(
        "nw-corporate-ldap",
        "uid=ann,ou=people,dc=northwind,dc=example",
        &[],
        &[("departmentNumber", "4711")],
    );
    let (headers, cookies) = portal.login_values(&ann);
    assert!(headers.is_empty(), "{headers:?}");
    assert_eq!(cookies.get("NWDEPT").map(String::as_str), Some("4711"));
    let nobody = user("nw-corporate-ldap", "uid=bo", &[], &[]);
    assert!(
        portal.login_values(&nobody).1.is_empty(),
        "no attribute, no cookie"
    );
}
