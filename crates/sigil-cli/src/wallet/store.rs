//! The wallet's store: one JSON document, sealed with AES-256-GCM under a key kept in the
//! wallet directory (`wallet.key`, mode 0600), written atomically. Holder keys are kept as
//! PKCS#8 inside it, and so are the access tokens of deferred issuances.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sigil_core::model::SigningAlg;
use sigil_keys::{KeyEncryptionKey, SigningKey};
use sigil_vc::types::{CredentialFormat, RESERVED_CLAIMS, RESERVED_SUBJECT_CLAIMS};

const KEY_FILE: &str = "wallet.key";
const STORE_FILE: &str = "wallet.sealed";
const CONTEXT: &[u8] = b"sigil wallet store v1";

/// A credential the wallet holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredCredential {
    /// The wallet's own id for it.
    pub id: String,
    /// The issuer.
    pub issuer: String,
    /// Its credential configuration at the issuer.
    pub configuration_id: String,
    /// Its format (`dc+sd-jwt` for credentials kept before there were others).
    #[serde(default)]
    pub format: CredentialFormat,
    /// Its type: the SD-JWT VC `vct`, or the W3C credential's own `type`.
    pub vct: String,
    /// The issuer's name for it.
    pub name: String,
    /// Display labels of its claims, by claim name.
    pub labels: Map<String, Value>,
    /// Every claim (as issued, all disclosures processed), or the whole W3C credential.
    pub claims: Map<String, Value>,
    /// The SD-JWT with every disclosure, or the W3C credential's JWT.
    pub credential: String,
    /// The holder key it is bound to (PKCS#8, base64url).
    pub holder_key: String,
    /// When it was received, and when it expires (Unix seconds).
    pub received_at: i64,
    /// Expiry.
    pub expires_at: Option<i64>,
}

impl StoredCredential {
    /// What it says about its holder, by claim name: an SD-JWT VC's claims but those the
    /// issuer sets itself; a W3C credential's subject but its `id`.
    pub fn shown_claims(&self) -> Map<String, Value> {
        let (claims, reserved): (&Map<String, Value>, &[&str]) = match self.format {
            CredentialFormat::SdJwtVc => (&self.claims, &RESERVED_CLAIMS),
            CredentialFormat::JwtVcJson => (
                self.claims
                    .get("credentialSubject")
                    .and_then(Value::as_object)
                    .unwrap_or(&self.claims),
                &RESERVED_SUBJECT_CLAIMS,
            ),
        };
        claims
            .iter()
            .filter(|(name, _)| !reserved.contains(&name.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The name the issuer's display metadata gives a claim, or the claim's own.
    pub fn label<'a>(&'a self, claim: &'a str) -> &'a str {
        self.labels
            .get(claim)
            .and_then(Value::as_str)
            .unwrap_or(claim)
    }

    /// The certificate chain (`x5c`) of its issuer-signed JWT, when it has one.
    pub fn issuer_x5c(&self) -> Option<Vec<String>> {
        let jwt = self.credential.split('~').next()?;
        sigil_keys::DecodedJws::decode(jwt, 256 * 1024)
            .ok()?
            .header
            .x5c
    }

    /// Its holder key.
    pub fn key(&self) -> anyhow::Result<SigningKey> {
        holder_key(&self.holder_key)
    }
}

/// A holder key as the store keeps it (PKCS#8, base64url).
pub(super) fn holder_key(pkcs8: &str) -> anyhow::Result<SigningKey> {
    let der = sigil_core::b64url_decode(pkcs8).context("a stored holder key is corrupt")?;
    Ok(SigningKey::from_pkcs8(SigningAlg::ES256, &der)?)
}

/// A credential the issuer deferred (OpenID4VCI §9): what collecting it takes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingCredential {
    /// The wallet's own id for it.
    pub id: String,
    /// The issuer.
    pub issuer: String,
    /// Its credential configuration at the issuer.
    pub configuration_id: String,
    /// Its format (`dc+sd-jwt` for credentials awaited before there were others).
    #[serde(default)]
    pub format: CredentialFormat,
    /// The configuration's `credential_metadata` (names and labels), for when it comes.
    pub metadata: Value,
    /// The issuer's transaction.
    pub transaction_id: String,
    /// Where it is collected.
    pub deferred_endpoint: String,
    /// Where the issuer hears that it arrived, if anywhere.
    pub notification_endpoint: Option<String>,
    /// The access token that asked for it.
    pub access_token: String,
    /// The DPoP key that token is bound to (PKCS#8, base64url), when it is bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_key: Option<String>,
    /// The holder key it will be bound to (PKCS#8, base64url).
    pub holder_key: String,
    /// Seconds the issuer asks the wallet to wait between attempts.
    pub interval: u64,
    /// When it was asked for (Unix seconds).
    pub asked_at: i64,
}

/// The sealed document: what is held and what is awaited.
#[derive(Default, Deserialize)]
struct Contents {
    credentials: Vec<StoredCredential>,
    #[serde(default)]
    pending: Vec<PendingCredential>,
}

/// The document as the first wallets wrote it (credentials only), or as now.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredContents {
    Current(Contents),
    CredentialsOnly(Vec<StoredCredential>),
}

/// An open wallet.
pub struct Wallet {
    dir: PathBuf,
    kek: KeyEncryptionKey,
    /// What it holds.
    pub credentials: Vec<StoredCredential>,
    /// What issuers have deferred.
    pub pending: Vec<PendingCredential>,
}

impl Wallet {
    /// Opens the wallet in `dir`, creating it (and its key) on first use.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let key_path = dir.join(KEY_FILE);
        let kek = if key_path.exists() {
            let bytes = std::fs::read(&key_path)?;
            let bytes: [u8; 32] = bytes
                .try_into()
                .map_err(|_| anyhow::anyhow!("{} is not a wallet key", key_path.display()))?;
            KeyEncryptionKey::from_bytes(&bytes)
        } else {
            let (kek, bytes) = KeyEncryptionKey::generate();
            write_private(&key_path, &bytes[..])?;
            kek
        };
        let store = dir.join(STORE_FILE);
        let contents = if store.exists() {
            let sealed = std::fs::read(&store)?;
            let plain = kek
                .open(CONTEXT, &sealed)
                .context("the wallet store does not open with this wallet's key")?;
            match serde_json::from_slice(&plain).context("the wallet store is corrupt")? {
                StoredContents::Current(contents) => contents,
                StoredContents::CredentialsOnly(credentials) => Contents {
                    credentials,
                    pending: Vec::new(),
                },
            }
        } else {
            Contents::default()
        };
        Ok(Wallet {
            dir: dir.to_owned(),
            kek,
            credentials: contents.credentials,
            pending: contents.pending,
        })
    }

    /// Writes the store back (to a temporary file, then renamed over the old one).
    pub fn save(&self) -> anyhow::Result<()> {
        let plain = serde_json::to_vec(&serde_json::json!({
            "credentials": self.credentials,
            "pending": self.pending,
        }))?;
        let sealed = self.kek.seal(CONTEXT, &plain);
        let tmp = self.dir.join(format!("{STORE_FILE}.tmp"));
        write_private(&tmp, &sealed)?;
        std::fs::rename(&tmp, self.dir.join(STORE_FILE))?;
        Ok(())
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}
