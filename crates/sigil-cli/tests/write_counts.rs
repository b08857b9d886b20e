//! How many write statements and write transactions a sign-in and a refresh cost, counted by
//! PostgreSQL itself (`log_statement = mod`, each line prefixed with its virtual transaction
//! id, which every statement of one transaction shares).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::deployment::Deployment;
use common::flow::{begin, browser, finish, login_form, redeem, token};
use common::pg::PgServer;

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
    let deployment = Deployment::on_postgres(pg.url(), dir.path());
    let web = deployment.web_client();
    let auth = (web.0.as_str(), web.1.as_str());
    deployment.user("alice");
    let node = deployment.node(dir.path(), &[], None);
    node.wait_ready().await;
    let http = browser();

    // Authorization request (no session yet) and the sign-in page.
    let mark = log_len(&pg);
    let (interaction, csrf) = begin(&http, &node, auth.0, "openid offline_access").await;
    let start = writes_since(&pg, mark);

    // The sign-in.
    let mark = log_len(&pg);
    let res = http
        .post(format!("{}/login", node.base))
        .header("origin", node.issuer.as_str())
        .form(&login_form(csrf, interaction.clone(), "alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let sign_in = writes_since(&pg, mark);

    // Completing the authorization: the interaction becomes a code.
    let mark = log_len(&pg);
    let code = finish(&http, &node, &interaction).await;
    let completion = writes_since(&pg, mark);

    // Redeeming the code.
    let mark = log_len(&pg);
    let tokens: serde_json::Value = redeem(&node, auth, &code).await.json().await.unwrap();
    let redemption = writes_since(&pg, mark);

    // A refresh.
    let mark = log_len(&pg);
    let res = token(
        &node,
        auth,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
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
