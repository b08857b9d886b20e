//! Several Sigil nodes on one PostgreSQL database, as behind a load balancer: one issuer, one
//! master key, a schema of their own in the test database (dropped at the end).

use sigil_store_sql::testing::{create_schema, drop_blocking, schema_url};

use crate::TestApp;

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
        let schema = create_schema().await;
        let url = schema_url(&schema);
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
        drop_blocking(format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}
