//! What the account page shows: who is signed in, their sessions and their consents.

use sigil_core::model::Session;

use crate::error::OAuthError;
use crate::provider::{Provider, TenantCtx};
use crate::sessions::CurrentSession;

/// One consent as listed on the account page.
#[derive(Debug, Clone)]
pub struct ConsentView {
    /// Client id.
    pub client_id: String,
    /// Client name (the id when the client is gone).
    pub client_name: String,
    /// Consented scopes.
    pub scopes: Vec<String>,
    /// When.
    pub granted_at: i64,
}

/// The account page's content.
#[derive(Debug, Clone)]
pub struct AccountOverview {
    /// Active sessions, newest first.
    pub sessions: Vec<Session>,
    /// Consents.
    pub consents: Vec<ConsentView>,
}

impl Provider {
    /// Sessions and consents of the signed-in user.
    pub async fn account_overview(
        &self,
        t: &TenantCtx,
        current: &CurrentSession,
    ) -> Result<AccountOverview, OAuthError> {
        let sessions = self.live_sessions(&t.id, &current.user.id).await?;
        let mut consents = Vec::new();
        for c in self
            .store
            .list_user_consents(&t.id, &current.user.id)
            .await?
        {
            let name = self
                .client(&t.id, &c.client_id)
                .await?
                .map(|cl| cl.name.clone());
            consents.push(ConsentView {
                client_name: name.unwrap_or_else(|| c.client_id.to_string()),
                client_id: c.client_id.to_string(),
                scopes: c.scopes.iter().map(str::to_owned).collect(),
                granted_at: c.granted_at.0,
            });
        }
        Ok(AccountOverview { sessions, consents })
    }
}
