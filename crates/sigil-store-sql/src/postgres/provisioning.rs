//! SCIM provisioning tokens (the shared implementation in [`crate::provisioning`]).

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, ProvisioningToken};
use sigil_core::{Digest32, TenantId};
use sigil_store::{ProvisioningTokenStore, StoreResult};

use super::audit::insert_audit;
use super::{PgStore, backend, conflict_or_backend};

crate::provisioning::impl_provisioning_store!(PgStore, Postgres, pool);
