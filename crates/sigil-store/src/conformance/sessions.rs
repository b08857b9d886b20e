//! Sessions and consent.

#![allow(clippy::unwrap_used)]

use super::*;

pub async fn sessions(s: &dyn Store) {
    let alice = sample_user(&t(), "alice");
    s.create_user(&alice, &ev(AuditKind::UserCreated))
        .await
        .unwrap();
    let first = sample_session(&alice, "secret-1");
    s.create_session(&first, None, &ev(AuditKind::SessionStarted))
        .await
        .unwrap();
    assert_eq!(
        s.find_session_by_secret(&t(), &Digest32::of("secret-1"))
            .await
            .unwrap(),
        Some(first.clone())
    );
    assert!(
        s.find_session_by_secret(&t(), &Digest32::of("secret-2"))
            .await
            .unwrap()
            .is_none()
    );

    s.touch_session(&t(), &first.id, UnixTime(NOW.0 + 30))
        .await
        .unwrap();
    assert_eq!(
        s.get_session(&t(), &first.id)
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        UnixTime(NOW.0 + 30)
    );

    let second = sample_session(&alice, "secret-2");
    s.create_session(&second, Some(&first.id), &ev(AuditKind::SessionStarted))
        .await
        .unwrap();
    assert!(
        s.get_session(&t(), &first.id)
            .await
            .unwrap()
            .unwrap()
            .ended_at
            .is_some(),
        "replaced session ended"
    );
    let listed = s.list_user_sessions(&t(), &alice.id, NOW).await.unwrap();
    assert_eq!(
        listed.iter().map(|x| &x.id).collect::<Vec<_>>(),
        vec![&second.id]
    );

    assert!(
        s.end_session(&t(), &second.id, NOW, &ev(AuditKind::SessionEnded))
            .await
            .unwrap()
    );
    assert!(
        !s.end_session(&t(), &second.id, NOW, &ev(AuditKind::SessionEnded))
            .await
            .unwrap()
    );
    assert!(
        s.list_user_sessions(&t(), &alice.id, NOW)
            .await
            .unwrap()
            .is_empty()
    );
}

/// The clients an ID token naming a session went to are remembered once each, in order, and
/// only for a session that exists.
pub async fn session_clients(s: &dyn Store) {
    let alice = sample_user(&t(), "alice");
    s.create_user(&alice, &ev(AuditKind::UserCreated))
        .await
        .unwrap();
    let session = sample_session(&alice, "secret-1");
    s.create_session(&session, None, &ev(AuditKind::SessionStarted))
        .await
        .unwrap();
    let (first, second) = (ClientId::generate(), ClientId::generate());
    let joins = |client: &ClientId, session: &SessionId, at: i64| Issue {
        session_client: Some(SessionClient {
            tenant: t(),
            session_id: session.clone(),
            client_id: client.clone(),
            joined_at: UnixTime(at),
        }),
        ..Issue::default()
    };
    let gone = SessionId::generate();
    for (n, issue) in [
        joins(&first, &session.id, NOW.0),
        joins(&second, &session.id, NOW.0 + 1),
        joins(&first, &session.id, NOW.0 + 2),
        joins(&first, &gone, NOW.0 + 3),
    ]
    .iter()
    .enumerate()
    {
        let key = format!("code-{n}");
        s.put_artifact(&code(&key, NOW.0 + 60), NOW).await.unwrap();
        let redeemed = s
            .redeem_code(
                &t(),
                &Digest32::of(&key),
                NOW,
                issue,
                &ev(AuditKind::TokenIssued),
            )
            .await
            .unwrap();
        assert_eq!(redeemed, Redemption::Issued);
    }
    assert_eq!(
        s.session_clients(&t(), &session.id).await.unwrap(),
        vec![first, second]
    );
    assert!(s.session_clients(&t(), &gone).await.unwrap().is_empty());
}

/// Signing a user out everywhere ends their sessions only, and revokes their grants only
/// when asked.
pub async fn sign_out_everywhere(s: &dyn Store) {
    let alice = sample_user(&t(), "alice");
    let bob = sample_user(&t(), "bob");
    for u in [&alice, &bob] {
        s.create_user(u, &ev(AuditKind::UserCreated)).await.unwrap();
    }
    let phone = sample_session(&alice, "phone");
    let laptop = sample_session(&alice, "laptop");
    let bobs = sample_session(&bob, "bob");
    for session in [&phone, &laptop, &bobs] {
        s.create_session(session, None, &ev(AuditKind::SessionStarted))
            .await
            .unwrap();
    }
    let client = sample_client(&t());
    s.create_client(&client, &ev(AuditKind::ClientCreated))
        .await
        .unwrap();
    for (user, name) in [(&alice, "alice"), (&bob, "bob")] {
        s.put_artifact(&code(name, NOW.0 + 60), NOW).await.unwrap();
        let issue = Issue {
            family: Some(family(user, &client, name)),
            refresh: Some(refresh(name, &format!("rt-{name}"), &format!("jti-{name}"))),
            session_client: None,
        };
        s.redeem_code(
            &t(),
            &Digest32::of(name),
            NOW,
            &issue,
            &ev(AuditKind::TokenIssued),
        )
        .await
        .unwrap();
    }

    let ended = s
        .end_user_sessions(&t(), &alice.id, NOW, false, &ev(AuditKind::SessionEnded))
        .await
        .unwrap();
    assert_eq!(ended, 2);
    assert!(
        s.list_user_sessions(&t(), &alice.id, NOW)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.list_user_sessions(&t(), &bob.id, NOW)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(!s.is_access_token_revoked(&t(), "jti-alice").await.unwrap());

    let ended = s
        .end_user_sessions(&t(), &alice.id, NOW, true, &ev(AuditKind::SessionEnded))
        .await
        .unwrap();
    assert_eq!(ended, 0, "nothing left to end");
    assert!(s.is_access_token_revoked(&t(), "jti-alice").await.unwrap());
    assert!(
        !s.is_access_token_revoked(&t(), "jti-bob").await.unwrap(),
        "only hers"
    );
    let (_, fam) = s
        .find_refresh_token(&t(), &Digest32::of("rt-bob"))
        .await
        .unwrap()
        .unwrap();
    assert!(fam.revoked_at.is_none());
}

pub async fn consents(s: &dyn Store) {
    let alice = sample_user(&t(), "alice");
    s.create_user(&alice, &ev(AuditKind::UserCreated))
        .await
        .unwrap();
    let client = sample_client(&t());
    let consent = Consent {
        tenant: t(),
        user_id: alice.id.clone(),
        client_id: client.id.clone(),
        scopes: ScopeSet::parse("openid email").unwrap(),
        granted_at: NOW,
    };
    s.save_consent(&consent, &ev(AuditKind::ConsentGranted))
        .await
        .unwrap();
    assert_eq!(
        s.get_consent(&t(), &alice.id, &client.id).await.unwrap(),
        Some(consent.clone())
    );
    let wider = Consent {
        scopes: ScopeSet::parse("openid email profile").unwrap(),
        ..consent
    };
    s.save_consent(&wider, &ev(AuditKind::ConsentGranted))
        .await
        .unwrap();
    assert_eq!(
        s.list_user_consents(&t(), &alice.id).await.unwrap(),
        vec![wider]
    );

    let issue = Issue {
        family: Some(family(&alice, &client, "fam")),
        refresh: Some(refresh("fam", "rt", "jti-1")),
        session_client: None,
    };
    s.put_artifact(&code("c", NOW.0 + 60), NOW).await.unwrap();
    s.redeem_code(
        &t(),
        &Digest32::of("c"),
        NOW,
        &issue,
        &ev(AuditKind::TokenIssued),
    )
    .await
    .unwrap();

    assert!(
        s.withdraw_consent(
            &t(),
            &alice.id,
            &client.id,
            NOW,
            &ev(AuditKind::ConsentRevoked)
        )
        .await
        .unwrap()
    );
    assert!(
        !s.withdraw_consent(
            &t(),
            &alice.id,
            &client.id,
            NOW,
            &ev(AuditKind::ConsentRevoked)
        )
        .await
        .unwrap()
    );
    let (_, fam) = s
        .find_refresh_token(&t(), &Digest32::of("rt"))
        .await
        .unwrap()
        .unwrap();
    assert!(
        fam.revoked_at.is_some(),
        "withdrawing consent revokes the client's tokens"
    );
    assert!(s.is_access_token_revoked(&t(), "jti-1").await.unwrap());
}
