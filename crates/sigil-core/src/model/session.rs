//! Browser sign-in sessions (the SSO session behind the session cookie).

use serde::{Deserialize, Serialize};

use crate::{Digest32, SessionId, TenantId, UnixTime, UserId};

/// How and when a user authenticated; copied into codes, tokens and ID token claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authentication {
    /// Who.
    pub user_id: UserId,
    /// When (the `auth_time` claim).
    pub auth_time: UnixTime,
    /// Authentication methods references (RFC 8176), e.g. `pwd`.
    pub amr: Vec<String>,
    /// Authentication context class reference.
    pub acr: String,
}

/// A sign-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Owning tenant.
    pub tenant: TenantId,
    /// Public id (`sid` claim).
    pub id: SessionId,
    /// SHA-256 of the cookie secret.
    pub secret_digest: Digest32,
    /// The authentication this session carries.
    pub auth: Authentication,
    /// When it began.
    pub created_at: UnixTime,
    /// Last time it was used (idle timeout counts from here).
    pub last_seen_at: UnixTime,
    /// Absolute end.
    pub expires_at: UnixTime,
    /// When it was ended (sign-out, revocation).
    pub ended_at: Option<UnixTime>,
    /// Browser description, for the account page.
    pub user_agent: Option<String>,
    /// Client IP at sign-in, for the account page.
    pub ip: Option<String>,
}

impl Session {
    /// Whether the session is usable at `now` given the idle timeout.
    pub fn is_active(&self, now: UnixTime, idle_timeout: std::time::Duration) -> bool {
        self.ended_at.is_none()
            && now < self.expires_at
            && now < self.last_seen_at.plus(idle_timeout)
    }
}
