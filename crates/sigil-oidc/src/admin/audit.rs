//! Reading the audit trail, page by page and filtered.

use sigil_core::TenantId;
use sigil_store::{AuditQuery, AuditRecord};

use super::{AdminError, check_page};
use crate::provider::Provider;

impl Provider {
    /// A page of a tenant's audit events, newest first (at most [`super::MAX_PAGE`]), and
    /// whether more follow. Events batched in memory (client-credentials tokens, failed
    /// sign-ins) appear once flushed, within the flush interval.
    pub async fn list_audit(
        &self,
        tenant: &TenantId,
        mut query: AuditQuery,
    ) -> Result<(Vec<AuditRecord>, bool), AdminError> {
        let limit = query.limit;
        check_page(limit)?;
        query.limit = limit + 1;
        let mut events = self.store.list_audit(tenant, &query).await?;
        let more = events.len() > limit as usize;
        events.truncate(limit as usize);
        Ok((events, more))
    }
}
