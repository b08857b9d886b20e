//! Gateway applications through the management API: the Northwind export imported through
//! the provider, read back, dry-run decisions with their determining policies, a policy edit
//! saved as a new version, and policies that do not validate refused with nothing saved.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sigil_policy::siteminder::{ImportOptions, import};
use sigil_test_utils::TestApp;

use super::api::call;

const EXPORT: &str = include_str!("../../../sigil-policy/tests/data/northwind-export.xml");
const EMPLOYEES: &str = "nw-corporate-ldap:cn=employees,ou=groups,dc=northwind,dc=example";
const ADMINS: &str = "nw-corporate-ldap:cn=portal-admins,ou=groups,dc=northwind,dc=example";
const ANN: &str = "nw-corporate-ldap:uid=ann,ou=people,dc=northwind,dc=example";

#[tokio::test]
async fn applications_are_read_evaluated_and_saved_through_the_api() {
    let app = TestApp::spawn().await;
    let imported = import(EXPORT, &ImportOptions::default()).unwrap();
    app.provider
        .save_access_apps(
            &app.provider.tenant_ctx(&app.tenant()),
            "test",
            &imported.applications,
        )
        .await
        .unwrap();
    let token = app.admin_token(&["policies:read", "policies:write"]).await;
    let get = |path: &'static str| call(&app, &token, Method::GET, path, None, &[]);

    let (status, _, list) = get("/gateway/apps").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["nw-claims-farm", "nw-hr-agent", "nw-portal-agent"]);
    let (status, _, portal) = get("/gateway/apps/nw-portal-agent").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(portal["version"], 1);
    assert!(
        portal["application"]["policies"]
            .as_str()
            .unwrap()
            .contains("@id(\"NW-Employee-Apps/Portal-Admins/Admin-Console\")")
    );
    assert_eq!(get("/gateway/apps/nope").await.0, StatusCode::NOT_FOUND);

    let evaluate = |body: Value| {
        call(
            &app,
            &token,
            Method::POST,
            "/gateway/apps/nw-portal-agent/evaluate",
            Some(body),
            &[],
        )
    };
    let (status, _, d) = evaluate(json!({
        "method": "GET", "path": "/portal/admin/", "user": ANN,
        "groups": [EMPLOYEES, ADMINS], "assurance": 15, "attributes": {"mail": "ann@nw.example"}
    }))
    .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["decision"], "allow");
    assert_eq!(d["headers"]["NW_EMAIL"], "ann@nw.example");
    let policies: Vec<&str> = d["matched"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "policy")
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        policies,
        [
            "NW-Employee-Apps/Portal-Employees/Portal-GetPost-All",
            "NW-Employee-Apps/Portal-Admins/Admin-Console"
        ]
    );
    let (_, _, d) = evaluate(json!({"method": "GET", "path": "/portal/admin/", "user": ANN, "groups": [EMPLOYEES, ADMINS]})).await;
    assert_eq!(
        (d["decision"].as_str(), d["required_assurance"].as_u64()),
        (Some("step-up"), Some(15))
    );
    let (status, _, problem) = evaluate(json!({"method": "GET", "path": "/portal%2fadmin"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _, _) = evaluate(json!({"method": "GET", "path": "/", "ip": "not-an-ip"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = evaluate(json!({"method": "GET", "path": "/", "surprise": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // An edit: the admins' console is forbidden to contractors; a new version.
    let mut edited = portal["application"].clone();
    let policies = format!(
        "{}@id(\"no-contractors\")\nforbid (principal, action, resource == Sigil::Realm::\"NW-Employee-Apps/Portal-Admin\")\nwhen {{ principal has \"employeeType\" && principal[\"employeeType\"] == \"contractor\" }};\n",
        edited["policies"].as_str().unwrap()
    );
    edited["policies"] = json!(policies);
    edited["user_attributes"] = json!(["employeeType"]);
    let (status, _, saved) = call(
        &app,
        &token,
        Method::PUT,
        "/gateway/apps/nw-portal-agent",
        Some(edited.clone()),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 2);
    let (_, _, d) = evaluate(json!({
        "method": "GET", "path": "/portal/admin/", "user": ANN, "groups": [EMPLOYEES, ADMINS],
        "assurance": 15, "attributes": {"employeeType": "contractor"}
    }))
    .await;
    assert_eq!(d["decision"], "deny");
    assert!(
        d["matched"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "no-contractors")
    );

    // Policies that do not validate (reading an undeclared attribute) are refused; nothing
    // changes.
    let unguarded = policies.replace("principal has \"employeeType\" && ", "");
    edited["policies"] = json!(unguarded);
    edited["user_attributes"] = json!([]);
    let (status, _, problem) = call(
        &app,
        &token,
        Method::PUT,
        "/gateway/apps/nw-portal-agent",
        Some(edited),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(get("/gateway/apps/nw-portal-agent").await.2["version"], 2);

    // Reading needs policies:read.
    let other = app.admin_token(&["users:read"]).await;
    let (status, _, _) = call(&app, &other, Method::GET, "/gateway/apps", None, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
