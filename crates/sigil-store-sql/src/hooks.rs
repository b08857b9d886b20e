//! The hook store, written once for both backends (placeholders, the row locks PostgreSQL
//! takes so that two nodes never take the same outbox row or delivery, and the read pool
//! aside).

use crate::listing::Dialect;

/// `FOR UPDATE SKIP LOCKED` where rows must not be taken twice by concurrent nodes; SQLite
/// has one writer at a time and needs none.
pub(crate) fn skip_locked(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "",
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
    }
}

/// Binds: tenant, id, url, event types, sealed secret, description, disabled, created_at,
/// updated_at, revision.
pub(crate) const INSERT: &str = "INSERT INTO hooks (tenant_id, id, url, event_types, secret_sealed,
    description, disabled, created_at, updated_at, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// Binds: url, event types, sealed secret, description, disabled, updated_at, tenant, id,
/// revision.
pub(crate) const UPDATE: &str = "UPDATE hooks SET url = ?, event_types = ?, secret_sealed = ?,
    description = ?, disabled = ?, updated_at = ?, revision = revision + 1
    WHERE tenant_id = ? AND id = ? AND revision = ?";

/// Binds: tenant, id, hook, event id, event type, payload, state, next attempt, created_at,
/// updated_at.
pub(crate) const INSERT_DELIVERY: &str = "INSERT INTO hook_deliveries (tenant_id, id, hook_id,
    event_id, event_type, payload, state, next_attempt_at, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// Leases due deliveries. Binds: lease until, now, now, limit.
pub(crate) fn lease(dialect: Dialect) -> String {
    dialect.placeholders(&format!(
        "UPDATE hook_deliveries SET leased_until = ?
         WHERE (tenant_id, id) IN (
           SELECT tenant_id, id FROM hook_deliveries
           WHERE state = 'pending' AND next_attempt_at <= ? AND leased_until <= ?
           ORDER BY next_attempt_at LIMIT ?{})
         RETURNING *",
        skip_locked(dialect)
    ))
}

/// Implements [`sigil_store::HookStore`] for a backend. Expects `begin`, `backend` and
/// `insert_audit` in the invoking backend module.
macro_rules! impl_hook_store {
    ($store:ident, $dialect:ident, $reader:ident) => {
        const DIALECT: $crate::listing::Dialect = $crate::listing::Dialect::$dialect;

        fn sql(text: &str) -> String {
            DIALECT.placeholders(text)
        }

        #[async_trait]
        impl HookStore for $store {
            async fn create_hook(&self, h: &Hook, audit: &AuditEvent) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(&sql($crate::hooks::INSERT))
                    .bind(h.tenant.as_str())
                    .bind(&h.id)
                    .bind(&h.url)
                    .bind(to_json(&h.event_types))
                    .bind(&h.secret_sealed)
                    .bind(h.description.as_deref())
                    .bind(h.disabled)
                    .bind(h.created_at.0)
                    .bind(h.updated_at.0)
                    .bind(h.revision)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                insert_audit(&mut tx, audit).await?;
                tx.commit().await.map_err(backend)
            }

            async fn get_hook(&self, tenant: &TenantId, id: &str) -> StoreResult<Option<Hook>> {
                sqlx::query(&sql("SELECT * FROM hooks WHERE tenant_id = ? AND id = ?"))
                    .bind(tenant.as_str())
                    .bind(id)
                    .fetch_optional(&self.$reader)
                    .await
                    .map_err(backend)?
                    .as_ref()
                    .map($crate::records::hook)
                    .transpose()
            }

            async fn list_hooks(&self, tenant: &TenantId) -> StoreResult<Vec<Hook>> {
                sqlx::query(&sql(
                    "SELECT * FROM hooks WHERE tenant_id = ? ORDER BY created_at, id",
                ))
                .bind(tenant.as_str())
                .fetch_all(&self.$reader)
                .await
                .map_err(backend)?
                .iter()
                .map($crate::records::hook)
                .collect()
            }

            async fn update_hook(&self, h: &Hook, audit: &AuditEvent) -> StoreResult<bool> {
                let mut tx = self.begin().await?;
                let updated = sqlx::query(&sql($crate::hooks::UPDATE))
                    .bind(&h.url)
                    .bind(to_json(&h.event_types))
                    .bind(&h.secret_sealed)
                    .bind(h.description.as_deref())
                    .bind(h.disabled)
                    .bind(h.updated_at.0)
                    .bind(h.tenant.as_str())
                    .bind(&h.id)
                    .bind(h.revision)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?
                    .rows_affected()
                    == 1;
                if updated {
                    insert_audit(&mut tx, audit).await?;
                    tx.commit().await.map_err(backend)?;
                }
                Ok(updated)
            }

            async fn delete_hook(
                &self,
                tenant: &TenantId,
                id: &str,
                audit: &AuditEvent,
            ) -> StoreResult<bool> {
                let mut tx = self.begin().await?;
                let deleted = sqlx::query(&sql("DELETE FROM hooks WHERE tenant_id = ? AND id = ?"))
                    .bind(tenant.as_str())
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?
                    .rows_affected()
                    == 1;
                if deleted {
                    insert_audit(&mut tx, audit).await?;
                    tx.commit().await.map_err(backend)?;
                }
                Ok(deleted)
            }

            async fn fan_out(&self, limit: u32, make: &MakeDeliveries<'_>) -> StoreResult<u32> {
                let mut tx = self.begin().await?;
                let rows = sqlx::query(&sql(&format!(
                    "SELECT seq, tenant_id, event FROM hook_outbox ORDER BY seq LIMIT ?{}",
                    $crate::hooks::skip_locked(DIALECT)
                )))
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?;
                let mut hooks: std::collections::HashMap<String, Vec<Hook>> =
                    std::collections::HashMap::new();
                for row in &rows {
                    let seq = row.int("seq")?;
                    let tenant = row.text("tenant_id")?;
                    let event: AuditEvent = row.json("event")?;
                    if !hooks.contains_key(&tenant) {
                        let found = sqlx::query(&sql(
                            "SELECT * FROM hooks WHERE tenant_id = ? AND disabled = ?",
                        ))
                        .bind(&tenant)
                        .bind(false)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(backend)?
                        .iter()
                        .map($crate::records::hook)
                        .collect::<StoreResult<Vec<Hook>>>()?;
                        hooks.insert(tenant.clone(), found);
                    }
                    let for_tenant = hooks.get(&tenant).map(Vec::as_slice).unwrap_or(&[]);
                    for d in make(&event, for_tenant) {
                        sqlx::query(&sql($crate::hooks::INSERT_DELIVERY))
                            .bind(d.tenant.as_str())
                            .bind(&d.id)
                            .bind(&d.hook_id)
                            .bind(&d.event_id)
                            .bind(&d.event_type)
                            .bind(&d.payload)
                            .bind(d.state.as_str())
                            .bind(d.next_attempt_at.0)
                            .bind(d.created_at.0)
                            .bind(d.updated_at.0)
                            .execute(&mut *tx)
                            .await
                            .map_err(backend)?;
                    }
                    sqlx::query(&sql("DELETE FROM hook_outbox WHERE seq = ?"))
                        .bind(seq)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
                tx.commit().await.map_err(backend)?;
                Ok(u32::try_from(rows.len()).unwrap_or(u32::MAX))
            }

            async fn lease_deliveries(
                &self,
                now: UnixTime,
                lease_until: UnixTime,
                limit: u32,
            ) -> StoreResult<Vec<Delivery>> {
                let mut tx = self.begin().await?;
                let leased = sqlx::query(&$crate::hooks::lease(DIALECT))
                    .bind(lease_until.0)
                    .bind(now.0)
                    .bind(now.0)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(backend)?
                    .iter()
                    .map($crate::records::delivery)
                    .collect::<StoreResult<Vec<Delivery>>>()?;
                tx.commit().await.map_err(backend)?;
                Ok(leased)
            }

            async fn record_attempt(
                &self,
                tenant: &TenantId,
                delivery: &str,
                outcome: &AttemptOutcome,
            ) -> StoreResult<()> {
                let a = &outcome.attempt;
                let mut tx = self.begin().await?;
                sqlx::query(&sql(
                    "INSERT INTO hook_attempts (tenant_id, delivery_id, n, at, status, error, duration_ms)
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                ))
                .bind(tenant.as_str())
                .bind(delivery)
                .bind(a.n)
                .bind(a.at.0)
                .bind(a.status)
                .bind(a.error.as_deref())
                .bind(a.duration_ms)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                sqlx::query(&sql(
                    "UPDATE hook_deliveries SET attempts = ?, state = ?, next_attempt_at = ?,
                     leased_until = 0, last_status = ?, last_error = ?, updated_at = ?
                     WHERE tenant_id = ? AND id = ?",
                ))
                .bind(a.n)
                .bind(outcome.state.as_str())
                .bind(outcome.next_attempt_at.0)
                .bind(a.status)
                .bind(a.error.as_deref())
                .bind(a.at.0)
                .bind(tenant.as_str())
                .bind(delivery)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                tx.commit().await.map_err(backend)
            }

            async fn list_deliveries(
                &self,
                tenant: &TenantId,
                hook: &str,
                before: Option<UnixTime>,
                limit: u32,
            ) -> StoreResult<Vec<Delivery>> {
                sqlx::query(&sql(
                    "SELECT * FROM hook_deliveries WHERE tenant_id = ? AND hook_id = ?
                     AND (? IS NULL OR created_at < ?) ORDER BY created_at DESC, id DESC LIMIT ?",
                ))
                .bind(tenant.as_str())
                .bind(hook)
                .bind(before.map(|b| b.0))
                .bind(before.map(|b| b.0))
                .bind(i64::from(limit))
                .fetch_all(&self.$reader)
                .await
                .map_err(backend)?
                .iter()
                .map($crate::records::delivery)
                .collect()
            }

            async fn list_attempts(
                &self,
                tenant: &TenantId,
                delivery: &str,
            ) -> StoreResult<Vec<DeliveryAttempt>> {
                sqlx::query(&sql(
                    "SELECT * FROM hook_attempts WHERE tenant_id = ? AND delivery_id = ? ORDER BY n",
                ))
                .bind(tenant.as_str())
                .bind(delivery)
                .fetch_all(&self.$reader)
                .await
                .map_err(backend)?
                .iter()
                .map($crate::records::attempt)
                .collect()
            }
        }
    };
}
pub(crate) use impl_hook_store;
