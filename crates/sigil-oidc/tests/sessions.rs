//! Sign-in and browser sessions: one answer for wrong passwords and unknown users, per-account
//! throttling with a retry delay, a new session replacing the browser's previous one, and
//! idle and absolute timeouts.

mod support;

use sigil_oidc::admin::{AdminError, NewUser};
use sigil_oidc::{Browser, SignInError};
use support::*;

async fn sign_in(
    h: &Harness,
    username: &str,
    password: &str,
) -> Result<sigil_oidc::SignedIn, SignInError> {
    h.provider
        .sign_in(&h.t, username, password, &h.browser())
        .await
}

async fn is_signed_in(h: &Harness, browser: &Browser) -> bool {
    h.provider
        .current_session(&h.t, browser)
        .await
        .expect("store")
        .is_some()
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_answer() {
    let h = Harness::new().await;
    h.user("alice").await;
    assert_eq!(
        sign_in(&h, "alice", "wrong password").await.err(),
        Some(SignInError::InvalidCredentials)
    );
    assert_eq!(
        sign_in(&h, "mallory", PASSWORD).await.err(),
        Some(SignInError::InvalidCredentials)
    );
    assert_eq!(
        sign_in(&h, &"x".repeat(600), PASSWORD).await.err(),
        Some(SignInError::InvalidCredentials)
    );
    let ok = sign_in(&h, "ALICE", PASSWORD)
        .await
        .expect("usernames are case-insensitive");
    assert_eq!(ok.session.auth.amr, ["pwd"]);
    assert_eq!(ok.session.auth.auth_time.0, h.now());
}

#[tokio::test]
async fn a_user_without_a_password_or_disabled_cannot_sign_in() {
    let h = Harness::new().await;
    let new = NewUser {
        username: "sso-only".into(),
        ..NewUser::default()
    };
    h.provider
        .create_user(&h.t.id, new, "test")
        .await
        .expect("created");
    assert_eq!(
        sign_in(&h, "sso-only", PASSWORD).await.err(),
        Some(SignInError::InvalidCredentials)
    );

    let bob = h.user("bob").await;
    let browser = h.signed_in("bob").await;
    h.disable_user(&bob.id).await;
    assert_eq!(
        sign_in(&h, "bob", PASSWORD).await.err(),
        Some(SignInError::InvalidCredentials)
    );
    assert!(
        !is_signed_in(&h, &browser).await,
        "a disabled user's session counts as none"
    );
}

#[tokio::test]
async fn throttling_starts_after_the_free_failures_of_an_account() {
    let h = Harness::with_config(|cfg| cfg.throttle.account_free_failures = 3).await;
    h.user("alice").await;
    h.user("bob").await;
    for attempt in 1..=4 {
        let r = sign_in(&h, "alice", "wrong password").await;
        assert_eq!(
            r.err(),
            Some(SignInError::InvalidCredentials),
            "attempt {attempt} is checked"
        );
    }
    assert_eq!(
        sign_in(&h, "alice", PASSWORD).await.err(),
        Some(SignInError::Throttled(1)),
        "even the right password waits"
    );
    assert_eq!(
        sign_in(&h, "Alice", "wrong").await.err(),
        Some(SignInError::Throttled(1)),
        "the account, however spelt"
    );
    sign_in(&h, "bob", PASSWORD)
        .await
        .expect("other accounts are not affected");

    h.advance(1);
    assert_eq!(
        sign_in(&h, "alice", "wrong password").await.err(),
        Some(SignInError::InvalidCredentials)
    );
    assert_eq!(
        sign_in(&h, "alice", PASSWORD).await.err(),
        Some(SignInError::Throttled(2)),
        "the delay doubles"
    );
    h.advance(2);
    sign_in(&h, "alice", PASSWORD)
        .await
        .expect("signs in once the delay passed");
    assert_eq!(
        sign_in(&h, "alice", "wrong password").await.err(),
        Some(SignInError::InvalidCredentials),
        "success forgets the failures"
    );
}

#[tokio::test]
async fn unknown_usernames_are_throttled_like_real_ones() {
    let h = Harness::with_config(|cfg| cfg.throttle.account_free_failures = 2).await;
    for _ in 0..3 {
        assert_eq!(
            sign_in(&h, "ghost", "guess").await.err(),
            Some(SignInError::InvalidCredentials)
        );
    }
    assert_eq!(
        sign_in(&h, "ghost", "guess").await.err(),
        Some(SignInError::Throttled(1))
    );
}

#[tokio::test]
async fn a_new_sign_in_replaces_the_browsers_previous_session() {
    let h = Harness::new().await;
    h.user("alice").await;
    h.user("bob").await;
    let mut browser = h.signed_in("alice").await;
    let elsewhere = h.signed_in("alice").await;
    let old = browser.clone();
    h.sign_in(&mut browser, "bob").await;
    assert_ne!(
        old.session_secret, browser.session_secret,
        "a new session id, no fixation"
    );
    assert!(!is_signed_in(&h, &old).await, "the previous session ended");
    let current = h
        .provider
        .current_session(&h.t, &browser)
        .await
        .expect("store")
        .expect("session");
    assert_eq!(current.user.username, "bob");
    assert!(
        is_signed_in(&h, &elsewhere).await,
        "other browsers keep their sessions"
    );
}

#[tokio::test]
async fn an_unused_session_ends_after_the_idle_timeout() {
    let h = Harness::new().await;
    h.user("alice").await;
    let idle = h.provider.config().sessions.idle_timeout;
    let browser = h.signed_in("alice").await;
    h.advance(idle - 1);
    assert!(is_signed_in(&h, &browser).await, "used just in time");
    h.advance(idle - 1);
    assert!(
        is_signed_in(&h, &browser).await,
        "use restarts the idle timeout"
    );
    h.advance(idle);
    assert!(!is_signed_in(&h, &browser).await);
}

#[tokio::test]
async fn a_session_ends_at_the_absolute_timeout_however_used() {
    let h = Harness::new().await;
    h.user("alice").await;
    let cfg = h.provider.config().sessions.clone();
    let browser = h.signed_in("alice").await;
    let step = cfg.idle_timeout / 2;
    let mut elapsed = 0;
    while elapsed + step < cfg.absolute_timeout {
        h.advance(step);
        elapsed += step;
        assert!(
            is_signed_in(&h, &browser).await,
            "still signed in after {elapsed}s"
        );
    }
    h.advance(cfg.absolute_timeout - elapsed);
    assert!(!is_signed_in(&h, &browser).await);
}

#[tokio::test]
async fn a_user_can_end_their_own_sessions_only() {
    let h = Harness::new().await;
    let alice = h.user("alice").await;
    let bob = h.user("bob").await;
    let browser = h.signed_in("alice").await;
    let session = h
        .provider
        .current_session(&h.t, &browser)
        .await
        .expect("store")
        .expect("session");
    assert!(
        !h.provider
            .end_session(&h.t, &bob, &session.session.id, None)
            .await
            .expect("store")
    );
    assert!(is_signed_in(&h, &browser).await);
    assert!(
        h.provider
            .end_session(&h.t, &alice, &session.session.id, None)
            .await
            .expect("store")
    );
    assert!(!is_signed_in(&h, &browser).await);
}

#[tokio::test]
async fn weak_passwords_are_refused_at_creation() {
    let h = Harness::new().await;
    for weak in ["short", "password123", "aaaaaaaaaaaa", "carol-the-user"] {
        let new = NewUser {
            username: "carol-the-user".into(),
            password: Some(weak.into()),
            ..NewUser::default()
        };
        let e = h
            .provider
            .create_user(&h.t.id, new, "test")
            .await
            .expect_err(weak);
        assert!(
            matches!(e, AdminError::Invalid { field: "password", ref message } if message.starts_with("password")),
            "{weak}: {e}"
        );
    }
}

#[tokio::test]
async fn failures_from_one_ip_across_accounts_are_throttled_for_that_ip() {
    let h = Harness::with_config(|cfg| cfg.throttle.ip_free_failures = 3).await;
    h.user("alice").await;
    let from = |ip: &str| Browser {
        ip: Some(ip.into()),
        ..h.browser()
    };
    for name in ["u1", "u2", "u3", "u4"] {
        let r = h
            .provider
            .sign_in(&h.t, name, "guess", &from("192.0.2.1"))
            .await;
        assert_eq!(r.err(), Some(SignInError::InvalidCredentials), "{name}");
    }
    let r = h
        .provider
        .sign_in(&h.t, "alice", PASSWORD, &from("192.0.2.1"))
        .await;
    assert_eq!(r.err(), Some(SignInError::Throttled(1)));
    h.provider
        .sign_in(&h.t, "alice", PASSWORD, &from("198.51.100.7"))
        .await
        .expect("other addresses are not affected");
}
