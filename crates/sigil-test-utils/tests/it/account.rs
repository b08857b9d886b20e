//! The account page: identity, sessions, consents, sign-out.

use sigil_test_utils::{PASSWORD, TestApp};

use crate::code_flow::sign_in_and_redeem;

#[tokio::test]
async fn account_page_needs_sign_in_and_shows_who_you_are() {
    let app = TestApp::spawn().await;
    let alice = app.create_user("alice").await;
    let browser = app.browser();
    let res = browser.get("/account").await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location().unwrap(), "/login?return_to=%2Faccount");
    let login = browser.follow(res).await;
    let page = browser
        .follow(
            browser
                .submit(
                    &login,
                    "/login",
                    &[("username", "alice"), ("password", PASSWORD)],
                )
                .await,
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("<dd id=\"username\">alice</dd>"));
    assert!(page.html.contains("alice@example.com"));
    assert!(page.html.contains(alice.id.as_str()));
    assert!(page.html.contains("(this browser)"));
}

#[tokio::test]
async fn withdrawing_consent_revokes_the_clients_tokens() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let client = app.web_client().await;
    let secret = client.client_secret.clone().unwrap();
    let browser = app.browser();
    let tokens = sign_in_and_redeem(&app, &browser, &client.client_id, &secret, "alice").await;
    let page = browser.get("/account").await;
    assert!(page.html.contains("Web App"));
    let done = browser
        .submit(&page, "/account/consents/withdraw", &[])
        .await;
    assert_eq!(done.location().unwrap(), "/account");
    let page = browser.get("/account").await;
    assert!(page.html.contains("No applications have access"));
    let (status, body, _) = app
        .post_form(
            "/token",
            Some((&client.client_id, &secret)),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let res = app
        .http()
        .get(app.url("/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn signing_out_another_session_and_this_one() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let laptop = app.browser();
    let phone = app.browser();
    for b in [&laptop, &phone] {
        let login = b.get("/login").await;
        b.submit(
            &login,
            "/login",
            &[("username", "alice"), ("password", PASSWORD)],
        )
        .await;
    }
    let page = laptop.get("/account").await;
    assert_eq!(page.html.matches("name=\"sid\"").count(), 2);
    // The phone's session is the one not marked as this browser: end it from the laptop.
    let phone_row = page
        .html
        .split("<tr>")
        .find(|row| row.contains("name=\"sid\"") && !row.contains("(this browser)"))
        .unwrap();
    let sid_start =
        phone_row.find("name=\"sid\" value=\"").unwrap() + "name=\"sid\" value=\"".len();
    let sid = &phone_row[sid_start..sid_start + phone_row[sid_start..].find('"').unwrap()];
    let fields = page.form_fields("/account/sessions/end");
    let mut fields: Vec<(String, String)> =
        fields.into_iter().filter(|(k, _)| k != "sid").collect();
    fields.push(("sid".into(), sid.into()));
    let res = laptop.post("/account/sessions/end", &fields).await;
    assert_eq!(res.location().unwrap(), "/account");
    assert_eq!(
        phone.get("/account").await.status,
        303,
        "the phone is signed out"
    );
    assert_eq!(
        laptop.get("/account").await.status,
        200,
        "the laptop is not"
    );

    let page = laptop.get("/account").await;
    let res = laptop.submit(&page, "/account/logout", &[]).await;
    assert_eq!(res.status, 200);
    assert!(res.html.contains("You have signed out"));
    assert_eq!(laptop.get("/account").await.status, 303);
}
