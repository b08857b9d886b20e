//! `sigil gateway`: an identity-aware reverse proxy for one application imported or written
//! as access policies (`sigil-policy`). It signs users in through Sigil as an OpenID Connect
//! client (code flow, PKCE), keeps its own sealed session cookie, decides every request with
//! the same [`CompiledApp::decide`] that `sigil gateway explain` runs, steps up when the
//! session's assurance is too low or a realm's idle or absolute timeout has passed, injects
//! the identity headers of the permits that allowed (after stripping any forged copy), and
//! records every decision as an audit event. API callers present an access token Sigil issued
//! for the gateway instead of a session (a user's, or a client's acting for itself).
//!
//! Paths under `/.sigil/` belong to the gateway: `/.sigil/callback` (the redirect URI),
//! `/.sigil/logout`, and `/.sigil/backchannel-logout` (where Sigil says a session ended). The application's policies are read from the store and reloaded when a
//! new version is saved.

mod bearer;
mod cookies;
mod decisions;
mod flow;
mod identity;
mod oidc;
mod pages;
mod proxy;
mod signouts;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use sigil_core::TenantId;
use sigil_keys::MasterKey;
use sigil_oidc::Provider;
use sigil_oidc::provider::TenantCtx;
use sigil_oidc::sessions::{ACR_CREDENTIAL, ACR_PASSWORD};
use sigil_policy::CompiledApp;
use tokio::net::TcpListener;

pub use oidc::ClientRegistration;

use crate::cookies::CookieJar;
use crate::identity::Identities;
use crate::oidc::RelyingParty;
use crate::proxy::{Protected, Upstream};
use crate::signouts::Signouts;

/// The gateway's own paths.
pub const CALLBACK_PATH: &str = "/.sigil/callback";
/// Signs the user out of the gateway (and on to Sigil's end-session endpoint).
pub const LOGOUT_PATH: &str = "/.sigil/logout";
/// Where Sigil POSTs logout tokens (register it as the client's `backchannel_logout_uri`).
pub const BACKCHANNEL_LOGOUT_PATH: &str = "/.sigil/backchannel-logout";

/// How one gateway runs.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    /// The tenant whose application and users it serves.
    pub tenant: TenantId,
    /// The application's name.
    pub app: String,
    /// The gateway's public base URL (its redirect URI is `{public_url}/.sigil/callback`).
    pub public_url: String,
    /// Sigil's issuer and the gateway's client registration there.
    pub issuer: String,
    /// The gateway's `client_id` at Sigil.
    pub client_id: String,
    /// Its secret; `None` for a public client.
    pub client_secret: Option<String>,
    /// The upstream, when not the application's own.
    pub upstream: Option<String>,
    /// The directory users' ids are qualified with (`directory:login`) unless a user's
    /// `directory` attribute names another; `None` for bare logins.
    pub directory: Option<String>,
    /// Assurance level per `acr`, over the defaults: a password sign-in has the lowest level
    /// the application asks for, a verifiable-credential sign-in the highest.
    pub assurance: BTreeMap<String, u32>,
    /// Longest life of a gateway session, whatever the realms allow.
    pub session_lifetime: Duration,
    /// How often the store is checked for a new version of the application.
    pub reload_every: Duration,
}

/// Why a gateway cannot start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The application does not exist or does not compile.
    #[error("application: {0}")]
    App(String),
    /// The upstream is not usable.
    #[error(transparent)]
    Upstream(#[from] proxy::UpstreamError),
    /// The public URL is not an absolute http(s) URL.
    #[error("the public URL {0:?} is not an absolute http or https URL")]
    PublicUrl(String),
}

/// The application as currently decided.
struct Loaded {
    version: i64,
    app: CompiledApp,
    /// Decisions reused for repeated requests, for this version only.
    decisions: decisions::Decisions,
    protected: Protected,
    /// Assurance level per `acr`.
    levels: BTreeMap<String, u32>,
}

/// A running gateway's shared state.
pub struct Gateway {
    settings: GatewaySettings,
    provider: Arc<Provider>,
    tenant: TenantCtx,
    loaded: RwLock<Arc<Loaded>>,
    upstream: Upstream,
    cookies: CookieJar,
    rp: RelyingParty,
    identities: Identities,
    signouts: Signouts,
    /// The gateway's public URL: the audience its bearer tokens must name.
    resource: String,
    secure: bool,
}

impl Gateway {
    /// Loads the application and prepares the upstream client; nothing is contacted yet.
    pub async fn new(
        settings: GatewaySettings,
        provider: Arc<Provider>,
        master: &MasterKey,
    ) -> Result<Arc<Self>, GatewayError> {
        let public = url::Url::parse(&settings.public_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| GatewayError::PublicUrl(settings.public_url.clone()))?;
        let public_url = public.as_str().trim_end_matches('/').to_owned();
        let tenant = provider.tenant_ctx(&settings.tenant);
        let (app, version) = provider
            .compiled_access_app(&tenant, &settings.app)
            .await
            .map_err(|e| GatewayError::App(e.to_string()))?;
        let upstream_url = settings
            .upstream
            .clone()
            .or_else(|| app.app().upstream.clone())
            .ok_or_else(|| {
                GatewayError::App(format!(
                    "{} has no upstream URL: give one with --upstream",
                    settings.app
                ))
            })?;
        let secure = public.scheme() == "https";
        let cookies = CookieJar::new(master, &settings.app, secure);
        let rp = RelyingParty::new(ClientRegistration {
            issuer: settings.issuer.clone(),
            client_id: settings.client_id.clone(),
            client_secret: settings.client_secret.clone(),
            redirect_uri: format!("{public_url}{CALLBACK_PATH}"),
        });
        let identities =
            Identities::new(provider.clone(), tenant.clone(), settings.directory.clone());
        let signouts = Signouts::new(provider.clone(), tenant.clone());
        let loaded = Self::prepare(&settings, app, version);
        Ok(Arc::new(Self {
            upstream: Upstream::new(&upstream_url)?,
            loaded: RwLock::new(Arc::new(loaded)),
            settings,
            provider,
            tenant,
            cookies,
            rp,
            identities,
            signouts,
            resource: public_url.clone(),
            secure,
        }))
    }

    fn prepare(settings: &GatewaySettings, app: CompiledApp, version: i64) -> Loaded {
        let highest = app
            .app()
            .realms
            .iter()
            .map(|r| r.assurance)
            .max()
            .unwrap_or(0);
        let mut levels = BTreeMap::from([
            (ACR_PASSWORD.to_owned(), app.ordinary_assurance()),
            (ACR_CREDENTIAL.to_owned(), highest),
        ]);
        levels.extend(settings.assurance.clone());
        let protected = Protected::new(&app.injected_names());
        Loaded {
            version,
            decisions: decisions::Decisions::new(&app),
            app,
            protected,
            levels,
        }
    }

    fn current(&self) -> Arc<Loaded> {
        self.loaded
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Reads the application again and swaps it in when its version changed; whether it did.
    pub async fn reload(&self) -> Result<bool, GatewayError> {
        let record = self
            .provider
            .access_app(&self.tenant, &self.settings.app)
            .await
            .map_err(|e| GatewayError::App(e.to_string()))?;
        if record.version == self.current().version {
            return Ok(false);
        }
        let (app, version) = self
            .provider
            .compiled_access_app(&self.tenant, &self.settings.app)
            .await
            .map_err(|e| GatewayError::App(e.to_string()))?;
        let loaded = Self::prepare(&self.settings, app, version);
        *self
            .loaded
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(loaded);
        tracing::info!(app = %self.settings.app, version, "gateway application reloaded");
        Ok(true)
    }

    /// Checks for a new version of the application every `reload_every`, for as long as the
    /// gateway lives.
    pub fn spawn_reloader(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let gateway = Arc::downgrade(self);
        let every = self.settings.reload_every;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(gateway) = gateway.upgrade() else {
                    return;
                };
                if let Err(error) = gateway.reload().await {
                    tracing::error!(%error, "the gateway application could not be reloaded; the last version stays in force");
                }
            }
        })
    }

    /// The HTTP service: every path is the application's but `/.sigil/…`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route(CALLBACK_PATH, axum::routing::get(flow::callback))
            .route(LOGOUT_PATH, axum::routing::get(flow::logout))
            .route(
                BACKCHANNEL_LOGOUT_PATH,
                axum::routing::post(signouts::backchannel_logout),
            )
            .fallback(flow::handle)
            .with_state(self.clone())
    }

    /// Serves on `listener` until `shutdown` completes.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let service = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await
    }
}
