//! Listing records page by page: filters, a sort order, and a keyset cursor (the sort key of the
//! last record of the previous page), so that a page costs the same at row one million as at
//! row one and concurrent inserts never shift a page.

use sigil_core::model::{AuditEvent, AuditKind, AuditOutcome};
use sigil_core::{ClientId, UnixTime, UserId};

/// The order users are listed in; ties (equal creation times) are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserOrder {
    /// By normalised username, bytewise.
    #[default]
    Username,
    /// By creation time.
    CreatedAt,
}

/// Where the previous page ended: the sort key of its last user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCursor {
    /// After this normalised username.
    Username(String),
    /// After this creation time and id.
    CreatedAt(UnixTime, UserId),
}

/// Which users to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserQuery {
    /// Only usernames (normalised) starting with this.
    pub username_prefix: Option<String>,
    /// Only users with exactly this e-mail address.
    pub email: Option<String>,
    /// Only disabled (`Some(true)`) or enabled (`Some(false)`) users.
    pub disabled: Option<bool>,
    /// Sort key.
    pub order: UserOrder,
    /// Largest first.
    pub descending: bool,
    /// Start after this user.
    pub after: Option<UserCursor>,
    /// Page size (the store returns at most this many).
    pub limit: u32,
}

impl Default for UserQuery {
    fn default() -> Self {
        UserQuery {
            username_prefix: None,
            email: None,
            disabled: None,
            order: UserOrder::Username,
            descending: false,
            after: None,
            limit: 100,
        }
    }
}

/// Which audit events to list, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events of this kind.
    pub kind: Option<AuditKind>,
    /// Only events concerning this user.
    pub user_id: Option<UserId>,
    /// Only events concerning this client.
    pub client_id: Option<ClientId>,
    /// Only events by this actor (`user:…`, `client:…`, `cli`).
    pub actor: Option<String>,
    /// Only successes or only failures.
    pub outcome: Option<AuditOutcome>,
    /// Only events at or after this time.
    pub since: Option<UnixTime>,
    /// Only events before this time.
    pub until: Option<UnixTime>,
    /// Only events older than this one (the `seq` of the previous page's last event).
    pub before: Option<i64>,
    /// Page size (the store returns at most this many).
    pub limit: u32,
}

impl AuditQuery {
    /// The newest `limit` events, unfiltered.
    pub fn latest(limit: u32) -> Self {
        AuditQuery {
            kind: None,
            user_id: None,
            client_id: None,
            actor: None,
            outcome: None,
            since: None,
            until: None,
            before: None,
            limit,
        }
    }
}

/// An audit event with its position in the tenant's trail (increasing, never reused), which is
/// what a page of events continues from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the trail.
    pub seq: i64,
    /// The event.
    pub event: AuditEvent,
}
