//! RFC 8628 device authorizations.

use serde::{Deserialize, Serialize};

use super::session::Authentication;
use crate::{ClientId, Digest32, ScopeSet, SessionId, TenantId, UnixMillis, UnixTime};

/// Where a device authorization stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// Waiting for the user.
    Pending,
    /// The user approved; tokens can be issued once.
    Approved,
    /// The user denied.
    Denied,
    /// Tokens were issued.
    Consumed,
}

impl DeviceStatus {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Pending => "pending",
            DeviceStatus::Approved => "approved",
            DeviceStatus::Denied => "denied",
            DeviceStatus::Consumed => "consumed",
        }
    }

    /// Parses the storage name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Denied, Self::Consumed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The user's approval of a device authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceApproval {
    /// How the user authenticated.
    pub auth: Authentication,
    /// The session they approved from.
    pub session_id: SessionId,
}

/// A device authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    /// Owning tenant.
    pub tenant: TenantId,
    /// SHA-256 of the device code.
    pub device_code_digest: Digest32,
    /// The user code, normalised (`XXXX-XXXX`).
    pub user_code: String,
    /// Requesting client.
    pub client_id: ClientId,
    /// Requested scopes.
    pub scopes: ScopeSet,
    /// Expiry.
    pub expires_at: UnixTime,
    /// Minimum seconds between polls (grows with `slow_down`).
    pub interval_secs: u32,
    /// Last poll, to the millisecond: with a one-second interval, whole seconds could not
    /// tell a poll 10 ms after the last from one a second later.
    pub last_polled_at: Option<UnixMillis>,
    /// State.
    pub status: DeviceStatus,
    /// The approval, once approved.
    pub approval: Option<DeviceApproval>,
    /// Grant id tokens will be issued under (fixed up front so a replay can revoke them).
    pub grant_id: String,
    /// `jti` of the access token that will be issued.
    pub access_jti: String,
}
