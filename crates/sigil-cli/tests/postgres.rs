//! Sigil on PostgreSQL, as an operator runs it: a shared master key, migrations, and three
//! nodes on one database where each step of a flow lands on a different node.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::deployment::Deployment;
use common::flow::{browser, finish, redeem, sign_in, token};
use common::{Server, sigil_with};

/// A database of its own for one test, dropped at the end.
struct Database {
    name: String,
    url: String,
}

impl Database {
    async fn create() -> Database {
        let (name, url) = sigil_store_sql::testing::create_database().await;
        Database { name, url }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        sigil_store_sql::testing::drop_blocking(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

async fn post(
    base: &str,
    path: &str,
    auth: (&str, &str),
    form: &[(&str, &str)],
) -> serde_json::Value {
    let res = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .basic_auth(auth.0, Some(auth.1))
        .form(form)
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}

#[tokio::test]
async fn three_nodes_on_one_postgres_serve_as_one() {
    let db = Database::create().await;
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = sigil_with(
        &["--database-url".to_owned(), db.url.clone()],
        &[],
        &["migrate"],
        None,
    );
    assert!(
        !ok && err.contains("master_key_file"),
        "PostgreSQL needs a shared master key: {err}"
    );
    let deployment = Deployment::on_postgres(db.url.clone(), dir.path());
    let out = deployment.run(&["migrate"], None);
    assert!(out.as_str().unwrap().contains("migrations applied"));
    let svc = deployment.service_client("svc");
    let auth = (svc.0.as_str(), svc.1.as_str());
    let web = deployment.web_client();
    let web_auth = (web.0.as_str(), web.1.as_str());
    deployment.user("alice");

    // Three nodes behind one (imaginary) load balancer: one issuer.
    let nodes: Vec<Server> = (0..3)
        .map(|_| deployment.node(dir.path(), &[], Some("http://sigil.test")))
        .collect();
    for node in &nodes {
        node.wait_ready().await;
    }
    let [a, b, c] = &nodes[..] else {
        unreachable!()
    };

    // Authorize on A, redeem the code on B, refresh on C, revoke on A, introspect on B.
    let http = browser();
    let interaction = sign_in(&http, a, web_auth.0, "alice", "openid offline_access").await;
    let code = finish(&http, a, &interaction).await;
    let res = redeem(b, web_auth, &code).await;
    assert_eq!(res.status(), 200, "a code issued on A redeems on B");
    let issued: serde_json::Value = res.json().await.unwrap();
    let res = token(
        c,
        web_auth,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", issued["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(res.status(), 200, "B's refresh token rotates on C");
    let rotated: serde_json::Value = res.json().await.unwrap();
    let refresh = rotated["refresh_token"].as_str().unwrap();
    let revoked = reqwest::Client::new()
        .post(format!("{}/revoke", a.base))
        .basic_auth(web_auth.0, Some(web_auth.1))
        .form(&[("token", refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(
        post(&b.base, "/introspect", web_auth, &[("token", refresh)]).await["active"],
        false,
        "C's refresh token, revoked on A, is inactive on B"
    );
    let res = token(
        c,
        web_auth,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_grant"
    );

    let token = post(
        &a.base,
        "/token",
        auth,
        &[("grant_type", "client_credentials")],
    )
    .await;
    let access = token["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{token}"))
        .to_owned();
    assert_eq!(
        post(&b.base, "/introspect", auth, &[("token", &access)]).await["active"],
        true,
        "node B knows A's keys"
    );
    let revoked = reqwest::Client::new()
        .post(format!("{}/revoke", b.base))
        .basic_auth(auth.0, Some(auth.1))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(
        post(&a.base, "/introspect", auth, &[("token", &access)]).await["active"],
        false,
        "revoked on B, inactive on A"
    );

    // A client registered from the command line works on every node within a second.
    let late = deployment.service_client("late");
    let late_auth = (late.0.as_str(), late.1.as_str());
    let created_at = Instant::now();
    for node in &nodes {
        loop {
            let token = post(
                &node.base,
                "/token",
                late_auth,
                &[("grant_type", "client_credentials")],
            )
            .await;
            if token["access_token"].is_string() {
                break;
            }
            assert!(
                created_at.elapsed() < Duration::from_secs(1),
                "{} did not see the new client within a second: {token}",
                node.base
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    // A key rotated from the command line shows up on every node within a second.
    let rotated = deployment.run(&["keys", "rotate", "--alg", "ES256", "--json"], None);
    let pending = rotated
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["state"] == "pending")
        .unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated_at = Instant::now();
    for node in &nodes {
        loop {
            let jwks: serde_json::Value = reqwest::get(format!("{}/jwks", node.base))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kid"] == pending.as_str())
            {
                break;
            }
            assert!(
                rotated_at.elapsed() < Duration::from_secs(1),
                "{} did not publish the rotated key within a second",
                node.base
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    for node in nodes {
        node.stop();
    }
}

#[tokio::test]
async fn store_copy_moves_an_embedded_deployment_into_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let lite = vec!["--data-dir".to_owned(), dir.path().display().to_string()];
    let (ok, _, err) = sigil_with(
        &lite,
        &[],
        &["user", "create", "alice", "--password-stdin"],
        Some("a long passphrase\n"),
    );
    assert!(ok, "{err}");
    let (ok, out, _) = sigil_with(
        &lite,
        &[],
        &[
            "client",
            "create",
            "--name",
            "svc",
            "--grant-type",
            "client_credentials",
            "--scope",
            "api",
            "--json",
        ],
        None,
    );
    assert!(ok);
    let svc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (ok, out, _) = sigil_with(
        &lite,
        &[],
        &["keys", "rotate", "--activate-after", "0", "--json"],
        None,
    );
    assert!(ok);
    let keys: serde_json::Value = serde_json::from_str(&out).unwrap();
    let kids: Vec<String> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();

    let db = Database::create().await;
    let from = format!("sqlite://{}", dir.path().join("sigil.db").display());
    let (ok, out, err) = sigil_with(
        &[],
        &[],
        &["store", "copy", "--from", &from, "--to", &db.url],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("users") && out.contains("verified"), "{out}");
    let (ok, _, err) = sigil_with(
        &[],
        &[],
        &["store", "copy", "--from", &from, "--to", &db.url],
        None,
    );
    assert!(
        !ok && err.contains("--force"),
        "a non-empty target is refused: {err}"
    );
    let (ok, _, err) = sigil_with(
        &[],
        &[],
        &["store", "copy", "--from", &from, "--to", &db.url, "--force"],
        None,
    );
    assert!(ok, "{err}");

    // A PostgreSQL node with the source's master key serves the same deployment.
    let env = vec![(
        "SIGIL_SECRETS__MASTER_KEY_FILE".to_owned(),
        dir.path().join("master.key").display().to_string(),
    )];
    let node = Server::start_with(
        &["--database-url".to_owned(), db.url.clone()],
        &env,
        dir.path(),
        None,
    );
    node.wait_ready().await;
    let token = post(
        &node.base,
        "/token",
        (
            svc["client_id"].as_str().unwrap(),
            svc["client_secret"].as_str().unwrap(),
        ),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert!(token["access_token"].is_string(), "{token}");
    let jwks: serde_json::Value = reqwest::get(format!("{}/jwks", node.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for kid in &kids {
        assert!(
            jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kid"] == kid.as_str()),
            "key {kid} was copied"
        );
    }
    let (ok, out, _) = sigil_with(
        &["--database-url".to_owned(), db.url.clone()],
        &env,
        &["user", "create", "alice", "--password-stdin"],
        Some("another passphrase\n"),
    );
    assert!(!ok, "alice came along: {out}");
    node.stop();
}

#[tokio::test]
async fn seeded_data_is_usable() {
    let db = Database::create().await;
    let dir = tempfile::tempdir().unwrap();
    let deployment = Deployment::on_postgres(db.url.clone(), dir.path());
    let out = deployment.run(
        &[
            "store",
            "seed",
            "--users",
            "100",
            "--clients",
            "10",
            "--refresh-tokens",
            "50",
        ],
        None,
    );
    assert!(out.as_str().unwrap().contains("seeded 100 users"), "{out}");
    let node = deployment.node(dir.path(), &[], None);
    node.wait_ready().await;
    let cc = post(
        &node.base,
        "/token",
        ("seed-client-1", "seed-secret-1"),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert!(cc["access_token"].is_string(), "{cc}");
    // Token 5 is the live one of family 1, which belongs to seed-client-2.
    let refreshed = post(
        &node.base,
        "/token",
        ("seed-client-2", "seed-secret-2"),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "seed-rt-5"),
        ],
    )
    .await;
    assert!(refreshed["refresh_token"].is_string(), "{refreshed}");
    let rotated_away = post(
        &node.base,
        "/token",
        ("seed-client-3", "seed-secret-3"),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "seed-rt-9"),
        ],
    )
    .await;
    assert_eq!(
        rotated_away["error"], "invalid_grant",
        "seed-rt-9 was rotated away"
    );
    node.stop();
}
