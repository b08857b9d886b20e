//! Audit event SQL, written once for both dialects.

/// The start of a multi-row insert; the rows bind, in this order: tenant, id, at, kind,
/// actor, user, client, IP, user agent, request id, outcome, details.
pub(crate) const INSERT: &str = "INSERT INTO audit_events (tenant_id, id, at, kind, actor, user_id, client_id, ip, user_agent, request_id, outcome, details) ";

/// Binds one event as a row of [`INSERT`].
macro_rules! push_event {
    ($row:expr, $e:expr) => {{
        let e = $e;
        $row.push_bind(e.tenant.as_str())
            .push_bind(&e.id)
            .push_bind(e.at.0)
            .push_bind(e.kind.as_str())
            .push_bind(&e.actor)
            .push_bind(e.user_id.as_ref().map(|u| u.as_str()))
            .push_bind(e.client_id.as_ref().map(|c| c.as_str()))
            .push_bind(e.ip.as_deref())
            .push_bind(e.user_agent.as_deref())
            .push_bind(e.request_id.as_deref())
            .push_bind(e.outcome.as_str())
            .push_bind($crate::rows::to_json(&e.details));
    }};
}
pub(crate) use push_event;

/// Writes the events of tenants with an enabled hook to the hook outbox too, inside the
/// caller's transaction (`$db` the sqlx database, `$dialect` the [`crate::listing::Dialect`]).
macro_rules! insert_outbox {
    ($tx:expr, $events:expr, $db:ty, $dialect:ident) => {{
        let tenants: Vec<String> = sqlx::query_scalar(
            &$crate::listing::Dialect::$dialect
                .placeholders("SELECT DISTINCT tenant_id FROM hooks WHERE disabled = ?"),
        )
        .bind(false)
        .fetch_all(&mut **$tx)
        .await
        .map_err(backend)?;
        if !tenants.is_empty() {
            let hooked: Vec<&AuditEvent> = $events
                .iter()
                .filter(|e| tenants.iter().any(|t| t == e.tenant.as_str()))
                .collect();
            for chunk in hooked.chunks(CHUNK) {
                let mut qb =
                    sqlx::QueryBuilder::<$db>::new("INSERT INTO hook_outbox (tenant_id, event) ");
                qb.push_values(chunk, |mut row, e| {
                    row.push_bind(e.tenant.as_str())
                        .push_bind($crate::rows::to_json(e));
                });
                qb.build().execute(&mut **$tx).await.map_err(backend)?;
            }
        }
    }};
}
pub(crate) use insert_outbox;
