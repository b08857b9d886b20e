//! Users.

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, User, normalize_username};
use sigil_core::{TenantId, UserId};
use sigil_store::{StoreResult, UserQuery, UserStore};
use sqlx::Row;
use sqlx::Sqlite;
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;

use super::audit::insert_audit;
use super::grants::{Families, revoke_families};
use super::{SqliteStore, backend, bump_epoch, conflict_or_backend};
use crate::listing::Param;

/// Binds a listing's parameters in order.
pub(crate) fn bind_params<'q>(
    mut query: Query<'q, Sqlite, SqliteArguments<'q>>,
    params: &'q [Param],
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    for p in params {
        query = match p {
            Param::Text(t) => query.bind(t.as_str()),
            Param::Int(i) => query.bind(*i),
            Param::Bool(b) => query.bind(*b),
        };
    }
    query
}

crate::users::impl_user_store!(SqliteStore, Sqlite, reader);
