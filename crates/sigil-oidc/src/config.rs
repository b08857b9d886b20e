//! The protocol's settings: lifetimes, password hashing cost, key rotation timing. Every
//! default here is what a production deployment gets without configuring anything.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Token and artifact lifetimes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenConfig {
    /// Access token lifetime, seconds.
    pub access_token_ttl: u64,
    /// ID token lifetime, seconds.
    pub id_token_ttl: u64,
    /// Authorization code lifetime, seconds (RFC 6749 recommends at most 10 minutes).
    pub code_ttl: u64,
    /// A refresh token expires when unused this long, seconds (sliding).
    pub refresh_token_idle_ttl: u64,
    /// A grant can be refreshed at most this long after it was made, seconds.
    pub refresh_token_absolute_ttl: u64,
    /// Idle lifetime of public clients' refresh tokens, seconds (shorter: they cannot be bound).
    pub public_refresh_token_idle_ttl: u64,
    /// How long a user has to finish sign-in and consent, seconds.
    pub interaction_ttl: u64,
    /// Device code lifetime, seconds.
    pub device_code_ttl: u64,
    /// Minimum polling interval for device codes, seconds.
    pub device_poll_interval: u32,
    /// How long a pushed authorization request can be used, seconds (RFC 9126).
    pub par_ttl: u64,
    /// Whether authorization requests must be pushed first (RFC 9126 §5, as HAIP asks).
    pub require_par: bool,
}

impl Default for TokenConfig {
    fn default() -> Self {
        TokenConfig {
            access_token_ttl: 600,
            id_token_ttl: 3600,
            code_ttl: 60,
            refresh_token_idle_ttl: 14 * 86400,
            refresh_token_absolute_ttl: 90 * 86400,
            public_refresh_token_idle_ttl: 86400,
            interaction_ttl: 1800,
            device_code_ttl: 600,
            device_poll_interval: 5,
            par_ttl: 90,
            require_par: false,
        }
    }
}

impl TokenConfig {
    /// The longest any JWT we sign stays valid; a retired key stays published this long.
    pub fn max_jwt_lifetime(&self) -> Duration {
        Duration::from_secs(self.access_token_ttl.max(self.id_token_ttl))
    }
}

/// Browser session lifetimes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// A session ends after this long without use, seconds.
    pub idle_timeout: u64,
    /// A session ends this long after sign-in whatever happens, seconds.
    pub absolute_timeout: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle_timeout: 2 * 3600,
            absolute_timeout: 24 * 3600,
        }
    }
}

/// argon2id cost and how many hashes may run at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordConfig {
    /// Memory in KiB (OWASP: 19456).
    pub memory_kib: u32,
    /// Iterations (OWASP: 2).
    pub iterations: u32,
    /// Lanes (OWASP: 1).
    pub parallelism: u32,
    /// Hashes computed at once; more wait. 0 means one per CPU.
    pub max_concurrent: usize,
    /// Shortest password accepted when one is set.
    pub min_length: usize,
}

impl Default for PasswordConfig {
    fn default() -> Self {
        PasswordConfig {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
            max_concurrent: 0,
            min_length: 8,
        }
    }
}

/// Failed sign-in throttling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleConfig {
    /// Failures per account before delays start.
    pub account_free_failures: u32,
    /// Failures per client IP before delays start.
    pub ip_free_failures: u32,
    /// Longest delay imposed, seconds.
    pub max_delay: u64,
    /// Failures older than this are forgotten, seconds.
    pub window: u64,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            account_free_failures: 5,
            ip_free_failures: 20,
            max_delay: 900,
            window: 3600,
        }
    }
}

/// Signing key rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyConfig {
    /// A rotated-in key is published this long before it signs, seconds. Keep it above the
    /// JWKS cache lifetime so relying parties see the key before its first token.
    pub propagation_delay: u64,
    /// `Cache-Control: max-age` of the JWKS, seconds.
    pub jwks_max_age: u64,
}

impl Default for KeyConfig {
    fn default() -> Self {
        KeyConfig {
            propagation_delay: 600,
            jwks_max_age: 300,
        }
    }
}

/// Event hook deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HookConfig {
    /// Accept `http://` endpoint URLs (development and tests only; deliveries carry user data).
    pub allow_http: bool,
    /// How often each node looks for events to deliver, milliseconds.
    pub poll_interval_ms: u64,
    /// How long one delivery attempt may take, seconds.
    pub timeout: u64,
    /// The wait before the first retry, seconds; each retry waits twice as long (at most an
    /// hour).
    pub first_retry: u64,
    /// How long a delivery is retried before it is given up, seconds (24 hours).
    pub give_up_after: u64,
}

impl Default for HookConfig {
    fn default() -> Self {
        HookConfig {
            allow_http: false,
            poll_interval_ms: 1000,
            timeout: 10,
            first_retry: 10,
            give_up_after: 24 * 3600,
        }
    }
}

/// `[credentials] issuer_id`: credentials name the issuer by its URL.
pub const ISSUER_ID_URL: &str = "url";
/// `[credentials] issuer_id`: credentials name the issuer by the `did:web` of its URL.
pub const ISSUER_ID_DID_WEB: &str = "did:web";

/// Verifiable credential issuance (OpenID4VCI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CredentialConfig {
    /// The SD-JWT VC draft issued (`dc+sd-jwt`): `draft-ietf-oauth-sd-jwt-vc-18`, the only
    /// one implemented, or `off` to issue none.
    pub sd_jwt_vc: String,
    /// How long a credential offer can be redeemed, seconds.
    pub offer_ttl: u64,
    /// How long a deferred issuance (a credential waiting for an administrator's approval)
    /// can be collected, seconds.
    pub deferred_ttl: u64,
    /// How long a wallet is asked to wait before asking again for a deferred credential,
    /// seconds (`interval`).
    pub deferred_interval: u64,
    /// Digits of a transaction code.
    pub tx_code_length: u32,
    /// Wrong transaction codes tolerated before the offer is void.
    pub tx_code_attempts: u32,
    /// Lifetime of the access tokens the credential endpoint accepts, seconds.
    pub access_token_ttl: u64,
    /// Lifetime of a `c_nonce`, seconds.
    pub nonce_ttl: u64,
    /// How old a key proof's `iat` may be, seconds.
    pub proof_max_age: u64,
    /// Most credentials (key proofs) one credential request may ask for.
    pub batch_size: usize,
    /// Entries of a new status list (a power of two; lists are filled to half).
    pub status_list_size: u64,
    /// How long a served status list may be cached (its `ttl` and `Cache-Control`), seconds.
    pub status_list_ttl: u64,
    /// Whether credentials and status lists carry `x5c`: a certificate of the signing key,
    /// issued by the tenant's issuer CA (`sigil credentials issuer-ca` prints it), for
    /// verifiers that trust issuers by X.509.
    pub x5c: bool,
    /// What credentials and status lists name as their issuer (`iss`, `issuer`): `url`, the
    /// tenant's issuer URL (keys in its JWT VC issuer metadata), or `did:web`, the `did:web`
    /// of that URL (keys in the DID document Sigil serves at `/.well-known/did.json`, or
    /// `…/did.json` for a tenant with a path).
    pub issuer_id: String,
    /// Whether wallets must bind their credential access tokens with DPoP (RFC 9449), as
    /// HAIP requires; when false, a token is bound if the wallet sends a proof.
    pub require_dpop: bool,
    /// Whether DPoP proofs must carry a nonce the server gives (RFC 9449 §8, §9) in the
    /// `DPoP-Nonce` header of the token, nonce and credential endpoints' responses.
    pub dpop_nonce: bool,
    /// The wallet providers whose wallet attestations the token endpoint accepts
    /// (OpenID4VCI Appendix E): CA certificates, each as PEM text or the path of a PEM file
    /// (read when Sigil starts). Empty: wallet attestations are not accepted.
    pub wallet_providers: Vec<String>,
    /// Whether wallets must authenticate with a wallet attestation to redeem a credential
    /// offer (`attest_jwt_client_auth`), as HAIP requires.
    pub wallet_attestation_required: bool,
    /// Whether credential and deferred credential requests must be encrypted and ask for an
    /// encrypted response (OpenID4VCI §10, `encryption_required`).
    pub encryption_required: bool,
    /// How long a presentation request waits for the wallet, seconds.
    pub presentation_request_ttl: u64,
    /// How long a presentation's result can be read, seconds.
    pub presentation_result_ttl: u64,
    /// How old a presentation's key-binding JWT may be, seconds.
    pub key_binding_max_age: u64,
    /// The verifier whose presentations sign users in from the sign-in page (empty: no
    /// sign-in with a credential).
    pub sign_in_verifier: String,
    /// The claim (of the verifier's first credential query) that names the user.
    pub sign_in_claim: String,
    /// What that claim is matched against: `email` (a verified address), `username` or
    /// `sub` (the user's id).
    pub sign_in_user_field: String,
}

impl Default for CredentialConfig {
    fn default() -> Self {
        CredentialConfig {
            sd_jwt_vc: sigil_vc::sd_jwt_vc::SD_JWT_VC_DRAFT.into(),
            offer_ttl: 24 * 3600,
            deferred_ttl: 7 * 24 * 3600,
            deferred_interval: 60,
            tx_code_length: 6,
            tx_code_attempts: 5,
            access_token_ttl: 600,
            nonce_ttl: 300,
            proof_max_age: 300,
            batch_size: 10,
            status_list_size: 1 << 17,
            status_list_ttl: 300,
            x5c: false,
            issuer_id: ISSUER_ID_URL.into(),
            require_dpop: false,
            dpop_nonce: false,
            encryption_required: false,
            wallet_providers: Vec::new(),
            wallet_attestation_required: false,
            presentation_request_ttl: 600,
            presentation_result_ttl: 3600,
            key_binding_max_age: 300,
            sign_in_verifier: String::new(),
            sign_in_claim: "email".into(),
            sign_in_user_field: "email".into(),
        }
    }
}

/// Everything the provider logic is configured by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    /// Tokens.
    pub tokens: TokenConfig,
    /// Sessions.
    pub sessions: SessionConfig,
    /// Passwords.
    pub passwords: PasswordConfig,
    /// Sign-in throttling.
    pub throttle: ThrottleConfig,
    /// Keys.
    pub keys: KeyConfig,
    /// Event hooks.
    pub hooks: HookConfig,
    /// Verifiable credentials.
    pub credentials: CredentialConfig,
}
