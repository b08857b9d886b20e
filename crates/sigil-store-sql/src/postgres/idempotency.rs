//! Idempotency keys (the shared SQL and decision are in [`crate::idempotency`]).

use async_trait::async_trait;
use sigil_store::{
    Claim, ClaimOutcome, IdempotencyKey, IdempotencyStore, StoreResult, StoredResponse,
};

use super::{PgStore, backend};
use crate::idempotency::{self as shared, Next, sql};
use crate::listing::Dialect;
use crate::rows::to_json;

const DIALECT: Dialect = Dialect::Postgres;

#[async_trait]
impl IdempotencyStore for PgStore {
    async fn claim_idempotency_key(
        &self,
        key: &IdempotencyKey,
        claim: &Claim,
    ) -> StoreResult<ClaimOutcome> {
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(&sql(DIALECT, shared::INSERT))
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
        let row = sqlx::query(&sql(DIALECT, shared::SELECT))
            .bind(key.tenant.as_str())
            .bind(&key.caller)
            .bind(&key.key)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let found = shared::existing(&row)?;
        let (locked_until, expires_at) = (found.locked_until, found.expires_at);
        let (restart, take_over) = (
            sql(DIALECT, shared::RESTART),
            sql(DIALECT, shared::TAKE_OVER),
        );
        let taken = match shared::decide(found, claim) {
            Next::Answer(outcome) => return Ok(outcome),
            Next::Restart => sqlx::query(&restart)
                .bind(&claim.request.0[..])
                .bind(claim.lock_until.0)
                .bind(claim.now.0)
                .bind(claim.expires_at.0)
                .bind(key.tenant.as_str())
                .bind(&key.caller)
                .bind(&key.key)
                .bind(expires_at),
            Next::TakeOver => sqlx::query(&take_over)
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
        sqlx::query(&sql(DIALECT, shared::COMPLETE))
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
        sqlx::query(&sql(DIALECT, shared::RELEASE))
            .bind(key.tenant.as_str())
            .bind(&key.caller)
            .bind(&key.key)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }
}
