//! Several Sigil nodes on one PostgreSQL database, as behind a load balancer: one issuer, one
//! master key, a schema of their own in the test database (dropped at the end).

use sqlx::Connection;

use crate::TestApp;

/// The database tests create their schemas in.
pub fn admin_url() -> String {
    std::env::var("SIGIL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// The nodes.
pub struct TestCluster {
    /// The running nodes.
    pub nodes: Vec<TestApp>,
    schema: String,
}

/// The issuer every node of a cluster shares.
pub const CLUSTER_ISSUER: &str = "http://sigil.cluster.test";

impl TestCluster {
    /// Starts `n` nodes on a fresh schema.
    pub async fn spawn(n: usize) -> Self {
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
        let url = format!("{}?options=-c%20search_path%3D{schema}", admin_url());
        let key = sigil_core::b64url_encode(sigil_core::random::bytes::<32>());
        let mut nodes = Vec::new();
        for _ in 0..n {
            let (url, key) = (url.clone(), key.clone());
            nodes.push(
                TestApp::spawn_with(move |c| {
                    c.database.url = Some(url);
                    c.database.max_connections = 8;
                    c.secrets.master_key = Some(key);
                    c.server.issuer = CLUSTER_ISSUER.into();
                })
                .await,
            );
        }
        TestCluster { nodes, schema }
    }

    /// Node `i` (wrapping), to spread requests.
    pub fn node(&self, i: usize) -> &TestApp {
        &self.nodes[i % self.nodes.len()]
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        self.nodes.clear();
        let schema = self.schema.clone();
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
