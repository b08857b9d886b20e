//! OpenID Connect Back-Channel Logout 1.0 and Front-Channel Logout 1.0: when a session ends at
//! Sigil, every client that holds an ID token naming it (its `sid`) hears so.
//!
//! - Back-channel: a logout token (a JWT typed `logout+jwt`, signed like the client's ID tokens,
//!   with `sub`, `sid`, the logout event and two minutes of life) is POSTed to the client's
//!   `backchannel_logout_uri` from a background task, so a slow or dead client delays no
//!   sign-out. An attempt that fails is retried twice; every outcome is an audit event.
//! - Front-channel: the browser's signed-out page loads each client's `frontchannel_logout_uri`
//!   in a hidden frame (with `iss` and `sid` when the client asked for them).
//!
//! Which clients a session reached is recorded when their ID token is issued (the token
//! redemption's own transaction), so a client that never got one is not told.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use sigil_core::model::{AuditEvent, AuditKind, Client, Session};
use sigil_core::{ClientId, Clock, SessionId, UserId, random};
use sigil_keys::sign_compact;

use crate::audit_sink::AuditSink;
use crate::authorize::code::with_query;
use crate::error::OAuthError;
use crate::grants::mint::no_key;
use crate::logout_token::{BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_TYP};
use crate::provider::{JwksFetcher, Provider, TenantCtx};

/// How long a logout token is good for, seconds (the spec recommends at most two minutes).
const LOGOUT_TOKEN_TTL: i64 = 120;
/// Seconds waited before each delivery attempt.
const ATTEMPT_WAITS: [u64; 3] = [0, 1, 5];

/// The claims of a logout token (Back-Channel Logout §2.4; never a `nonce`).
#[derive(Debug, Serialize)]
struct LogoutTokenClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    sub: &'a str,
    sid: &'a str,
    events: serde_json::Value,
}

/// A logout token on its way to one client.
struct Notice {
    client_id: ClientId,
    uri: String,
    token: String,
}

/// What a background delivery needs, owned.
struct Courier {
    fetcher: Arc<dyn JwksFetcher>,
    audit: AuditSink,
    clock: Arc<dyn Clock>,
    tenant: sigil_core::TenantId,
    user: UserId,
    sid: SessionId,
}

impl Courier {
    /// POSTs one logout token, retrying, and records how it went.
    async fn deliver(self: Arc<Self>, notice: Notice) {
        let mut last = String::new();
        let mut attempts = 0;
        for wait in ATTEMPT_WAITS {
            tokio::time::sleep(Duration::from_secs(wait)).await;
            attempts += 1;
            let form = [("logout_token", notice.token.as_str())];
            match self.fetcher.post_form_status(&notice.uri, &form).await {
                Ok(status) if (200..300).contains(&status) => {
                    return self.record(&notice, attempts, Ok(status));
                }
                Ok(status) => last = format!("the client answered {status}"),
                Err(e) => last = e,
            }
            tracing::info!(client = %notice.client_id, attempt = attempts, error = %last, "back-channel logout not accepted");
        }
        self.record(&notice, attempts, Err(last));
    }

    fn record(&self, notice: &Notice, attempts: u32, outcome: Result<u16, String>) {
        let label = if outcome.is_ok() {
            "accepted"
        } else {
            "failed"
        };
        metrics::counter!("sigil_backchannel_logouts_total", "outcome" => label).increment(1);
        let mut details = json!({"sid": self.sid, "attempts": attempts});
        let mut event = AuditEvent::new(
            &self.tenant,
            self.clock.now(),
            AuditKind::BackchannelLogoutSent,
            "sigil",
        )
        .user(&self.user)
        .client(&notice.client_id);
        match outcome {
            Ok(status) => details["status"] = json!(status),
            Err(why) => {
                details["error"] = json!(why);
                event = event.failure();
            }
        }
        self.audit.record(event.details(details));
    }
}

impl Provider {
    /// The clients holding an ID token that names `session`, still registered and enabled.
    async fn session_clients(&self, t: &TenantCtx, session: &SessionId) -> Vec<Arc<Client>> {
        let ids = match self.store.session_clients(&t.id, session).await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "the clients of an ended session could not be read");
                return Vec::new();
            }
        };
        let mut clients = Vec::new();
        for id in ids {
            if let Ok(Some(client)) = self.client(&t.id, &id).await
                && !client.disabled
            {
                clients.push(client);
            }
        }
        clients
    }

    /// A logout token telling `client` that `session` ended.
    async fn logout_token(
        &self,
        t: &TenantCtx,
        client: &Client,
        session: &Session,
    ) -> Result<String, OAuthError> {
        let now = self.now();
        let ring = self.keyring(&t.id).await?;
        let key = ring
            .signer(client.id_token_signed_response_alg, now)
            .ok_or_else(no_key)?;
        let claims = LogoutTokenClaims {
            iss: &t.issuer,
            aud: client.id.as_str(),
            iat: now.0,
            exp: now.0 + LOGOUT_TOKEN_TTL,
            jti: random::identifier(),
            sub: session.auth.user_id.as_str(),
            sid: session.id.as_str(),
            events: json!({ BACKCHANNEL_LOGOUT_EVENT: {} }),
        };
        Ok(sign_compact(&key, LOGOUT_TOKEN_TYP, &claims))
    }

    /// Sends the back-channel logout tokens of an ended session to the clients that registered
    /// a `backchannel_logout_uri`, in the background.
    pub(crate) async fn send_backchannel_logouts(&self, t: &TenantCtx, session: &Session) {
        let mut notices = Vec::new();
        for client in self.session_clients(t, &session.id).await {
            let Some(uri) = client.logout.backchannel_uri.clone() else {
                continue;
            };
            match self.logout_token(t, &client, session).await {
                Ok(token) => notices.push(Notice {
                    client_id: client.id.clone(),
                    uri,
                    token,
                }),
                Err(e) => tracing::warn!(client = %client.id, error = %e, "no logout token"),
            }
        }
        if notices.is_empty() {
            return;
        }
        let courier = Arc::new(Courier {
            fetcher: self.jwks_fetcher.clone(),
            audit: self.audit.clone(),
            clock: self.clock.clone(),
            tenant: t.id.clone(),
            user: session.auth.user_id.clone(),
            sid: session.id.clone(),
        });
        for notice in notices {
            tokio::spawn(courier.clone().deliver(notice));
        }
    }

    /// The pages to load in hidden frames of the browser's signed-out page once `session`
    /// ended: each of its clients' `frontchannel_logout_uri`, with `iss` and `sid` when the
    /// client asked for them.
    pub async fn frontchannel_logout_urls(
        &self,
        t: &TenantCtx,
        session: &SessionId,
    ) -> Vec<String> {
        self.session_clients(t, session)
            .await
            .iter()
            .filter_map(|client| {
                let uri = client.logout.frontchannel_uri.as_deref()?;
                Some(if client.logout.frontchannel_session_required {
                    with_query(uri, &[("iss", &t.issuer), ("sid", session.as_str())])
                } else {
                    uri.to_owned()
                })
            })
            .collect()
    }
}
