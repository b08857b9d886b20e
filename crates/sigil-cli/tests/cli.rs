//! The `sigil` binary as an operator uses it: a running server administered from the command
//! line against the same store, and logs that never carry secrets.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{BIN, Server, free_port, sigil};

async fn client_credentials(base: &str, id: &str, secret: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn administer_a_running_server_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.wait_ready().await;

    let (ok, out, err) = sigil(
        dir.path(),
        &[
            "user",
            "create",
            "alice",
            "--password-stdin",
            "--email",
            "alice@example.com",
            "--name",
            "Alice",
        ],
        Some("a long passphrase\n"),
    );
    assert!(ok, "{err}");
    assert!(out.contains("created user alice"));
    let (ok, _, err) = sigil(
        dir.path(),
        &["user", "create", "ALICE", "--password-stdin"],
        Some("another passphrase\n"),
    );
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = sigil(
        dir.path(),
        &["user", "create", "bob", "--password-stdin"],
        Some("password\n"),
    );
    assert!(
        !ok && err.contains("password"),
        "weak passwords are refused: {err}"
    );

    let (ok, out, err) = sigil(
        dir.path(),
        &[
            "client",
            "create",
            "--name",
            "svc",
            "--grant-type",
            "client_credentials",
            "--scope",
            "api:read",
            "--json",
        ],
        None,
    );
    assert!(ok, "{err}");
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = created["client_id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap();
    assert_eq!(secret.len(), 43);

    // The running server sees the new client within a second or so.
    let deadline = Instant::now() + Duration::from_secs(5);
    let token = loop {
        let res = client_credentials(&server.base, id, secret).await;
        if res.status() == 200 {
            break res.json::<serde_json::Value>().await.unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the server never saw the client: {}",
            res.status()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let (ok, out, _) = sigil(
        dir.path(),
        &["keys", "rotate", "--alg", "ES256", "--json"],
        None,
    );
    assert!(ok);
    let rotated: serde_json::Value = serde_json::from_str(&out).unwrap();
    let pending = rotated
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["state"] == "pending")
        .unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let jwks: serde_json::Value = reqwest::get(format!("{}/jwks", server.base))
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
            Instant::now() < deadline,
            "the rotated key was never published"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (ok, out, _) = sigil(dir.path(), &["keys", "list"], None);
    assert!(
        ok && out.contains("pending") && out.contains("active"),
        "{out}"
    );

    // Client-credentials events are batched and written within a second.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (ok, out, _) = sigil(dir.path(), &["audit", "list", "--json"], None);
        assert!(ok);
        let kinds: Vec<String> = out
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let missing: Vec<&str> = [
            "user.created",
            "client.created",
            "key.created",
            "token.issued",
        ]
        .into_iter()
        .filter(|k| !kinds.iter().any(|x| x == k))
        .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{missing:?} missing from {kinds:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let logs = server.stop();
    assert!(
        logs.contains("Sigil is ready") && logs.contains("Sigil stopped"),
        "graceful stop: {logs}"
    );
    for secret_text in [
        secret,
        token["access_token"].as_str().unwrap(),
        "a long passphrase",
    ] {
        assert!(!logs.contains(secret_text), "a secret reached the logs");
    }
}

#[tokio::test]
async fn tenants_and_data_dir_selection() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = sigil(
        dir.path(),
        &["tenant", "create", "acme", "--name", "Acme"],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("/t/acme"));
    let (ok, out, _) = sigil(dir.path(), &["tenant", "list"], None);
    assert!(ok && out.contains("default") && out.contains("acme"));
    let (ok, _, err) = sigil(
        dir.path(),
        &[
            "--tenant",
            "acme",
            "client",
            "create",
            "--name",
            "x",
            "--redirect-uri",
            "http://example.com/cb",
        ],
        None,
    );
    assert!(
        !ok && err.contains("loopback"),
        "plain http redirect URIs are refused: {err}"
    );
    let (ok, _, _) = sigil(
        dir.path(),
        &[
            "--tenant",
            "acme",
            "client",
            "create",
            "--name",
            "x",
            "--redirect-uri",
            "https://example.com/cb",
        ],
        None,
    );
    assert!(ok);
    let (_, default_clients, _) = sigil(dir.path(), &["client", "list"], None);
    let (_, acme_clients, _) = sigil(dir.path(), &["--tenant", "acme", "client", "list"], None);
    assert!(default_clients.trim().is_empty() && acme_clients.contains("client_secret_basic"));
    let (ok, _, err) = sigil(dir.path(), &["--tenant", "nope", "client", "list"], None);
    assert!(!ok && err.contains("tenant nope does not exist"), "{err}");
    let (ok, _, err) = sigil(
        dir.path(),
        &["--tenant", "Bad Tenant", "client", "list"],
        None,
    );
    assert!(!ok && err.contains("tenant"));
    assert!(dir.path().join("sigil.db").exists() && dir.path().join("master.key").exists());
}

#[tokio::test]
async fn configuration_file_and_environment_are_layered() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("sigil.toml");
    std::fs::write(
        &config,
        format!("[server]\nlisten = \"127.0.0.1:{port}\"\nissuer = \"http://file.example\"\n[tokens]\naccess_token_ttl = 120\n"),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path().join("log")).unwrap();
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path())
        .arg("serve")
        .env("SIGIL_SERVER__ISSUER", "http://env.example")
        .stderr(log)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let meta: serde_json::Value = loop {
        if let Ok(res) = reqwest::get(format!("{base}/.well-known/openid-configuration")).await {
            break res.json().await.unwrap();
        }
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(
        meta["issuer"], "http://env.example",
        "the environment overrides the file, which set the port"
    );

    let (ok, _, err) = sigil(
        dir.path(),
        &["--config", "/no/such/file.toml", "keys", "list"],
        None,
    );
    assert!(!ok && err.contains("does not exist"), "{err}");
    std::fs::write(&config, "[server]\nno_such_option = 1\n").unwrap();
    let (ok, _, err) = sigil(
        dir.path(),
        &["--config", config.to_str().unwrap(), "keys", "list"],
        None,
    );
    assert!(
        !ok && err.contains("no_such_option"),
        "unknown options are refused: {err}"
    );
}

#[tokio::test]
async fn users_and_an_admin_client_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: Option<&str>| {
        let (ok, out, err) = sigil(dir.path(), args, stdin);
        assert!(ok, "sigil {args:?}: {err}");
        out
    };
    for name in ["grace", "alan"] {
        run(
            &[
                "user",
                "create",
                name,
                "--password-stdin",
                "--email",
                &format!("{name}@example.com"),
            ],
            Some("a long passphrase\n"),
        );
    }
    let listed = run(&["user", "list"], None);
    let names: Vec<&str> = listed
        .lines()
        .map(|l| l.split('\t').nth(1).unwrap())
        .collect();
    assert_eq!(names, ["alan", "grace"]);

    let updated: serde_json::Value = serde_json::from_str(&run(
        &[
            "user",
            "update",
            "grace",
            "--name",
            "Grace Hopper",
            "--email",
            "",
            "--disable",
            "--json",
        ],
        None,
    ))
    .unwrap();
    assert_eq!(updated["name"], "Grace Hopper");
    assert_eq!(updated["email"], serde_json::Value::Null);
    assert_eq!(updated["disabled"], true);
    let id = updated["id"].as_str().unwrap().to_owned();
    let (ok, _, err) = sigil(
        dir.path(),
        &["user", "set-password", &id, "--password-stdin"],
        Some("short\n"),
    );
    assert!(!ok && err.contains("password"), "{err}");
    assert!(
        run(
            &["user", "set-password", &id, "--password-stdin"],
            Some("a new long passphrase\n")
        )
        .contains("password set")
    );
    assert!(run(&["user", "delete", "alan"], None).contains("deleted user alan"));
    let (ok, _, err) = sigil(dir.path(), &["user", "delete", "alan"], None);
    assert!(!ok && err.contains("not found"), "{err}");

    // An admin client's token works on the management API.
    let admin: serde_json::Value = serde_json::from_str(&run(
        &[
            "client",
            "create",
            "--name",
            "terraform",
            "--admin",
            "--json",
        ],
        None,
    ))
    .unwrap();
    assert!(admin["scope"].as_str().unwrap().contains("users:write"));
    let server = Server::start(dir.path());
    server.wait_ready().await;
    let token: serde_json::Value = client_credentials(
        &server.base,
        admin["client_id"].as_str().unwrap(),
        admin["client_secret"].as_str().unwrap(),
    )
    .await
    .json()
    .await
    .unwrap();
    let page: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/users", server.base))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["id"], id.as_str());
    assert_eq!(page["items"][0]["disabled"], true);
    server.stop();
}

#[test]
fn groups_and_clients_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let (ok, out, err) = sigil(dir.path(), args, None);
        assert!(ok, "sigil {args:?}: {err}");
        out
    };
    run(&["user", "create", "ada"]);
    let group: serde_json::Value =
        serde_json::from_str(&run(&["group", "create", "Engineering", "--json"])).unwrap();
    assert_eq!(group["name"], "Engineering");
    assert!(run(&["group", "add-member", "engineering", "ada"]).contains("added"));
    assert!(run(&["group", "add-member", "Engineering", "ada"]).contains("already"));
    let members: serde_json::Value =
        serde_json::from_str(&run(&["group", "members", "Engineering", "--json"])).unwrap();
    assert_eq!(members["username"], "ada");
    run(&["group", "remove-member", "Engineering", "ada"]);
    assert_eq!(run(&["group", "members", "Engineering"]), "");
    run(&["group", "delete", group["id"].as_str().unwrap()]);
    assert_eq!(run(&["group", "list"]), "");
    let (ok, _, err) = sigil(dir.path(), &["group", "delete", "Engineering"], None);
    assert!(!ok && err.contains("not found"), "{err}");

    // Clients: registered, rotated (the new secret differs), disabled and deleted.
    let created: serde_json::Value = serde_json::from_str(&run(&[
        "client",
        "create",
        "--name",
        "Batch",
        "--grant-type",
        "client_credentials",
        "--json",
    ]))
    .unwrap();
    let id = created["client_id"].as_str().unwrap();
    let rotated: serde_json::Value =
        serde_json::from_str(&run(&["client", "rotate-secret", id, "--json"])).unwrap();
    assert_ne!(rotated["client_secret"], created["client_secret"]);
    run(&["client", "disable", id]);
    let listed: serde_json::Value =
        serde_json::from_str(&run(&["client", "list", "--json"])).unwrap();
    assert_eq!(listed[0]["disabled"], true);
    run(&["client", "delete", id]);
    let listed: serde_json::Value =
        serde_json::from_str(&run(&["client", "list", "--json"])).unwrap();
    assert_eq!(listed, serde_json::json!([]));

    // A client that hears of sign-outs, over both channels; a front-channel page elsewhere
    // than its redirect URIs is refused.
    let listening: serde_json::Value = serde_json::from_str(&run(&[
        "client",
        "create",
        "--name",
        "Portal",
        "--redirect-uri",
        "https://portal.example/cb",
        "--backchannel-logout-uri",
        "https://portal.example/logout/back",
        "--frontchannel-logout-uri",
        "https://portal.example/logout/front",
        "--json",
    ]))
    .unwrap();
    assert_eq!(
        listening["backchannel_logout_uri"],
        "https://portal.example/logout/back"
    );
    assert_eq!(
        listening["frontchannel_logout_uri"],
        "https://portal.example/logout/front"
    );
    assert_eq!(listening["frontchannel_logout_session_required"], true);
    let (ok, _, err) = sigil(
        dir.path(),
        &[
            "client",
            "create",
            "--name",
            "Elsewhere",
            "--redirect-uri",
            "https://portal.example/cb",
            "--frontchannel-logout-uri",
            "https://evil.example/front",
        ],
        None,
    );
    assert!(!ok && err.contains("front-channel logout URI"), "{err}");
}

#[tokio::test]
async fn a_provisioning_token_from_the_command_line_opens_scim() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.wait_ready().await;
    let run = |args: &[&str]| {
        let (ok, out, err) = sigil(dir.path(), args, None);
        assert!(ok, "sigil {args:?}: {err}");
        out
    };
    let created: serde_json::Value = serde_json::from_str(&run(&[
        "scim", "token", "create", "--name", "Workday", "--json",
    ]))
    .unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    let listed = run(&["scim", "token", "list"]);
    assert!(
        listed.contains("Workday") && !listed.contains(&token),
        "{listed}"
    );

    let http = reqwest::Client::new();
    let users = format!("{}/scim/v2/Users", server.base);
    let res = http
        .post(&users)
        .bearer_auth(&token)
        .header("content-type", "application/scim+json")
        .body(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"hedy"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert!(run(&["user", "list"]).contains("hedy"));

    run(&["scim", "token", "delete", created["id"].as_str().unwrap()]);
    let res = http.get(&users).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 401);
    server.stop();
}

#[test]
fn credentials_from_the_command_line_take_ids_that_begin_with_a_hyphen() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = sigil(
        dir.path(),
        &["user", "create", "ada", "--email", "ada@example.com"],
        None,
    );
    assert!(ok, "{err}");
    let (ok, out, err) = sigil(
        dir.path(),
        &[
            "credentials",
            "offer",
            "--type",
            "employee",
            "--user",
            "ada",
            "--json",
        ],
        None,
    );
    assert!(ok, "{err}");
    let offer: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        offer["credential_offer_uri"]
            .as_str()
            .unwrap()
            .starts_with("openid-credential-offer://")
    );
    // Random ids are base64url and may begin with '-': they are ids, not options.
    for args in [
        vec!["credentials", "revoke", "-AbCdEf"],
        vec!["verifier", "result", "-AbCdEf", "--json"],
    ] {
        let (ok, _, err) = sigil(dir.path(), &args, None);
        assert!(
            !ok && !err.contains("unexpected argument"),
            "{args:?}: {err}"
        );
    }
    let id = offer["credential_id"].as_str().unwrap();
    let (ok, out, err) = sigil(dir.path(), &["credentials", "revoke", id], None);
    assert!(ok && out.contains("revoked"), "{err}");
}

#[test]
fn an_operator_brings_the_issuer_ca() {
    use sigil_core::model::SigningAlg;
    use sigil_keys::SigningKey;
    use sigil_keys::x509::{ca_certificate, certificate_pem};

    let dir = tempfile::tempdir().unwrap();
    let (key, pkcs8) = SigningKey::generate(SigningAlg::ES256).unwrap();
    let now = sigil_core::Clock::now(&sigil_core::SystemClock);
    let ca = certificate_pem(&ca_certificate(&key, "Operator CA", now, 365).unwrap());
    let b64 = sigil_core::b64_encode(&pkcs8[..]);
    let body: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let key_pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        body.join("\n")
    );
    let (certs_file, key_file) = (dir.path().join("ca.pem"), dir.path().join("ca.key"));
    std::fs::write(&certs_file, &ca).unwrap();
    std::fs::write(&key_file, &key_pem).unwrap();
    let (certs, key_path) = (certs_file.to_str().unwrap(), key_file.to_str().unwrap());

    // The key file named as the certificates: refused, the generated CA stays.
    let (ok, _, err) = sigil(dir.path(), &["credentials", "issuer-ca"], None);
    assert!(ok, "{err}");
    let (ok, _, err) = sigil(
        dir.path(),
        &["credentials", "import-issuer-ca", key_path, key_path],
        None,
    );
    assert!(!ok && err.contains("CERTIFICATE"), "{err}");
    let (ok, out, err) = sigil(
        dir.path(),
        &["credentials", "import-issuer-ca", certs, key_path],
        None,
    );
    assert!(ok && out.contains("imported"), "{err}");
    let (_, printed, _) = sigil(dir.path(), &["credentials", "issuer-ca"], None);
    assert_eq!(
        printed, ca,
        "the CA verifiers are to trust is the operator's"
    );
}
