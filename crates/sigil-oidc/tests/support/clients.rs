//! Clients as the tests hold them, and the in-memory `jwks_uri` fetcher.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use sigil_oidc::JwksFetcher;
use sigil_oidc::admin::CreatedClient;

/// Serves clients' JWK Sets from memory and counts fetches.
#[derive(Debug, Default)]
pub struct FakeJwks {
    sets: Mutex<HashMap<String, Value>>,
    fetches: AtomicUsize,
}

impl FakeJwks {
    /// Publishes `jwks` at `uri` (replacing what was there).
    pub fn serve(&self, uri: &str, jwks: Value) {
        self.sets.lock().expect("lock").insert(uri.to_owned(), jwks);
    }

    /// How many fetches were made.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl JwksFetcher for FakeJwks {
    async fn fetch(&self, uri: &str) -> Result<Value, String> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        self.sets
            .lock()
            .expect("lock")
            .get(uri)
            .cloned()
            .ok_or_else(|| format!("404 at {uri}"))
    }
}

/// A registered client with its secret.
#[derive(Debug, Clone)]
pub struct TestClient {
    /// `client_id`.
    pub id: String,
    /// The secret, for secret-based clients.
    pub secret: Option<String>,
}

impl TestClient {
    /// The client's HTTP Basic `Authorization` header.
    pub fn basic(&self) -> String {
        basic(
            &self.id,
            self.secret.as_deref().expect("a confidential client"),
        )
    }
}

impl From<CreatedClient> for TestClient {
    fn from(c: CreatedClient) -> Self {
        TestClient {
            id: c.client_id,
            secret: c.client_secret,
        }
    }
}

/// An HTTP Basic header (RFC 6749 §2.3.1: both parts form-encoded first).
pub fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}
