//! Signing out of the provider too: a session signed in through a provider remembers which
//! (with the provider's ID token, sealed, as the `id_token_hint` RP-Initiated Logout 1.0
//! wants); when it ends, the browser is sent to the provider's `end_session_endpoint` and
//! comes back to `/login/idp/{name}/logged-out`, then goes where Sigil would have sent it.

use serde::{Deserialize, Serialize};
use sigil_core::model::{Artifact, ArtifactKind};
use sigil_core::{Digest32, SessionId, UnixTime, random};

use crate::provider::{Provider, TenantCtx};

/// How long the provider may take to send the browser back, seconds.
const LOGOUT_TTL: u64 = 600;

#[derive(Serialize, Deserialize)]
struct FederatedSession {
    provider: String,
    id_token_sealed: String,
}

#[derive(Serialize, Deserialize)]
struct PendingLogout {
    then: Option<String>,
}

fn session_key(session: &SessionId) -> Digest32 {
    Digest32::of(format!("federated session:{session}"))
}

fn seal_context(t: &TenantCtx, session: &SessionId) -> Vec<u8> {
    format!("sigil federated session:{}:{session}", t.id).into_bytes()
}

/// The path the provider sends the browser back to after signing it out.
pub fn logged_out_path(name: &str) -> String {
    format!("/login/idp/{name}/logged-out")
}

impl Provider {
    /// Remembers that `session` was signed in through `name` with `id_token`.
    pub(crate) async fn remember_federated_session(
        &self,
        t: &TenantCtx,
        session: &SessionId,
        expires_at: UnixTime,
        name: &str,
        id_token: &str,
    ) -> Result<(), sigil_store::StoreError> {
        let sealed = self
            .kek
            .seal(&seal_context(t, session), id_token.as_bytes());
        let payload = FederatedSession {
            provider: name.to_owned(),
            id_token_sealed: sigil_core::b64url_encode(sealed),
        };
        let artifact = Artifact {
            tenant: t.id.clone(),
            kind: ArtifactKind::FederatedSession,
            key: session_key(session),
            payload: serde_json::to_value(payload).unwrap_or_default(),
            expires_at,
            consumed_at: None,
        };
        self.store.put_artifact(&artifact, self.now()).await?;
        Ok(())
    }

    /// The origin of the end-session endpoint of the provider `session` was signed in
    /// through, if it has one (a sign-out form's CSP must allow the redirect there).
    pub async fn federated_logout_origin(
        &self,
        t: &TenantCtx,
        session: &SessionId,
    ) -> Option<String> {
        let (name, _) = self.federated_session(t, session, false).await?;
        let (_, provider) = self.stored_identity_provider(&t.id, &name).await.ok()??;
        let metadata = self.upstream_metadata(&provider.issuer).await.ok()?;
        let url = url::Url::parse(metadata.end_session_endpoint.as_deref()?).ok()?;
        Some(url.origin().ascii_serialization())
    }

    async fn federated_session(
        &self,
        t: &TenantCtx,
        session: &SessionId,
        consume: bool,
    ) -> Option<(String, String)> {
        let key = session_key(session);
        let now = self.now();
        let artifact = if consume {
            self.store
                .consume_artifact(&t.id, ArtifactKind::FederatedSession, &key, now)
                .await
        } else {
            self.store
                .get_artifact(&t.id, ArtifactKind::FederatedSession, &key, now)
                .await
        }
        .ok()??;
        let remembered: FederatedSession = serde_json::from_value(artifact.payload).ok()?;
        let sealed = sigil_core::b64url_decode(&remembered.id_token_sealed)?;
        let id_token = self.kek.open(&seal_context(t, session), &sealed).ok()?;
        Some((
            remembered.provider,
            String::from_utf8(id_token.to_vec()).ok()?,
        ))
    }

    /// Where to send the browser after `session` ended, when it was signed in through a
    /// provider that can sign it out too: the provider's end-session URL, which brings it back
    /// to Sigil and then to `then` (or Sigil's signed-out page). `None` otherwise.
    pub async fn federated_logout(
        &self,
        t: &TenantCtx,
        session: &SessionId,
        then: Option<String>,
    ) -> Option<String> {
        let (name, id_token) = self.federated_session(t, session, true).await?;
        let (_, provider) = self.stored_identity_provider(&t.id, &name).await.ok()??;
        let metadata = self.upstream_metadata(&provider.issuer).await.ok()?;
        let mut url = url::Url::parse(metadata.end_session_endpoint.as_deref()?).ok()?;
        let state = random::secret_token();
        let now = self.now();
        let artifact = Artifact {
            tenant: t.id.clone(),
            kind: ArtifactKind::FederatedLogout,
            key: Digest32::of(&state),
            payload: serde_json::to_value(PendingLogout { then }).ok()?,
            expires_at: now.plus(std::time::Duration::from_secs(LOGOUT_TTL)),
            consumed_at: None,
        };
        self.store.put_artifact(&artifact, now).await.ok()?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", &id_token)
            .append_pair("client_id", &provider.client_id)
            .append_pair("post_logout_redirect_uri", &t.url(&logged_out_path(&name)))
            .append_pair("state", &state);
        Some(url.into())
    }

    /// The provider sent the browser back: where it goes now (`None`: the signed-out page).
    pub async fn finish_federated_logout(&self, t: &TenantCtx, state: &str) -> Option<String> {
        let artifact = self
            .store
            .consume_artifact(
                &t.id,
                ArtifactKind::FederatedLogout,
                &Digest32::of(state),
                self.now(),
            )
            .await
            .ok()??;
        serde_json::from_value::<PendingLogout>(artifact.payload)
            .ok()?
            .then
    }
}
