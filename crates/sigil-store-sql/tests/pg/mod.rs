//! A PostgreSQL schema per test, dropped when the test ends.

#![allow(dead_code, clippy::unwrap_used)]

use std::ops::Deref;

use sigil_store_sql::testing::{create_schema, drop_blocking};
use sigil_store_sql::{PgSettings, PgStore};

pub use sigil_store_sql::testing::admin_url;

/// A store in a fresh schema.
pub struct Fixture<T> {
    pub store: Option<T>,
    pub schema: String,
}

impl<T> Deref for Fixture<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.store.as_ref().unwrap()
    }
}

impl Fixture<PgStore> {
    /// A migrated store in a fresh schema.
    pub async fn new() -> Self {
        let schema = create_schema().await;
        let settings = PgSettings {
            schema: Some(schema.clone()),
            max_connections: 4,
            ..PgSettings::default()
        };
        let store = PgStore::connect(&admin_url(), &settings)
            .await
            .expect("store connects");
        Fixture {
            store: Some(store),
            schema,
        }
    }
}

impl<T> Drop for Fixture<T> {
    fn drop(&mut self) {
        // Close the store's connections first: they may hold locks the DROP would wait for.
        drop(self.store.take());
        drop_blocking(format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}
