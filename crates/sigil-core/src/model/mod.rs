//! The records Sigil stores and the protocol code reads: one module per aggregate.
//! Every record carries its tenant.

pub mod access;
pub mod audit;
pub mod client;
pub mod credential;
pub mod device;
pub mod federation;
pub mod grant;
pub mod group;
pub mod hook;
pub mod key;
pub mod provisioning;
pub mod session;
pub mod tenant;
pub mod user;

pub use access::{AccessApp, AccessKind};
pub use audit::{AuditEvent, AuditKind, AuditOutcome};
pub use client::{AuthMethod, Client, GrantType, LogoutChannels};
pub use credential::{
    CredentialState, CredentialStatus, IssuedCredential, StatusListInfo, StatusSlot, VcDefinition,
};
pub use device::{DeviceApproval, DeviceAuthorization, DeviceStatus};
pub use federation::ExternalIdentity;
pub use grant::{Artifact, ArtifactKind, Consent, RefreshToken, TokenFamily};
pub use group::{Group, GroupNameError, normalize_group_name, validate_group_name};
pub use hook::{ALL_EVENTS, Delivery, DeliveryAttempt, DeliveryState, Hook};
pub use key::{SigningAlg, StoredKey};
pub use provisioning::{PROVISIONING_TOKEN_PREFIX, ProvisioningToken};
pub use session::{Authentication, Session};
pub use tenant::Tenant;
pub use user::{User, UsernameError, normalize_username, validate_username};
