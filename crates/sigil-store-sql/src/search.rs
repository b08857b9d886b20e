//! A search condition as SQL, written once for both dialects. Every comparison is guarded
//! with `IS NOT NULL`, so each piece is true or false, never unknown, and `NOT` means what
//! SCIM means by it; `ne` matches a record without the field. Substring tests use `instr` /
//! `strpos` rather than `LIKE`, so no character of the value is a wildcard and case is
//! compared exactly (fields that ignore case are stored or indexed lower-cased). Prefix tests
//! are ranges, so they use the same bytewise indexes as listing.

use sigil_core::TenantId;
use sigil_store::{Condition, GroupField, Literal, Op, Search, StoreError, StoreResult, UserField};

use crate::listing::{Dialect, Listing, Param};

/// How a field is stored.
enum Column {
    /// Text in this expression.
    Text(&'static str),
    /// Text that is never null and unique in a tenant (a key the listing indexes serve).
    Key(&'static str),
    /// A boolean column, negated (`active` is `NOT disabled`).
    NegatedFlag(&'static str),
    /// Unix seconds in this column.
    Time(&'static str),
    /// A group's membership of a user.
    Member,
}

fn user_column(field: UserField) -> Column {
    match field {
        UserField::Id => Column::Key("id"),
        UserField::ExternalId => Column::Text("external_id"),
        UserField::Username => Column::Key("username_normalized"),
        UserField::Name => Column::Text("name_lower"),
        UserField::Email => Column::Text("email_lower"),
        UserField::Active => Column::NegatedFlag("disabled"),
        UserField::CreatedAt => Column::Time("created_at"),
        UserField::UpdatedAt => Column::Time("updated_at"),
    }
}

fn group_column(field: GroupField) -> Column {
    match field {
        GroupField::Id => Column::Key("id"),
        GroupField::ExternalId => Column::Text("external_id"),
        GroupField::Name => Column::Key("name_normalized"),
        GroupField::Member => Column::Member,
        GroupField::CreatedAt => Column::Time("created_at"),
        GroupField::UpdatedAt => Column::Time("updated_at"),
    }
}

/// The count and the page of a user search.
pub(crate) fn users(
    dialect: Dialect,
    tenant: &TenantId,
    search: &Search<UserField>,
) -> StoreResult<(Listing, Listing)> {
    build(dialect, "users", tenant, search, user_column)
}

/// The count and the page of a group search.
pub(crate) fn groups(
    dialect: Dialect,
    tenant: &TenantId,
    search: &Search<GroupField>,
) -> StoreResult<(Listing, Listing)> {
    build(dialect, "user_groups", tenant, search, group_column)
}

fn unsupported(what: &str) -> StoreError {
    StoreError::Backend(format!("unsupported search condition: {what}"))
}

struct Writer {
    dialect: Dialect,
    sql: String,
    params: Vec<Param>,
}

impl Writer {
    fn push(&mut self, sql: &str, params: impl IntoIterator<Item = Param>) {
        self.sql.push_str(sql);
        self.params.extend(params);
    }

    fn condition<F: Copy>(
        &mut self,
        condition: &Condition<F>,
        column: &impl Fn(F) -> Column,
    ) -> StoreResult<()> {
        match condition {
            Condition::All => self.push("1 = 1", []),
            Condition::Present(field) => self.present(column(*field)),
            Condition::Compare(field, op, literal) => self.compare(column(*field), *op, literal)?,
            Condition::And(a, b) | Condition::Or(a, b) => {
                let joiner = if matches!(condition, Condition::And(..)) {
                    " AND "
                } else {
                    " OR "
                };
                self.push("(", []);
                self.condition(a, column)?;
                self.push(joiner, []);
                self.condition(b, column)?;
                self.push(")", []);
            }
            Condition::Not(inner) => {
                self.push("NOT (", []);
                self.condition(inner, column)?;
                self.push(")", []);
            }
        }
        Ok(())
    }

    fn present(&mut self, column: Column) {
        match column {
            Column::Text(c) | Column::Key(c) => {
                self.push(&format!("({c} IS NOT NULL AND {c} <> '')"), []);
            }
            Column::NegatedFlag(_) | Column::Time(_) => self.push("1 = 1", []),
            Column::Member => self.push(&format!("EXISTS ({MEMBERS})"), []),
        }
    }

    fn compare(&mut self, column: Column, op: Op, literal: &Literal) -> StoreResult<()> {
        match (column, literal) {
            (Column::Text(c) | Column::Key(c), Literal::Text(value)) => {
                self.compare_text(c, op, value);
            }
            (Column::NegatedFlag(c), Literal::Bool(value)) => {
                let sql = match op {
                    Op::Eq => format!("{c} = ?"),
                    Op::Ne => format!("{c} <> ?"),
                    _ => return Err(unsupported("ordering of a boolean")),
                };
                self.push(&sql, [Param::Bool(!value)]);
            }
            (Column::Time(c), Literal::Time(at)) => {
                let sql = match op {
                    Op::Eq => format!("{c} = ?"),
                    Op::Ne => format!("{c} <> ?"),
                    Op::Gt => format!("{c} > ?"),
                    Op::Ge => format!("{c} >= ?"),
                    Op::Lt => format!("{c} < ?"),
                    Op::Le => format!("{c} <= ?"),
                    _ => return Err(unsupported("substring of a time")),
                };
                self.push(&sql, [Param::Int(at.0)]);
            }
            (Column::Member, Literal::Text(user)) => {
                let sql = match op {
                    Op::Eq => format!("EXISTS ({MEMBERS} AND m.user_id = ?)"),
                    Op::Ne => format!("NOT EXISTS ({MEMBERS} AND m.user_id = ?)"),
                    _ => return Err(unsupported("ordering of members")),
                };
                self.push(&sql, [Param::Text(user.clone())]);
            }
            _ => return Err(unsupported("a literal of another type than its field")),
        }
        Ok(())
    }

    fn compare_text(&mut self, c: &str, op: Op, value: &str) {
        let text = || Param::Text(value.to_owned());
        let bytewise = self.dialect.bytewise(c);
        let guarded = |test: String| format!("({c} IS NOT NULL AND {test})");
        match op {
            Op::Eq => self.push(&guarded(format!("{c} = ?")), [text()]),
            Op::Ne => self.push(&format!("({c} IS NULL OR {c} <> ?)"), [text()]),
            Op::Contains | Op::StartsWith | Op::EndsWith if value.is_empty() => {
                self.push(&format!("{c} IS NOT NULL"), []);
            }
            Op::StartsWith => self.push(
                &guarded(format!("{bytewise} >= ? AND {bytewise} < ?")),
                [text(), Param::Text(format!("{value}{}", char::MAX))],
            ),
            Op::Contains => {
                let test = match self.dialect {
                    Dialect::Sqlite => format!("instr({c}, ?) > 0"),
                    Dialect::Postgres => format!("strpos({c}, ?) > 0"),
                };
                self.push(&guarded(test), [text()]);
            }
            Op::EndsWith => {
                let test = match self.dialect {
                    Dialect::Sqlite => format!("substr({c}, -length(?)) = ?"),
                    Dialect::Postgres => format!("right({c}, length(?)) = ?"),
                };
                self.push(&guarded(test), [text(), text()]);
            }
            Op::Gt | Op::Ge | Op::Lt | Op::Le => {
                let symbol = match op {
                    Op::Gt => ">",
                    Op::Ge => ">=",
                    Op::Lt => "<",
                    _ => "<=",
                };
                self.push(&guarded(format!("{bytewise} {symbol} ?")), [text()]);
            }
        }
    }
}

/// The memberships of the group in the current row (a correlated subquery).
const MEMBERS: &str = "SELECT 1 FROM group_members m \
    WHERE m.tenant_id = user_groups.tenant_id AND m.group_id = user_groups.id";

fn build<F: Copy>(
    dialect: Dialect,
    table: &str,
    tenant: &TenantId,
    search: &Search<F>,
    column: impl Fn(F) -> Column,
) -> StoreResult<(Listing, Listing)> {
    let mut writer = Writer {
        dialect,
        sql: format!(" FROM {table} WHERE tenant_id = ? AND "),
        params: vec![Param::Text(tenant.as_str().to_owned())],
    };
    writer.condition(&search.condition, &column)?;
    let count = Listing {
        sql: dialect.placeholders(&format!("SELECT COUNT(*){}", writer.sql)),
        params: writer.params.clone(),
    };
    let id = dialect.bytewise("id");
    let order = match search.sort.map(|(field, desc)| (column(field), desc)) {
        None => id.clone(),
        Some((Column::Text(c), desc)) => {
            let c = dialect.bytewise(c);
            format!("({c} IS NULL), {c} {}, {id}", direction(desc))
        }
        // Keys are never null: the order the bytewise indexes keep.
        Some((Column::Key(c), desc)) => {
            let dir = direction(desc);
            format!("{} {dir}, {id} {dir}", dialect.bytewise(c))
        }
        Some((Column::Time(c), desc)) => format!("{c} {}, {id}", direction(desc)),
        // `active` ascending is `disabled` descending.
        Some((Column::NegatedFlag(c), desc)) => format!("{c} {}, {id}", direction(!desc)),
        Some((Column::Member, _)) => return Err(unsupported("sorting by members")),
    };
    let mut params = writer.params;
    params.push(Param::Int(i64::from(search.limit)));
    params.push(Param::Int(i64::try_from(search.offset).unwrap_or(i64::MAX)));
    let page = Listing {
        sql: dialect.placeholders(&format!(
            "SELECT *{} ORDER BY {order} LIMIT ? OFFSET ?",
            writer.sql
        )),
        params,
    };
    Ok((count, page))
}

/// Runs a search's count and page queries on a pool (with the backend's `bind_params` and
/// `backend` in scope) and decodes the page with `$record`.
macro_rules! run {
    ($pool:expr, $count:ident, $page:ident, $limit:expr, $record:path) => {{
        let total: i64 = bind_params(sqlx::query(&$count.sql), &$count.params)
            .fetch_one(&$pool)
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        let items = if $limit == 0 {
            Vec::new()
        } else {
            bind_params(sqlx::query(&$page.sql), &$page.params)
                .fetch_all(&$pool)
                .await
                .map_err(backend)?
                .iter()
                .map($record)
                .collect::<StoreResult<_>>()?
        };
        Ok(sigil_store::Found {
            total: u64::try_from(total).unwrap_or(0),
            items,
        })
    }};
}
pub(crate) use run;

fn direction(descending: bool) -> &'static str {
    if descending { "DESC" } else { "ASC" }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn conditions_become_guarded_sql() {
        let search = Search {
            condition: Condition::And(
                Box::new(Condition::Compare(
                    UserField::Username,
                    Op::StartsWith,
                    Literal::Text("al".into()),
                )),
                Box::new(Condition::Not(Box::new(Condition::Compare(
                    UserField::Active,
                    Op::Eq,
                    Literal::Bool(true),
                )))),
            ),
            sort: Some((UserField::Email, true)),
            offset: 10,
            limit: 5,
        };
        let (count, page) = users(Dialect::Postgres, &TenantId::default_tenant(), &search).unwrap();
        assert_eq!(
            count.sql,
            "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND ((username_normalized IS NOT NULL \
             AND username_normalized COLLATE \"C\" >= $2 AND username_normalized COLLATE \"C\" < $3) \
             AND NOT (disabled = $4))"
        );
        assert_eq!(count.params[3], Param::Bool(false));
        assert!(page.sql.ends_with(
            "ORDER BY (email_lower COLLATE \"C\" IS NULL), email_lower COLLATE \"C\" DESC, \
             id COLLATE \"C\" LIMIT $5 OFFSET $6"
        ));
    }
}
