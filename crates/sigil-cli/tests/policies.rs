//! `sigil client sign-on-policy …` and `sigil gateway serve` through the binary: a policy
//! saved, shown, explained for a member and a stranger, refused when it is not about signing
//! in, and removed; a gateway process that serves an imported application (public routes
//! forwarded, API clients challenged) and refuses to start for an unknown one.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, free_port, sigil};
use serde_json::Value;

fn run_json(data: &Path, args: &[&str]) -> Value {
    let (ok, out, err) = sigil(data, args, None);
    assert!(ok, "sigil {args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn run_ok(data: &Path, args: &[&str], stdin: Option<&str>) {
    let (ok, _, err) = sigil(data, args, stdin);
    assert!(ok, "sigil {args:?}: {err}");
}

#[test]
fn sign_on_policies_are_set_explained_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    for user in ["ann", "bob"] {
        run_ok(
            data,
            &["user", "create", user, "--password-stdin"],
            Some("correct horse battery staple\n"),
        );
    }
    run_ok(data, &["group", "create", "staff"], None);
    run_ok(data, &["group", "add-member", "staff", "ann"], None);
    let client = run_json(
        data,
        &[
            "client",
            "create",
            "--name",
            "Payroll",
            "--redirect-uri",
            "https://payroll.example/cb",
            "--json",
        ],
    );
    let client = client["client_id"].as_str().unwrap().to_owned();
    let file = data.join("payroll.cedar");
    std::fs::write(
        &file,
        format!("@id(\"staff\")\npermit (principal in Sigil::Group::\"staff\", action, resource == Sigil::Client::\"{client}\");\n"),
    )
    .unwrap();
    let policies = file.to_str().unwrap();
    let sign_on = |rest: &[&str]| {
        let mut args = vec!["client", "sign-on-policy"];
        args.extend_from_slice(rest);
        args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()
    };
    let args = sign_on(&[
        "set",
        &client,
        "--policies",
        policies,
        "--assurance",
        "1",
        "--json",
    ]);
    let saved = run_json(data, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(saved["version"], 1);
    let args = sign_on(&["show", &client, "--json"]);
    let shown = run_json(data, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(shown["policy"]["assurance"], 1);

    let explain = |user: &str, acr: Option<&str>| {
        let mut args = sign_on(&["explain", &client, "--user", user, "--json"]);
        if let Some(acr) = acr {
            args.extend(["--acr".to_owned(), acr.to_owned()]);
        }
        run_json(data, &args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let ann = explain("ann", None);
    assert_eq!(
        (ann["decision"].as_str(), ann["policies"][0].as_str()),
        (Some("allow"), Some("staff"))
    );
    assert_eq!(explain("bob", None)["decision"], "deny");
    assert_eq!(
        explain("ann", Some("urn:example:unknown"))["decision"],
        "step-up"
    );

    std::fs::write(
        &file,
        "@id(\"x\") permit (principal, action == Sigil::Action::\"GET\", resource);\n",
    )
    .unwrap();
    let args = sign_on(&["set", &client, "--policies", policies]);
    let (ok, _, err) = sigil(
        data,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        None,
    );
    assert!(!ok && err.contains("not about signing in"), "{err}");

    let args = sign_on(&["delete", &client]);
    run_ok(
        data,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        None,
    );
    // Without a policy anyone may sign in, as the authorization endpoint lets them.
    let bob = explain("bob", None);
    assert_eq!(bob["decision"], "allow");
    assert!(
        bob["reason"]
            .as_str()
            .unwrap()
            .contains("no sign-on policy"),
        "{bob}"
    );
}

#[tokio::test]
async fn the_gateway_serves_an_imported_application() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let export = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sigil-policy/tests/data/northwind-export.xml");
    // An upstream nobody listens on: forwarded requests get 502, which proves they were.
    let agents = data.join("agents.json");
    std::fs::write(
        &agents,
        format!(
            "{{\"nw-portal-agent\": \"http://127.0.0.1:{}\"}}",
            free_port()
        ),
    )
    .unwrap();
    run_ok(
        data,
        &[
            "import",
            "siteminder",
            export.to_str().unwrap(),
            "--agent-map",
            agents.to_str().unwrap(),
        ],
        None,
    );

    let (ok, _, err) = sigil(
        data,
        &[
            "gateway",
            "serve",
            "--app",
            "nope",
            "--client-id",
            "x",
            "--listen",
            "127.0.0.1:0",
        ],
        None,
    );
    assert!(!ok && err.contains("application"), "{err}");

    let port = free_port();
    let mut gateway = Command::new(BIN)
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "gateway",
            "serve",
            "--app",
            "nw-portal-agent",
        ])
        .args([
            "--client-id",
            "portal-gateway",
            "--issuer",
            "http://127.0.0.1:9",
        ])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let public = loop {
        match http
            .get(format!("{base}/portal/public/index.html"))
            .send()
            .await
        {
            Ok(response) => break response,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("the gateway did not start: {e}"),
        }
    };
    assert_eq!(
        public.status(),
        502,
        "a public route is forwarded without sign-in"
    );
    let api = http
        .get(format!("{base}/portal/news"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);
    assert_eq!(
        api.headers()["www-authenticate"],
        "Bearer realm=\"nw-portal-agent\""
    );
    gateway.kill().unwrap();
    gateway.wait().unwrap();
}
