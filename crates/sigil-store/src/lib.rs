//! Storage traits, one per aggregate, and [`Store`], the set a backend implements.
//!
//! Protocol code reaches storage only through these traits. Methods that change state and
//! must be audited take the audit event and write it in the same transaction as the change.
//! Operations that must be atomic across aggregates (redeeming a code and creating the
//! token family it starts) are single methods, so a backend can run them in one transaction.

pub mod access;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod credentials;
pub mod federation;
pub mod groups;
pub mod hooks;
pub mod idempotency;
pub mod query;
pub mod search;

pub use access::AccessStore;
pub use credentials::{CredentialStore, Issuance, StatusListEntries};
pub use federation::FederationStore;
pub use groups::GroupStore;
pub use hooks::{AttemptOutcome, HookStore, MakeDeliveries};
pub use idempotency::{Claim, ClaimOutcome, IdempotencyKey, IdempotencyStore, StoredResponse};
pub use query::{AuditQuery, AuditRecord, UserCursor, UserOrder, UserQuery};
pub use search::{Condition, Found, GroupField, Literal, Op, Search, UserField};

use async_trait::async_trait;
use sigil_core::model::{
    Artifact, ArtifactKind, AuditEvent, Client, Consent, DeviceApproval, DeviceAuthorization,
    ProvisioningToken, RefreshToken, Session, StoredKey, Tenant, TokenFamily, User,
};
use sigil_core::{ClientId, Digest32, SessionId, TenantId, UnixMillis, UnixTime, UserId};

/// What can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A record with the same unique key exists.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The store cannot be reached or is busy beyond its timeout.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// A stored value could not be read back into its type.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Any other backend failure.
    #[error("store failure: {0}")]
    Backend(String),
}

/// Result type of every storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Tenants.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Creates a tenant; `Conflict` if the id is taken.
    async fn create_tenant(&self, tenant: &Tenant, audit: &AuditEvent) -> StoreResult<()>;
    /// Reads a tenant.
    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>>;
    /// Lists every tenant.
    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>>;
}

/// Users.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user; `Conflict` if the normalised username is taken in the tenant.
    async fn create_user(&self, user: &User, audit: &AuditEvent) -> StoreResult<()>;
    /// Finds a user by normalised username.
    async fn find_user_by_username(
        &self,
        tenant: &TenantId,
        normalized: &str,
    ) -> StoreResult<Option<User>>;
    /// Finds a user by e-mail address (exact match; the first if several share it).
    async fn find_user_by_email(&self, tenant: &TenantId, email: &str)
    -> StoreResult<Option<User>>;
    /// Reads a user by subject.
    async fn get_user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<Option<User>>;
    /// Lists a page of a tenant's users.
    async fn list_users(&self, tenant: &TenantId, query: &UserQuery) -> StoreResult<Vec<User>>;
    /// The users matching a search, the slice asked for, and how many match in all.
    async fn search_users(
        &self,
        tenant: &TenantId,
        search: &Search<UserField>,
    ) -> StoreResult<Found<User>>;
    /// Replaces a user's profile, password hash and status if its stored revision is still
    /// `user.revision`, storing `user.revision + 1`. False when the user is gone or changed
    /// since it was read; `Conflict` if the new username is taken.
    async fn update_user(&self, user: &User, audit: &AuditEvent) -> StoreResult<bool>;
    /// Deletes a user with their sessions and consents and revokes their token families, in
    /// one transaction; false if there was no such user, or (with `revision`) if the stored
    /// revision is another.
    async fn delete_user(
        &self,
        tenant: &TenantId,
        id: &UserId,
        revision: Option<i64>,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
}

/// OAuth clients.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Registers a client; `Conflict` if the id is taken.
    async fn create_client(&self, client: &Client, audit: &AuditEvent) -> StoreResult<()>;
    /// Reads a client.
    async fn get_client(&self, tenant: &TenantId, id: &ClientId) -> StoreResult<Option<Client>>;
    /// Lists a tenant's clients.
    async fn list_clients(&self, tenant: &TenantId) -> StoreResult<Vec<Client>>;
    /// A page of a tenant's clients by id (bytewise), after `after`.
    async fn list_clients_page(
        &self,
        tenant: &TenantId,
        after: Option<&ClientId>,
        limit: u32,
    ) -> StoreResult<Vec<Client>>;
    /// Replaces a client's settings and secret digest if its stored revision is still
    /// `client.revision`, storing `client.revision + 1`; false when gone or changed since.
    async fn update_client(&self, client: &Client, audit: &AuditEvent) -> StoreResult<bool>;
    /// Deletes a client, its users' consents to it, and revokes the grants it holds, in one
    /// transaction; false if there was no such client or (with `revision`) it changed.
    async fn delete_client(
        &self,
        tenant: &TenantId,
        id: &ClientId,
        revision: Option<i64>,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
}

/// Signing keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Every key of a tenant, including retired ones.
    async fn list_keys(&self, tenant: &TenantId) -> StoreResult<Vec<StoredKey>>;
    /// Inserts new keys and updates the rotation timestamps of existing ones, atomically.
    async fn save_keys(&self, keys: &[StoredKey], audit: &[AuditEvent]) -> StoreResult<()>;
}

/// Browser sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Starts a session, ending `replaces` (the browser's previous session) in the same
    /// transaction.
    async fn create_session(
        &self,
        session: &Session,
        replaces: Option<&SessionId>,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// Finds a session by the digest of its cookie secret.
    async fn find_session_by_secret(
        &self,
        tenant: &TenantId,
        digest: &Digest32,
    ) -> StoreResult<Option<Session>>;
    /// Reads a session by id.
    async fn get_session(&self, tenant: &TenantId, id: &SessionId) -> StoreResult<Option<Session>>;
    /// Records use of a session (idle timeout restarts).
    async fn touch_session(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        at: UnixTime,
    ) -> StoreResult<()>;
    /// Ends a session; false if it was already ended or does not exist.
    async fn end_session(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        at: UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
    /// Ends every session of a user that has not ended and, with `revoke_grants`, revokes
    /// every token family they hold, in one transaction (a sign-out everywhere). Returns how
    /// many sessions ended; the audit event is written whatever the count.
    async fn end_user_sessions(
        &self,
        tenant: &TenantId,
        user: &UserId,
        at: UnixTime,
        revoke_grants: bool,
        audit: &AuditEvent,
    ) -> StoreResult<u64>;
    /// The clients that hold an ID token naming a session, in the order they first got one.
    async fn session_clients(
        &self,
        tenant: &TenantId,
        session: &SessionId,
    ) -> StoreResult<Vec<ClientId>>;
    /// A user's sessions that are neither ended nor past their absolute end.
    async fn list_user_sessions(
        &self,
        tenant: &TenantId,
        user: &UserId,
        now: UnixTime,
    ) -> StoreResult<Vec<Session>>;
}

/// Remembered consent.
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// A user's consent to a client.
    async fn get_consent(
        &self,
        tenant: &TenantId,
        user: &UserId,
        client: &ClientId,
    ) -> StoreResult<Option<Consent>>;
    /// Stores (replaces) a consent.
    async fn save_consent(&self, consent: &Consent, audit: &AuditEvent) -> StoreResult<()>;
    /// Every consent a user gave.
    async fn list_user_consents(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> StoreResult<Vec<Consent>>;
    /// Withdraws a consent and revokes every token family the client holds for the user, in
    /// one transaction. False if there was no consent.
    async fn withdraw_consent(
        &self,
        tenant: &TenantId,
        user: &UserId,
        client: &ClientId,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
}

/// The tokens a redemption creates.
#[derive(Debug, Clone, Default)]
pub struct Issue {
    /// A new token family (when a refresh token is issued).
    pub family: Option<TokenFamily>,
    /// The first refresh token of that family.
    pub refresh: Option<RefreshToken>,
    /// The client an ID token naming a session went to, remembered with that session so
    /// its logout reaches the client.
    pub session_client: Option<SessionClient>,
}

/// A client that holds an ID token naming a session (its `sid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClient {
    /// Owning tenant.
    pub tenant: TenantId,
    /// The session.
    pub session_id: SessionId,
    /// The client.
    pub client_id: ClientId,
    /// When the first such ID token was issued.
    pub joined_at: UnixTime,
}

/// Result of redeeming a single-use code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redemption {
    /// This call consumed it and the tokens were stored.
    Issued,
    /// Someone consumed it first: a replay.
    AlreadyUsed,
}

/// Refresh tokens, token families and revoked access tokens.
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Consumes an authorization code and stores what it issues, atomically.
    async fn redeem_code(
        &self,
        tenant: &TenantId,
        code_key: &Digest32,
        now: UnixTime,
        issue: &Issue,
        audit: &AuditEvent,
    ) -> StoreResult<Redemption>;
    /// Finds a refresh token and its family.
    async fn find_refresh_token(
        &self,
        tenant: &TenantId,
        digest: &Digest32,
    ) -> StoreResult<Option<(RefreshToken, TokenFamily)>>;
    /// Marks `old` used and stores `new` in its family, atomically; `AlreadyUsed` if `old`
    /// was used meanwhile.
    async fn rotate_refresh_token(
        &self,
        tenant: &TenantId,
        old: &Digest32,
        new: &RefreshToken,
        audit: &AuditEvent,
    ) -> StoreResult<Redemption>;
    /// Revokes a family: its refresh tokens stop working and the access tokens issued with
    /// them go on the revocation list. A no-op for an unknown family.
    async fn revoke_family(
        &self,
        tenant: &TenantId,
        family_id: &str,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// Puts an access token's `jti` on the revocation list until `expires_at`.
    async fn revoke_access_token(
        &self,
        tenant: &TenantId,
        jti: &str,
        expires_at: UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// Whether an access token's `jti` is on the revocation list.
    async fn is_access_token_revoked(&self, tenant: &TenantId, jti: &str) -> StoreResult<bool>;
}

/// Short-lived single-use artifacts: codes, interactions, assertion ids.
#[async_trait]
pub trait ArtifactStore: Send + Sync {
    /// Stores an artifact. Returns false (and changes nothing) when an unexpired artifact of
    /// the same kind and key exists: that is how replays of single-use ids are detected.
    async fn put_artifact(&self, artifact: &Artifact, now: UnixTime) -> StoreResult<bool>;
    /// Reads an unexpired artifact, consumed or not.
    async fn get_artifact(
        &self,
        tenant: &TenantId,
        kind: ArtifactKind,
        key: &Digest32,
        now: UnixTime,
    ) -> StoreResult<Option<Artifact>>;
    /// Replaces an unexpired, unconsumed artifact's payload; false if there is none.
    async fn update_artifact(
        &self,
        tenant: &TenantId,
        kind: ArtifactKind,
        key: &Digest32,
        payload: &serde_json::Value,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// Consumes an unexpired artifact and stores `put` in its place, in one transaction (an
    /// interaction becoming a code). False, storing nothing, when there was nothing to consume.
    async fn exchange_artifact(
        &self,
        tenant: &TenantId,
        kind: ArtifactKind,
        key: &Digest32,
        put: &Artifact,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// Consumes an unexpired artifact once; `None` if absent, expired or already consumed.
    async fn consume_artifact(
        &self,
        tenant: &TenantId,
        kind: ArtifactKind,
        key: &Digest32,
        now: UnixTime,
    ) -> StoreResult<Option<Artifact>>;
}

/// How the user decided a device authorization.
#[derive(Debug, Clone)]
pub enum DeviceDecision {
    /// Approved, with the authentication it carries.
    Approve(DeviceApproval),
    /// Denied.
    Deny,
}

/// RFC 8628 device authorizations.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Stores a new device authorization; `Conflict` if its user code is in use.
    async fn create_device_authorization(&self, auth: &DeviceAuthorization) -> StoreResult<()>;
    /// Finds an unexpired authorization by user code.
    async fn find_device_by_user_code(
        &self,
        tenant: &TenantId,
        user_code: &str,
        now: UnixTime,
    ) -> StoreResult<Option<DeviceAuthorization>>;
    /// Finds an authorization by the digest of its device code (expired ones too, so that
    /// polling can answer `expired_token`).
    async fn find_device_by_code(
        &self,
        tenant: &TenantId,
        digest: &Digest32,
    ) -> StoreResult<Option<DeviceAuthorization>>;
    /// Records the user's decision on a pending authorization; false if it was not pending.
    async fn decide_device(
        &self,
        tenant: &TenantId,
        user_code: &str,
        decision: &DeviceDecision,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
    /// Records a poll and the polling interval now in force.
    async fn record_device_poll(
        &self,
        tenant: &TenantId,
        digest: &Digest32,
        at: UnixMillis,
        interval_secs: u32,
    ) -> StoreResult<()>;
    /// Marks an approved authorization consumed and stores what it issues, atomically.
    async fn redeem_device(
        &self,
        tenant: &TenantId,
        digest: &Digest32,
        issue: &Issue,
        audit: &AuditEvent,
    ) -> StoreResult<Redemption>;
}

/// Audit events.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends events (used for events whose work writes nothing else, flushed in batches).
    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()>;
    /// A tenant's events matching `query`, newest first.
    async fn list_audit(
        &self,
        tenant: &TenantId,
        query: &AuditQuery,
    ) -> StoreResult<Vec<AuditRecord>>;
}

/// Notifications that cached data changed somewhere (another node, the CLI), for backends that
/// can push them; the change epoch is still polled as the safety net.
#[async_trait]
pub trait ChangeListener: Send {
    /// Waits for the next change notification. An error means the feed broke; calling again
    /// tries to resume it (notifications in between may be lost, the epoch poll covers them).
    async fn next_change(&mut self) -> StoreResult<()>;
}

/// SCIM provisioning tokens (only their digests).
#[async_trait]
pub trait ProvisioningTokenStore: Send + Sync {
    /// Stores a new token.
    async fn create_provisioning_token(
        &self,
        token: &ProvisioningToken,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// The token with this digest, in any tenant.
    async fn find_provisioning_token(
        &self,
        digest: &Digest32,
    ) -> StoreResult<Option<ProvisioningToken>>;
    /// A tenant's tokens, oldest first.
    async fn list_provisioning_tokens(
        &self,
        tenant: &TenantId,
    ) -> StoreResult<Vec<ProvisioningToken>>;
    /// Deletes a token; false if there was none.
    async fn delete_provisioning_token(
        &self,
        tenant: &TenantId,
        id: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
}

/// Everything a backend provides.
#[async_trait]
pub trait Store:
    TenantStore
    + UserStore
    + ClientStore
    + KeyStore
    + SessionStore
    + ConsentStore
    + GrantStore
    + ArtifactStore
    + DeviceStore
    + AuditStore
    + IdempotencyStore
    + GroupStore
    + ProvisioningTokenStore
    + HookStore
    + CredentialStore
    + AccessStore
    + FederationStore
    + Send
    + Sync
{
    /// Cheap liveness check for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;
    /// A counter that grows whenever cached data (tenants, clients, keys, users) changes, so
    /// every process serving this store knows when to drop its caches.
    async fn change_epoch(&self) -> StoreResult<i64>;
    /// Deletes expired artifacts, device codes, revocation entries and idempotency keys;
    /// returns rows removed.
    async fn purge_expired(&self, now: UnixTime) -> StoreResult<u64>;
    /// A feed of change notifications, when the backend can push them.
    async fn listen_changes(&self) -> StoreResult<Option<Box<dyn ChangeListener>>> {
        Ok(None)
    }
}
