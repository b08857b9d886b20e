//! Verifiable credentials: issuance allocates distinct random status entries, statuses show in
//! their lists, revocation is final, and deleting a user revokes what was issued about them.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use super::*;
use crate::Issuance;

fn offered(id: &str, user: &UserId) -> IssuedCredential {
    IssuedCredential::offered(&t(), id.into(), user, "employee", NOW)
}

fn issuance(id: &str, copies: usize) -> Issuance<'_> {
    Issuance {
        credential_id: id,
        copies,
        list_size: 64,
        expires_at: NOW.plus(std::time::Duration::from_secs(3600)),
        now: NOW,
    }
}

pub async fn credentials(s: &dyn Store) {
    let user = sample_user(&t(), "holder");
    s.create_user(&user, &ev(AuditKind::UserCreated))
        .await
        .unwrap();
    for id in ["c1", "c2", "c3"] {
        s.create_credential(&offered(id, &user.id), &ev(AuditKind::CredentialOffered))
            .await
            .unwrap();
    }
    assert!(matches!(
        s.create_credential(&offered("c1", &user.id), &ev(AuditKind::CredentialOffered))
            .await,
        Err(StoreError::Conflict(_))
    ));

    // Copies get distinct random entries; a list is filled to half before another opens.
    let audit = ev(AuditKind::CredentialIssued);
    let first = s
        .record_issuance(&t(), &issuance("c1", 20), &audit)
        .await
        .unwrap()
        .unwrap();
    let second = s
        .record_issuance(&t(), &issuance("c2", 12), &audit)
        .await
        .unwrap()
        .unwrap();
    let third = s
        .record_issuance(&t(), &issuance("c3", 4), &audit)
        .await
        .unwrap()
        .unwrap();
    let list = &first[0].list_id;
    assert!(
        first
            .iter()
            .chain(&second)
            .all(|slot| &slot.list_id == list)
    );
    assert!(
        third.iter().all(|slot| &slot.list_id != list),
        "a 64-entry list holds 32"
    );
    let indexes: HashSet<u64> = first.iter().chain(&second).map(|s| s.idx).collect();
    assert_eq!(indexes.len(), 32);
    assert!(indexes.iter().all(|i| *i < 64));
    assert!(
        s.record_issuance(&t(), &issuance("missing", 1), &audit)
            .await
            .unwrap()
            .is_none()
    );

    let c1 = s.get_credential(&t(), "c1").await.unwrap().unwrap();
    assert_eq!(c1.state, CredentialState::Issued);
    assert_eq!(c1.copies, 20);
    assert_eq!(c1.issued_at, Some(NOW));
    assert_eq!(
        s.list_user_credentials(&t(), &user.id).await.unwrap().len(),
        3
    );

    // A state moves only from the one named, and only while the credential is valid.
    let moved = ev(AuditKind::CredentialStatusChanged);
    let (offered_state, pending) = (CredentialState::Offered, CredentialState::Pending);
    s.create_credential(&offered("c4", &user.id), &ev(AuditKind::CredentialOffered))
        .await
        .unwrap();
    assert!(
        s.set_credential_state(&t(), "c4", offered_state, pending, NOW, &moved)
            .await
            .unwrap()
    );
    assert!(
        !s.set_credential_state(&t(), "c4", offered_state, pending, NOW, &moved)
            .await
            .unwrap(),
        "no longer offered"
    );
    let c4 = s.get_credential(&t(), "c4").await.unwrap().unwrap();
    assert_eq!(c4.state, CredentialState::Pending);
    assert!(
        !s.set_credential_state(&t(), "nope", offered_state, pending, NOW, &moved)
            .await
            .unwrap()
    );

    // Statuses show in the list; revocation is final.
    let changed = ev(AuditKind::CredentialStatusChanged);
    assert!(
        s.set_credential_status(&t(), "c1", CredentialStatus::Suspended, NOW, &changed)
            .await
            .unwrap()
    );
    assert!(
        s.set_credential_status(&t(), "c2", CredentialStatus::Revoked, NOW, &changed)
            .await
            .unwrap()
    );
    assert!(
        !s.set_credential_status(&t(), "c2", CredentialStatus::Valid, NOW, &changed)
            .await
            .unwrap()
    );
    assert!(
        !s.set_credential_status(&t(), "nope", CredentialStatus::Valid, NOW, &changed)
            .await
            .unwrap()
    );
    let entries = s.status_list_entries(&t(), list).await.unwrap().unwrap();
    assert_eq!((entries.list.bits, entries.list.size), (2, 64));
    assert_eq!(entries.invalid.len(), 32);
    for slot in &first {
        assert!(
            entries
                .invalid
                .contains(&(slot.idx, CredentialStatus::Suspended))
        );
    }
    for slot in &second {
        assert!(
            entries
                .invalid
                .contains(&(slot.idx, CredentialStatus::Revoked))
        );
    }
    assert!(
        s.record_issuance(&t(), &issuance("c2", 1), &audit)
            .await
            .unwrap()
            .is_none(),
        "no copies of a revoked credential"
    );
    assert!(s.status_list_entries(&t(), "nope").await.unwrap().is_none());
    let other = TenantId::parse("other").unwrap();
    assert!(s.status_list_entries(&other, list).await.unwrap().is_none());

    // Deleting the user revokes the rest.
    s.delete_user(&t(), &user.id, None, &ev(AuditKind::UserDeleted))
        .await
        .unwrap();
    let c3 = s.get_credential(&t(), "c3").await.unwrap().unwrap();
    assert_eq!(c3.status, CredentialStatus::Revoked);

    // Definitions: saved, replaced, listed by kind, deleted.
    let saved = ev(AuditKind::VcDefinitionSaved);
    let def = |id: &str, v: i64| VcDefinition {
        tenant: t(),
        kind: "credential_type".into(),
        id: id.into(),
        definition: json!({"v": v}),
        created_at: NOW,
        updated_at: NOW,
    };
    s.put_vc_definition(&def("b", 1), &saved).await.unwrap();
    s.put_vc_definition(&def("a", 1), &saved).await.unwrap();
    s.put_vc_definition(&def("a", 2), &saved).await.unwrap();
    let mut verifier = def("a", 9);
    verifier.kind = "verifier".into();
    s.put_vc_definition(&verifier, &saved).await.unwrap();
    let types = s
        .list_vc_definitions(&t(), "credential_type")
        .await
        .unwrap();
    assert_eq!(
        types.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(types[0].definition, json!({"v": 2}));
    let gone = ev(AuditKind::VcDefinitionDeleted);
    assert!(
        s.delete_vc_definition(&t(), "credential_type", "a", &gone)
            .await
            .unwrap()
    );
    assert!(
        !s.delete_vc_definition(&t(), "credential_type", "a", &gone)
            .await
            .unwrap()
    );
    assert_eq!(
        s.list_vc_definitions(&t(), "verifier").await.unwrap().len(),
        1
    );
}
