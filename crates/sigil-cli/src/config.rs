//! Configuration, layered: built-in defaults, then `sigil.toml` (or `--config FILE`), then
//! `SIGIL_SECTION__KEY` environment variables, then command-line flags. Secrets can come from
//! files (`secrets.master_key_file`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use sigil_oidc::config::{
    CredentialConfig, HookConfig, ISSUER_ID_DID_WEB, ISSUER_ID_URL, KeyConfig, PasswordConfig,
    ProviderConfig, SessionConfig, ThrottleConfig, TokenConfig,
};
use sigil_server::ServerConfig;

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Directory of the embedded store (SQLite database, generated master key).
    pub data_dir: PathBuf,
    /// A database URL: `sqlite://PATH`, or `postgres://…` for many nodes on one database.
    pub url: Option<String>,
    /// PostgreSQL: most connections per node.
    pub max_connections: u32,
    /// PostgreSQL: longest a statement may run, seconds.
    pub statement_timeout: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            data_dir: PathBuf::from("sigil-data"),
            url: None,
            max_connections: 16,
            statement_timeout: 5,
        }
    }
}

impl DatabaseConfig {
    /// Whether the store is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.url
            .as_deref()
            .is_some_and(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
    }
}

/// Secrets.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsConfig {
    /// The master key, 32 bytes as base64url (prefer `master_key_file`).
    pub master_key: Option<String>,
    /// A file holding the master key (base64url, or 32 raw bytes).
    pub master_key_file: Option<PathBuf>,
}

impl std::fmt::Debug for SecretsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsConfig")
            .field(
                "master_key",
                &self.master_key.as_ref().map(|_| "<redacted>"),
            )
            .field("master_key_file", &self.master_key_file)
            .finish()
    }
}

/// Logging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A `tracing` filter, e.g. `info,sigil=debug` (`RUST_LOG` overrides it).
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "text".into(),
            filter: "info,sqlx=warn,tower_http=warn".into(),
        }
    }
}

/// All of Sigil's configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigilConfig {
    /// HTTP server.
    pub server: ServerConfig,
    /// Storage.
    pub database: DatabaseConfig,
    /// Secrets.
    pub secrets: SecretsConfig,
    /// Logging.
    pub log: LogConfig,
    /// Token lifetimes.
    pub tokens: TokenConfig,
    /// Session lifetimes.
    pub sessions: SessionConfig,
    /// Password hashing.
    pub passwords: PasswordConfig,
    /// Sign-in throttling.
    pub throttle: ThrottleConfig,
    /// Signing keys.
    pub keys: KeyConfig,
    /// Event hooks.
    pub hooks: HookConfig,
    /// Verifiable credential issuance.
    pub credentials: CredentialConfig,
}

impl SigilConfig {
    /// Loads defaults, the file (if it exists, or must exist when named explicitly), and the
    /// environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(SigilConfig::default()));
        match file {
            Some(path) => {
                anyhow::ensure!(
                    path.is_file(),
                    "configuration file {} does not exist",
                    path.display()
                );
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("sigil.toml")),
        }
        let mut config: SigilConfig = figment
            .merge(Env::prefixed("SIGIL_").split("__"))
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        config.credentials.wallet_providers =
            read_pem_entries(&config.credentials.wallet_providers)
                .context("invalid configuration: credentials.wallet_providers")?;
        let vc = &config.credentials;
        anyhow::ensure!(
            !vc.wallet_attestation_required || !vc.wallet_providers.is_empty(),
            "invalid configuration: credentials.wallet_attestation_required needs wallet_providers"
        );
        anyhow::ensure!(
            vc.sd_jwt_vc == "off" || vc.sd_jwt_vc == sigil_vc::sd_jwt_vc::SD_JWT_VC_DRAFT,
            "invalid configuration: credentials.sd_jwt_vc must be {:?} or \"off\"",
            sigil_vc::sd_jwt_vc::SD_JWT_VC_DRAFT
        );
        match vc.issuer_id.as_str() {
            ISSUER_ID_URL => {}
            ISSUER_ID_DID_WEB => anyhow::ensure!(
                sigil_vc::did::did_web_of(&config.server.issuer).is_some(),
                "invalid configuration: credentials.issuer_id = \"did:web\" needs an https issuer \
                 (or http on a loopback host) without a query"
            ),
            other => anyhow::bail!(
                "invalid configuration: credentials.issuer_id must be \"url\" or \"did:web\", not {other:?}"
            ),
        }
        anyhow::ensure!(
            vc.status_list_size.is_power_of_two() && vc.status_list_size >= 1024,
            "invalid configuration: credentials.status_list_size must be a power of two, at least 1024"
        );
        anyhow::ensure!(
            ["email", "username", "sub"].contains(&vc.sign_in_user_field.as_str()),
            "invalid configuration: credentials.sign_in_user_field must be email, username or sub"
        );
        anyhow::ensure!(
            (1..=100).contains(&vc.batch_size) && (4..=12).contains(&vc.tx_code_length),
            "invalid configuration: credentials.batch_size must be 1-100 and tx_code_length 4-12"
        );
        Ok(config)
    }

    /// The protocol settings.
    pub fn provider(&self) -> ProviderConfig {
        ProviderConfig {
            tokens: self.tokens.clone(),
            sessions: self.sessions.clone(),
            passwords: self.passwords.clone(),
            throttle: self.throttle.clone(),
            keys: self.keys.clone(),
            hooks: self.hooks.clone(),
            credentials: self.credentials.clone(),
        }
    }
}

/// Certificates given as PEM text or as paths of PEM files, all as PEM text, checked to parse.
fn read_pem_entries(entries: &[String]) -> anyhow::Result<Vec<String>> {
    let texts = entries
        .iter()
        .map(|entry| {
            if entry.trim_start().starts_with("-----BEGIN") {
                Ok(entry.clone())
            } else {
                std::fs::read_to_string(entry).with_context(|| format!("cannot read {entry}"))
            }
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    sigil_vc::trust::parse_anchors(&texts).map_err(anyhow::Error::msg)?;
    Ok(texts)
}
