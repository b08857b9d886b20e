//! Password hashing with argon2id on a bounded pool of blocking threads.
//!
//! A hash costs tens of milliseconds of CPU, so it never runs on the async workers, and at
//! most `max_concurrent` run at once (a burst of sign-ins queues instead of starving the
//! token endpoint). Unknown users are checked against a dummy hash of the same cost, so the
//! answer takes as long as for a wrong password.
//!
//! Hashing and verification reuse argon2's working memory (19 MiB per hash by default) from
//! a small pool: allocated afresh on whichever blocking thread runs, each buffer would be
//! kept by a different malloc arena, and a busy sign-in page grew the process by hundreds of
//! MiB. (A freed buffer of that size also raises glibc's mmap and trim thresholds for good,
//! so the heap would stop giving memory back.)

use std::sync::Arc;

use std::sync::Mutex;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use crate::config::PasswordConfig;

/// Why a password is refused when set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PasswordPolicyError(pub String);

/// Passwords too common to allow, whatever their length.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "qwerty123",
    "iloveyou",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "admin123",
    "letmein1",
    "trustno1",
    "passw0rd",
    "11111111",
    "00000000",
    "abcdefgh",
    "abc12345",
    "monkey123",
    "dragon123",
    "changeme",
    "correcthorsebatterystaple",
];

/// Hashes and verifies passwords.
pub struct Passwords {
    argon: Argon2<'static>,
    permits: Arc<Semaphore>,
    memory: Arc<MemoryPool>,
    dummy_hash: String,
    min_length: usize,
}

/// argon2 working memory, kept for reuse; at most one buffer per concurrent hash.
struct MemoryPool {
    free: Mutex<Vec<Vec<Block>>>,
    keep: usize,
}

impl MemoryPool {
    fn take(&self, blocks: usize) -> Vec<Block> {
        let reused = self.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut buffer = reused.unwrap_or_default();
        if buffer.len() < blocks {
            buffer.resize(blocks, Block::default());
        }
        buffer
    }

    fn give(&self, buffer: Vec<Block>) {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        if free.len() < self.keep {
            free.push(buffer);
        }
    }
}

/// Verifies `password` against a PHC string, computing with pooled memory.
fn verify_phc(password: &[u8], phc: &str, memory: &MemoryPool) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(params), Ok(algorithm)) = (
        Params::try_from(&parsed),
        Algorithm::try_from(parsed.algorithm),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params);
    let computed = compute(&argon, password, salt, &mut out, memory).is_ok();
    computed && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

/// Computes an argon2 hash into `out` with working memory from the pool.
fn compute(
    argon: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &MemoryPool,
) -> Result<(), argon2::Error> {
    let blocks = argon.params().block_count();
    let mut buffer = memory.take(blocks);
    let computed = argon.hash_password_into_with_memory(password, salt, out, &mut buffer[..blocks]);
    memory.give(buffer);
    computed
}

/// The PHC string of an argon2id hash: `$argon2id$v=19$m=…,t=…,p=…$salt$output`.
fn argon2id_phc(params: &Params, salt: &[u8], output: &[u8]) -> Result<String, HashError> {
    let error = |e: argon2::password_hash::Error| HashError(e.to_string());
    let salt = SaltString::encode_b64(salt).map_err(error)?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(error)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(output).map_err(error)?),
    }
    .to_string())
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords").finish_non_exhaustive()
    }
}

/// Password hashing failed (bad parameters or a stored hash that cannot be parsed).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl Passwords {
    /// Builds the hasher; fails on argon2 parameters out of range.
    pub fn new(cfg: &PasswordConfig) -> Result<Self, HashError> {
        let params = Params::new(cfg.memory_kib, cfg.iterations, cfg.parallelism, None)
            .map_err(|e| HashError(e.to_string()))?;
        let concurrent = match cfg.max_concurrent {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        // Random bytes where the output goes: verifying against it costs a full hash, as a
        // real one does, and never matches (that would take a preimage of random bytes). No
        // hash is computed at start for it.
        let dummy_hash = argon2id_phc(
            &params,
            &sigil_core::random::bytes::<16>(),
            &sigil_core::random::bytes::<{ Params::DEFAULT_OUTPUT_LEN }>(),
        )?;
        Ok(Passwords {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            permits: Arc::new(Semaphore::new(concurrent)),
            memory: Arc::new(MemoryPool {
                free: Mutex::new(Vec::new()),
                keep: concurrent,
            }),
            dummy_hash,
            min_length: cfg.min_length,
        })
    }

    /// Refuses passwords that are too short, too long, too common or equal to the username.
    pub fn check_policy(&self, password: &str, username: &str) -> Result<(), PasswordPolicyError> {
        let chars = password.chars().count();
        if chars < self.min_length {
            return Err(PasswordPolicyError(format!(
                "must be at least {} characters",
                self.min_length
            )));
        }
        if chars > 1024 {
            return Err(PasswordPolicyError(
                "must be at most 1024 characters".into(),
            ));
        }
        let lower = password.to_lowercase();
        if COMMON.contains(&lower.as_str()) || lower == username.to_lowercase() {
            return Err(PasswordPolicyError("is too easy to guess".into()));
        }
        if password
            .chars()
            .all(|c| c == password.chars().next().unwrap_or(c))
        {
            return Err(PasswordPolicyError("is too easy to guess".into()));
        }
        Ok(())
    }

    /// Hashes a password (PHC string with a random salt).
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError(e.to_string()))?;
        let argon = self.argon.clone();
        let memory = self.memory.clone();
        tokio::task::spawn_blocking(move || {
            let salt = sigil_core::random::bytes::<16>();
            let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
            compute(&argon, password.as_bytes(), &salt, &mut out, &memory)
                .map_err(|e| HashError(e.to_string()))?;
            argon2id_phc(argon.params(), &salt, &out)
        })
        .await
        .map_err(|e| HashError(e.to_string()))?
    }

    /// Verifies `password` against `stored`; with no stored hash, spends the same time on a
    /// dummy hash and answers false.
    pub async fn verify(&self, password: String, stored: Option<String>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let memory = self.memory.clone();
        let matched =
            tokio::task::spawn_blocking(move || verify_phc(password.as_bytes(), &hash, &memory))
                .await
                .unwrap_or(false);
        known && matched
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Passwords {
        Passwords::new(&PasswordConfig {
            memory_kib: 1024,
            iterations: 1,
            ..PasswordConfig::default()
        })
        .expect("params")
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let p = cheap();
        let h = p.hash("correct horse".into()).await.expect("hashes");
        assert!(h.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        assert!(p.verify("correct horse".into(), Some(h.clone())).await);
        assert!(!p.verify("wrong horse".into(), Some(h)).await);
        assert!(
            !p.verify("anything".into(), None).await,
            "unknown users never match"
        );
        assert!(!p.verify("x".into(), Some("not a phc string".into())).await);
    }

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_any_verifier_accepts() {
        use argon2::password_hash::PasswordVerifier as _;
        let h = cheap().hash("correct horse".into()).await.expect("hashes");
        let parsed = PasswordHash::new(&h).expect("a PHC string");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong horse", &parsed)
                .is_err()
        );
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let p = cheap();
        let dummy = PasswordHash::new(&p.dummy_hash).expect("a PHC string");
        let params = Params::try_from(&dummy).expect("params");
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (
                p.argon.params().m_cost(),
                p.argon.params().t_cost(),
                p.argon.params().p_cost()
            )
        );
        assert_eq!(dummy.algorithm, Algorithm::Argon2id.ident());
        assert_eq!(
            dummy.hash.map(|h| h.len()),
            Some(Params::DEFAULT_OUTPUT_LEN)
        );
        assert_ne!(p.dummy_hash, cheap().dummy_hash, "a salt of its own");
    }

    #[test]
    fn default_parameters_are_owasp() {
        let c = PasswordConfig::default();
        assert_eq!((c.memory_kib, c.iterations, c.parallelism), (19_456, 2, 1));
    }

    #[test]
    fn policy() {
        let p = cheap();
        assert!(p.check_policy("short", "u").is_err());
        assert!(p.check_policy("Password", "u").is_err());
        assert!(p.check_policy("aaaaaaaaaa", "u").is_err());
        assert!(p.check_policy("alice-the-user", "alice-the-user").is_err());
        assert!(p.check_policy("a sound passphrase", "alice").is_ok());
    }
}
