//! [`Provider`]: the OpenID provider's state (store, keys, caches, clock, settings) and the
//! per-tenant context. The endpoint logic lives in the sibling modules as `impl Provider`
//! blocks, one concern per file.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use async_trait::async_trait;
use sigil_core::model::{Client, Tenant};
use sigil_core::{ClientId, Clock, TenantId, UnixTime};
use sigil_keys::{DecodedJws, KeyEncryptionKey, KeyRing};
use sigil_store::{Store, StoreError};

use crate::audit_sink::AuditSink;
use crate::config::ProviderConfig;
use crate::error::OAuthError;
use crate::passwords::{HashError, Passwords};
use crate::throttle::Throttle;

/// Fetches what Sigil reads from other servers: a client's `jwks_uri`, another credential
/// issuer's metadata and status lists. Implemented by the server (HTTP, timeouts, SSRF rules).
#[async_trait]
pub trait JwksFetcher: Send + Sync {
    /// Fetches and parses the JSON document (a JWK Set, metadata) at `uri`.
    async fn fetch(&self, uri: &str) -> Result<serde_json::Value, String>;
    /// Fetches a text document (a status list token) at `uri`.
    async fn fetch_text(&self, uri: &str) -> Result<String, String> {
        Err(format!("{uri} cannot be fetched here"))
    }
    /// POSTs a form to `uri` (another provider's token endpoint), with HTTP Basic client
    /// credentials when given; the response's status and JSON body.
    async fn post_form(
        &self,
        uri: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Result<(u16, serde_json::Value), String> {
        let _ = (form, basic);
        Err(format!("{uri} cannot be reached here"))
    }
    /// POSTs a form to `uri` (a client's back-channel logout endpoint) and returns the status
    /// it answered; the body is not read.
    async fn post_form_status(&self, uri: &str, form: &[(&str, &str)]) -> Result<u16, String> {
        let _ = form;
        Err(format!("{uri} cannot be reached here"))
    }
    /// GETs the JSON document at `uri` with a bearer token (another provider's UserInfo).
    async fn fetch_with_bearer(&self, uri: &str, token: &str) -> Result<serde_json::Value, String> {
        let _ = token;
        Err(format!("{uri} cannot be fetched here"))
    }
}

/// A tenant as seen by a request: its id and its issuer identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantCtx {
    /// The tenant.
    pub id: TenantId,
    /// Its issuer identifier (no trailing slash).
    pub issuer: String,
}

impl TenantCtx {
    /// The absolute URL of an endpoint path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// The path prefix of this tenant's pages on the server (`""` or `/t/{id}`), so pages
    /// can link relative to the host.
    pub fn path_prefix(&self) -> String {
        url::Url::parse(&self.issuer)
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default()
    }
}

/// What a [`Provider`] is built from.
pub struct ProviderDeps {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Settings.
    pub config: ProviderConfig,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Key-encryption key for signing keys at rest.
    pub kek: KeyEncryptionKey,
    /// The secret DPoP nonces are MACs with (derived from the master key, so that every node
    /// of a deployment makes and accepts the same nonces).
    pub nonce_key: [u8; 32],
    /// Where batched audit events go.
    pub audit: AuditSink,
    /// Fetcher for clients' `jwks_uri`.
    pub jwks_fetcher: Arc<dyn JwksFetcher>,
    /// Issuer of the default tenant; other tenants are `{issuer}/t/{tenant}`.
    pub issuer: String,
    /// Sign-in failure counts shared by every node, when the deployment has them (Redis).
    pub shared_failures: Option<Arc<dyn crate::throttle::SharedFailures>>,
}

/// Something of a tenant, by id: a status list, a client's sign-on policy.
pub(crate) type TenantKey = (TenantId, String);

#[derive(Default)]
pub(crate) struct Caches {
    epoch: AtomicI64,
    tenants: RwLock<HashMap<TenantId, Arc<Tenant>>>,
    clients: RwLock<HashMap<(TenantId, ClientId), Arc<Client>>>,
    keys: RwLock<HashMap<TenantId, (Arc<KeyRing>, std::time::Instant)>>,
    client_jwks: RwLock<HashMap<String, (UnixTime, Arc<serde_json::Value>)>>,
    /// Signed status list tokens, until they are `status_list_ttl` old.
    pub(crate) status_lists: RwLock<HashMap<TenantKey, (UnixTime, Arc<str>)>>,
    /// Compiled sign-on policies by tenant and client, with the version they were compiled
    /// from (checked against the store on every use).
    pub(crate) sign_on: RwLock<HashMap<TenantKey, (i64, Arc<sigil_policy::CompiledSignOn>)>>,
    /// Tenants' credential request encryption keys (made once, never changed).
    pub(crate) request_keys: RwLock<HashMap<TenantId, Arc<crate::credentials::RequestKey>>>,
    /// External OpenID providers' metadata and keys, by issuer.
    pub(crate) upstreams: crate::federation::upstream::UpstreamCache,
    /// The wallet providers' CA certificates (DER), parsed from the configuration once.
    pub(crate) wallet_anchors: OnceLock<Result<Vec<Vec<u8>>, String>>,
}

impl Caches {
    fn clear(&self) {
        self.tenants
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.clients
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.keys.write().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// The OpenID provider.
pub struct Provider {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: ProviderConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) kek: KeyEncryptionKey,
    pub(crate) nonce_key: aws_lc_rs::hmac::Key,
    pub(crate) passwords: Passwords,
    pub(crate) throttle: Throttle,
    pub(crate) audit: AuditSink,
    pub(crate) jwks_fetcher: Arc<dyn JwksFetcher>,
    issuer: String,
    pub(crate) caches: Caches,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl Provider {
    /// Builds a provider; fails only on invalid password-hashing parameters.
    pub fn new(deps: ProviderDeps) -> Result<Self, HashError> {
        Ok(Provider {
            passwords: Passwords::new(&deps.config.passwords)?,
            throttle: Throttle::new(deps.config.throttle.clone()).with_shared(deps.shared_failures),
            store: deps.store,
            config: deps.config,
            clock: deps.clock,
            kek: deps.kek,
            nonce_key: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &deps.nonce_key),
            audit: deps.audit,
            jwks_fetcher: deps.jwks_fetcher,
            issuer: deps.issuer.trim_end_matches('/').to_owned(),
            caches: Caches::default(),
        })
    }

    /// The current time.
    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }

    /// Stores `payload` as a single-use artifact of `kind` under a digest of `handle`, for
    /// `ttl` seconds; false when one is there already (a replay).
    pub(crate) async fn put_handle<T: serde::Serialize>(
        &self,
        t: &TenantCtx,
        kind: sigil_core::model::ArtifactKind,
        handle: &str,
        payload: &T,
        ttl: u64,
    ) -> Result<bool, StoreError> {
        let now = self.now();
        let artifact = sigil_core::model::Artifact {
            tenant: t.id.clone(),
            kind,
            key: sigil_core::Digest32::of(handle),
            payload: serde_json::to_value(payload)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            expires_at: now.plus(std::time::Duration::from_secs(ttl)),
            consumed_at: None,
        };
        self.store.put_artifact(&artifact, now).await
    }

    /// Whether sign-in failures are counted across nodes right now (Redis reachable).
    pub fn failure_counts_shared(&self) -> bool {
        self.throttle.is_shared()
    }

    /// The settings.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The context of a tenant, without checking that it exists.
    pub fn tenant_ctx(&self, id: &TenantId) -> TenantCtx {
        let issuer = if id.is_default() {
            self.issuer.clone()
        } else {
            format!("{}/t/{id}", self.issuer)
        };
        TenantCtx {
            id: id.clone(),
            issuer,
        }
    }

    /// The context of a tenant that exists.
    pub async fn resolve_tenant(&self, id: &TenantId) -> Result<Option<TenantCtx>, StoreError> {
        Ok(self.tenant(id).await?.map(|_| self.tenant_ctx(id)))
    }

    /// A tenant record (cached).
    pub async fn tenant(&self, id: &TenantId) -> Result<Option<Arc<Tenant>>, StoreError> {
        if let Some(t) = self
            .caches
            .tenants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
        {
            return Ok(Some(t.clone()));
        }
        let Some(tenant) = self.store.get_tenant(id).await? else {
            return Ok(None);
        };
        let tenant = Arc::new(tenant);
        self.caches
            .tenants
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone(), tenant.clone());
        Ok(Some(tenant))
    }

    /// Drops every cache if the store's change epoch moved (another process or node changed
    /// clients, keys, users or tenants). Returns whether caches were dropped.
    pub async fn refresh_caches(&self) -> Result<bool, StoreError> {
        let epoch = self.store.change_epoch().await?;
        if self.caches.epoch.swap(epoch, Ordering::SeqCst) != epoch {
            self.caches.clear();
            return Ok(true);
        }
        Ok(false)
    }

    /// Drops caches unconditionally (after this process changed cached data).
    pub(crate) fn invalidate_caches(&self) {
        self.caches.clear();
    }

    /// A client (cached); disabled clients are returned too, callers decide.
    pub(crate) async fn client(
        &self,
        tenant: &TenantId,
        id: &ClientId,
    ) -> Result<Option<Arc<Client>>, OAuthError> {
        let key = (tenant.clone(), id.clone());
        if let Some(c) = self
            .caches
            .clients
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(Some(c.clone()));
        }
        let Some(client) = self.store.get_client(tenant, id).await? else {
            return Ok(None);
        };
        let client = Arc::new(client);
        self.caches
            .clients
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, client.clone());
        Ok(Some(client))
    }

    /// The tenant's ES256 key that signs at `now`: credentials, status lists, credential
    /// access tokens and request objects are signed with it.
    pub(crate) async fn es256_signer(
        &self,
        tenant: &TenantId,
        now: UnixTime,
    ) -> Result<Arc<sigil_keys::SigningKey>, OAuthError> {
        self.keyring(tenant)
            .await?
            .signer(sigil_core::model::SigningAlg::ES256, now)
            .ok_or_else(crate::grants::mint::no_key)
    }

    /// A tenant's loaded signing keys (cached), creating the first keys if it has none.
    pub(crate) async fn keyring(&self, tenant: &TenantId) -> Result<Arc<KeyRing>, OAuthError> {
        if let Some((ring, _)) = self
            .caches
            .keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant)
        {
            return Ok(ring.clone());
        }
        self.reload_keyring(tenant).await
    }

    async fn reload_keyring(&self, tenant: &TenantId) -> Result<Arc<KeyRing>, OAuthError> {
        let ring = Arc::new(self.load_keyring(tenant).await?);
        self.caches
            .keys
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenant.clone(), (ring.clone(), std::time::Instant::now()));
        Ok(ring)
    }

    /// Verifies a JWS that Sigil signed. A `kid` this process does not know yet (another node
    /// just rotated or created keys) reloads the keys, at most four times a second per tenant,
    /// before the token is refused.
    pub(crate) async fn verify_own(
        &self,
        tenant: &TenantId,
        jws: &DecodedJws,
    ) -> Result<(), OAuthError> {
        let now = self.now();
        let ring = self.keyring(tenant).await?;
        if ring.verify(jws, now).is_ok() {
            return Ok(());
        }
        let unknown_kid = jws
            .header
            .kid
            .as_deref()
            .is_some_and(|kid| !ring.knows(kid));
        let loaded_at = self
            .caches
            .keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant)
            .map(|(_, at)| *at);
        if unknown_kid
            && loaded_at.is_none_or(|at| at.elapsed() >= std::time::Duration::from_millis(250))
        {
            let fresh = self.reload_keyring(tenant).await?;
            if fresh.verify(jws, now).is_ok() {
                return Ok(());
            }
        }
        Err(OAuthError::invalid_token("the signature is invalid"))
    }

    /// A JSON document from another server (a client's `jwks_uri`, a credential issuer's
    /// metadata and keys), cached for five minutes. `refresh` asks for a fresh copy (keys may
    /// have rotated), but at most once every 30 seconds per URI, so failing signatures cannot
    /// make Sigil fetch on every request.
    pub(crate) async fn remote_json(
        &self,
        uri: &str,
        refresh: bool,
    ) -> Result<Arc<serde_json::Value>, String> {
        let now = self.now();
        let max_age = if refresh { 30 } else { 300 };
        if let Some((at, jwks)) = self
            .caches
            .client_jwks
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(uri)
            && now.0 - at.0 < max_age
        {
            return Ok(jwks.clone());
        }
        let jwks = self.jwks_fetcher.fetch(uri).await.inspect_err(|e| {
            tracing::warn!(uri, error = %e, "fetching a remote JSON document failed");
        })?;
        let jwks = Arc::new(jwks);
        let mut cache = self
            .caches
            .client_jwks
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(uri.to_owned(), (now, jwks.clone()));
        Ok(jwks)
    }
}
