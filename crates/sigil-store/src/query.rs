//! Listing records page by page: filters, a sort order, and a keyset cursor (the sort key of the
//! last record of the previous page), so that a page costs the same at row one million as at
//! row one and concurrent inserts never shift a page.

use sigil_core::{UnixTime, UserId};

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
