//! The credential store, written once for both backends.
//!
//! Status list entries are allocated at random indexes (so that a credential's index says
//! nothing about when it was issued or which other copies belong with it): an `INSERT … ON
//! CONFLICT DO NOTHING` at a random free-looking index, retried on the rare collision. A
//! list is filled to half at most, which keeps collisions rare and the herd large.

/// Binds: tenant, id, user, type, state, status, created_at, issued_at, expires_at,
/// updated_at, copies.
pub(crate) const INSERT: &str = "INSERT INTO credentials (tenant_id, id, user_id, type_id, state,
    status, created_at, issued_at, expires_at, updated_at, copies)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// `FOR UPDATE` on PostgreSQL: the open list's row is locked while entries are allocated
/// in it, so concurrent issuances cannot fill it past half. SQLite has one writer.
pub(crate) fn for_update(dialect: crate::listing::Dialect) -> &'static str {
    match dialect {
        crate::listing::Dialect::Sqlite => "",
        crate::listing::Dialect::Postgres => " FOR UPDATE",
    }
}

/// A random index below `size`.
pub(crate) fn random_index(size: u64) -> u64 {
    u64::from_le_bytes(sigil_core::random::bytes::<8>()) % size.max(1)
}

/// Implements [`sigil_store::CredentialStore`] for a backend. Expects `begin`, `backend`,
/// `conflict_or_backend` and `insert_audit` in the invoking backend module.
macro_rules! impl_credential_store {
    ($store:ident, $dialect:ident, $reader:ident) => {
        fn sql(text: &str) -> String {
            $crate::listing::Dialect::$dialect.placeholders(text)
        }

        #[async_trait]
        impl CredentialStore for $store {
            async fn create_credential(
                &self,
                c: &IssuedCredential,
                audit: &AuditEvent,
            ) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(&sql($crate::credentials::INSERT))
                    .bind(c.tenant.as_str())
                    .bind(&c.id)
                    .bind(c.user_id.as_str())
                    .bind(&c.type_id)
                    .bind(c.state.as_str())
                    .bind(c.status.as_str())
                    .bind(c.created_at.0)
                    .bind(c.issued_at.map(|t| t.0))
                    .bind(c.expires_at.map(|t| t.0))
                    .bind(c.updated_at.0)
                    .bind(i64::from(c.copies))
                    .execute(&mut *tx)
                    .await
                    .map_err(conflict_or_backend("credential"))?;
                insert_audit(&mut tx, audit).await?;
                tx.commit().await.map_err(backend)
            }

            async fn get_credential(
                &self,
                tenant: &TenantId,
                id: &str,
            ) -> StoreResult<Option<IssuedCredential>> {
                sqlx::query(&sql("SELECT * FROM credentials WHERE tenant_id = ? AND id = ?"))
                    .bind(tenant.as_str())
                    .bind(id)
                    .fetch_optional(&self.$reader)
                    .await
                    .map_err(backend)?
                    .as_ref()
                    .map($crate::records::credential)
                    .transpose()
            }

            async fn list_user_credentials(
                &self,
                tenant: &TenantId,
                user: &UserId,
            ) -> StoreResult<Vec<IssuedCredential>> {
                sqlx::query(&sql(
                    "SELECT * FROM credentials WHERE tenant_id = ? AND user_id = ?
                     ORDER BY created_at DESC, id",
                ))
                .bind(tenant.as_str())
                .bind(user.as_str())
                .fetch_all(&self.$reader)
                .await
                .map_err(backend)?
                .iter()
                .map($crate::records::credential)
                .collect()
            }

            async fn record_issuance(
                &self,
                tenant: &TenantId,
                issuance: &Issuance<'_>,
                audit: &AuditEvent,
            ) -> StoreResult<Option<Vec<StatusSlot>>> {
                let mut tx = self.begin().await?;
                let updated = sqlx::query(&sql(
                    "UPDATE credentials SET state = 'issued',
                       issued_at = COALESCE(issued_at, ?), expires_at = ?, updated_at = ?,
                       copies = copies + ?
                     WHERE tenant_id = ? AND id = ? AND status = 'valid'",
                ))
                .bind(issuance.now.0)
                .bind(issuance.expires_at.0)
                .bind(issuance.now.0)
                .bind(issuance.copies as i64)
                .bind(tenant.as_str())
                .bind(issuance.credential_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected();
                if updated != 1 {
                    return Ok(None);
                }
                // The tenant's open list with room for these copies, or a new one.
                let open = sqlx::query(&sql(&format!(
                    "SELECT id, size FROM status_lists
                     WHERE tenant_id = ? AND (used + ?) * 2 <= size
                     ORDER BY created_at DESC, id LIMIT 1{}",
                    $crate::credentials::for_update($crate::listing::Dialect::$dialect),
                )))
                .bind(tenant.as_str())
                .bind(issuance.copies as i64)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
                let (list_id, size) = match open {
                    Some(row) => (row.text("id")?, row.int("size")? as u64),
                    None => {
                        let id = sigil_core::random::identifier();
                        sqlx::query(&sql(
                            "INSERT INTO status_lists (tenant_id, id, bits, size, used, created_at)
                             VALUES (?, ?, 2, ?, 0, ?)",
                        ))
                        .bind(tenant.as_str())
                        .bind(&id)
                        .bind(issuance.list_size as i64)
                        .bind(issuance.now.0)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                        (id, issuance.list_size)
                    }
                };
                let mut slots = Vec::with_capacity(issuance.copies);
                let mut tries = 0;
                while slots.len() < issuance.copies {
                    tries += 1;
                    if tries > 64 * issuance.copies {
                        return Err(StoreError::Backend("no free status list entry found".into()));
                    }
                    let idx = $crate::credentials::random_index(size);
                    let inserted = sqlx::query(&sql(
                        "INSERT INTO credential_status_entries
                           (tenant_id, list_id, idx, credential_id) VALUES (?, ?, ?, ?)
                         ON CONFLICT DO NOTHING",
                    ))
                    .bind(tenant.as_str())
                    .bind(&list_id)
                    .bind(idx as i64)
                    .bind(issuance.credential_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?
                    .rows_affected();
                    if inserted == 1 {
                        slots.push(StatusSlot {
                            list_id: list_id.clone(),
                            idx,
                        });
                    }
                }
                sqlx::query(&sql(
                    "UPDATE status_lists SET used = used + ? WHERE tenant_id = ? AND id = ?",
                ))
                .bind(issuance.copies as i64)
                .bind(tenant.as_str())
                .bind(&list_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                insert_audit(&mut tx, audit).await?;
                tx.commit().await.map_err(backend)?;
                Ok(Some(slots))
            }

            async fn set_credential_status(
                &self,
                tenant: &TenantId,
                id: &str,
                status: CredentialStatus,
                now: UnixTime,
                audit: &AuditEvent,
            ) -> StoreResult<bool> {
                let mut tx = self.begin().await?;
                let updated = sqlx::query(&sql(
                    "UPDATE credentials SET status = ?, updated_at = ?
                     WHERE tenant_id = ? AND id = ? AND status <> 'revoked'",
                ))
                .bind(status.as_str())
                .bind(now.0)
                .bind(tenant.as_str())
                .bind(id)
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

            async fn set_credential_state(
                &self,
                tenant: &TenantId,
                id: &str,
                from: CredentialState,
                to: CredentialState,
                now: UnixTime,
                audit: &AuditEvent,
            ) -> StoreResult<bool> {
                let mut tx = self.begin().await?;
                let updated = sqlx::query(&sql(
                    "UPDATE credentials SET state = ?, updated_at = ?
                     WHERE tenant_id = ? AND id = ? AND state = ? AND status = 'valid'",
                ))
                .bind(to.as_str())
                .bind(now.0)
                .bind(tenant.as_str())
                .bind(id)
                .bind(from.as_str())
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

            async fn status_list_entries(
                &self,
                tenant: &TenantId,
                list_id: &str,
            ) -> StoreResult<Option<StatusListEntries>> {
                let Some(row) = sqlx::query(&sql(
                    "SELECT id, bits, size FROM status_lists WHERE tenant_id = ? AND id = ?",
                ))
                .bind(tenant.as_str())
                .bind(list_id)
                .fetch_optional(&self.$reader)
                .await
                .map_err(backend)?
                else {
                    return Ok(None);
                };
                let list = StatusListInfo {
                    id: row.text("id")?,
                    bits: u8::try_from(row.int("bits")?)
                        .map_err(|_| StoreError::Corrupt("status list bits".into()))?,
                    size: row.int("size")? as u64,
                };
                let invalid = sqlx::query(&sql(
                    "SELECT e.idx, c.status FROM credential_status_entries e
                     JOIN credentials c ON c.tenant_id = e.tenant_id AND c.id = e.credential_id
                     WHERE e.tenant_id = ? AND e.list_id = ? AND c.status <> 'valid'",
                ))
                .bind(tenant.as_str())
                .bind(list_id)
                .fetch_all(&self.$reader)
                .await
                .map_err(backend)?
                .iter()
                .map(|r| {
                    let status = r.parsed("status", |s| {
                        CredentialStatus::parse(s).ok_or("unknown credential status")
                    })?;
                    Ok((r.int("idx")? as u64, status))
                })
                .collect::<StoreResult<Vec<_>>>()?;
                Ok(Some(StatusListEntries { list, invalid }))
            }

            async fn put_vc_definition(
                &self,
                d: &VcDefinition,
                audit: &AuditEvent,
            ) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(&sql(
                    "INSERT INTO vc_definitions (tenant_id, kind, id, definition, created_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?)
                     ON CONFLICT (tenant_id, kind, id) DO UPDATE
                     SET definition = excluded.definition, updated_at = excluded.updated_at",
                ))
                .bind(d.tenant.as_str())
                .bind(&d.kind)
                .bind(&d.id)
                .bind(d.definition.to_string())
                .bind(d.created_at.0)
                .bind(d.updated_at.0)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                insert_audit(&mut tx, audit).await?;
                tx.commit().await.map_err(backend)
            }

            async fn list_vc_definitions(
                &self,
                tenant: &TenantId,
                kind: &str,
            ) -> StoreResult<Vec<VcDefinition>> {
                sqlx::query(&sql(
                    "SELECT * FROM vc_definitions WHERE tenant_id = ? AND kind = ? ORDER BY id",
                ))
                .bind(tenant.as_str())
                .bind(kind)
                .fetch_all(&self.$reader)
                .await
                .map_err(backend)?
                .iter()
                .map(|row| {
                    Ok(VcDefinition {
                        tenant: row.tenant("tenant_id")?,
                        kind: row.text("kind")?,
                        id: row.text("id")?,
                        definition: row.json("definition")?,
                        created_at: row.time("created_at")?,
                        updated_at: row.time("updated_at")?,
                    })
                })
                .collect()
            }

            async fn delete_vc_definition(
                &self,
                tenant: &TenantId,
                kind: &str,
                id: &str,
                audit: &AuditEvent,
            ) -> StoreResult<bool> {
                let mut tx = self.begin().await?;
                let deleted = sqlx::query(&sql(
                    "DELETE FROM vc_definitions WHERE tenant_id = ? AND kind = ? AND id = ?",
                ))
                .bind(tenant.as_str())
                .bind(kind)
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
        }
    };
}
pub(crate) use impl_credential_store;
