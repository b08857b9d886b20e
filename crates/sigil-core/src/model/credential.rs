//! Verifiable credentials Sigil issues: one record per credential offered to a user, which
//! becomes issued when a wallet redeems the offer (after an administrator's approval, for
//! types that need one), and its entries in status lists (one per
//! copy issued, at random indexes so that copies cannot be linked through them).

use serde::{Deserialize, Serialize};

use crate::{TenantId, UnixTime, UserId};

/// Whether an offered credential has reached a wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialState {
    /// Offered; no wallet has redeemed the offer yet.
    Offered,
    /// A wallet asked for it; its type waits for an administrator's approval (the wallet
    /// holds a deferred transaction).
    Pending,
    /// Approved; the wallet collects it at the deferred credential endpoint.
    Approved,
    /// Issued at least once.
    Issued,
}

impl CredentialState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialState::Offered => "offered",
            CredentialState::Pending => "pending",
            CredentialState::Approved => "approved",
            CredentialState::Issued => "issued",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            CredentialState::Offered,
            CredentialState::Pending,
            CredentialState::Approved,
            CredentialState::Issued,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A credential's status, as published in its status list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialStatus {
    /// Valid.
    Valid,
    /// Suspended: invalid until reinstated.
    Suspended,
    /// Revoked, for good.
    Revoked,
}

impl CredentialStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialStatus::Valid => "valid",
            CredentialStatus::Suspended => "suspended",
            CredentialStatus::Revoked => "revoked",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            CredentialStatus::Valid,
            CredentialStatus::Suspended,
            CredentialStatus::Revoked,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// The value in a Token Status List (draft-ietf-oauth-status-list §7.1): VALID 0,
    /// INVALID 1, SUSPENDED 2.
    pub fn list_value(self) -> u8 {
        match self {
            CredentialStatus::Valid => 0,
            CredentialStatus::Revoked => 1,
            CredentialStatus::Suspended => 2,
        }
    }
}

/// A credential offered to, and perhaps issued to, a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedCredential {
    /// Owning tenant.
    pub tenant: TenantId,
    /// Identifier (administrators revoke by it; wallets see it as the `notification_id`).
    pub id: String,
    /// The user it is about.
    pub user_id: UserId,
    /// Its credential type (`credential_configuration_id`).
    pub type_id: String,
    /// Offered or issued.
    pub state: CredentialState,
    /// Valid, suspended or revoked.
    pub status: CredentialStatus,
    /// When it was offered.
    pub created_at: UnixTime,
    /// When a wallet first received it.
    pub issued_at: Option<UnixTime>,
    /// When the copies last issued expire.
    pub expires_at: Option<UnixTime>,
    /// Last change.
    pub updated_at: UnixTime,
    /// How many copies were issued (each with its own holder key and status entry).
    pub copies: u32,
}

impl IssuedCredential {
    /// A credential of type `type_id` just offered to `user`, valid, none issued yet.
    pub fn offered(
        tenant: &TenantId,
        id: String,
        user: &UserId,
        type_id: &str,
        now: UnixTime,
    ) -> Self {
        IssuedCredential {
            tenant: tenant.clone(),
            id,
            user_id: user.clone(),
            type_id: type_id.to_owned(),
            state: CredentialState::Offered,
            status: CredentialStatus::Valid,
            created_at: now,
            issued_at: None,
            expires_at: None,
            updated_at: now,
            copies: 0,
        }
    }
}

/// A status list: a tenant's bit array (two bits per entry) published as a signed token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListInfo {
    /// Identifier, the last segment of the list's URL.
    pub id: String,
    /// Bits per entry.
    pub bits: u8,
    /// Number of entries.
    pub size: u64,
}

/// One entry of a status list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSlot {
    /// The list.
    pub list_id: String,
    /// The index in it.
    pub idx: u64,
}

/// A credential type or verifier an administrator defined, as a JSON document (its shape is
/// `sigil-vc`'s to check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VcDefinition {
    /// Owning tenant.
    pub tenant: TenantId,
    /// `credential_type` or `verifier`.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// The document.
    pub definition: serde_json::Value,
    /// When it was first saved.
    pub created_at: UnixTime,
    /// When it was last saved.
    pub updated_at: UnixTime,
}
