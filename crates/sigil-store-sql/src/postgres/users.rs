//! Users.

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, User, normalize_username};
use sigil_core::{TenantId, UserId};
use sigil_store::{StoreResult, UserQuery, UserStore};
use sqlx::Postgres;
use sqlx::Row;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;

use super::audit::insert_audit;
use super::grants::{Families, revoke_families};
use super::{PgStore, backend, bump_epoch, conflict_or_backend};
use crate::listing::Param;

/// Binds a listing's parameters in order.
pub(crate) fn bind_params<'q>(
    mut query: Query<'q, Postgres, PgArguments>,
    params: &'q [Param],
) -> Query<'q, Postgres, PgArguments> {
    for p in params {
        query = match p {
            Param::Text(t) => query.bind(t.as_str()),
            Param::Int(i) => query.bind(*i),
            Param::Bool(b) => query.bind(*b),
        };
    }
    query
}

crate::users::impl_user_store!(PgStore, Postgres, pool);
