//! The integration-test harness: [`TestApp`] starts Sigil in-process exactly as `sigil serve`
//! does (same wiring, same router), on a fresh store in a temporary directory, on a random
//! loopback port, with a clock tests can move. [`Browser`] drives the hosted pages like a user
//! would: cookies, real forms, CSRF tokens and all.

#![allow(clippy::unwrap_used, missing_docs)]

pub mod browser;
pub mod cluster;
pub mod pkce;
pub mod wallet_provider;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sigil_cli::app::Core;
use sigil_cli::config::SigilConfig;
use sigil_core::{ManualClock, TenantId};
use sigil_oidc::Provider;
use sigil_oidc::admin::{CreatedClient, NewClient, NewUser};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use browser::Browser;

/// A running Sigil for one test.
pub struct TestApp {
    /// `http://127.0.0.1:{port}`, also the issuer.
    pub base: String,
    /// The provider behind the server.
    pub provider: Arc<Provider>,
    /// The server's state (its rate limiter, settings).
    pub state: sigil_server::AppState,
    /// The clock the provider reads.
    pub clock: Arc<ManualClock>,
    /// The configuration it runs with.
    pub config: SigilConfig,
    stop: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

/// A test password that passes the policy.
pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// Starts Sigil with test settings (cheap argon2id so tests stay fast).
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts Sigil after `tweak` adjusts the configuration.
    pub async fn spawn_with(tweak: impl FnOnce(&mut SigilConfig)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut config = SigilConfig::default();
        config.database.data_dir = dir.path().to_owned();
        config.server.issuer = base.clone();
        config.server.listen = listener.local_addr().unwrap();
        config.server.outbound.allow_private_networks = true;
        config.passwords.memory_kib = 1024;
        config.passwords.iterations = 1;
        tweak(&mut config);
        let clock = Arc::new(ManualClock::starting_now());
        let mut core = Core::build_with_clock(&config, clock.clone())
            .await
            .unwrap();
        core.spawn_audit_flusher();
        core.provider
            .ensure_keys(&TenantId::default_tenant())
            .await
            .unwrap();
        let state = core.app_state(config.server.clone()).unwrap();
        let provider = core.provider.clone();
        let hooks =
            sigil_server::hooks::spawn_dispatcher(provider.clone(), config.server.outbound.clone());
        let app_state = state.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            let _ =
                sigil_cli::commands::serve::run(listener, state, shutdown, Duration::from_secs(1))
                    .await;
            hooks.abort();
            drop(core);
        });
        TestApp {
            base,
            provider,
            state: app_state,
            clock,
            config,
            stop: Some(stop),
            _dir: dir,
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The default tenant.
    pub fn tenant(&self) -> TenantId {
        TenantId::default_tenant()
    }

    /// A plain HTTP client (no cookies, no redirects).
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A presentation request of verifier `verifier` on the default tenant (`x509_hash`,
    /// `direct_post`): its id and the `openid4vp://` link a wallet opens.
    pub async fn request_presentation(&self, verifier: &str) -> (String, String) {
        let t = self.provider.tenant_ctx(&self.tenant());
        let r = self
            .provider
            .request_presentation(
                &t,
                verifier,
                sigil_vc::verifier::ClientIdPrefix::X509Hash,
                sigil_vc::verifier::ResponseMode::DirectPost,
            )
            .await
            .unwrap();
        (r.id, r.request_uri)
    }

    /// What became of presentation request `id` (`status`, `claims`, `reason`), as JSON.
    pub async fn presentation_outcome(&self, id: &str) -> Value {
        let t = self.provider.tenant_ctx(&self.tenant());
        let outcome = self
            .provider
            .presentation_outcome(&t, id)
            .await
            .unwrap()
            .unwrap();
        serde_json::to_value(outcome).unwrap()
    }

    /// The body of a GET of `url`, as text.
    pub async fn get_text(&self, url: &str) -> String {
        let res = self.http().get(url).send().await.unwrap();
        res.text().await.unwrap()
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> String {
        self.get_text(&self.url("/metrics")).await
    }

    /// A scripted browser with its own cookie jar.
    pub fn browser(&self) -> Browser {
        let origin = url::Url::parse(&self.config.server.issuer)
            .unwrap()
            .origin()
            .ascii_serialization();
        Browser::new(&self.base, &origin)
    }

    /// Creates a user with [`PASSWORD`].
    pub async fn create_user(&self, username: &str) -> sigil_core::model::User {
        let new = NewUser {
            username: username.into(),
            password: Some(PASSWORD.into()),
            email: Some(format!("{username}@example.com")),
            email_verified: true,
            name: Some(format!("{username} Example")),
            ..NewUser::default()
        };
        self.provider
            .create_user(&self.tenant(), new, "test")
            .await
            .unwrap()
    }

    /// Registers a client.
    pub async fn create_client(&self, new: NewClient) -> CreatedClient {
        self.provider
            .create_client(&self.tenant(), new, "test")
            .await
            .unwrap()
    }

    /// A confidential web client for the code flow, redirecting to `{base}/cb-test`.
    pub async fn web_client(&self) -> CreatedClient {
        self.create_client(NewClient {
            name: "Web App".into(),
            redirect_uris: vec!["https://app.example/cb".into()],
            post_logout_redirect_uris: vec!["https://app.example/bye".into()],
            ..NewClient::default()
        })
        .await
    }

    /// A management API access token holding `scopes` (a fresh client-credentials client).
    pub async fn admin_token(&self, scopes: &[&str]) -> String {
        self.tenant_admin_token(&self.tenant(), scopes).await
    }

    /// A management API access token of another tenant's administrators.
    pub async fn tenant_admin_token(&self, tenant: &TenantId, scopes: &[&str]) -> String {
        let new = NewClient {
            name: "Automation".into(),
            grant_types: vec!["client_credentials".into()],
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            ..NewClient::default()
        };
        let client = self
            .provider
            .create_client(tenant, new, "test")
            .await
            .unwrap();
        let secret = client.client_secret.unwrap();
        let prefix = if tenant.is_default() {
            String::new()
        } else {
            format!("/t/{tenant}")
        };
        let (status, body, _) = self
            .post_form(
                &format!("{prefix}/token"),
                Some((&client.client_id, &secret)),
                &[("grant_type", "client_credentials")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// POSTs a form to `path`, with HTTP Basic client authentication when given.
    pub async fn post_form(
        &self,
        path: &str,
        basic: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut req = self.http().post(self.url(path)).form(form);
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
            headers,
        )
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Decodes a JWT's payload without verifying it (tests verify signatures separately).
pub fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&sigil_core::b64url_decode(payload).unwrap()).unwrap()
}

/// Decodes a JWT's header.
pub fn jwt_header(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&sigil_core::b64url_decode(header).unwrap()).unwrap()
}
