//! Access documents of every kind (the shared implementation in [`crate::access`]).

use async_trait::async_trait;
use sigil_core::TenantId;
use sigil_core::model::{AccessApp, AccessKind, AuditEvent};
use sigil_store::{AccessStore, StoreResult};

use super::audit::insert_audit;
use super::{SqliteStore, backend};

crate::access::impl_access_store!(SqliteStore, Sqlite, reader);
