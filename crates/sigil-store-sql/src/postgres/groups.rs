//! Groups and their members (the shared implementation in [`crate::groups`]).

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, Group, User, normalize_group_name};
use sigil_core::{GroupId, TenantId, UnixTime, UserId};
use sigil_store::{GroupStore, StoreResult};

use sqlx::Row;

use super::audit::insert_audit;
use super::users::bind_params;
use super::{PgStore, backend, conflict_or_backend};

crate::groups::impl_group_store!(PgStore, Postgres, pool);
