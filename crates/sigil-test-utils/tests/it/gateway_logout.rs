//! Signing out at Sigil reaches the gateway: over the back channel at once (a logout token to
//! `/.sigil/backchannel-logout`), and without it within the gateway's check interval; forged,
//! misaddressed or replayed-ID tokens posted there end nothing.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::json;
use sigil_core::model::SigningAlg;
use sigil_keys::{SigningKey, sign_compact};
use sigil_test_utils::Browser;

use super::gateway_proxy::Harness;

/// Signs alice in at the gateway and checks she is in.
async fn signed_in(h: &Harness) -> Browser {
    let browser = h.sigil.browser();
    assert_eq!(
        h.sign_in(&browser, "/app/", "alice").await.status(),
        StatusCode::OK
    );
    browser
}

/// Signs the browser out at Sigil (the confirmation page, then its button).
async fn sign_out_at_sigil(browser: &Browser) {
    let page = browser.get("/logout").await;
    let done = browser.submit(&page, "/logout/confirm", &[]).await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert_eq!(
        browser.get("/account").await.status,
        303,
        "signed out at Sigil"
    );
}

/// What the gateway answers for /app/ (200 while signed in, 302 to sign in otherwise).
async fn app_status(h: &Harness, browser: &Browser) -> StatusCode {
    h.visit(browser, "/app/", &[]).await.status()
}

#[tokio::test]
async fn signing_out_at_sigil_ends_the_gateway_session_over_the_back_channel() {
    let h = Harness::start().await;
    let browser = signed_in(&h).await;
    sign_out_at_sigil(&browser).await;
    // No clock moves: only the logout token can have told the gateway.
    let deadline = Instant::now() + Duration::from_secs(5);
    while app_status(&h, &browser).await == StatusCode::OK {
        assert!(
            Instant::now() < deadline,
            "the gateway still lets the user in"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        app_status(&h, &browser).await,
        StatusCode::FOUND,
        "sent to sign in"
    );
}

#[tokio::test]
async fn without_the_back_channel_the_gateway_follows_within_its_check_interval() {
    let h = Harness::start_with(false).await;
    let browser = signed_in(&h).await;
    sign_out_at_sigil(&browser).await;
    assert_eq!(
        app_status(&h, &browser).await,
        StatusCode::OK,
        "the last check is reused for a while"
    );
    h.sigil.clock.advance(Duration::from_secs(31));
    assert_eq!(app_status(&h, &browser).await, StatusCode::FOUND);
}

#[tokio::test]
async fn tokens_that_are_not_sigils_logout_tokens_for_the_gateway_end_nothing() {
    let h = Harness::start().await;
    let browser = signed_in(&h).await;
    let now = h.sigil.provider.now().0;
    let claims = |aud: &str| {
        json!({
            "iss": h.sigil.base, "aud": aud, "iat": now, "exp": now + 120, "jti": "j-1",
            "sid": "whatever", "events": {"http://schemas.openid.net/event/backchannel-logout": {}}
        })
    };
    let (foreign, _) = SigningKey::generate(SigningAlg::ES256).unwrap();
    let forged = sign_compact(&foreign, "logout+jwt", &claims("anyone"));
    let post = |body: String| {
        let url = h.url("/.sigil/backchannel-logout");
        async move {
            let res = reqwest::Client::new()
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = res.status();
            (
                status,
                res.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    // An ID token Sigil signed for another client of the same session: Sigil's key, but no
    // logout token (typ, audience, no event).
    let web = h.sigil.web_client().await;
    let secret = web.client_secret.clone().unwrap();
    let tokens =
        crate::code_flow::sign_in_and_redeem(&h.sigil, &browser, &web.client_id, &secret, "alice")
            .await;
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    for body in [
        String::new(),
        format!("logout_token={id_token}"),
        "logout_token=not.a.jwt".to_owned(),
        format!("logout_token={forged}"),
        format!("logout_token={forged}&logout_token={forged}"),
    ] {
        let (status, answer) = post(body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer["error"], "invalid_request", "{body}");
    }
    assert_eq!(
        app_status(&h, &browser).await,
        StatusCode::OK,
        "still signed in"
    );
}
