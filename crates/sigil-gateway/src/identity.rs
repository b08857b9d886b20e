//! Who a session's subject is, as the application's policies see them: read from Sigil's
//! store ([`Provider::gateway_principal`]) and kept for a short time, so a request costs no
//! database read while a disabled user, or a change of groups, takes effect within
//! [`IDENTITY_TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sigil_oidc::Provider;
use sigil_oidc::provider::TenantCtx;
use sigil_policy::Principal;
use sigil_store::StoreError;

/// How long a user's groups and attributes are reused, seconds (on the provider's clock).
pub const IDENTITY_TTL: i64 = 30;
/// Most entries a gateway cache (users, sign-outs, decisions) holds; beyond it it starts over.
const CAPACITY: usize = 100_000;

type Entry = (i64, Option<Arc<Principal>>);

/// The cache.
pub struct Identities {
    provider: Arc<Provider>,
    tenant: TenantCtx,
    directory: Option<String>,
    cache: Mutex<HashMap<String, Entry>>,
}

impl Identities {
    /// Users of `tenant`, their ids qualified by `directory` unless they name their own.
    pub fn new(provider: Arc<Provider>, tenant: TenantCtx, directory: Option<String>) -> Self {
        Self {
            provider,
            tenant,
            directory,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The principal of `subject`; `None` when it is no user or a disabled one.
    pub async fn principal(&self, subject: &str) -> Result<Option<Arc<Principal>>, StoreError> {
        let now = self.provider.now().0;
        if let Some(principal) = self.fresh(subject, now) {
            return Ok(principal);
        }
        let principal = self
            .provider
            .gateway_principal(&self.tenant, subject, self.directory.as_deref())
            .await?
            .map(Arc::new);
        insert_bounded(
            &mut self.lock(),
            subject.to_owned(),
            (now, principal.clone()),
        );
        Ok(principal)
    }

    /// The principal of a client acting for itself (its token already checked that it is
    /// active), the same one for [`IDENTITY_TTL`] so its decisions are reused.
    pub fn client(&self, client_id: &str) -> Arc<Principal> {
        let now = self.provider.now().0;
        let key = format!("client\0{client_id}");
        if let Some(Some(principal)) = self.fresh(&key, now) {
            return principal;
        }
        let principal = Arc::new(Principal::client(client_id.to_owned()));
        insert_bounded(&mut self.lock(), key, (now, Some(principal.clone())));
        principal
    }

    /// What was remembered for `key` less than [`IDENTITY_TTL`] ago.
    fn fresh(&self, key: &str, now: i64) -> Option<Option<Arc<Principal>>> {
        self.lock()
            .get(key)
            .filter(|(at, _)| (0..IDENTITY_TTL).contains(&(now - at)))
            .map(|(_, principal)| principal.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Inserts into a cache of at most [`CAPACITY`] entries, starting it over when full (a flood
/// of distinct keys cannot exhaust memory).
pub(crate) fn insert_bounded<K: std::hash::Hash + Eq, V>(
    cache: &mut HashMap<K, V>,
    key: K,
    value: V,
) {
    if cache.len() >= CAPACITY {
        cache.clear();
    }
    cache.insert(key, value);
}
