//! Users' sign-in sessions as administrators see them: list a user's, end one, or sign the
//! user out everywhere (optionally revoking every token they hold, for a stolen laptop or a
//! leaver). Either way the clients of each ended session hear of it over the back channel.

use serde_json::json;
use sigil_core::model::{AuditEvent, AuditKind, Session};
use sigil_core::{SessionId, TenantId, UserId};

use super::AdminError;
use crate::provider::Provider;

impl Provider {
    /// A user's live sessions (not ended, not idle or past their end), newest first.
    pub(crate) async fn live_sessions(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> Result<Vec<Session>, sigil_store::StoreError> {
        let now = self.now();
        let idle = std::time::Duration::from_secs(self.config.sessions.idle_timeout);
        let mut sessions: Vec<Session> = self
            .store
            .list_user_sessions(tenant, user, now)
            .await?
            .into_iter()
            .filter(|s| s.is_active(now, idle))
            .collect();
        sessions.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        Ok(sessions)
    }

    /// A user's live sessions; the user must exist.
    pub async fn user_sessions(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> Result<Vec<Session>, AdminError> {
        self.get_user(tenant, user).await?;
        Ok(self.live_sessions(tenant, user).await?)
    }

    /// Ends one of a user's live sessions.
    pub async fn revoke_session(
        &self,
        tenant: &TenantId,
        user: &UserId,
        session: &SessionId,
        actor: &str,
    ) -> Result<(), AdminError> {
        let live = self.live_sessions(tenant, user).await?;
        let Some(ending) = live.iter().find(|s| &s.id == session) else {
            return Err(AdminError::NotFound("session"));
        };
        let audit = AuditEvent::new(tenant, self.now(), AuditKind::SessionEnded, actor)
            .user(user)
            .details(json!({"sid": session}));
        if self
            .store
            .end_session(tenant, session, audit.at, &audit)
            .await?
        {
            self.send_backchannel_logouts(&self.tenant_ctx(tenant), ending)
                .await;
            Ok(())
        } else {
            Err(AdminError::NotFound("session"))
        }
    }

    /// Ends every session of a user and, with `revoke_tokens`, revokes every grant they
    /// hold (refresh tokens and the access tokens issued with them). Returns how many
    /// sessions ended.
    pub async fn revoke_user_sessions(
        &self,
        tenant: &TenantId,
        user: &UserId,
        revoke_tokens: bool,
        actor: &str,
    ) -> Result<u64, AdminError> {
        self.get_user(tenant, user).await?;
        let ending = self
            .store
            .list_user_sessions(tenant, user, self.now())
            .await?;
        let now = self.now();
        let audit = AuditEvent::new(tenant, now, AuditKind::UserSessionsRevoked, actor)
            .user(user)
            .details(json!({"tokens_revoked": revoke_tokens}));
        let ended = self
            .store
            .end_user_sessions(tenant, user, now, revoke_tokens, &audit)
            .await?;
        let t = self.tenant_ctx(tenant);
        for session in &ending {
            self.send_backchannel_logouts(&t, session).await;
        }
        Ok(ended)
    }
}
