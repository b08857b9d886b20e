//! The cost of the cryptography: what a token endpoint could at best do per core.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sigil_core::model::SigningAlg;
use sigil_keys::{SigningKey, sign_compact};
use sigil_oidc::tokens::{AccessTokenClaims, Audience};

/// How many times `f` runs per second, over `seconds`.
pub fn per_second(mut f: impl FnMut(), seconds: u64) -> f64 {
    let end = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut n = 0u64;
    while Instant::now() < end {
        for _ in 0..32 {
            f();
        }
        n += 32;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Signs realistic access-token claims with a loaded ES256 key (Sigil's own signing path),
/// and verifies a password with OWASP argon2id parameters.
pub fn run(seconds: u64) -> anyhow::Result<Value> {
    let (key, _) = SigningKey::generate(SigningAlg::ES256)?;
    let claims = AccessTokenClaims {
        iss: "http://127.0.0.1:8080".into(),
        exp: 1_900_000_000,
        aud: Audience::One("https://rs.example.test/api".into()),
        sub: "bench-client-0123456789ab".into(),
        client_id: "bench-client-0123456789ab".into(),
        iat: 1_800_000_000,
        jti: "AAAAAAAAAAAAAAAAAAAAAA".into(),
        scope: "api:read".into(),
        auth_time: None,
        acr: None,
        amr: None,
    };
    let es256 = per_second(|| drop(sign_compact(&key, "at+jwt", &claims)), seconds);
    let raw = per_second(
        || drop(key.sign(b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0")),
        seconds,
    );
    let (rsa, _) = SigningKey::generate(SigningAlg::RS256)?;
    let rs256 = per_second(
        || drop(rsa.sign(b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0")),
        seconds,
    );
    let passwords =
        sigil_oidc::passwords::Passwords::new(&sigil_oidc::config::PasswordConfig::default())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let hash = rt.block_on(passwords.hash("bench password 123".into()))?;
    let start = Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        assert!(rt.block_on(passwords.verify("bench password 123".into(), Some(hash.clone()))));
    }
    let argon_ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
    Ok(json!({
        "es256_access_tokens_per_s": es256.round(),
        "es256_raw_signatures_per_s": raw.round(),
        "es256_token_us": (1e6 / es256 * 10.0).round() / 10.0,
        "rs256_signatures_per_s": rs256.round(),
        "argon2id_verify_ms": (argon_ms * 100.0).round() / 100.0,
    }))
}
