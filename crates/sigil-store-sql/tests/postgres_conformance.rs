//! The shared storage conformance suite, run against PostgreSQL: each test in its own schema
//! of the database named by `SIGIL_TEST_POSTGRES_URL` (default: the local `test` database).

mod pg;

use sigil_store_sql::PgStore;

async fn fresh() -> pg::Fixture<PgStore> {
    pg::Fixture::new().await
}

sigil_store::conformance_suite!(fresh);
