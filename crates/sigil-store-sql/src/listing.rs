//! The SQL of list queries, written once for both dialects: the filters, the keyset condition
//! and the order differ between SQLite and PostgreSQL only in placeholders and in how a bytewise
//! order is asked for (PostgreSQL sorts text by the database's collation unless told `"C"`).

use sigil_core::{ClientId, TenantId};
use sigil_store::{AuditQuery, UserCursor, UserOrder, UserQuery};

/// Which SQL dialect to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A value to bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// A query and its parameters, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listing {
    pub sql: String,
    pub params: Vec<Param>,
}

/// Larger than any string with the prefix before it (U+10FFFF is the greatest code point, and
/// UTF-8 order is code point order).
const AFTER_ALL: char = char::MAX;

impl Dialect {
    pub(crate) fn bytewise(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => column.to_owned(),
            Dialect::Postgres => format!("{column} COLLATE \"C\""),
        }
    }

    /// Numbers the `?` placeholders for PostgreSQL.
    pub(crate) fn placeholders(self, sql: &str) -> String {
        match self {
            Dialect::Sqlite => sql.to_owned(),
            Dialect::Postgres => {
                let mut out = String::with_capacity(sql.len() + 16);
                let mut n = 0;
                for c in sql.chars() {
                    if c == '?' {
                        n += 1;
                        out.push_str(&format!("${n}"));
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }
}

/// A page of users.
pub(crate) fn users(dialect: Dialect, tenant: &TenantId, q: &UserQuery) -> Listing {
    let name = dialect.bytewise("username_normalized");
    let id = dialect.bytewise("id");
    let mut sql = String::from("SELECT * FROM users WHERE tenant_id = ?");
    let mut params = vec![Param::Text(tenant.as_str().to_owned())];
    if let Some(prefix) = &q.username_prefix {
        sql.push_str(&format!(" AND {name} >= ? AND {name} < ?"));
        params.push(Param::Text(prefix.clone()));
        params.push(Param::Text(format!("{prefix}{AFTER_ALL}")));
    }
    if let Some(email) = &q.email {
        sql.push_str(" AND email = ?");
        params.push(Param::Text(email.clone()));
    }
    if let Some(disabled) = q.disabled {
        sql.push_str(" AND disabled = ?");
        params.push(Param::Bool(disabled));
    }
    let (cmp, dir) = if q.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    match &q.after {
        Some(UserCursor::Username(after)) => {
            sql.push_str(&format!(" AND {name} {cmp} ?"));
            params.push(Param::Text(after.clone()));
        }
        Some(UserCursor::CreatedAt(at, after)) => {
            sql.push_str(&format!(" AND (created_at, {id}) {cmp} (?, ?)"));
            params.push(Param::Int(at.0));
            params.push(Param::Text(after.as_str().to_owned()));
        }
        None => {}
    }
    match q.order {
        UserOrder::Username => sql.push_str(&format!(" ORDER BY {name} {dir}")),
        UserOrder::CreatedAt => sql.push_str(&format!(" ORDER BY created_at {dir}, {id} {dir}")),
    }
    sql.push_str(" LIMIT ?");
    params.push(Param::Int(i64::from(q.limit)));
    Listing {
        sql: dialect.placeholders(&sql),
        params,
    }
}

/// A page of clients by id.
pub(crate) fn clients(
    dialect: Dialect,
    tenant: &TenantId,
    after: Option<&ClientId>,
    limit: u32,
) -> Listing {
    let id = dialect.bytewise("id");
    let mut sql = String::from("SELECT * FROM clients WHERE tenant_id = ?");
    let mut params = vec![Param::Text(tenant.as_str().to_owned())];
    if let Some(after) = after {
        sql.push_str(&format!(" AND {id} > ?"));
        params.push(Param::Text(after.as_str().to_owned()));
    }
    sql.push_str(&format!(" ORDER BY {id} LIMIT ?"));
    params.push(Param::Int(i64::from(limit)));
    Listing {
        sql: dialect.placeholders(&sql),
        params,
    }
}

/// A page of audit events, newest first.
pub(crate) fn audit(dialect: Dialect, tenant: &TenantId, q: &AuditQuery) -> Listing {
    let mut sql = String::from("SELECT * FROM audit_events WHERE tenant_id = ?");
    let mut params = vec![Param::Text(tenant.as_str().to_owned())];
    let mut filter = |clause: &str, param: Param| {
        sql.push_str(clause);
        params.push(param);
    };
    if let Some(kind) = q.kind {
        filter(" AND kind = ?", Param::Text(kind.as_str().to_owned()));
    }
    if let Some(user) = &q.user_id {
        filter(" AND user_id = ?", Param::Text(user.as_str().to_owned()));
    }
    if let Some(client) = &q.client_id {
        filter(
            " AND client_id = ?",
            Param::Text(client.as_str().to_owned()),
        );
    }
    if let Some(actor) = &q.actor {
        filter(" AND actor = ?", Param::Text(actor.clone()));
    }
    if let Some(outcome) = q.outcome {
        filter(" AND outcome = ?", Param::Text(outcome.as_str().to_owned()));
    }
    if let Some(since) = q.since {
        filter(" AND at >= ?", Param::Int(since.0));
    }
    if let Some(until) = q.until {
        filter(" AND at < ?", Param::Int(until.0));
    }
    if let Some(before) = q.before {
        filter(" AND seq < ?", Param::Int(before));
    }
    sql.push_str(" ORDER BY seq DESC LIMIT ?");
    params.push(Param::Int(i64::from(q.limit)));
    Listing {
        sql: dialect.placeholders(&sql),
        params,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered_and_order_is_bytewise() {
        let q = UserQuery {
            username_prefix: Some("al".into()),
            after: Some(UserCursor::Username("alice".into())),
            ..UserQuery::default()
        };
        let l = users(Dialect::Postgres, &TenantId::default_tenant(), &q);
        assert_eq!(
            l.sql,
            "SELECT * FROM users WHERE tenant_id = $1 AND username_normalized COLLATE \"C\" >= $2 \
             AND username_normalized COLLATE \"C\" < $3 AND username_normalized COLLATE \"C\" > $4 \
             ORDER BY username_normalized COLLATE \"C\" ASC LIMIT $5"
        );
        assert_eq!(l.params.len(), 5);
        assert_eq!(l.params[2], Param::Text("al\u{10FFFF}".into()));
    }
}
