//! Idempotency keys, decided once for both backends: the SQL (placeholders aside) and the
//! decision over an existing row are shared; each backend runs them in its own transaction.

use sigil_store::{Claim, ClaimOutcome, StoreResult, StoredResponse};

use crate::listing::Dialect;
use crate::rows::RowExt;

/// Inserts a fresh claim unless the key exists.
pub(crate) const INSERT: &str = "INSERT INTO idempotency_keys
    (tenant_id, caller, key, request_digest, status, response_headers, response_body,
     locked_until, created_at, expires_at)
    VALUES (?, ?, ?, ?, NULL, NULL, NULL, ?, ?, ?) ON CONFLICT DO NOTHING";

/// Reads an existing key.
pub(crate) const SELECT: &str = "SELECT request_digest, status, response_headers, response_body,
    locked_until, expires_at FROM idempotency_keys WHERE tenant_id = ? AND caller = ? AND key = ?";

/// Starts over on an expired key (a new request under an old key): binds the digest, lock,
/// creation and expiry, then the key and the expiry read (so two racing take-overs cannot
/// both win).
pub(crate) const RESTART: &str = "UPDATE idempotency_keys SET request_digest = ?, status = NULL,
    response_headers = NULL, response_body = NULL, locked_until = ?, created_at = ?, expires_at = ?
    WHERE tenant_id = ? AND caller = ? AND key = ? AND expires_at = ?";

/// Takes over an abandoned claim: binds the new lock, the key and the lock read.
pub(crate) const TAKE_OVER: &str = "UPDATE idempotency_keys SET locked_until = ?
    WHERE tenant_id = ? AND caller = ? AND key = ? AND status IS NULL AND locked_until = ?";

/// Stores the response: binds status, headers (JSON), body and the key.
pub(crate) const COMPLETE: &str = "UPDATE idempotency_keys SET status = ?, response_headers = ?,
    response_body = ? WHERE tenant_id = ? AND caller = ? AND key = ?";

/// Frees a key.
pub(crate) const RELEASE: &str = "DELETE FROM idempotency_keys WHERE tenant_id = ? AND caller = ? AND key = ? AND status IS NULL";

/// A statement in a dialect.
pub(crate) fn sql(dialect: Dialect, statement: &str) -> String {
    dialect.placeholders(statement)
}

/// A key found in the store.
#[derive(Debug)]
pub(crate) struct Existing {
    digest: Vec<u8>,
    response: Option<StoredResponse>,
    pub locked_until: i64,
    pub expires_at: i64,
}

/// Reads [`SELECT`]'s row.
pub(crate) fn existing(row: &impl RowExt) -> StoreResult<Existing> {
    let response = match row.opt_int("status")? {
        Some(status) => Some(StoredResponse {
            status: u16::try_from(status).unwrap_or(500),
            headers: row.opt_json("response_headers")?.unwrap_or_default(),
            body: row.opt_bytes("response_body")?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Existing {
        digest: row.bytes("request_digest")?,
        response,
        locked_until: row.int("locked_until")?,
        expires_at: row.int("expires_at")?,
    })
}

/// What to do about an existing key.
#[derive(Debug)]
pub(crate) enum Next {
    /// It expired: start over with [`RESTART`].
    Restart,
    /// Its request was abandoned (lock lapsed, no response): take over with [`TAKE_OVER`].
    TakeOver,
    /// Answer with this.
    Answer(ClaimOutcome),
}

/// Decides about an existing key.
pub(crate) fn decide(found: Existing, claim: &Claim) -> Next {
    if found.expires_at <= claim.now.0 {
        return Next::Restart;
    }
    if found.digest != claim.request.0 {
        return Next::Answer(ClaimOutcome::Mismatch);
    }
    match found.response {
        Some(response) => Next::Answer(ClaimOutcome::Completed(response)),
        None if found.locked_until <= claim.now.0 => Next::TakeOver,
        None => Next::Answer(ClaimOutcome::InFlight),
    }
}

/// Implements [`sigil_store::IdempotencyStore`] for a backend (one body for both; only the
/// store type, dialect and read pool differ). Expects `backend`, `to_json` and the
/// `sigil_store` idempotency types in the invoking backend module.
macro_rules! impl_idempotency_store {
    ($store:ident, $dialect:ident, $reader:ident) => {
        const DIALECT: $crate::listing::Dialect = $crate::listing::Dialect::$dialect;

        #[async_trait]
        impl IdempotencyStore for $store {
            async fn claim_idempotency_key(
                &self,
                key: &IdempotencyKey,
                claim: &Claim,
            ) -> StoreResult<ClaimOutcome> {
                let mut tx = self.begin().await?;
                let inserted = sqlx::query(&$crate::idempotency::sql(
                    DIALECT,
                    $crate::idempotency::INSERT,
                ))
                .bind(key.tenant.as_str())
                .bind(&key.caller)
                .bind(&key.key)
                .bind(&claim.request.0[..])
                .bind(claim.lock_until.0)
                .bind(claim.now.0)
                .bind(claim.expires_at.0)
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected();
                if inserted == 1 {
                    tx.commit().await.map_err(backend)?;
                    return Ok(ClaimOutcome::Claimed);
                }
                let row = sqlx::query(&$crate::idempotency::sql(
                    DIALECT,
                    $crate::idempotency::SELECT,
                ))
                .bind(key.tenant.as_str())
                .bind(&key.caller)
                .bind(&key.key)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
                let found = $crate::idempotency::existing(&row)?;
                let (locked_until, expires_at) = (found.locked_until, found.expires_at);
                let (restart, take_over) = (
                    $crate::idempotency::sql(DIALECT, $crate::idempotency::RESTART),
                    $crate::idempotency::sql(DIALECT, $crate::idempotency::TAKE_OVER),
                );
                let taken = match $crate::idempotency::decide(found, claim) {
                    $crate::idempotency::Next::Answer(outcome) => return Ok(outcome),
                    $crate::idempotency::Next::Restart => sqlx::query(&restart)
                        .bind(&claim.request.0[..])
                        .bind(claim.lock_until.0)
                        .bind(claim.now.0)
                        .bind(claim.expires_at.0)
                        .bind(key.tenant.as_str())
                        .bind(&key.caller)
                        .bind(&key.key)
                        .bind(expires_at),
                    $crate::idempotency::Next::TakeOver => sqlx::query(&take_over)
                        .bind(claim.lock_until.0)
                        .bind(key.tenant.as_str())
                        .bind(&key.caller)
                        .bind(&key.key)
                        .bind(locked_until),
                }
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected()
                    == 1;
                tx.commit().await.map_err(backend)?;
                Ok(if taken {
                    ClaimOutcome::Claimed
                } else {
                    ClaimOutcome::InFlight
                })
            }

            async fn complete_idempotency_key(
                &self,
                key: &IdempotencyKey,
                response: &StoredResponse,
            ) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(&$crate::idempotency::sql(
                    DIALECT,
                    $crate::idempotency::COMPLETE,
                ))
                .bind(i64::from(response.status))
                .bind(to_json(&response.headers))
                .bind(&response.body[..])
                .bind(key.tenant.as_str())
                .bind(&key.caller)
                .bind(&key.key)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                tx.commit().await.map_err(backend)
            }

            async fn release_idempotency_key(&self, key: &IdempotencyKey) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(&$crate::idempotency::sql(
                    DIALECT,
                    $crate::idempotency::RELEASE,
                ))
                .bind(key.tenant.as_str())
                .bind(&key.caller)
                .bind(&key.key)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                tx.commit().await.map_err(backend)
            }
        }
    };
}
pub(crate) use impl_idempotency_store;
