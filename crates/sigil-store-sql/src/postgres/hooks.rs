//! Event hooks (the shared implementation in [`crate::hooks`]).

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, Delivery, DeliveryAttempt, Hook};
use sigil_core::{TenantId, UnixTime};
use sigil_store::{AttemptOutcome, HookStore, MakeDeliveries, StoreResult};

use super::audit::insert_audit;
use super::{PgStore, backend};
use crate::rows::{RowExt, to_json};

crate::hooks::impl_hook_store!(PgStore, Postgres, pool);
