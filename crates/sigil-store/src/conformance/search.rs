//! Searching users and groups (what SCIM filters become), and provisioning tokens.

#![allow(clippy::unwrap_used)]

use super::groups::sample_group;
use super::*;
use crate::{Condition, Found, GroupField, Literal, Op, Search, UserField};

fn text(s: &str) -> Literal {
    Literal::Text(s.to_owned())
}

fn all<F>() -> Condition<F> {
    Condition::All
}

fn cmp<F>(field: F, op: Op, literal: Literal) -> Condition<F> {
    Condition::Compare(field, op, literal)
}

fn search<F>(condition: Condition<F>) -> Search<F> {
    Search {
        condition,
        sort: None,
        offset: 0,
        limit: 100,
    }
}

async fn usernames(s: &dyn Store, q: Search<UserField>) -> (u64, Vec<String>) {
    let Found { total, items } = s.search_users(&t(), &q).await.unwrap();
    (total, items.into_iter().map(|u| u.username).collect())
}

pub async fn user_search(s: &dyn Store) {
    let people = [
        ("alice", Some("Alice@Example.com"), Some("ext-1"), false),
        ("alicia", None, Some("EXT-2"), true),
        ("bob", Some("bob@example.org"), None, false),
        ("carol%_", Some("carol@example.com"), None, false),
    ];
    for (i, (name, email, external, disabled)) in people.into_iter().enumerate() {
        let mut u = sample_user(&t(), name);
        u.email = email.map(str::to_owned);
        u.external_id = external.map(str::to_owned);
        u.disabled = disabled;
        u.name = (i != 2).then(|| format!("Person {name}"));
        u.created_at = UnixTime(NOW.0 + i as i64);
        u.attributes = json!({"title": name}).as_object().unwrap().clone();
        s.create_user(&u, &ev(AuditKind::UserCreated))
            .await
            .unwrap();
    }
    let stored = s
        .find_user_by_username(&t(), "alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.attributes["title"], "alice", "attributes round-trip");
    assert_eq!(stored.external_id.as_deref(), Some("ext-1"));

    let found = |c| {
        let sorted = Search {
            sort: Some((UserField::Username, false)),
            ..search(c)
        };
        usernames(s, sorted)
    };
    assert_eq!(
        found(all()).await,
        (
            4,
            vec![
                "alice".into(),
                "alicia".into(),
                "bob".into(),
                "carol%_".into()
            ]
        )
    );
    assert_eq!(
        found(cmp(UserField::Username, Op::StartsWith, text("ali")))
            .await
            .1,
        ["alice", "alicia"]
    );
    assert_eq!(
        found(cmp(UserField::Email, Op::Eq, text("alice@example.com")))
            .await
            .1,
        ["alice"]
    );
    assert_eq!(
        found(cmp(UserField::Email, Op::EndsWith, text(".com")))
            .await
            .1,
        ["alice", "carol%_"]
    );
    // `%` and `_` are characters, not wildcards.
    assert_eq!(
        found(cmp(UserField::Username, Op::Contains, text("%_")))
            .await
            .1,
        ["carol%_"]
    );
    assert_eq!(
        found(cmp(UserField::Username, Op::Contains, text("l_")))
            .await
            .0,
        0
    );
    // External ids compare exactly; `ne` matches a user without one.
    assert_eq!(
        found(cmp(UserField::ExternalId, Op::Eq, text("ext-2")))
            .await
            .0,
        0
    );
    assert_eq!(
        found(cmp(UserField::ExternalId, Op::Ne, text("ext-1")))
            .await
            .1,
        ["alicia", "bob", "carol%_"]
    );
    assert_eq!(
        found(Condition::Present(UserField::ExternalId)).await.1,
        ["alice", "alicia"]
    );
    assert_eq!(
        found(Condition::Not(Box::new(Condition::Present(
            UserField::Email
        ))))
        .await
        .1,
        ["alicia"]
    );
    assert_eq!(
        found(cmp(UserField::Active, Op::Eq, Literal::Bool(false)))
            .await
            .1,
        ["alicia"]
    );
    assert_eq!(
        found(Condition::Or(
            Box::new(cmp(UserField::Name, Op::Eq, text("person bob"))),
            Box::new(cmp(
                UserField::CreatedAt,
                Op::Ge,
                Literal::Time(UnixTime(NOW.0 + 3))
            )),
        ))
        .await
        .1,
        ["carol%_"],
        "bob has no display name"
    );
    // Case is ignored beyond ASCII, the same on every store.
    let mut emile = sample_user(&t(), "emile");
    emile.name = Some("Émile Zola".into());
    emile.created_at = UnixTime(NOW.0 - 1);
    s.create_user(&emile, &ev(AuditKind::UserCreated))
        .await
        .unwrap();
    assert_eq!(
        found(cmp(UserField::Name, Op::Eq, text("émile zola")))
            .await
            .1,
        ["emile"]
    );
    // `active` ascending (false before true) puts the disabled first.
    let by_active = Search {
        sort: Some((UserField::Active, false)),
        ..search(all())
    };
    assert_eq!(usernames(s, by_active).await.1[0], "alicia");
    s.delete_user(&t(), &emile.id, None, &ev(AuditKind::UserDeleted))
        .await
        .unwrap();

    // Sorted, sliced, counted.
    let q = Search {
        condition: cmp(UserField::Active, Op::Eq, Literal::Bool(true)),
        sort: Some((UserField::Email, true)),
        offset: 1,
        limit: 1,
    };
    assert_eq!(usernames(s, q.clone()).await, (3, vec!["bob".into()]));
    assert_eq!(usernames(s, Search { limit: 0, ..q }).await, (3, vec![]));
}

pub async fn group_search(s: &dyn Store) {
    let alice = sample_user(&t(), "alice");
    let bob = sample_user(&t(), "bob");
    for u in [&alice, &bob] {
        s.create_user(u, &ev(AuditKind::UserCreated)).await.unwrap();
    }
    let mut eng = sample_group("Engineering");
    eng.external_id = Some("hr-42".into());
    let ops = sample_group("Ops");
    for g in [&eng, &ops] {
        s.create_group(g, &ev(AuditKind::GroupCreated))
            .await
            .unwrap();
    }
    // Renaming and changing members is one optimistic change.
    let mut renamed = eng.clone();
    renamed.name = "R&D".into();
    assert!(
        s.update_group_and_members(
            &renamed,
            &[alice.id.clone(), bob.id.clone()],
            &[],
            &ev(AuditKind::GroupUpdated)
        )
        .await
        .unwrap()
    );
    assert!(
        !s.update_group_and_members(
            &renamed,
            &[],
            std::slice::from_ref(&bob.id),
            &ev(AuditKind::GroupUpdated)
        )
        .await
        .unwrap(),
        "stale"
    );
    renamed.revision = 2;
    assert!(
        s.update_group_and_members(
            &renamed,
            &[],
            std::slice::from_ref(&bob.id),
            &ev(AuditKind::GroupUpdated)
        )
        .await
        .unwrap()
    );
    let stored = s.get_group(&t(), &eng.id).await.unwrap().unwrap();
    assert_eq!(
        (
            stored.name.as_str(),
            stored.revision,
            stored.external_id.as_deref()
        ),
        ("R&D", 3, Some("hr-42"))
    );
    let pairs = s
        .list_groups_of_users(&t(), &[alice.id.clone(), bob.id.clone()])
        .await
        .unwrap();
    assert_eq!(
        pairs
            .iter()
            .map(|(u, g)| (u, g.name.as_str()))
            .collect::<Vec<_>>(),
        [(&alice.id, "R&D")]
    );
    assert!(s.list_groups_of_users(&t(), &[]).await.unwrap().is_empty());
    let members = s.list_members(&t(), &eng.id, None, 10).await.unwrap();
    assert_eq!(
        members.iter().map(|u| &u.id).collect::<Vec<_>>(),
        [&alice.id]
    );

    let names = |q| async move {
        let Found { total, items } = s.search_groups(&t(), &search(q)).await.unwrap();
        (total, items.into_iter().map(|g| g.name).collect::<Vec<_>>())
    };
    let (total, mut every) = names(Condition::All).await;
    every.sort();
    assert_eq!(
        (total, every),
        (2, vec!["Ops".to_owned(), "R&D".to_owned()])
    );
    assert_eq!(
        names(cmp(GroupField::Name, Op::Eq, text("r&d"))).await.1,
        ["R&D"]
    );
    assert_eq!(
        names(cmp(GroupField::Member, Op::Eq, text(alice.id.as_str())))
            .await
            .1,
        ["R&D"]
    );
    assert_eq!(
        names(cmp(GroupField::Member, Op::Eq, text(bob.id.as_str())))
            .await
            .0,
        0
    );
    assert_eq!(
        names(Condition::Not(Box::new(Condition::Present(
            GroupField::Member
        ))))
        .await
        .1,
        ["Ops"]
    );
    assert_eq!(
        names(cmp(GroupField::ExternalId, Op::Eq, text("hr-42")))
            .await
            .1,
        ["R&D"]
    );
}

pub async fn provisioning_tokens(s: &dyn Store) {
    let token = ProvisioningToken {
        tenant: t(),
        id: "pt1".into(),
        name: "Workday".into(),
        digest: Digest32::of("secret"),
        created_at: NOW,
    };
    s.create_provisioning_token(&token, &ev(AuditKind::ProvisioningTokenCreated))
        .await
        .unwrap();
    assert_eq!(
        s.find_provisioning_token(&Digest32::of("secret"))
            .await
            .unwrap(),
        Some(token.clone())
    );
    assert_eq!(
        s.find_provisioning_token(&Digest32::of("other"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(s.list_provisioning_tokens(&t()).await.unwrap(), vec![token]);
    assert!(
        s.delete_provisioning_token(&t(), "pt1", &ev(AuditKind::ProvisioningTokenDeleted))
            .await
            .unwrap()
    );
    assert!(
        !s.delete_provisioning_token(&t(), "pt1", &ev(AuditKind::ProvisioningTokenDeleted))
            .await
            .unwrap()
    );
    assert_eq!(
        s.find_provisioning_token(&Digest32::of("secret"))
            .await
            .unwrap(),
        None
    );
}
