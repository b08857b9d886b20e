//! Test support: throw-away PostgreSQL schemas and databases in the test database named by
//! `SIGIL_TEST_POSTGRES_URL` (default: the local `test` database), for this crate's tests and
//! the workspace's. Not used by Sigil itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::Connection;

/// The database tests create their schemas and databases from.
pub fn admin_url() -> String {
    std::env::var("SIGIL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A random lower-case SQL identifier starting with `prefix`.
pub fn unique_name(prefix: &str) -> String {
    let suffix = sigil_core::b64url_encode(sigil_core::random::bytes::<9>())
        .to_lowercase()
        .replace(['-', '_'], "x");
    format!("{prefix}_{suffix}")
}

/// Runs one statement on the admin database.
pub async fn admin_execute(sql: &str) {
    let mut conn = sqlx::PgConnection::connect(&admin_url())
        .await
        .expect("PostgreSQL is reachable");
    sqlx::query(sql)
        .execute(&mut conn)
        .await
        .expect("admin statement");
}

/// Creates an empty schema; returns its name.
pub async fn create_schema() -> String {
    let schema = unique_name("sigil_test");
    admin_execute(&format!("CREATE SCHEMA {schema}")).await;
    schema
}

/// A URL whose connections use `schema`.
pub fn schema_url(schema: &str) -> String {
    format!("{}?options=-c%20search_path%3D{schema}", admin_url())
}

/// Creates an empty database; returns its name and URL.
pub async fn create_database() -> (String, String) {
    let name = unique_name("sigil_test_db");
    admin_execute(&format!("CREATE DATABASE {name}")).await;
    let base = admin_url();
    let url = format!("{}/{name}", &base[..base.rfind('/').unwrap_or(base.len())]);
    (name, url)
}

/// Drops a schema or database from a synchronous context (a `Drop`), waiting for it.
pub fn drop_blocking(statement: String) {
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
                let _ = sqlx::query(&statement).execute(&mut conn).await;
            }
        });
    })
    .join();
}
