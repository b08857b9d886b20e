//! Wiring: open the store, load the master key, build the provider and the HTTP state, and
//! run the background tasks (audit flushing, cache invalidation, housekeeping).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sigil_core::{Clock, SystemClock, b64url_decode, b64url_encode};
use sigil_keys::MasterKey;
use sigil_oidc::audit_sink::{AuditQueue, audit_channel, run_flusher};
use sigil_oidc::{Provider, ProviderDeps};
use sigil_server::jwks_fetch::HttpJwksFetcher;
use sigil_server::{AppState, ServerConfig};
use sigil_store::Store;
use sigil_store_sql::{PgSettings, SqliteStore};
use tokio::task::JoinHandle;

use crate::config::SigilConfig;

/// Opens the configured store.
pub async fn open_store(config: &SigilConfig) -> anyhow::Result<Arc<dyn Store>> {
    let db = &config.database;
    let store = match &db.url {
        Some(url) => {
            let pg = PgSettings {
                max_connections: db.max_connections,
                statement_timeout: Duration::from_secs(db.statement_timeout),
                ..PgSettings::default()
            };
            sigil_store_sql::open_url(url, &pg).await
        }
        None => SqliteStore::open_dir(&db.data_dir)
            .await
            .map(|s| Arc::new(s) as Arc<dyn Store>),
    };
    store.context("opening the store")
}

fn parse_key(text: &[u8]) -> anyhow::Result<MasterKey> {
    if let Ok(raw) = <[u8; 32]>::try_from(text) {
        return Ok(MasterKey::from_bytes(raw));
    }
    let trimmed = std::str::from_utf8(text)
        .context("master key is neither 32 bytes nor text")?
        .trim();
    let bytes = b64url_decode(trimmed).context("master key is not base64url")?;
    let raw: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("master key must be 32 bytes"))?;
    Ok(MasterKey::from_bytes(raw))
}

/// Loads the master key from configuration, or from (creating if needed) `master.key` in the
/// data directory.
pub fn master_key(config: &SigilConfig) -> anyhow::Result<MasterKey> {
    if let Some(text) = &config.secrets.master_key {
        return parse_key(text.as_bytes());
    }
    if let Some(path) = &config.secrets.master_key_file {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        return parse_key(&bytes);
    }
    anyhow::ensure!(
        !config.database.is_postgres(),
        "with PostgreSQL every node must use the same master key: set secrets.master_key_file \
         (or SIGIL_SECRETS__MASTER_KEY_FILE)"
    );
    let path = config.database.data_dir.join("master.key");
    if path.exists() {
        return parse_key(
            &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
        );
    }
    std::fs::create_dir_all(&config.database.data_dir)?;
    let key = MasterKey::generate();
    write_private(&path, b64url_encode(key.bytes()).as_bytes())?;
    tracing::warn!(
        path = %path.display(),
        "generated a new master key next to the data; back it up and keep it apart from the database in production \
         (secrets.master_key_file)"
    );
    Ok(key)
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

/// A built provider with its audit flusher.
pub struct Core {
    /// The provider.
    pub provider: Arc<Provider>,
    /// The master key.
    pub master: MasterKey,
    audit_queue: Option<AuditQueue>,
}

impl Core {
    /// Opens the store and builds the provider on the system clock.
    pub async fn build(config: &SigilConfig) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Opens the store and builds the provider on `clock` (tests move time).
    pub async fn build_with_clock(
        config: &SigilConfig,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let store = open_store(config).await?;
        let master = master_key(config)?;
        let (audit, audit_queue) = audit_channel();
        let provider = Provider::new(ProviderDeps {
            store,
            config: config.provider(),
            clock,
            kek: master.key_encryption_key(),
            nonce_key: *master.derive("dpop-nonces"),
            audit,
            jwks_fetcher: Arc::new(HttpJwksFetcher::new(config.server.outbound.clone())),
            issuer: config.server.issuer.clone(),
            shared_failures: shared_failures(config)?,
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Core {
            provider: Arc::new(provider),
            master,
            audit_queue: Some(audit_queue),
        })
    }

    /// Starts the audit flusher; returns its handle (it ends once the provider is dropped).
    pub fn spawn_audit_flusher(&mut self) -> Option<JoinHandle<()>> {
        let queue = self.audit_queue.take()?;
        Some(tokio::spawn(run_flusher(
            queue,
            self.provider.store().clone(),
            Duration::from_secs(1),
        )))
    }

    /// The HTTP state.
    pub fn app_state(&self, server: ServerConfig) -> anyhow::Result<AppState> {
        AppState::new(
            self.provider.clone(),
            server,
            &self.master.derive("csrf-tokens"),
        )
        .map_err(|e| anyhow::anyhow!(e))
    }
}

/// Sign-in failure counts shared through Redis, when rate limits are (the same server and key
/// prefix).
fn shared_failures(
    config: &SigilConfig,
) -> anyhow::Result<Option<Arc<dyn sigil_oidc::throttle::SharedFailures>>> {
    let limits = &config.server.rate_limits;
    match &limits.redis_url {
        Some(url) if limits.enabled => {
            let shared = sigil_server::ratelimit::failures::RedisFailures::connect(
                url,
                &limits.redis_prefix,
            )
            .context("rate_limits.redis_url")?;
            Ok(Some(Arc::new(shared)))
        }
        _ => Ok(None),
    }
}

/// Keeps caches honest and the store tidy: drops caches as soon as the store reports a change
/// (PostgreSQL LISTEN/NOTIFY), checks the change epoch every second as the safety net (and the
/// only mechanism on SQLite, where the CLI's changes arrive this way), and purges expired rows
/// every ten minutes.
pub fn spawn_housekeeping(provider: Arc<Provider>) -> JoinHandle<()> {
    tokio::spawn(async move {
        // One task, so that aborting it stops both loops (and drops the provider).
        tokio::join!(follow_notifications(&provider), poll(&provider));
    })
}

async fn follow_notifications(provider: &Provider) {
    match provider.store().listen_changes().await {
        Ok(Some(mut listener)) => loop {
            match listener.next_change().await {
                Ok(()) => refresh(provider).await,
                Err(e) => {
                    tracing::warn!(error = %e, "change notifications interrupted; relying on the epoch poll");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        },
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for change notifications; relying on the epoch poll")
        }
    }
}

async fn poll(provider: &Provider) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut n: u64 = 0;
    loop {
        tick.tick().await;
        refresh(provider).await;
        n += 1;
        if n.is_multiple_of(600) {
            match provider.store().purge_expired(provider.now()).await {
                Ok(rows) if rows > 0 => tracing::debug!(rows, "purged expired records"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purging expired records failed"),
            }
        }
    }
}

async fn refresh(provider: &Provider) {
    if let Err(e) = provider.refresh_caches().await {
        tracing::warn!(error = %e, "cache invalidation check failed");
    }
}
