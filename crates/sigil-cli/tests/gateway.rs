//! `sigil import siteminder` and `sigil gateway apps|explain` through the binary: the shared
//! Northwind export imported (dry run, then for real, then again as a new version), decisions
//! explained as JSON, and broken exports refused with nothing saved.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::sigil;
use serde_json::Value;

fn northwind() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sigil-policy/tests/data/northwind-export.xml")
}

fn run_json(data: &Path, args: &[&str]) -> Value {
    let (ok, out, err) = sigil(data, args, None);
    assert!(ok, "sigil {args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

const CORP: &str = "nw-corporate-ldap";
const EMPLOYEES: &str = "nw-corporate-ldap:cn=employees,ou=groups,dc=northwind,dc=example";
const ADMINS: &str = "nw-corporate-ldap:cn=portal-admins,ou=groups,dc=northwind,dc=example";
const HELPDESK: &str = "nw-corporate-ldap:cn=helpdesk,ou=groups,dc=northwind,dc=example";

fn explain(data: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["gateway", "explain", "--app", "nw-portal-agent", "--json"];
    args.extend_from_slice(extra);
    run_json(data, &args)
}

#[test]
fn import_the_northwind_store_and_explain_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let export = northwind();
    let export = export.to_str().unwrap();

    // A dry run reports and saves nothing.
    let report = run_json(
        dir.path(),
        &["import", "siteminder", export, "--dry-run", "--json"],
    );
    assert_eq!(report["imported"], false);
    assert_eq!(report["complete"], true);
    let needs: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["level"] == "needs-input")
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        needs.iter().filter(|c| **c == "agent-host-mapping").count(),
        3
    );
    let active = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "active-response")
        .unwrap();
    assert_eq!(active["level"], "error");
    assert!(
        active["objects"][0]["xid"]
            .as_str()
            .unwrap()
            .starts_with("CA.SM::Response@")
    );
    assert_eq!(report["dashboard"].as_array().unwrap().len(), 3);
    let (ok, out, _) = sigil(dir.path(), &["gateway", "apps"], None);
    assert!(ok && out.is_empty(), "{out}");

    // With an agent map, for real.
    let map = dir.path().join("agents.json");
    std::fs::write(
        &map,
        r#"{"nw-portal-agent": "https://portal.northwind.example", "nw-hr-agent": "https://hr.northwind.example", "nw-claims-farm": "https://claims.northwind.example"}"#,
    )
    .unwrap();
    let map = map.to_str().unwrap();
    let report = run_json(
        dir.path(),
        &["import", "siteminder", export, "--agent-map", map, "--json"],
    );
    assert_eq!(report["imported"], true);
    assert_eq!(report["applications"].as_array().unwrap().len(), 3);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"] != "agent-host-mapping")
    );
    let (ok, out, err) = sigil(dir.path(), &["gateway", "apps"], None);
    assert!(ok, "{err}");
    assert!(
        out.contains("nw-portal-agent") && out.contains("https://portal.northwind.example"),
        "{out}"
    );

    // Decisions.
    let ann = format!("{CORP}:uid=ann,ou=people,dc=northwind,dc=example");
    let d = explain(
        dir.path(),
        &[
            "--method",
            "GET",
            "--path",
            "/portal/home",
            "--user",
            &ann,
            "--groups",
            EMPLOYEES,
            "--attr",
            "mail=ann@nw.example",
        ],
    );
    assert_eq!(d["decision"], "allow", "{d}");
    assert_eq!(d["headers"]["NW_EMAIL"], "ann@nw.example");
    assert_eq!(
        d["headers"]["SM_USERDN"],
        "uid=ann,ou=people,dc=northwind,dc=example"
    );
    assert!(
        d["matched"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "policy"
                && m["id"] == "NW-Employee-Apps/Portal-Employees/Portal-GetPost-All")
    );
    let groups = format!("{EMPLOYEES},{ADMINS}");
    let d = explain(
        dir.path(),
        &[
            "--method",
            "GET",
            "--path",
            "/portal/admin/",
            "--user",
            &ann,
            "--groups",
            &groups,
        ],
    );
    assert_eq!(
        (d["decision"].as_str(), d["required_assurance"].as_u64()),
        (Some("step-up"), Some(15))
    );
    let d = explain(
        dir.path(),
        &[
            "--method",
            "GET",
            "--path",
            "/portal/admin/",
            "--user",
            &ann,
            "--groups",
            &groups,
            "--assurance",
            "15",
        ],
    );
    assert_eq!(d["decision"], "allow");
    let d = explain(
        dir.path(),
        &[
            "--method",
            "GET",
            "--path",
            "/portal/admin/",
            "--user",
            &ann,
            "--groups",
            ADMINS,
            "--assurance",
            "15",
        ],
    );
    assert_eq!(d["decision"], "deny", "nested realms: not an employee");
    let all = format!("{EMPLOYEES},{ADMINS},{HELPDESK}");
    let d = explain(
        dir.path(),
        &[
            "--method",
            "POST",
            "--path",
            "/portal/admin/users/7/delete",
            "--user",
            &ann,
            "--groups",
            &all,
            "--assurance",
            "15",
        ],
    );
    assert_eq!(d["decision"], "deny");
    assert_eq!(
        d["redirect"],
        "https://portal.northwind.example/portal/public/denied.html"
    );
    // A client calling for itself: no imported policy names it, so a protected realm stays
    // shut, and it carries no SiteMinder profile.
    let d = explain(
        dir.path(),
        &[
            "--method",
            "GET",
            "--path",
            "/portal/news",
            "--client",
            "reporting-svc",
        ],
    );
    assert_eq!(d["decision"], "deny", "{d}");
    assert!(d["headers"].get("SM_USER").is_none(), "{d}");
    // Walking around the realm with dot segments is normalised first.
    let d = explain(
        dir.path(),
        &[
            "--method",
            "GET",
            "--path",
            "/portal/public/../admin/",
            "--user",
            &ann,
            "--groups",
            EMPLOYEES,
        ],
    );
    assert_eq!(d["decision"], "deny", "{d}");
    assert!(
        d["matched"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "NW-Employee-Apps/Portal-Admin")
    );
    let d = explain(
        dir.path(),
        &["--method", "GET", "--path", "/portal/public/faq.html"],
    );
    assert_eq!(d["decision"], "public");
    assert_eq!(d["headers"], serde_json::json!({}));
    let (ok, _, err) = sigil(
        dir.path(),
        &[
            "gateway",
            "explain",
            "--app",
            "nw-portal-agent",
            "--method",
            "GET",
            "--path",
            "/portal%2fadmin",
        ],
        None,
    );
    assert!(!ok && err.contains("refuses the path"), "{err}");
    let (ok, _, err) = sigil(
        dir.path(),
        &[
            "gateway", "explain", "--app", "nope", "--method", "GET", "--path", "/",
        ],
        None,
    );
    assert!(!ok && err.contains("not found"), "{err}");

    // Importing again makes new versions.
    let report = run_json(
        dir.path(),
        &["import", "siteminder", export, "--agent-map", map, "--json"],
    );
    assert!(
        report["applications"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["version"] == 2)
    );
}

#[test]
fn broken_exports_import_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(northwind()).unwrap();
    let write = |name: &str, content: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let truncated = write("truncated.xml", &text[..text.len() * 2 / 3]);
    let (ok, _, err) = sigil(dir.path(), &["import", "siteminder", &truncated], None);
    assert!(!ok && err.contains("not well-formed XML"), "{err}");

    let huge = dir.path().join("huge.xml");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(200 * 1024 * 1024)
        .unwrap();
    let (ok, _, err) = sigil(
        dir.path(),
        &["import", "siteminder", huge.to_str().unwrap()],
        None,
    );
    assert!(!ok && err.contains("larger than 64 MiB"), "{err}");

    // Unknown classes and references outside the file: refused unless --partial.
    let unknown = write(
        "unknown.xml",
        &text.replacen(
            "</PolicyData>",
            r#"<Object Class="CA.FED::SAMLSPPartnership" Xid="CA.FED::P@1"/></PolicyData>"#,
            1,
        ),
    );
    let (ok, out, err) = sigil(dir.path(), &["import", "siteminder", &unknown], None);
    assert!(!ok && err.contains("nothing was imported"), "{err}");
    assert!(
        out.contains("[unsupported]") && out.contains("CA.FED::P@1"),
        "{out}"
    );
    let (_, out, _) = sigil(dir.path(), &["gateway", "apps"], None);
    assert!(out.is_empty());
    let report = run_json(
        dir.path(),
        &["import", "siteminder", &unknown, "--partial", "--json"],
    );
    assert_eq!(
        (report["imported"].as_bool(), report["complete"].as_bool()),
        (Some(true), Some(false))
    );

    let bad_map = write("map.json", r#"{"nw-hr-agent": "ftp://hr"}"#);
    let export = northwind();
    let (ok, _, err) = sigil(
        dir.path(),
        &[
            "import",
            "siteminder",
            export.to_str().unwrap(),
            "--agent-map",
            &bad_map,
        ],
        None,
    );
    assert!(!ok && err.contains("not an http(s) URL"), "{err}");
}
