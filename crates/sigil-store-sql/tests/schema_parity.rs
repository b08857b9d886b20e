//! Both backends' migrations describe the same schema: the same tables with the same columns,
//! nullable in the same places.

#![allow(clippy::unwrap_used)]

mod pg;

use std::collections::BTreeMap;

use sqlx::{Connection, Row};

type Schema = BTreeMap<String, Vec<(String, bool)>>;

async fn sqlite_schema(path: &std::path::Path) -> Schema {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for t in tables {
        let rows = sqlx::query(&format!(
            "SELECT name, \"notnull\", pk FROM pragma_table_info('{t}')"
        ))
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let mut cols: Vec<(String, bool)> = rows
            .iter()
            .map(|r| {
                let not_null: i64 = r.get(1);
                let pk: i64 = r.get(2);
                (r.get::<String, _>(0), not_null == 1 || pk > 0)
            })
            .collect();
        cols.sort();
        schema.insert(t, cols);
    }
    schema
}

async fn postgres_schema(schema_name: &str) -> Schema {
    let mut conn = sqlx::PgConnection::connect(&pg::admin_url()).await.unwrap();
    let rows = sqlx::query(
        "SELECT table_name::text, column_name::text, is_nullable::text FROM information_schema.columns
         WHERE table_schema = $1 AND table_name NOT LIKE '_sqlx%'",
    )
    .bind(schema_name)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for r in rows {
        let nullable: String = r.get(2);
        schema
            .entry(r.get(0))
            .or_default()
            .push((r.get(1), nullable == "NO"));
    }
    schema.values_mut().for_each(|c| c.sort());
    schema
}

#[tokio::test]
async fn both_migration_sets_describe_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    sigil_store_sql::SqliteStore::open_dir(dir.path())
        .await
        .unwrap();
    let lite = sqlite_schema(&dir.path().join("sigil.db")).await;
    let fixture = pg::Fixture::new().await;
    let pg = postgres_schema(&fixture.schema).await;
    assert!(lite.len() >= 12, "{lite:?}");
    assert_eq!(lite, pg);
}
