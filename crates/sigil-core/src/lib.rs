//! Sigil's vocabulary: validated identifiers, the records every other crate passes around,
//! and the two sources of non-determinism (time and randomness) behind small seams so that
//! protocol code stays testable.
//!
//! No HTTP, no SQL and no I/O live here.

pub mod digest;
pub mod ids;
pub mod model;
pub mod random;
pub mod redirect_uri;
pub mod request;
pub mod scope;
pub mod time;

pub use digest::{
    Digest32, b64_decode, b64_encode, b64url_decode, b64url_encode, b64url_encode_into,
};
pub use ids::{ClientId, GroupId, IdError, SessionId, TenantId, UserId};
pub use redirect_uri::RedirectUri;
pub use scope::{Scope, ScopeSet};
pub use time::{Clock, ManualClock, SystemClock, UnixMillis, UnixTime};
