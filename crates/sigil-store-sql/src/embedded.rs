//! Migrations compiled into the binary, so `sigil` needs no files beside it. sqlx's migrator
//! records what ran and refuses edited migrations; each backend keeps its SQL in
//! `migrations/<backend>/`.

use std::borrow::Cow;
use std::pin::Pin;

use sigil_store::{StoreError, StoreResult};
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// One migration: version, description, SQL.
pub(crate) type Embedded = &'static [(i64, &'static str, &'static str)];

#[derive(Debug)]
struct Source(Embedded);

impl<'s> MigrationSource<'s> for Source {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// A migrator over embedded migrations.
pub(crate) async fn migrator(migrations: Embedded) -> StoreResult<Migrator> {
    Migrator::new(Source(migrations))
        .await
        .map_err(|e| StoreError::Backend(format!("loading migrations: {e}")))
}

/// The SQLite migrations.
pub(crate) const SQLITE: Embedded = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "management",
        include_str!("../migrations/sqlite/0002_management.sql"),
    ),
    (
        3,
        "audit",
        include_str!("../migrations/sqlite/0003_audit.sql"),
    ),
    (
        4,
        "groups",
        include_str!("../migrations/sqlite/0004_groups.sql"),
    ),
    (
        5,
        "scim",
        include_str!("../migrations/sqlite/0005_scim.sql"),
    ),
    (
        6,
        "hooks",
        include_str!("../migrations/sqlite/0006_hooks.sql"),
    ),
    (
        7,
        "credentials",
        include_str!("../migrations/sqlite/0007_credentials.sql"),
    ),
    (
        8,
        "vc_definitions",
        include_str!("../migrations/sqlite/0008_vc_definitions.sql"),
    ),
    (
        9,
        "access_apps",
        include_str!("../migrations/sqlite/0009_access_apps.sql"),
    ),
    (
        10,
        "sign_on_policies",
        include_str!("../migrations/sqlite/0010_sign_on_policies.sql"),
    ),
    (
        11,
        "federation",
        include_str!("../migrations/sqlite/0011_federation.sql"),
    ),
    (
        12,
        "saml_service_providers",
        include_str!("../migrations/sqlite/0012_saml_service_providers.sql"),
    ),
    (
        13,
        "logout_channels",
        include_str!("../migrations/sqlite/0013_logout_channels.sql"),
    ),
    (
        14,
        "device_poll_millis",
        include_str!("../migrations/sqlite/0014_device_poll_millis.sql"),
    ),
];

/// The PostgreSQL migrations.
pub(crate) const POSTGRES: Embedded = &[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "management",
        include_str!("../migrations/postgres/0002_management.sql"),
    ),
    (
        3,
        "audit",
        include_str!("../migrations/postgres/0003_audit.sql"),
    ),
    (
        4,
        "groups",
        include_str!("../migrations/postgres/0004_groups.sql"),
    ),
    (
        5,
        "scim",
        include_str!("../migrations/postgres/0005_scim.sql"),
    ),
    (
        6,
        "hooks",
        include_str!("../migrations/postgres/0006_hooks.sql"),
    ),
    (
        7,
        "credentials",
        include_str!("../migrations/postgres/0007_credentials.sql"),
    ),
    (
        8,
        "vc_definitions",
        include_str!("../migrations/postgres/0008_vc_definitions.sql"),
    ),
    (
        9,
        "access_apps",
        include_str!("../migrations/postgres/0009_access_apps.sql"),
    ),
    (
        10,
        "sign_on_policies",
        include_str!("../migrations/postgres/0010_sign_on_policies.sql"),
    ),
    (
        11,
        "federation",
        include_str!("../migrations/postgres/0011_federation.sql"),
    ),
    (
        12,
        "saml_service_providers",
        include_str!("../migrations/postgres/0012_saml_service_providers.sql"),
    ),
    (
        13,
        "logout_channels",
        include_str!("../migrations/postgres/0013_logout_channels.sql"),
    ),
    (
        14,
        "device_poll_millis",
        include_str!("../migrations/postgres/0014_device_poll_millis.sql"),
    ),
];
