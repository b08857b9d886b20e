//! The protocol crate's test harness: a [`Provider`] on a fresh SQLite store in a temporary
//! directory, a [`ManualClock`] tests move, cheap argon2id, an in-memory `jwks_uri` fetcher,
//! and helpers that play the admin, the browser and the client. No HTTP anywhere.

#![allow(dead_code)]

mod checks;
mod clients;

pub use checks::*;
pub use clients::*;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sigil_core::model::User;
use sigil_core::{Clock, ManualClock, TenantId, UserId};
use sigil_keys::{DecodedJws, KeyEncryptionKey, VerifyingJwk};
use sigil_oidc::admin::{NewClient, NewUser};
use sigil_oidc::audit_sink::{AuditQueue, audit_channel};
use sigil_oidc::config::ProviderConfig;
use sigil_oidc::grants::mint::TokenResponse;
use sigil_oidc::{
    AuthorizeOutcome, Browser, InteractionStep, OAuthError, Params, Provider, ProviderDeps,
    TenantCtx,
};

/// Issuer of the default tenant.
pub const ISSUER: &str = "https://sigil.test";
/// Every test user's password (passes the policy).
pub const PASSWORD: &str = "correct horse battery staple";
/// The web client's redirect URI.
pub const REDIRECT: &str = "https://app.example/cb";
/// The web client's post-logout redirect URI.
pub const LOGOUT_REDIRECT: &str = "https://app.example/bye";
/// Grant type name of the device flow.
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// One provider on its own store and clock.
pub struct Harness {
    /// The provider under test.
    pub provider: Provider,
    /// The clock it reads.
    pub clock: Arc<ManualClock>,
    /// The default tenant.
    pub t: TenantCtx,
    /// The `jwks_uri` fetcher.
    pub jwks: Arc<FakeJwks>,
    _audit: AuditQueue,
    dir: tempfile::TempDir,
}

impl Harness {
    /// A provider with default settings (but cheap password hashing).
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    /// A provider whose settings `tweak` adjusts.
    pub async fn with_config(tweak: impl FnOnce(&mut ProviderConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = sigil_store_sql::SqliteStore::open_dir(dir.path())
            .await
            .expect("store opens");
        let mut config = ProviderConfig::default();
        config.passwords.memory_kib = 1024;
        config.passwords.iterations = 1;
        tweak(&mut config);
        let clock = Arc::new(ManualClock::starting_now());
        let (audit, queue) = audit_channel();
        let jwks = Arc::new(FakeJwks::default());
        let provider = Provider::new(ProviderDeps {
            store: Arc::new(store),
            config,
            clock: clock.clone(),
            kek: KeyEncryptionKey::generate().0,
            nonce_key: [9; 32],
            audit,
            jwks_fetcher: jwks.clone(),
            issuer: ISSUER.into(),
            shared_failures: None,
        })
        .expect("provider builds");
        let t = provider.tenant_ctx(&TenantId::default_tenant());
        Harness {
            provider,
            clock,
            t,
            jwks,
            _audit: queue,
            dir,
        }
    }

    /// Moves time forward.
    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now().0
    }

    /// Creates a user with [`PASSWORD`], an e-mail address and a name.
    pub async fn user(&self, username: &str) -> User {
        let new = NewUser {
            username: username.into(),
            password: Some(PASSWORD.into()),
            email: Some(format!("{username}@example.com")),
            email_verified: true,
            name: Some(format!("{username} Example")),
            ..NewUser::default()
        };
        self.provider
            .create_user(&self.t.id, new, "test")
            .await
            .expect("user created")
    }

    /// Registers a client.
    pub async fn client(&self, new: NewClient) -> TestClient {
        self.provider
            .create_client(&self.t.id, new, "test")
            .await
            .expect("client created")
            .into()
    }

    /// A confidential third-party web client (`client_secret_basic`, PKCE required, code and
    /// refresh grants, `openid profile email offline_access`).
    pub async fn web_client(&self) -> TestClient {
        self.client(web_client_spec()).await
    }

    /// A confidential service client for `client_credentials`.
    pub async fn service_client(&self, scopes: &[&str], resources: &[&str]) -> TestClient {
        self.client(NewClient {
            name: "Service".into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            resources: resources.iter().map(|s| (*s).to_owned()).collect(),
            ..NewClient::default()
        })
        .await
    }

    /// A fresh browser without a session.
    pub fn browser(&self) -> Browser {
        Browser {
            browser_id: sigil_core::random::identifier(),
            ..Browser::default()
        }
    }

    /// Signs `username` in on `browser` (setting its session cookie).
    pub async fn sign_in(&self, browser: &mut Browser, username: &str) {
        let signed = self
            .provider
            .sign_in(&self.t, username, PASSWORD, browser)
            .await
            .expect("sign-in succeeds");
        browser.session_secret = Some(signed.secret);
    }

    /// A browser with `username` signed in.
    pub async fn signed_in(&self, username: &str) -> Browser {
        let mut b = self.browser();
        self.sign_in(&mut b, username).await;
        b
    }

    /// Sends an authorization request.
    pub async fn authorize(&self, browser: &Browser, req: &AuthRequest) -> AuthorizeOutcome {
        self.provider
            .authorize(&self.t, &req.params(), browser)
            .await
    }

    /// What interaction `id` asks for now.
    pub async fn interaction(&self, browser: &Browser, id: &str) -> InteractionStep {
        self.provider.interaction(&self.t, id, browser).await
    }

    /// Answers the consent screen of interaction `id`.
    pub async fn consent(&self, browser: &Browser, id: &str, approve: bool) -> InteractionStep {
        self.provider
            .decide_consent(&self.t, id, approve, browser)
            .await
    }

    /// Runs an authorization request for a signed-in browser to its end, approving consent
    /// when asked; returns the final redirect. Panics when sign-in is asked for.
    pub async fn complete(&self, browser: &Browser, req: &AuthRequest) -> String {
        let id = match self.authorize(browser, req).await {
            AuthorizeOutcome::Redirect(url) => return url,
            AuthorizeOutcome::Interaction(id) => id,
            AuthorizeOutcome::ErrorPage(e) => panic!("error page: {e}"),
        };
        match self.interaction(browser, &id).await {
            InteractionStep::Consent { .. } => {
                expect_done_redirect(self.consent(browser, &id, true).await)
            }
            InteractionStep::Done(outcome) => expect_redirect(outcome),
            InteractionStep::Login { .. } => panic!("the interaction asks for sign-in"),
        }
    }

    /// An authorization code for a signed-in browser (consent approved when asked).
    pub async fn code(&self, browser: &Browser, req: &AuthRequest) -> String {
        let url = self.complete(browser, req).await;
        let q = query(&url);
        assert!(url.starts_with(REDIRECT), "redirects to the client: {url}");
        q.get("code")
            .cloned()
            .unwrap_or_else(|| panic!("no code in {url}"))
    }

    /// A token request with an `Authorization` header (or none).
    pub async fn token_with(
        &self,
        authorization: Option<&str>,
        pairs: &[(&str, &str)],
    ) -> Result<TokenResponse, OAuthError> {
        self.provider
            .token(
                &self.t,
                &Params::from_pairs(pairs.iter().copied()),
                sigil_oidc::grants::TokenHeaders {
                    authorization,
                    ..Default::default()
                },
            )
            .await
    }

    /// A token request authenticated with the client's secret over HTTP Basic.
    pub async fn token(
        &self,
        client: &TestClient,
        pairs: &[(&str, &str)],
    ) -> Result<TokenResponse, OAuthError> {
        self.token_with(Some(&client.basic()), pairs).await
    }

    /// Redeems `code` as the authorization request `req` demands.
    pub async fn redeem(
        &self,
        client: &TestClient,
        code: &str,
        req: &AuthRequest,
    ) -> Result<TokenResponse, OAuthError> {
        let verifier = req.verifier.clone().unwrap_or_default();
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ];
        if !verifier.is_empty() {
            pairs.push(("code_verifier", &verifier));
        }
        self.token(client, &pairs).await
    }

    /// Signs `username` in, runs the code flow for `scope` with `client` and redeems the code.
    pub async fn tokens_for(
        &self,
        client: &TestClient,
        username: &str,
        scope: &str,
    ) -> (Browser, TokenResponse) {
        let browser = self.signed_in(username).await;
        let req = AuthRequest::new(&client.id).set("scope", scope);
        let code = self.code(&browser, &req).await;
        let tokens = self
            .redeem(client, &code, &req)
            .await
            .expect("code redeems");
        (browser, tokens)
    }

    /// A refresh request.
    pub async fn refresh(
        &self,
        client: &TestClient,
        refresh_token: &str,
    ) -> Result<TokenResponse, OAuthError> {
        self.token(
            client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    /// Introspects `token` as `client`; returns the response body.
    pub async fn introspect(
        &self,
        client: &TestClient,
        token: &str,
    ) -> serde_json::Map<String, Value> {
        let params = Params::from_pairs([("token", token)]);
        self.provider
            .introspect(&self.t, &params, Some(&client.basic()))
            .await
            .expect("introspection answers")
    }

    /// Whether `token` introspects as active (for `client`).
    pub async fn is_active(&self, client: &TestClient, token: &str) -> bool {
        self.introspect(client, token).await["active"] == Value::Bool(true)
    }

    /// Runs SQL against the store's database file, out of band (for states no API creates).
    pub async fn sql(&self, statement: &str, binds: &[&str]) {
        let path = self.dir.path().join(sigil_store_sql::sqlite::DATABASE_FILE);
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .foreign_keys(false);
        let pool = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("db opens");
        let mut query = sqlx::query(statement);
        for b in binds {
            query = query.bind(*b);
        }
        query.execute(&pool).await.expect("sql runs");
        pool.close().await;
    }

    /// Marks a user disabled.
    pub async fn disable_user(&self, id: &UserId) {
        self.sql("UPDATE users SET disabled = 1 WHERE id = ?", &[id.as_str()])
            .await;
    }

    /// Deletes a user outright.
    pub async fn delete_user(&self, id: &UserId) {
        self.sql("DELETE FROM users WHERE id = ?", &[id.as_str()])
            .await;
    }

    /// Marks a client disabled, as another process would: the change epoch moves and the
    /// provider drops its caches.
    pub async fn disable_client(&self, id: &str) {
        self.sql("UPDATE clients SET disabled = 1 WHERE id = ?", &[id])
            .await;
        self.sql("UPDATE change_epoch SET epoch = epoch + 1", &[])
            .await;
        self.provider.refresh_caches().await.expect("epoch read");
    }

    /// Verifies a JWT's signature against the published JWKS.
    pub async fn verifies_with_jwks(&self, token: &str) -> bool {
        let jwks = self.provider.jwks(&self.t.id).await.expect("jwks");
        let Ok(jws) = DecodedJws::decode(token, 64 * 1024) else {
            return false;
        };
        VerifyingJwk::parse_set(&jwks)
            .iter()
            .any(|k| k.accepts(jws.header.kid.as_deref(), jws.alg) && jws.verify(&k.key).is_ok())
    }

    /// The `kid`s of the published JWKS.
    pub async fn published_kids(&self) -> Vec<String> {
        let jwks = self.provider.jwks(&self.t.id).await.expect("jwks");
        jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|k| k["kid"].as_str().expect("kid").to_owned())
            .collect()
    }

    /// Standard claims of a client assertion for `client_id`, valid now.
    pub fn assertion_claims(&self, client_id: &str) -> Value {
        json!({
            "iss": client_id,
            "sub": client_id,
            "aud": format!("{ISSUER}/token"),
            "iat": self.now(),
            "exp": self.now() + 300,
            "jti": sigil_core::random::identifier(),
        })
    }
}
