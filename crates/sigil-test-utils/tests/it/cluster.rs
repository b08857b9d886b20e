//! Three nodes on one PostgreSQL database: requests land on any node, and single-use things
//! stay single-use when 50 requests race for them across the nodes.

use std::collections::BTreeMap;

use sigil_test_utils::browser::query_param;
use sigil_test_utils::cluster::{CLUSTER_ISSUER, TestCluster};
use sigil_test_utils::{PASSWORD, pkce};

const RACERS: usize = 50;

/// Sends `form` to `/token` from `RACERS` concurrent requests spread over the nodes; returns
/// how many answers had each status and error.
async fn race(
    cluster: &TestCluster,
    auth: (&str, &str),
    form: Vec<(&'static str, String)>,
) -> BTreeMap<String, usize> {
    let handles: Vec<_> = (0..RACERS)
        .map(|i| {
            let node = cluster.node(i);
            let req = node
                .http()
                .post(node.url("/token"))
                .basic_auth(auth.0, Some(auth.1))
                .form(&form);
            tokio::spawn(async move {
                let res = req.send().await.unwrap();
                let status = res.status().as_u16();
                let body: serde_json::Value = res.json().await.unwrap();
                format!("{status} {}", body["error"].as_str().unwrap_or("ok"))
            })
        })
        .collect();
    let mut tally = BTreeMap::new();
    for h in handles {
        *tally.entry(h.await.unwrap()).or_insert(0) += 1;
    }
    tally
}

fn one_winner(tally: &BTreeMap<String, usize>) {
    assert_eq!(tally.get("200 ok"), Some(&1), "{tally:?}");
    assert_eq!(
        tally.get("400 invalid_grant"),
        Some(&(RACERS - 1)),
        "{tally:?}"
    );
}

#[tokio::test]
async fn every_flow_works_across_nodes_and_single_use_holds_under_races() {
    let cluster = TestCluster::spawn(3).await;
    let (a, b, c) = (cluster.node(0), cluster.node(1), cluster.node(2));
    a.create_user("alice").await;
    let client = a.web_client().await;
    let secret = client.client_secret.clone().unwrap();
    let auth = (client.client_id.as_str(), secret.as_str());

    // Authorize on A (signing in through the pages), redeem on B, refresh on C.
    let authorize = |challenge: &str| {
        format!(
            "/authorize?response_type=code&client_id={}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid%20offline_access&code_challenge={challenge}&code_challenge_method=S256",
            client.client_id
        )
    };
    let browser = a.browser();
    let (verifier, challenge) = pkce::pair();
    let done = browser
        .authorize(&authorize(&challenge), "alice", PASSWORD)
        .await;
    let loc = done.location().unwrap();
    assert_eq!(query_param(&loc, "iss").as_deref(), Some(CLUSTER_ISSUER));
    let code = query_param(&loc, "code").unwrap();
    let redeem = |code: &str, verifier: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", "https://app.example/cb".to_owned()),
            ("code_verifier", verifier.to_owned()),
        ]
    };
    let (status, tokens, _) = b
        .post_form(
            "/token",
            Some(auth),
            &redeem(&code, &verifier)
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let (status, refreshed, _) = c
        .post_form(
            "/token",
            Some(auth),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");

    // Revoke on A, introspect on B: inactive.
    let access = refreshed["access_token"].as_str().unwrap();
    let (_, body, _) = b
        .post_form("/introspect", Some(auth), &[("token", access)])
        .await;
    assert_eq!(body["active"], true);
    let (status, _, _) = a
        .post_form("/revoke", Some(auth), &[("token", access)])
        .await;
    assert_eq!(status, 200);
    let (_, body, _) = b
        .post_form("/introspect", Some(auth), &[("token", access)])
        .await;
    assert_eq!(body["active"], false, "revoked on A, inactive on B");

    // 50 redemptions of one code, spread over the nodes: one wins, and the replays revoke it.
    let (verifier, challenge) = pkce::pair();
    let code = query_param(
        &browser
            .authorize(&authorize(&challenge), "alice", PASSWORD)
            .await
            .location()
            .unwrap(),
        "code",
    )
    .unwrap();
    one_winner(&race(&cluster, auth, redeem(&code, &verifier)).await);

    // A session ended on one node is over on every node at once (sessions are never cached).
    let (_, challenge) = pkce::pair();
    let silent = format!("{}&prompt=none", authorize(&challenge));
    // Cookies do not depend on the port: the same browser talks to B with A's session cookie.
    assert!(
        browser
            .get(&b.url(&silent))
            .await
            .location()
            .unwrap()
            .contains("code="),
        "signed in, seen from B"
    );
    let account = browser.get("/account").await;
    let out = browser.submit(&account, "/account/logout", &[]).await;
    assert_eq!(out.status, 200);
    let after = browser.get(&b.url(&silent)).await.location().unwrap();
    assert_eq!(
        query_param(&after, "error").as_deref(),
        Some("login_required"),
        "ended on A, gone on B"
    );

    // 50 uses of one refresh token: one rotation wins; the replays revoke the family.
    let (verifier, challenge) = pkce::pair();
    let code = query_param(
        &browser
            .authorize(&authorize(&challenge), "alice", PASSWORD)
            .await
            .location()
            .unwrap(),
        "code",
    )
    .unwrap();
    let (_, fresh, _) = a
        .post_form(
            "/token",
            Some(auth),
            &redeem(&code, &verifier)
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    let rt = fresh["refresh_token"].as_str().unwrap().to_owned();
    one_winner(
        &race(
            &cluster,
            auth,
            vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", rt.clone()),
            ],
        )
        .await,
    );
    let (_, body, _) = c
        .post_form(
            "/introspect",
            Some(auth),
            &[("token", fresh["access_token"].as_str().unwrap())],
        )
        .await;
    assert_eq!(
        body["active"], false,
        "reuse detection revoked the family's tokens"
    );
}

#[tokio::test]
async fn a_device_code_is_redeemed_once_when_polls_race_across_nodes() {
    let cluster = TestCluster::spawn(3).await;
    let (a, b) = (cluster.node(0), cluster.node(1));
    a.create_user("bob").await;
    let device = a
        .create_client(sigil_oidc::admin::NewClient {
            name: "Kiosk".into(),
            grant_types: vec![
                "urn:ietf:params:oauth:grant-type:device_code".into(),
                "refresh_token".into(),
            ],
            ..Default::default()
        })
        .await;
    let secret = device.client_secret.clone().unwrap();
    let auth = (device.client_id.as_str(), secret.as_str());
    let (status, start, _) = a
        .post_form(
            "/device_authorization",
            Some(auth),
            &[("scope", "openid offline_access")],
        )
        .await;
    assert_eq!(status, 200, "{start}");

    // The user approves on node B.
    let browser = b.browser();
    let user_code = start["user_code"].as_str().unwrap();
    let page = browser
        .follow(browser.get(&format!("/device?user_code={user_code}")).await)
        .await;
    let page = browser
        .follow(
            browser
                .submit(
                    &page,
                    "/login",
                    &[("username", "bob"), ("password", PASSWORD)],
                )
                .await,
        )
        .await;
    let done = browser
        .submit(&page, "/device/decide", &[("decision", "approve")])
        .await;
    assert!(done.html.contains("Device connected"), "{}", done.html);

    let poll = vec![
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:device_code".to_owned(),
        ),
        (
            "device_code",
            start["device_code"].as_str().unwrap().to_owned(),
        ),
    ];
    one_winner(&race(&cluster, auth, poll).await);
}

#[tokio::test]
async fn an_idempotency_key_holds_across_nodes_under_racing_retries() {
    let cluster = TestCluster::spawn(2).await;
    let token = cluster
        .node(0)
        .admin_token(&["users:read", "users:write"])
        .await;
    let body = serde_json::json!({"username": "raced", "password": PASSWORD});
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let node = cluster.node(i);
            let req = node
                .http()
                .post(node.url("/api/v1/users"))
                .bearer_auth(&token)
                .header("idempotency-key", "race-1")
                .json(&body);
            tokio::spawn(async move {
                let res = req.send().await.unwrap();
                let status = res.status().as_u16();
                let json: serde_json::Value = res.json().await.unwrap();
                (status, json["id"].as_str().map(str::to_owned))
            })
        })
        .collect();
    let mut created = Vec::new();
    for h in handles {
        match h.await.unwrap() {
            (201, Some(id)) => created.push(id),
            (409, None) => {} // the first was still running: retry later
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert!(!created.is_empty());
    assert!(
        created.iter().all(|id| *id == created[0]),
        "every 201 is the same user"
    );
    // A retry on the other node after the first has finished is a replay.
    let res = cluster
        .node(1)
        .http()
        .post(cluster.node(1).url("/api/v1/users"))
        .bearer_auth(&token)
        .header("idempotency-key", "race-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    let page: serde_json::Value = cluster
        .node(0)
        .http()
        .get(cluster.node(0).url("/api/v1/users"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        1,
        "the user was created once"
    );
}
