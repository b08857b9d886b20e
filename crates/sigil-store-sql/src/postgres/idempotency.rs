//! Idempotency keys (the shared SQL, decision and implementation are in
//! [`crate::idempotency`]).

use async_trait::async_trait;
use sigil_store::{
    Claim, ClaimOutcome, IdempotencyKey, IdempotencyStore, StoreResult, StoredResponse,
};

use super::{PgStore, backend};
use crate::rows::to_json;

crate::idempotency::impl_idempotency_store!(PgStore, Postgres, pool);
