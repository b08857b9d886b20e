//! Cases the shared sample does not cover, made by editing it or written small: a decodable
//! payroll policy (AND-ed user policies and IP restrictions), granular exports with references
//! outside the file, unknown classes, affiliate domains, comma-separated multi-values, realms
//! nested as child objects, untranslatable LDAP filters and conditions on deny rules.

use sigil_policy::siteminder::report::Level;
use sigil_policy::siteminder::xps::{Limits, ParseError};
use sigil_policy::siteminder::{Import, ImportOptions, import};
use sigil_policy::{Circumstances, CompiledApp, Outcome, Principal};
use time::OffsetDateTime;

const EXPORT: &str = include_str!("data/northwind-export.xml");

fn edited(edits: &[(&str, &str)]) -> Import {
    let mut text = EXPORT.to_owned();
    for (from, to) in edits {
        assert!(text.contains(from), "the sample holds {from}");
        text = text.replacen(from, to, 1);
    }
    import(&text, &ImportOptions::default()).expect("imports")
}

fn codes(import: &Import, level: Level) -> Vec<String> {
    import
        .report
        .findings
        .iter()
        .filter(|f| f.level == level)
        .map(|f| f.code.clone())
        .collect()
}

fn compiled(import: &Import, name: &str) -> CompiledApp {
    let app = import
        .applications
        .iter()
        .find(|a| a.name == name)
        .expect("app");
    CompiledApp::new(app.clone()).expect("compiles")
}

fn from(ip: &str, assurance: u32) -> Circumstances {
    Circumstances {
        assurance,
        amr: vec![],
        client_ip: ip.parse().expect("test input is valid"),
        now: OffsetDateTime::UNIX_EPOCH,
    }
}

fn officer(groups: &[&str], employee_type: &str) -> Principal {
    Principal {
        kind: sigil_policy::PrincipalKind::User,
        id: "nw-corporate-ldap:uid=pat,ou=people,dc=northwind,dc=example".into(),
        groups: groups
            .iter()
            .map(|g| format!("nw-corporate-ldap:cn={g},ou=groups,dc=northwind,dc=example"))
            .collect(),
        directories: vec!["nw-corporate-ldap".into()],
        attributes: [("employeeType".to_owned(), employee_type.to_owned())].into(),
    }
}

#[test]
fn a_decodable_payroll_policy_ands_its_users_and_checks_the_network() {
    let import = edited(&[(
        r#"<Property Name="CA.SM::Policy.TimeRestriction"><StringValue>SYNTHETIC: Mon-Fri 07:00-19:00 Europe/London</StringValue></Property>"#,
        "",
    )]);
    assert!(!codes(&import, Level::Error).contains(&"time-restriction-undecoded".to_owned()));
    let hr = compiled(&import, "nw-hr-agent");
    assert!(
        hr.app()
            .user_attributes
            .contains(&"employeeType".to_owned())
    );
    let pat = officer(&["employees", "payroll-officers"], "permanent");
    let decide = |p: &Principal, ip: &str| {
        hr.decide("GET", "/hr/payroll/slip.jsp", Some(p), &from(ip, 15))
            .expect("test input is valid")
            .decision
    };
    assert_eq!(decide(&pat, "10.20.3.4"), Outcome::Allow);
    assert_eq!(decide(&pat, "10.21.4.17"), Outcome::Allow);
    assert_eq!(
        decide(&pat, "10.21.4.18"),
        Outcome::Deny,
        "outside both networks"
    );
    assert_eq!(
        decide(
            &officer(&["employees", "payroll-officers"], "temporary"),
            "10.20.3.4"
        ),
        Outcome::Deny,
        "AND-ed user policy"
    );
    assert_eq!(
        decide(&officer(&["employees"], "permanent"), "10.20.3.4"),
        Outcome::Deny
    );
    // The parent realm still has a say: payroll officers who are not employees are denied,
    // and so is a path its rules do not cover.
    assert_eq!(
        hr.decide(
            "GET",
            "/hr/payroll/slip",
            Some(&pat),
            &from("10.20.3.4", 15)
        )
        .expect("test input is valid")
        .decision,
        Outcome::Deny
    );
    assert_eq!(
        decide(&officer(&["payroll-officers"], "permanent"), "10.20.3.4"),
        Outcome::Deny
    );
}

#[test]
fn a_granular_export_reports_references_outside_it() {
    // Drop the HR agent: its realms point outside the file.
    let start = EXPORT.find(r#"<Object Class="CA.SM::Agent" Xid="CA.SM::Agent@01-2f6c0d91-3b4e-47a8-8c22-0000000b1002""#).expect("test input is valid");
    let end = start
        + EXPORT[start..]
            .find("</Object>")
            .expect("test input is valid")
        + "</Object>".len();
    let text = format!("{}{}", &EXPORT[..start], &EXPORT[end..]);
    let import = import(&text, &ImportOptions::default()).expect("test input is valid");
    assert!(!import.report.complete);
    let unresolved = import
        .report
        .findings
        .iter()
        .filter(|f| f.code == "unresolved-reference")
        .count();
    assert_eq!(
        unresolved, 2,
        "HR-SelfService and HR-Payroll name the agent"
    );
    assert!(codes(&import, Level::Error).contains(&"realm-unplaced".to_owned()));
    assert!(import.applications.iter().all(|a| a.name != "nw-hr-agent"));
    // The rest still translates.
    assert!(
        import
            .applications
            .iter()
            .any(|a| a.name == "nw-portal-agent")
    );
}

#[test]
fn unknown_classes_and_properties_are_named() {
    let import = edited(&[
        (
            "<!-- ================= domain 2",
            r#"<Object Class="CA.SM::RuleGroup" Xid="CA.SM::RuleGroup@07-1"><Property Name="CA.SM::RuleGroup.Name"><StringValue>g</StringValue></Property></Object>
  <!-- ================= domain 2"#,
        ),
        (
            r#"<Property Name="CA.SM::Realm.SessionType">"#,
            r#"<Property Name="CA.SM::Realm.PersistentSessionValidation"><NumberValue>3</NumberValue></Property><Property Name="CA.SM::Realm.SessionType">"#,
        ),
    ]);
    assert!(!import.report.complete);
    let unsupported: Vec<_> = import
        .report
        .findings
        .iter()
        .filter(|f| f.code == "unsupported")
        .collect();
    assert_eq!(unsupported.len(), 2);
    assert!(unsupported.iter().all(|f| f.level == Level::Warning));
    assert!(
        unsupported
            .iter()
            .any(|f| f.objects[0].xid == "CA.SM::RuleGroup@07-1")
    );
    assert!(
        unsupported
            .iter()
            .any(|f| f.message.contains("PersistentSessionValidation"))
    );
}

#[test]
fn affiliate_domains_are_refused_whole() {
    let import = edited(&[(
        r#"<Property Name="CA.SM::Domain.Name"><StringValue>NW-Partner-Claims</StringValue></Property>
   <Property Name="CA.SM::Domain.Desc"><StringValue>Claims API used by broker partners</StringValue></Property>
   <Property Name="CA.SM::Domain.IsAffiliate"><BooleanValue>false</BooleanValue></Property>"#,
        r#"<Property Name="CA.SM::Domain.Name"><StringValue>NW-Partner-Claims</StringValue></Property>
   <Property Name="CA.SM::Domain.IsAffiliate"><BooleanValue>true</BooleanValue></Property>"#,
    )]);
    assert!(codes(&import, Level::Error).contains(&"affiliate-domain".to_owned()));
    assert!(
        import
            .applications
            .iter()
            .all(|a| a.name != "nw-claims-farm")
    );
}

#[test]
fn comma_separated_multi_values_read_the_same() {
    let import = edited(&[(
        "<StringValue>GET</StringValue><StringValue>POST</StringValue><StringValue>PUT</StringValue></Property>\n     <Property Name=\"CA.SM::Rule.AllowAccess\">",
        "<StringValue>GET, POST,PUT</StringValue></Property>\n     <Property Name=\"CA.SM::Rule.AllowAccess\">",
    )]);
    let portal = import
        .applications
        .iter()
        .find(|a| a.name == "nw-portal-agent")
        .expect("test input is valid");
    let console = portal
        .realms
        .iter()
        .flat_map(|r| &r.routes)
        .find(|r| r.name == "Admin-Console")
        .expect("test input is valid");
    assert_eq!(console.methods, ["GET", "POST", "PUT"]);
}

const SMALL: &str = r#"<XPSDeployment><PolicyData>
 <Object Class="CA.SM::Agent" Xid="A1"><Property Name="CA.SM::Agent.Name"><StringValue>app</StringValue></Property></Object>
 <Object Class="CA.SM::UserDirectory" Xid="D1"><Property Name="CA.SM::UserDirectory.Name"><StringValue>Dir</StringValue></Property></Object>
 <Object Class="CA.SM::Domain" Xid="M1"><Property Name="CA.SM::Domain.Name"><StringValue>dom</StringValue></Property>
  <Object Class="CA.SM::Realm" Xid="R1">
   <Property Name="CA.SM::Realm.Name"><StringValue>top</StringValue></Property>
   <Property Name="CA.SM::Realm.AgentLink"><LinkValue><XREF>A1</XREF></LinkValue></Property>
   <Property Name="CA.SM::Realm.ResourceFilter"><StringValue>/a*/</StringValue></Property>
   <Property Name="CA.SM::Realm.IdleTimeout"><NumberValue>60</NumberValue></Property>
   <Object Class="CA.SM::Rule" Xid="U1"><Property Name="CA.SM::Rule.Name"><StringValue>all</StringValue></Property>
    <Property Name="CA.SM::Rule.Resource"><StringValue>*</StringValue></Property>
    <Property Name="CA.SM::Rule.Actions"><StringValue>GET</StringValue></Property>
    <Property Name="CA.SM::Rule.AllowAccess"><BooleanValue>true</BooleanValue></Property></Object>
   <Object Class="CA.SM::Rule" Xid="U2"><Property Name="CA.SM::Rule.Name"><StringValue>deny-at-night</StringValue></Property>
    <Property Name="CA.SM::Rule.Resource"><StringValue>secret*</StringValue></Property>
    <Property Name="CA.SM::Rule.Actions"><StringValue>GET</StringValue></Property>
    <Property Name="CA.SM::Rule.TimeRestriction"><StringValue>opaque</StringValue></Property>
    <Property Name="CA.SM::Rule.AllowAccess"><BooleanValue>false</BooleanValue></Property></Object>
   <Object Class="CA.SM::Realm" Xid="R2">
    <Property Name="CA.SM::Realm.Name"><StringValue>inner</StringValue></Property>
    <Property Name="CA.SM::Realm.AgentLink"><LinkValue><XREF>A1</XREF></LinkValue></Property>
    <Property Name="CA.SM::Realm.ResourceFilter"><StringValue>in/</StringValue></Property>
    <Property Name="CA.SM::Realm.IdleTimeout"><NumberValue>60</NumberValue></Property>
    <Object Class="CA.SM::Rule" Xid="U3"><Property Name="CA.SM::Rule.Name"><StringValue>in-all</StringValue></Property>
     <Property Name="CA.SM::Rule.Resource"><StringValue>*</StringValue></Property>
     <Property Name="CA.SM::Rule.Actions"><StringValue>GET</StringValue></Property>
     <Property Name="CA.SM::Rule.AllowAccess"><BooleanValue>true</BooleanValue></Property></Object>
   </Object>
  </Object>
  <Object Class="CA.SM::Policy" Xid="P1"><Property Name="CA.SM::Policy.Name"><StringValue>everyone</StringValue></Property>
   <Object Class="CA.SM::UserPolicy" Xid="UP1"><Property Name="CA.SM::UserPolicy.UserDirectoryLink"><LinkValue><XREF>D1</XREF></LinkValue></Property>
    <Property Name="CA.SM::UserPolicy.PolicyResolution"><StringValue>All</StringValue></Property></Object>
   <Object Class="CA.SM::PolicyLink" Xid="L1"><Property Name="CA.SM::PolicyLink.RuleLink"><LinkValue><XREF>U1</XREF></LinkValue></Property></Object>
   <Object Class="CA.SM::PolicyLink" Xid="L2"><Property Name="CA.SM::PolicyLink.RuleLink"><LinkValue><XREF>U2</XREF></LinkValue></Property></Object>
   <Object Class="CA.SM::PolicyLink" Xid="L3"><Property Name="CA.SM::PolicyLink.RuleLink"><LinkValue><XREF>U3</XREF></LinkValue></Property></Object>
  </Object>
  <Object Class="CA.SM::Policy" Xid="P2"><Property Name="CA.SM::Policy.Name"><StringValue>sales</StringValue></Property>
   <Object Class="CA.SM::UserPolicy" Xid="UP2"><Property Name="CA.SM::UserPolicy.UserDirectoryLink"><LinkValue><XREF>D1</XREF></LinkValue></Property>
    <Property Name="CA.SM::UserPolicy.FilterPath"><StringValue>(|(ou=sales)(ou=presales))</StringValue></Property>
    <Property Name="CA.SM::UserPolicy.PolicyResolution"><StringValue>UserProp</StringValue></Property></Object>
   <Object Class="CA.SM::PolicyLink" Xid="L4"><Property Name="CA.SM::PolicyLink.RuleLink"><LinkValue><XREF>U1</XREF></LinkValue></Property></Object>
  </Object>
 </Object>
</PolicyData></XPSDeployment>"#;

#[test]
fn nested_objects_literal_filters_and_fail_closed_conditions() {
    let import = import(SMALL, &ImportOptions::default()).expect("test input is valid");
    let errors = codes(&import, Level::Error);
    assert!(errors.contains(&"ldap-filter".to_owned()), "{errors:?}");
    assert!(errors.contains(&"rule-condition-untranslated".to_owned()));
    let app = compiled(&import, "app");
    let inner = app
        .app()
        .realms
        .iter()
        .find(|r| r.name == "inner")
        .expect("test input is valid");
    assert_eq!(
        (inner.prefix.as_str(), inner.parent.as_deref()),
        ("/a*/in/", Some("dom/top"))
    );
    let anyone = Principal {
        kind: sigil_policy::PrincipalKind::User,
        id: "dir:uid=x".into(),
        directories: vec!["dir".into()],
        ..Principal::default()
    };
    let decide = |path: &str| {
        app.decide("GET", path, Some(&anyone), &from("192.0.2.1", 0))
            .expect("test input is valid")
            .decision
    };
    assert_eq!(decide("/a*/page"), Outcome::Allow);
    assert_eq!(
        decide("/a*/in/page"),
        Outcome::Allow,
        "allowed by both realms"
    );
    assert_eq!(
        decide("/ab/page"),
        Outcome::Deny,
        "realm filters are literal"
    );
    // The deny rule's time restriction cannot be read: it denies at all times.
    assert_eq!(decide("/a*/secret-plans"), Outcome::Deny);
    // The untranslatable LDAP filter withholds the sales permit and nothing else.
    assert_eq!(app.app().policies.matches("\npermit (").count(), 2);
}

#[test]
fn broken_exports_are_refused_with_a_reason() {
    let options = ImportOptions::default();
    let truncated = &EXPORT[..EXPORT.len() / 2];
    assert!(matches!(
        import(truncated, &options),
        Err(ParseError::Xml(_))
    ));
    assert!(matches!(
        import("<XPSDeployment/>", &options),
        Err(ParseError::Empty)
    ));
    let small = ImportOptions {
        limits: Limits {
            max_bytes: 1024,
            ..Limits::default()
        },
        ..ImportOptions::default()
    };
    let err = import(EXPORT, &small).expect_err("test input is refused");
    assert!(
        err.to_string().contains("more than the 1024 bytes"),
        "{err}"
    );
    let bad_number = EXPORT.replacen(
        "<NumberValue>1800</NumberValue>",
        "<NumberValue>half an hour</NumberValue>",
        1,
    );
    let err = import(&bad_number, &options).expect_err("test input is refused");
    assert!(
        matches!(err, ParseError::Malformed { line, .. } if line > 100),
        "{err}"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Any cut of the sample, with any character replaced, imports or fails with a reason;
    /// whatever imports compiles.
    #[test]
    fn mangled_exports_never_panic(cut in 0usize..EXPORT.len(), at in 0usize..EXPORT.len(), with in proptest::char::any()) {
        let mut text: String = EXPORT.chars().take(cut).collect();
        if let Some((i, c)) = text.char_indices().nth(at % text.len().max(1)) {
            text.replace_range(i..i + c.len_utf8(), &with.to_string());
        }
        if let Ok(result) = import(&text, &ImportOptions::default()) {
            for app in result.applications {
                CompiledApp::new(app).expect("imported applications compile");
            }
        }
    }
}
