//! Clients (the shared implementation in [`crate::clients`]).

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, Client};
use sigil_core::{ClientId, TenantId};
use sigil_store::{ClientStore, StoreResult};

use super::audit::insert_audit;
use super::grants::{Families, revoke_families};
use super::users::bind_params;
use super::{PgStore, backend, bump_epoch, conflict_or_backend};
use crate::rows::to_json;

crate::clients::impl_client_store!(PgStore, Postgres, pool);
