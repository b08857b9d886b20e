//! The shared storage conformance suite, run against SQLite.

use std::ops::Deref;

use sigil_store_sql::SqliteStore;

struct Fixture {
    _dir: tempfile::TempDir,
    store: SqliteStore,
}

impl Deref for Fixture {
    type Target = SqliteStore;
    fn deref(&self) -> &SqliteStore {
        &self.store
    }
}

async fn fresh() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open_dir(dir.path())
        .await
        .expect("store opens");
    Fixture { _dir: dir, store }
}

sigil_store::conformance_suite!(fresh);

#[tokio::test]
async fn reopening_keeps_data_and_does_not_rerun_migrations() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let store = SqliteStore::open_dir(dir.path()).await.expect("opens");
        let client =
            sigil_store::conformance::sample_client(&sigil_core::TenantId::default_tenant());
        let ev = sigil_core::model::AuditEvent::new(
            &client.tenant,
            client.created_at,
            sigil_core::model::AuditKind::ClientCreated,
            "test",
        );
        sigil_store::ClientStore::create_client(&store, &client, &ev)
            .await
            .expect("creates");
    }
    let store = SqliteStore::open_dir(dir.path()).await.expect("reopens");
    let tenant = sigil_core::TenantId::default_tenant();
    assert_eq!(
        sigil_store::ClientStore::list_clients(&store, &tenant)
            .await
            .expect("lists")
            .len(),
        1
    );
}
