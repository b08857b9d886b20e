//! Groups and memberships.

#![allow(clippy::unwrap_used)]

use super::*;

pub(crate) fn sample_group(name: &str) -> Group {
    Group {
        tenant: t(),
        id: GroupId::generate(),
        name: name.to_owned(),
        description: Some(format!("the {name} team")),
        external_id: None,
        created_at: NOW,
        updated_at: NOW,
        revision: 1,
    }
}

pub async fn groups(s: &dyn Store) {
    let eng = sample_group("Engineering");
    s.create_group(&eng, &ev(AuditKind::GroupCreated))
        .await
        .unwrap();
    assert_eq!(s.get_group(&t(), &eng.id).await.unwrap(), Some(eng.clone()));
    assert!(matches!(
        s.create_group(&sample_group("ENGINEERING"), &ev(AuditKind::GroupCreated))
            .await,
        Err(StoreError::Conflict(_))
    ));
    for name in ["Finance", "engineering-leads", "Ops"] {
        s.create_group(&sample_group(name), &ev(AuditKind::GroupCreated))
            .await
            .unwrap();
    }
    let names = |groups: Vec<Group>| groups.into_iter().map(|g| g.name).collect::<Vec<_>>();
    assert_eq!(
        names(s.list_groups(&t(), None, None, 10).await.unwrap()),
        vec!["Engineering", "engineering-leads", "Finance", "Ops"]
    );
    assert_eq!(
        names(
            s.list_groups(&t(), Some("engineering"), None, 10)
                .await
                .unwrap()
        ),
        vec!["Engineering", "engineering-leads"]
    );
    assert_eq!(
        names(
            s.list_groups(&t(), None, Some("engineering-leads"), 1)
                .await
                .unwrap()
        ),
        vec!["Finance"]
    );

    // Renaming is optimistic and keeps names unique.
    let mut renamed = eng.clone();
    renamed.name = "R&D".into();
    renamed.updated_at = UnixTime(NOW.0 + 1);
    assert!(
        s.update_group(&renamed, &ev(AuditKind::GroupUpdated))
            .await
            .unwrap()
    );
    assert!(
        !s.update_group(&renamed, &ev(AuditKind::GroupUpdated))
            .await
            .unwrap(),
        "stale"
    );
    let mut clash = s.get_group(&t(), &eng.id).await.unwrap().unwrap();
    assert_eq!((clash.name.as_str(), clash.revision), ("R&D", 2));
    clash.name = "finance".into();
    assert!(matches!(
        s.update_group(&clash, &ev(AuditKind::GroupUpdated)).await,
        Err(StoreError::Conflict(_))
    ));

    // Members: added once, listed as users, counted as changes of the group.
    let alice = sample_user(&t(), "alice");
    let bob = sample_user(&t(), "bob");
    for u in [&alice, &bob] {
        s.create_user(u, &ev(AuditKind::UserCreated)).await.unwrap();
    }
    let at = UnixTime(NOW.0 + 5);
    let added = ev(AuditKind::GroupMemberAdded);
    assert!(
        s.add_member(&t(), &eng.id, &alice.id, at, &added)
            .await
            .unwrap()
    );
    assert!(
        !s.add_member(&t(), &eng.id, &alice.id, at, &added)
            .await
            .unwrap(),
        "already a member"
    );
    assert!(
        s.add_member(&t(), &eng.id, &bob.id, at, &added)
            .await
            .unwrap()
    );
    let group = s.get_group(&t(), &eng.id).await.unwrap().unwrap();
    assert_eq!((group.revision, group.updated_at), (4, at));
    let members = s.list_members(&t(), &eng.id, None, 10).await.unwrap();
    let mut expected = vec![alice.id.clone(), bob.id.clone()];
    expected.sort();
    assert_eq!(
        members.iter().map(|u| u.id.clone()).collect::<Vec<_>>(),
        expected
    );
    let rest = s
        .list_members(&t(), &eng.id, Some(&expected[0]), 10)
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(
        names(s.list_user_groups(&t(), &alice.id).await.unwrap()),
        vec!["R&D"]
    );
    assert!(
        s.remove_member(
            &t(),
            &eng.id,
            &alice.id,
            at,
            &ev(AuditKind::GroupMemberRemoved)
        )
        .await
        .unwrap()
    );
    assert!(
        !s.remove_member(
            &t(),
            &eng.id,
            &alice.id,
            at,
            &ev(AuditKind::GroupMemberRemoved)
        )
        .await
        .unwrap()
    );
    assert!(
        s.list_user_groups(&t(), &alice.id)
            .await
            .unwrap()
            .is_empty()
    );

    // Deleting a user ends their memberships; deleting a group ends its own.
    s.delete_user(&t(), &bob.id, None, &ev(AuditKind::UserDeleted))
        .await
        .unwrap();
    assert!(
        s.list_members(&t(), &eng.id, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    s.add_member(
        &t(),
        &eng.id,
        &alice.id,
        at,
        &ev(AuditKind::GroupMemberAdded),
    )
    .await
    .unwrap();
    assert!(
        !s.delete_group(&t(), &eng.id, Some(1), &ev(AuditKind::GroupDeleted))
            .await
            .unwrap()
    );
    assert!(
        s.delete_group(&t(), &eng.id, None, &ev(AuditKind::GroupDeleted))
            .await
            .unwrap()
    );
    assert!(s.get_group(&t(), &eng.id).await.unwrap().is_none());
    assert!(
        s.list_user_groups(&t(), &alice.id)
            .await
            .unwrap()
            .is_empty()
    );
}
