//! How many write statements and write transactions a sign-in and a refresh cost, counted by
//! PostgreSQL itself (`log_statement = mod`, each line prefixed with its virtual transaction
//! id, which every statement of one transaction shares).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::pg::PgServer;
use common::{Server, sigil_with};

/// Write statements and distinct write transactions logged since `from` bytes into the log.
fn writes_since(pg: &PgServer, from: usize) -> (usize, usize) {
    let log = std::fs::read_to_string(pg.dir.join("log")).unwrap();
    let mut statements = 0;
    let mut transactions = BTreeSet::new();
    for line in log[from..].lines() {
        if let Some(rest) = line.strip_prefix("vxid=")
            && let Some((vxid, message)) = rest.split_once(' ')
            && (message.contains("statement: ") || message.contains("execute "))
        {
            statements += 1;
            transactions.insert(vxid.to_owned());
        }
    }
    (statements, transactions.len())
}

fn log_len(pg: &PgServer) -> usize {
    std::fs::metadata(pg.dir.join("log"))
        .map(|m| m.len() as usize)
        .unwrap_or(0)
}

#[tokio::test]
async fn a_sign_in_and_a_refresh_each_write_once() {
    let pg = PgServer::start_with("-c log_statement=mod -c log_line_prefix='vxid=%v '");
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("master.key");
    std::fs::write(
        &key,
        sigil_core::b64url_encode(sigil_core::random::bytes::<32>()),
    )
    .unwrap();
    let global = vec!["--database-url".to_owned(), pg.url()];
    let env = vec![(
        "SIGIL_SECRETS__MASTER_KEY_FILE".to_owned(),
        key.display().to_string(),
    )];
    let (ok, out, err) = sigil_with(
        &global,
        &env,
        &[
            "client",
            "create",
            "--name",
            "web",
            "--redirect-uri",
            "https://app.example/cb",
            "--first-party",
            "--json",
        ],
        None,
    );
    assert!(ok, "{err}");
    let web: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (id, secret) = (
        web["client_id"].as_str().unwrap(),
        web["client_secret"].as_str().unwrap(),
    );
    assert!(
        sigil_with(
            &global,
            &env,
            &["user", "create", "alice", "--password-stdin"],
            Some("a long passphrase\n")
        )
        .0
    );
    let node = Server::start_with(&global, &env, dir.path(), None);
    node.wait_ready().await;
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let verifier = sigil_core::random::secret_token();

    // Authorization request (no session yet) and the sign-in page.
    let mark = log_len(&pg);
    let authorize = format!(
        "{}/authorize?response_type=code&client_id={id}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid%20offline_access&code_challenge={}&code_challenge_method=S256",
        node.base,
        sigil_oidc::pkce::s256(&verifier)
    );
    let res = http.get(&authorize).send().await.unwrap();
    let interaction = res.headers()["location"].to_str().unwrap().to_owned();
    let page = http
        .get(format!("{}{interaction}", node.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = writes_since(&pg, mark);

    // The sign-in.
    let mark = log_len(&pg);
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let res = http
        .post(format!("{}/login", node.base))
        .header("origin", node.base.as_str())
        .form(&[
            ("csrf", csrf),
            ("return_to", &interaction),
            ("username", "alice"),
            ("password", "a long passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let sign_in = writes_since(&pg, mark);

    // Completing the authorization: the interaction becomes a code.
    let mark = log_len(&pg);
    let res = http
        .get(format!("{}{interaction}", node.base))
        .send()
        .await
        .unwrap();
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let completion = writes_since(&pg, mark);

    // Redeeming the code.
    let mark = log_len(&pg);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", "https://app.example/cb"),
        ("code_verifier", &verifier),
    ];
    let res = http
        .post(format!("{}/token", node.base))
        .basic_auth(id, Some(secret))
        .form(&form)
        .send()
        .await
        .unwrap();
    let tokens: serde_json::Value = res.json().await.unwrap();
    let redemption = writes_since(&pg, mark);

    // A refresh.
    let mark = log_len(&pg);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
    ];
    let res = http
        .post(format!("{}/token", node.base))
        .basic_auth(id, Some(secret))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let refresh = writes_since(&pg, mark);
    node.stop();

    eprintln!(
        "write statements / transactions: authorize {start:?}, sign-in {sign_in:?}, completion {completion:?}, \
         redemption {redemption:?}, refresh {refresh:?}"
    );
    assert_eq!(
        start.1, 1,
        "the authorization request stores its interaction"
    );
    assert_eq!(
        sign_in.1, 1,
        "a sign-in is one write transaction (session and its audit event)"
    );
    assert_eq!(
        completion,
        (2, 1),
        "completion: the interaction becomes the code, one transaction"
    );
    assert_eq!(redemption.1, 1, "a redemption is one write transaction");
    assert_eq!(refresh.1, 1, "a refresh is one write transaction");
}
