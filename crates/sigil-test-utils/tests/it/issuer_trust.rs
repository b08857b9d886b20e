//! How a verifier comes to trust an issuer's key: credentials and status lists that Sigil
//! signs with an `x5c` from its issuer CA, accepted by a verifier holding that CA as a trust
//! anchor (and by no other); and issuers that are DIDs (`did:jwk`, `did:key`, `did:web`),
//! whose keys come from the identifier or the DID document.

use serde_json::{Map, Value, json};
use sigil_core::model::SigningAlg;
use sigil_keys::x509::certificate_pem;
use sigil_keys::{JwsHeader, SigningKey};
use sigil_oidc::presentations::CreatedRequest;
use sigil_test_utils::{TestApp, jwt_header};
use sigil_vc::verifier::{ClientIdPrefix, ResponseMode};
use tokio::net::TcpListener;

use super::credentials::{holder, issue};

/// A tenant issuing with `x5c`, with a `holder` user.
async fn x5c_app() -> TestApp {
    let app = TestApp::spawn_with(|c| {
        c.credentials.status_list_ttl = 0;
        c.credentials.x5c = true;
    })
    .await;
    app.create_user("holder").await;
    app
}

/// Defines verifier `id`, asking for the employee credential's name.
async fn define_verifier(app: &TestApp, id: &str, trust: Value) {
    let t = app.provider.tenant_ctx(&app.tenant());
    let mut doc = json!({"name": id, "dcql_query": {"credentials": [{"id": "employee",
        "format": "dc+sd-jwt", "meta": {"vct_values": [app.url("/vct/employee")]},
        "claims": [{"path": ["name"]}]}]}});
    for (k, v) in trust.as_object().unwrap() {
        doc[k] = v.clone();
    }
    app.provider
        .save_verifier(&t, "test", id, doc)
        .await
        .unwrap();
}

/// Presents `credential` (disclosing `name`) to a new request of `verifier`: its outcome.
async fn present_to(app: &TestApp, verifier: &str, credential: &str, key: &SigningKey) -> Value {
    let t = app.provider.tenant_ctx(&app.tenant());
    let created: CreatedRequest = app
        .provider
        .request_presentation(
            &t,
            verifier,
            ClientIdPrefix::X509Hash,
            ResponseMode::DirectPost,
        )
        .await
        .unwrap();
    let query = created.request_uri.split_once('?').unwrap().1;
    let params: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
    let object = app.http().get(&params["request_uri"]).send().await.unwrap();
    let object = object.text().await.unwrap();
    let nonce = sigil_test_utils::jwt_claims(&object)["nonce"]
        .as_str()
        .unwrap()
        .to_owned();
    let vp = sigil_vc::holder::present(
        credential,
        &["name".to_owned()],
        key,
        &created.client_id,
        &nonce,
        app.provider.now().0,
    );
    let token = json!({"employee": [vp]}).to_string();
    let (status, _, _) = app
        .post_form(
            "/vp/response",
            None,
            &[("vp_token", &token), ("state", &created.id)],
        )
        .await;
    assert_eq!(status, 200);
    app.presentation_outcome(&created.id).await
}

#[tokio::test]
async fn credentials_signed_with_x5c_are_trusted_through_the_issuer_ca() {
    let app = x5c_app().await;
    let key = holder();
    let (_, credentials) = issue(&app, "holder", &[&key]).await;
    let header = jwt_header(credentials[0].split('~').next().unwrap());
    let x5c: Vec<String> = serde_json::from_value(header["x5c"].clone()).expect("an x5c");
    assert_eq!(
        x5c.len(),
        1,
        "the leaf only: the CA is the verifier's to hold"
    );

    // The leaf is issued by the CA the CLI prints, names the issuer, and holds the key the
    // JWT VC issuer metadata publishes under the credential's kid.
    let t = app.provider.tenant_ctx(&app.tenant());
    let ca = app.provider.issuer_ca_certificate(&t).await.unwrap();
    let anchors = sigil_vc::trust::parse_anchors(&[certificate_pem(&ca)]).unwrap();
    let now = app.provider.now().0;
    let leaf_key = sigil_vc::trust::certified_key(&x5c, &anchors, &app.base, now).unwrap();
    let jwks = app.provider.jwt_vc_issuer_metadata(&t).await.unwrap()["jwks"].clone();
    let published = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .unwrap();
    assert_eq!(
        leaf_key,
        sigil_keys::PublicKey::from_jwk(published.as_object().unwrap()).unwrap()
    );

    // A verifier that trusts the CA needs no list of issuers; one that trusts another CA
    // refuses, whatever the credential says.
    define_verifier(
        &app,
        "by-ca",
        json!({"trust_anchors": [certificate_pem(&ca)], "accepted_issuers": []}),
    )
    .await;
    let outcome = present_to(&app, "by-ca", &credentials[0], &key).await;
    assert_eq!(outcome["status"], "verified", "{outcome}");
    assert_eq!(outcome["claims"]["employee"]["name"], "holder Example");
    let (other, _) = SigningKey::generate(SigningAlg::ES256).unwrap();
    let other_ca =
        sigil_keys::x509::ca_certificate(&other, "Other CA", app.provider.now(), 30).unwrap();
    define_verifier(
        &app,
        "other-ca",
        json!({"trust_anchors": [certificate_pem(&other_ca)], "accepted_issuers": [app.base]}),
    )
    .await;
    let outcome = present_to(&app, "other-ca", &credentials[0], &key).await;
    assert_eq!(outcome["status"], "rejected");
    assert!(
        outcome["reason"].as_str().unwrap().contains("not trusted"),
        "{outcome}"
    );

    // The status list token carries the chain too.
    let uri = sigil_test_utils::jwt_claims(credentials[0].split('~').next().unwrap())["status"]
        ["status_list"]["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app
        .http()
        .get(&uri)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(jwt_header(&token)["x5c"], header["x5c"]);
}

#[tokio::test]
async fn verifier_definitions_check_their_trust() {
    let app = x5c_app().await;
    let t = app.provider.tenant_ctx(&app.tenant());
    let query = json!({"credentials": [{"id": "e", "format": "dc+sd-jwt", "meta": {"vct_values": ["https://x.example/vct"]}}]});
    for (trust, field) in [
        (json!({"accepted_issuers": []}), "accepted_issuers"),
        (json!({"accepted_issuers": ["ftp://x"]}), "accepted_issuers"),
        (
            json!({"accepted_issuers": [], "trust_anchors": ["nope"]}),
            "trust_anchors",
        ),
    ] {
        let mut doc = json!({"name": "v", "dcql_query": query});
        for (k, v) in trust.as_object().unwrap() {
            doc[k] = v.clone();
        }
        match app.provider.save_verifier(&t, "test", "v", doc).await {
            Err(sigil_oidc::admin::AdminError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{trust} was accepted: {other:?}"),
        }
    }
    let did =
        json!({"name": "v", "dcql_query": query, "accepted_issuers": ["did:web:issuer.example"]});
    assert!(
        app.provider
            .save_verifier(&t, "test", "v", did)
            .await
            .is_ok()
    );
}

/// An employee-like SD-JWT VC from issuer `iss` (a DID), signed by `signer` under `kid`,
/// bound to `holder`, without a status.
fn did_credential(
    app: &TestApp,
    iss: &str,
    kid: &str,
    signer: &SigningKey,
    holder: &SigningKey,
) -> String {
    let now = app.provider.now().0;
    let claims: Map<String, Value> = serde_json::from_value(json!({
        "iss": iss, "vct": app.url("/vct/employee"), "iat": now, "exp": now + 3600,
        "name": "Dee Id", "cnf": {"jwk": holder.public_key().jwk_members()},
    }))
    .unwrap();
    let header = JwsHeader {
        alg: "ES256".into(),
        kid: Some(kid.to_owned()),
        typ: Some("dc+sd-jwt".into()),
        crit: None,
        jwk: None,
        x5c: None,
    };
    sigil_sdjwt::issue_with_header(signer, &header, claims, &["name"], 1)
        .unwrap()
        .compact()
}

#[tokio::test]
async fn issuers_that_are_dids_are_verified_with_their_dids_keys() {
    let app = x5c_app().await;
    let (signer, _) = SigningKey::generate(SigningAlg::ES256).unwrap();
    let key = holder();

    // did:jwk: the key is the identifier.
    let jwk = Value::Object(signer.public_key().jwk_members()).to_string();
    let did_jwk = format!("did:jwk:{}", sigil_core::b64url_encode(jwk.as_bytes()));
    // did:web: a document served on this machine.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let did_web = format!("did:web:127.0.0.1%3A{port}");
    let document = json!({
        "id": did_web,
        "verificationMethod": [{"id": format!("{did_web}#key-1"), "type": "JsonWebKey",
            "controller": did_web, "publicKeyJwk": signer.public_key().jwk_members()}],
        "assertionMethod": ["#key-1"],
    });
    let served = axum::Router::new().route(
        "/.well-known/did.json",
        axum::routing::get(move || {
            let document = document.clone();
            async move { axum::Json(document) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, served).await });

    define_verifier(
        &app,
        "dids",
        json!({"accepted_issuers": [did_jwk, did_web]}),
    )
    .await;
    let cases = [
        (did_jwk.clone(), format!("{did_jwk}#0")),
        (did_web.clone(), format!("{did_web}#key-1")),
    ];
    for (iss, kid) in &cases {
        let credential = did_credential(&app, iss, kid, &signer, &key);
        let outcome = present_to(&app, "dids", &credential, &key).await;
        assert_eq!(outcome["status"], "verified", "{iss}: {outcome}");
        assert_eq!(outcome["claims"]["employee"]["name"], "Dee Id");
    }

    // Another key under the same DID, a key the document does not assert with, an issuer
    // the verifier does not list: refused.
    let (impostor, _) = SigningKey::generate(SigningAlg::ES256).unwrap();
    let forged = did_credential(&app, &did_jwk, &format!("{did_jwk}#0"), &impostor, &key);
    let outcome = present_to(&app, "dids", &forged, &key).await;
    assert_eq!(outcome["status"], "rejected", "{outcome}");
    let unasserted = did_credential(&app, &did_web, &format!("{did_web}#key-2"), &signer, &key);
    let outcome = present_to(&app, "dids", &unasserted, &key).await;
    assert_eq!(outcome["status"], "rejected");
    assert!(
        outcome["reason"].as_str().unwrap().contains("assert"),
        "{outcome}"
    );
    let did_key = "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169";
    let stranger = did_credential(&app, did_key, &format!("{did_key}#x"), &signer, &key);
    let outcome = present_to(&app, "dids", &stranger, &key).await;
    assert!(
        outcome["reason"].as_str().unwrap().contains("not accepted"),
        "{outcome}"
    );
}

#[tokio::test]
async fn a_verifier_that_trusts_by_anchors_asks_by_their_key_identifiers() {
    let app = x5c_app().await;
    let t = app.provider.tenant_ctx(&app.tenant());
    let dir = tempfile::tempdir().unwrap();
    let mut wallet = sigil_cli::wallet::Wallet::open(dir.path()).unwrap();
    let created = super::credentials::offer(&app, "holder", false).await;
    let now = app.provider.now().0;
    sigil_cli::wallet::receive(&mut wallet, &created.credential_offer_uri, None, now)
        .await
        .unwrap();

    let ca = app.provider.issuer_ca_certificate(&t).await.unwrap();
    define_verifier(
        &app,
        "by-ca",
        json!({"trust_anchors": [certificate_pem(&ca)], "accepted_issuers": []}),
    )
    .await;
    let (other, _) = SigningKey::generate(SigningAlg::ES256).unwrap();
    let other_ca =
        sigil_keys::x509::ca_certificate(&other, "Other CA", app.provider.now(), 30).unwrap();
    define_verifier(
        &app,
        "by-other-ca",
        json!({"trust_anchors": [certificate_pem(&other_ca)], "accepted_issuers": []}),
    )
    .await;

    let ask = |verifier: &'static str| {
        let (app, t) = (&app, &t);
        async move {
            app.provider
                .request_presentation(
                    t,
                    verifier,
                    ClientIdPrefix::X509Hash,
                    ResponseMode::DirectPost,
                )
                .await
                .unwrap()
        }
    };
    // The request object carries the CA's key identifier as an `aki` trusted authority.
    let r = ask("by-ca").await;
    let object = app
        .provider
        .presentation_request_object(&t, &r.id)
        .await
        .unwrap()
        .unwrap();
    let authorities = &sigil_test_utils::jwt_claims(&object)["dcql_query"]["credentials"][0]["trusted_authorities"];
    assert_eq!(
        authorities,
        &json!([{"type": "aki", "values": [sigil_vc::trust::subject_key_id(&ca).unwrap()]}])
    );
    let outcome = sigil_cli::wallet::present(&wallet, &r.request_uri, |_| true, now)
        .await
        .unwrap();
    assert!(outcome.sent);
    let result = app.presentation_outcome(&r.id).await;
    assert_eq!(result["status"], "verified");

    // Another CA's key identifier: the wallet holds nothing it certifies, and says so.
    let r = ask("by-other-ca").await;
    let refused = sigil_cli::wallet::present(&wallet, &r.request_uri, |_| true, now).await;
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("no credentials that answer"),
        "the wallet offers nothing"
    );
}

/// PEM of a PKCS#8 key.
fn key_pem(key: &SigningKey) -> String {
    let der = key.pkcs8_der().unwrap();
    let b64 = sigil_core::b64_encode(&der[..]);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

#[tokio::test]
async fn an_operators_ca_replaces_the_issuer_ca() {
    let app = x5c_app().await;
    let t = app.provider.tenant_ctx(&app.tenant());
    let now = app.provider.now();
    let generated = app.provider.issuer_ca_certificate(&t).await.unwrap();
    let (operator, _) = SigningKey::generate(SigningAlg::ES256).unwrap();
    let operator_ca = sigil_keys::x509::ca_certificate(&operator, "Operator CA", now, 365).unwrap();

    // Refused: another key, a certificate that is not a CA, not PEM.
    let (stranger, _) = SigningKey::generate(SigningAlg::ES256).unwrap();
    let leaf = sigil_keys::x509::issued_certificate(
        &stranger,
        ("Not a CA", sigil_keys::x509::LeafUse::DocumentSigning),
        &[],
        (&operator, &operator_ca),
        now,
        30,
    )
    .unwrap();
    for (certs, key) in [
        (certificate_pem(&operator_ca), key_pem(&stranger)),
        (certificate_pem(&leaf), key_pem(&stranger)),
        ("not pem".to_owned(), key_pem(&operator)),
    ] {
        let refused = app
            .provider
            .import_issuer_ca(&t, "test", &certs, &key)
            .await;
        assert!(
            matches!(refused, Err(sigil_oidc::admin::AdminError::Invalid { .. })),
            "{refused:?}"
        );
    }
    assert_eq!(
        app.provider.issuer_ca_certificate(&t).await.unwrap(),
        generated
    );

    app.provider
        .import_issuer_ca(
            &t,
            "test",
            &certificate_pem(&operator_ca),
            &key_pem(&operator),
        )
        .await
        .unwrap();
    assert_eq!(
        app.provider.issuer_ca_certificate(&t).await.unwrap(),
        operator_ca
    );

    // Credentials and request objects are now certified by the operator's CA, not the old one.
    let key = holder();
    let (_, credentials) = issue(&app, "holder", &[&key]).await;
    let x5c: Vec<String> = serde_json::from_value(
        jwt_header(credentials[0].split('~').next().unwrap())["x5c"].clone(),
    )
    .unwrap();
    let at = now.0;
    assert!(
        sigil_vc::trust::certified_key(&x5c, std::slice::from_ref(&operator_ca), &app.base, at)
            .is_ok()
    );
    assert!(sigil_vc::trust::certified_key(&x5c, &[generated], &app.base, at).is_err());
    define_verifier(
        &app,
        "by-operator",
        json!({"trust_anchors": [certificate_pem(&operator_ca)], "accepted_issuers": []}),
    )
    .await;
    let outcome = present_to(&app, "by-operator", &credentials[0], &key).await;
    assert_eq!(outcome["status"], "verified", "{outcome}");
    let r = app
        .provider
        .request_presentation(
            &t,
            "by-operator",
            ClientIdPrefix::X509Hash,
            ResponseMode::DirectPost,
        )
        .await
        .unwrap();
    let object = app
        .provider
        .presentation_request_object(&t, &r.id)
        .await
        .unwrap()
        .unwrap();
    let request_x5c: Vec<String> =
        serde_json::from_value(jwt_header(&object)["x5c"].clone()).unwrap();
    assert_eq!(
        sigil_vc::trust::authority_key_ids(&request_x5c),
        [sigil_vc::trust::subject_key_id(&operator_ca).unwrap()],
        "the request certificate comes from the operator's CA"
    );
}
