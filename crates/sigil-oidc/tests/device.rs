//! The device authorization grant (RFC 8628): starting a request, the user's decision, and
//! polling (`authorization_pending`, `slow_down`, `access_denied`, `expired_token`), with a
//! single redemption.

mod support;

use std::time::Duration;

use sigil_core::Clock;

use sigil_oidc::admin::NewClient;
use sigil_oidc::device::{DeviceAuthorizationResponse, DeviceCodeProblem};
use sigil_oidc::grants::mint::TokenResponse;
use sigil_oidc::{CurrentSession, ErrorCode, OAuthError, Params};
use support::*;

struct Device {
    h: Harness,
    client: TestClient,
    started: DeviceAuthorizationResponse,
}

impl Device {
    async fn start() -> Self {
        let h = Harness::new().await;
        h.user("alice").await;
        let client = h
            .client(NewClient {
                name: "TV".into(),
                public: true,
                grant_types: vec![DEVICE_GRANT.into(), "refresh_token".into()],
                ..NewClient::default()
            })
            .await;
        let params = Params::from_pairs([
            ("client_id", client.id.as_str()),
            ("scope", "openid profile"),
        ]);
        let started = h
            .provider
            .device_authorization(&h.t, &params, None)
            .await
            .expect("starts");
        Device { h, client, started }
    }

    async fn poll(&self) -> Result<TokenResponse, OAuthError> {
        self.poll_as(&self.client.id).await
    }

    async fn poll_as(&self, client_id: &str) -> Result<TokenResponse, OAuthError> {
        let pairs = [
            ("grant_type", DEVICE_GRANT),
            ("device_code", self.started.device_code.as_str()),
            ("client_id", client_id),
        ];
        self.h.token_with(None, &pairs).await
    }

    async fn alice(&self) -> CurrentSession {
        let browser = self.h.signed_in("alice").await;
        self.h
            .provider
            .current_session(&self.h.t, &browser)
            .await
            .expect("store")
            .expect("session")
    }

    async fn decide(&self, approve: bool) -> bool {
        let alice = self.alice().await;
        self.h
            .provider
            .decide_device(&self.h.t, &self.started.user_code, approve, &alice)
            .await
            .expect("store")
    }
}

#[tokio::test]
async fn the_device_authorization_response_is_complete() {
    let d = Device::start().await;
    let s = &d.started;
    assert_eq!(s.verification_uri, format!("{ISSUER}/device"));
    assert_eq!(
        query(&s.verification_uri_complete)["user_code"],
        s.user_code
    );
    assert_eq!(s.expires_in, 600);
    assert_eq!(s.interval, 5);
    assert_eq!(s.user_code.len(), 9);
    assert_eq!(&s.user_code[4..5], "-");
}

#[tokio::test]
async fn the_user_sees_the_request_by_its_code_however_typed() {
    let d = Device::start().await;
    let typed = d.started.user_code.replace('-', " ").to_lowercase();
    let alice = d.alice().await;
    let view =
        d.h.provider
            .device_request(&d.h.t, &typed, &alice)
            .await
            .expect("store")
            .expect("found");
    assert_eq!(view.user_code, d.started.user_code);
    assert_eq!(view.client_name, "TV");
    assert_eq!(view.scopes, ["openid", "profile"]);
    let unknown =
        d.h.provider
            .device_request(&d.h.t, "BBBB-BBBB", &alice)
            .await
            .expect("store");
    assert_eq!(unknown.err(), Some(DeviceCodeProblem::Invalid));
    assert!(d.decide(true).await);
    let decided =
        d.h.provider
            .device_request(&d.h.t, &d.started.user_code, &alice)
            .await
            .expect("store");
    assert_eq!(decided.err(), Some(DeviceCodeProblem::AlreadyDecided));
    assert!(!d.decide(false).await, "a decision is final");
}

#[tokio::test]
async fn polling_before_the_user_decides_is_authorization_pending() {
    let d = Device::start().await;
    let e = expect_err(d.poll().await, ErrorCode::AuthorizationPending);
    assert!(!e.description.is_empty());
    d.h.advance(5);
    expect_err(d.poll().await, ErrorCode::AuthorizationPending);
}

#[tokio::test]
async fn polling_too_fast_is_slow_down_and_the_interval_grows_by_five() {
    let d = Device::start().await;
    expect_err(d.poll().await, ErrorCode::AuthorizationPending);
    let e = expect_err(d.poll().await, ErrorCode::SlowDown);
    assert!(e.description.contains("10 seconds"), "{e}");
    d.h.advance(9);
    let e = expect_err(d.poll().await, ErrorCode::SlowDown);
    assert!(e.description.contains("15 seconds"), "{e}");
    d.h.advance(15);
    expect_err(d.poll().await, ErrorCode::AuthorizationPending);
    d.h.advance(14);
    let e = expect_err(d.poll().await, ErrorCode::SlowDown);
    assert!(
        e.description.contains("20 seconds"),
        "the interval never shrinks back: {e}"
    );
}

#[tokio::test]
async fn polls_are_timed_to_the_millisecond_not_the_second() {
    let d = Device::start().await;
    let into_second = d.h.clock.now_millis().0.rem_euclid(1000);
    d.h.clock.advance(Duration::from_millis(
        u64::try_from(995 - into_second).unwrap_or(0),
    ));
    expect_err(d.poll().await, ErrorCode::AuthorizationPending);
    d.h.clock.advance(Duration::from_millis(10));
    expect_err(d.poll().await, ErrorCode::SlowDown);
    // 9.999 s after a poll that asked for 10: whole seconds would see 10 of them here.
    d.h.clock.advance(Duration::from_millis(9_999));
    expect_err(d.poll().await, ErrorCode::SlowDown);
    d.h.clock.advance(Duration::from_millis(15_000));
    expect_err(d.poll().await, ErrorCode::AuthorizationPending);
}

#[tokio::test]
async fn a_denied_request_is_access_denied() {
    let d = Device::start().await;
    assert!(d.decide(false).await);
    expect_err(d.poll().await, ErrorCode::AccessDenied);
}

#[tokio::test]
async fn an_expired_device_code_is_expired_token() {
    let d = Device::start().await;
    d.h.advance(d.started.expires_in);
    expect_err(d.poll().await, ErrorCode::ExpiredToken);
    assert!(!d.decide(true).await, "an expired code cannot be approved");
}

#[tokio::test]
async fn an_approved_request_issues_tokens_once() {
    let d = Device::start().await;
    let alice = d.alice().await;
    assert!(
        d.h.provider
            .decide_device(&d.h.t, &d.started.user_code, true, &alice)
            .await
            .expect("store")
    );
    let tokens = d.poll().await.expect("tokens");
    assert_eq!(tokens.scope, "openid profile");
    let id = claims(&tokens.id_token.expect("id token with openid"));
    assert_eq!(id["sub"], alice.user.id.as_str());
    assert_eq!(id["sid"], alice.session.id.as_str());
    assert_eq!(
        claims(&tokens.access_token)["client_id"],
        d.client.id.as_str()
    );
    assert!(
        tokens.refresh_token.is_none(),
        "openid without offline_access"
    );
    d.h.provider
        .verify_access_token(&d.h.t, &tokens.access_token)
        .await
        .expect("valid");

    let e = expect_err(d.poll().await, ErrorCode::InvalidGrant);
    assert!(e.description.contains("already used"), "{e}");
    let e = expect_err(
        d.h.provider
            .verify_access_token(&d.h.t, &tokens.access_token)
            .await,
        ErrorCode::InvalidToken,
    );
    assert!(
        e.description.contains("revoked"),
        "a replay revokes what was issued: {e}"
    );
}

#[tokio::test]
async fn another_client_cannot_poll_a_device_code() {
    let d = Device::start().await;
    let other =
        d.h.client(NewClient {
            name: "Other".into(),
            public: true,
            grant_types: vec![DEVICE_GRANT.into()],
            ..NewClient::default()
        })
        .await;
    assert!(d.decide(true).await);
    expect_err(d.poll_as(&other.id).await, ErrorCode::InvalidGrant);
    d.poll()
        .await
        .expect("the rightful device still gets its tokens");
}

#[tokio::test]
async fn device_authorization_checks_the_client_and_scopes() {
    let d = Device::start().await;
    let params = Params::from_pairs([
        ("client_id", d.client.id.as_str()),
        ("scope", "openid admin"),
    ]);
    let e = expect_err(
        d.h.provider
            .device_authorization(&d.h.t, &params, None)
            .await,
        ErrorCode::InvalidScope,
    );
    assert!(e.description.contains("scope"), "{e}");

    let web = d.h.web_client().await;
    let params = Params::from_pairs([("scope", "openid")]);
    expect_err(
        d.h.provider
            .device_authorization(&d.h.t, &params, Some(&web.basic()))
            .await,
        ErrorCode::UnauthorizedClient,
    );

    let params = Params::from_pairs([("client_id", "nobody"), ("scope", "openid")]);
    expect_err(
        d.h.provider
            .device_authorization(&d.h.t, &params, None)
            .await,
        ErrorCode::InvalidClient,
    );
}

#[tokio::test]
async fn guessing_user_codes_is_throttled() {
    let d = Device::start().await;
    let alice = d.alice().await;
    for _ in 0..6 {
        let r =
            d.h.provider
                .device_request(&d.h.t, "BBBB-BBBB", &alice)
                .await
                .expect("store");
        assert_eq!(r.err(), Some(DeviceCodeProblem::Invalid));
    }
    let r =
        d.h.provider
            .device_request(&d.h.t, &d.started.user_code, &alice)
            .await
            .expect("store");
    assert_eq!(
        r.err(),
        Some(DeviceCodeProblem::Throttled(1)),
        "even the right code waits"
    );
    d.h.advance(2);
    let r =
        d.h.provider
            .device_request(&d.h.t, &d.started.user_code, &alice)
            .await
            .expect("store");
    assert!(r.is_ok(), "after the delay the right code works");
}
