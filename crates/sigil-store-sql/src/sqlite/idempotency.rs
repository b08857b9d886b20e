//! Idempotency keys (the shared SQL, decision and implementation are in
//! [`crate::idempotency`]).

use async_trait::async_trait;
use sigil_store::{
    Claim, ClaimOutcome, IdempotencyKey, IdempotencyStore, StoreResult, StoredResponse,
};

use super::{SqliteStore, backend};
use crate::rows::to_json;

crate::idempotency::impl_idempotency_store!(SqliteStore, Sqlite, reader);
