//! Managing users: listing page by page, optimistic updates, deletion.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::{UserCursor, UserOrder, UserQuery};

fn names(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.username.as_str()).collect()
}

pub async fn user_listing(s: &dyn Store) {
    for (i, name) in ["carol", "Alice", "bob", "alfred", "Dave", "älva"]
        .into_iter()
        .enumerate()
    {
        let mut user = sample_user(&t(), name);
        user.created_at = UnixTime(NOW.0 + [3, 1, 1, 2, 5, 4][i]);
        user.disabled = name == "bob";
        s.create_user(&user, &ev(AuditKind::UserCreated))
            .await
            .unwrap();
    }
    let list = |q: UserQuery| async move { s.list_users(&t(), &q).await.unwrap() };

    let all = list(UserQuery::default()).await;
    assert_eq!(
        names(&all),
        ["alfred", "Alice", "bob", "carol", "Dave", "älva"],
        "bytewise by normalised username"
    );
    let page = list(UserQuery {
        limit: 2,
        ..UserQuery::default()
    })
    .await;
    assert_eq!(names(&page), ["alfred", "Alice"]);
    let next = list(UserQuery {
        limit: 2,
        after: Some(UserCursor::Username("alice".into())),
        ..UserQuery::default()
    })
    .await;
    assert_eq!(names(&next), ["bob", "carol"]);
    let back = list(UserQuery {
        descending: true,
        after: Some(UserCursor::Username("carol".into())),
        ..UserQuery::default()
    })
    .await;
    assert_eq!(names(&back), ["bob", "Alice", "alfred"]);

    let prefixed = list(UserQuery {
        username_prefix: Some("al".into()),
        ..UserQuery::default()
    })
    .await;
    assert_eq!(names(&prefixed), ["alfred", "Alice"]);
    let by_email = list(UserQuery {
        email: Some("dave@example.com".into()),
        ..UserQuery::default()
    })
    .await;
    assert_eq!(names(&by_email), ["Dave"]);
    let disabled = list(UserQuery {
        disabled: Some(true),
        ..UserQuery::default()
    })
    .await;
    assert_eq!(names(&disabled), ["bob"]);

    let by_age = list(UserQuery {
        order: UserOrder::CreatedAt,
        ..UserQuery::default()
    })
    .await;
    assert_eq!(by_age.len(), 6);
    assert!(
        by_age
            .windows(2)
            .all(|w| (w[0].created_at, w[0].id.as_str()) < (w[1].created_at, w[1].id.as_str()))
    );
    let (first, second) = (&by_age[0], &by_age[1]);
    assert_eq!(
        first.created_at, second.created_at,
        "Alice and bob were created in the same second"
    );
    let after_first = list(UserQuery {
        order: UserOrder::CreatedAt,
        after: Some(UserCursor::CreatedAt(first.created_at, first.id.clone())),
        limit: 1,
        ..UserQuery::default()
    })
    .await;
    assert_eq!(
        after_first[0].id, second.id,
        "ties on time are broken by id"
    );
    let newest = list(UserQuery {
        order: UserOrder::CreatedAt,
        descending: true,
        limit: 1,
        ..UserQuery::default()
    })
    .await;
    assert_eq!(names(&newest), ["Dave"]);

    let acme = TenantId::parse("acme").unwrap();
    s.create_tenant(
        &Tenant {
            id: acme.clone(),
            display_name: "Acme".into(),
            created_at: NOW,
        },
        &ev(AuditKind::TenantCreated),
    )
    .await
    .unwrap();
    assert!(
        s.list_users(&acme, &UserQuery::default())
            .await
            .unwrap()
            .is_empty(),
        "tenants are isolated"
    );
}

pub async fn user_changes(s: &dyn Store) {
    let alice = sample_user(&t(), "alice");
    s.create_user(&alice, &ev(AuditKind::UserCreated))
        .await
        .unwrap();
    let bob = sample_user(&t(), "bob");
    s.create_user(&bob, &ev(AuditKind::UserCreated))
        .await
        .unwrap();
    let stored = s.get_user(&t(), &alice.id).await.unwrap().unwrap();
    assert_eq!(stored.revision, 1);

    let mut renamed = stored.clone();
    renamed.username = "Alicia".into();
    renamed.disabled = true;
    renamed.updated_at = UnixTime(NOW.0 + 10);
    assert!(
        s.update_user(&renamed, &ev(AuditKind::UserUpdated))
            .await
            .unwrap()
    );
    let now = s.get_user(&t(), &alice.id).await.unwrap().unwrap();
    assert_eq!(
        (now.username.as_str(), now.disabled, now.revision),
        ("Alicia", true, 2)
    );
    assert!(
        s.find_user_by_username(&t(), "alicia")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        !s.update_user(&renamed, &ev(AuditKind::UserUpdated))
            .await
            .unwrap(),
        "a write based on revision 1 is refused once revision 2 is stored"
    );
    let mut taken = now.clone();
    taken.username = "BOB".into();
    assert!(matches!(
        s.update_user(&taken, &ev(AuditKind::UserUpdated)).await,
        Err(StoreError::Conflict(_))
    ));
    let updates = s
        .list_audit(&t(), &AuditQuery::latest(50))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event.kind == AuditKind::UserUpdated)
        .count();
    assert_eq!(updates, 1, "only the update that happened is audited");

    // Deletion takes the user's sessions with it and revokes their grants.
    let session = sample_session(&now, "cookie");
    s.create_session(&session, None, &ev(AuditKind::SessionStarted))
        .await
        .unwrap();
    let client = sample_client(&t());
    s.put_artifact(&code("c", NOW.0 + 60), NOW).await.unwrap();
    let issue = Issue {
        family: Some(family(&now, &client, "fam")),
        refresh: Some(refresh("fam", "rt", "jti-1")),
        session_client: None,
    };
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
        !s.delete_user(&t(), &alice.id, Some(1), &ev(AuditKind::UserDeleted))
            .await
            .unwrap(),
        "a deletion based on an old revision is refused"
    );
    assert!(s.get_user(&t(), &alice.id).await.unwrap().is_some());
    assert!(
        s.delete_user(&t(), &alice.id, Some(2), &ev(AuditKind::UserDeleted))
            .await
            .unwrap()
    );
    assert!(s.get_user(&t(), &alice.id).await.unwrap().is_none());
    assert!(
        s.get_session(&t(), &session.id).await.unwrap().is_none(),
        "sessions go with the user"
    );
    let (_, fam) = s
        .find_refresh_token(&t(), &Digest32::of("rt"))
        .await
        .unwrap()
        .unwrap();
    assert!(fam.revoked_at.is_some(), "grants are revoked");
    assert!(
        s.is_access_token_revoked(&t(), "jti-1").await.unwrap(),
        "access tokens issued with them are revoked"
    );
    assert!(
        !s.delete_user(&t(), &alice.id, None, &ev(AuditKind::UserDeleted))
            .await
            .unwrap(),
        "deleting twice finds nothing"
    );
    assert!(s.get_user(&t(), &bob.id).await.unwrap().is_some());
}

pub async fn client_changes(s: &dyn Store) {
    let mut ids = Vec::new();
    for _ in 0..5 {
        let c = sample_client(&t());
        s.create_client(&c, &ev(AuditKind::ClientCreated))
            .await
            .unwrap();
        ids.push(c.id);
    }
    ids.sort();
    let first = s.list_clients_page(&t(), None, 2).await.unwrap();
    assert_eq!(
        first.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        ids[..2],
        "pages by id"
    );
    let rest = s.list_clients_page(&t(), Some(&ids[1]), 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        ids[2..]
    );

    let stored = s.get_client(&t(), &ids[0]).await.unwrap().unwrap();
    assert_eq!(stored.revision, 1);
    let mut changed = stored.clone();
    changed.name = "Renamed".into();
    changed.secret_digest = Some(Digest32::of("new secret"));
    changed.redirect_uris = vec![RedirectUri::parse("https://new.example/cb").unwrap()];
    changed.disabled = true;
    assert!(
        s.update_client(&changed, &ev(AuditKind::ClientUpdated))
            .await
            .unwrap()
    );
    let now = s.get_client(&t(), &ids[0]).await.unwrap().unwrap();
    assert_eq!(now.revision, 2);
    assert_eq!(
        Client {
            revision: 1,
            ..now.clone()
        },
        changed
    );
    assert!(
        !s.update_client(&changed, &ev(AuditKind::ClientUpdated))
            .await
            .unwrap(),
        "a change based on revision 1 is refused at revision 2"
    );

    // Deleting takes the consents given to it and revokes the grants it holds.
    let alice = sample_user(&t(), "alice");
    s.create_user(&alice, &ev(AuditKind::UserCreated))
        .await
        .unwrap();
    let consent = Consent {
        tenant: t(),
        user_id: alice.id.clone(),
        client_id: now.id.clone(),
        scopes: ScopeSet::parse("openid").unwrap(),
        granted_at: NOW,
    };
    s.save_consent(&consent, &ev(AuditKind::ConsentGranted))
        .await
        .unwrap();
    s.put_artifact(&code("c", NOW.0 + 60), NOW).await.unwrap();
    let issue = Issue {
        family: Some(family(&alice, &now, "fam")),
        refresh: Some(refresh("fam", "rt", "jti-c")),
        session_client: None,
    };
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
        !s.delete_client(&t(), &now.id, Some(1), &ev(AuditKind::ClientDeleted))
            .await
            .unwrap()
    );
    assert!(
        s.delete_client(&t(), &now.id, None, &ev(AuditKind::ClientDeleted))
            .await
            .unwrap()
    );
    assert!(s.get_client(&t(), &now.id).await.unwrap().is_none());
    assert!(
        s.get_consent(&t(), &alice.id, &now.id)
            .await
            .unwrap()
            .is_none()
    );
    let (_, fam) = s
        .find_refresh_token(&t(), &Digest32::of("rt"))
        .await
        .unwrap()
        .unwrap();
    assert!(fam.revoked_at.is_some());
    assert!(s.is_access_token_revoked(&t(), "jti-c").await.unwrap());
    assert_eq!(s.list_clients(&t()).await.unwrap().len(), 4);
}
