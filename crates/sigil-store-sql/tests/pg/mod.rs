//! A PostgreSQL schema per test, dropped when the test ends.

#![allow(dead_code, clippy::unwrap_used)]

use std::ops::Deref;

use sigil_store_sql::{PgSettings, PgStore};
use sqlx::Connection;

/// The database tests create their schemas in.
pub fn admin_url() -> String {
    std::env::var("SIGIL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

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

/// Creates a uniquely named, empty schema.
pub async fn new_schema() -> String {
    let schema = format!(
        "sigil_test_{}",
        sigil_core::b64url_encode(sigil_core::random::bytes::<9>())
            .to_lowercase()
            .replace(['-', '_'], "x")
    );
    let mut conn = sqlx::PgConnection::connect(&admin_url())
        .await
        .expect("PostgreSQL is reachable");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .unwrap();
    schema
}

impl Fixture<PgStore> {
    /// A migrated store in a fresh schema.
    pub async fn new() -> Self {
        let schema = new_schema().await;
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
        let schema = self.schema.clone();
        // Drop runs outside async: a short-lived runtime on its own thread removes the schema.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url()).await {
                    let _ = sqlx::query("SET lock_timeout = '10s'")
                        .execute(&mut conn)
                        .await;
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}
