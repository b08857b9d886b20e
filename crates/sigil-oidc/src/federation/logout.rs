//! Signing out of the provider too: a session signed in through a provider remembers which,
//! with what the provider's logout needs, sealed: an OpenID provider's ID token (the
//! `id_token_hint` RP-Initiated Logout 1.0 wants), a SAML IdP's NameID and session index.
//! When the session ends, the browser is sent to the provider's `end_session_endpoint`, or
//! with a signed LogoutRequest to the SAML IdP's single logout service, and comes back to
//! `/login/idp/{name}/logged-out` (SAML: `/saml/sp/{name}/slo`), then goes where Sigil would
//! have sent it.

use serde::{Deserialize, Serialize};
use sigil_core::model::{Artifact, ArtifactKind};
use sigil_core::{Digest32, SessionId, UnixTime, random};

use crate::provider::{Provider, TenantCtx};

/// How long the provider may take to send the browser back, seconds.
const LOGOUT_TTL: u64 = 600;

#[derive(Serialize, Deserialize)]
struct FederatedSession {
    provider: String,
    /// The ID token, or the SAML subject as JSON, sealed.
    #[serde(alias = "id_token_sealed")]
    logout_hint_sealed: String,
}

#[derive(Serialize, Deserialize)]
struct PendingLogout {
    then: Option<String>,
    /// The ID of the LogoutRequest sent to a SAML IdP, which its response must answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    saml_request_id: Option<String>,
}

fn session_key(session: &SessionId) -> Digest32 {
    Digest32::of(format!("federated session:{session}"))
}

fn seal_context(t: &TenantCtx, session: &SessionId) -> Vec<u8> {
    format!("sigil federated session:{}:{session}", t.id).into_bytes()
}

/// How a SAML IdP answered Sigil's logout request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlLogout {
    /// Where Sigil would have sent the browser.
    pub then: Option<String>,
    /// Whether the IdP's answer was signed, answered that request and said it succeeded.
    pub confirmed: bool,
}

/// The path the provider sends the browser back to after signing it out.
pub fn logged_out_path(name: &str) -> String {
    format!("/login/idp/{name}/logged-out")
}

impl Provider {
    /// Remembers that `session` was signed in through `name`, with what its logout needs
    /// (`logout_hint`: the ID token, or the SAML subject as JSON).
    pub(crate) async fn remember_federated_session(
        &self,
        t: &TenantCtx,
        session: &SessionId,
        expires_at: UnixTime,
        name: &str,
        logout_hint: &str,
    ) -> Result<(), sigil_store::StoreError> {
        let sealed = self
            .kek
            .seal(&seal_context(t, session), logout_hint.as_bytes());
        let payload = FederatedSession {
            provider: name.to_owned(),
            logout_hint_sealed: sigil_core::b64url_encode(sealed),
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
        let endpoint = match &provider.saml {
            Some(settings) => settings.idp.slo_url.clone()?,
            None => self
                .upstream_metadata(&provider.issuer)
                .await
                .ok()?
                .end_session_endpoint
                .clone()?,
        };
        let url = url::Url::parse(&endpoint).ok()?;
        Some(url.origin().ascii_serialization())
    }

    pub(super) async fn federated_session(
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
        let sealed = sigil_core::b64url_decode(&remembered.logout_hint_sealed)?;
        let hint = self.kek.open(&seal_context(t, session), &sealed).ok()?;
        Some((remembered.provider, String::from_utf8(hint.to_vec()).ok()?))
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
        let state = random::secret_token();
        if let Some(settings) = &provider.saml {
            let subject = serde_json::from_str(&id_token).ok()?;
            let (url, request_id) = self
                .saml_logout_request(t, &name, settings, &subject, &state)
                .await?;
            self.put_pending_logout(t, &state, then, Some(request_id))
                .await?;
            return Some(url);
        }
        let metadata = self.upstream_metadata(&provider.issuer).await.ok()?;
        let mut url = url::Url::parse(metadata.end_session_endpoint.as_deref()?).ok()?;
        self.put_pending_logout(t, &state, then, None).await?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", &id_token)
            .append_pair("client_id", &provider.client_id)
            .append_pair("post_logout_redirect_uri", &t.url(&logged_out_path(&name)))
            .append_pair("state", &state);
        Some(url.into())
    }

    async fn put_pending_logout(
        &self,
        t: &TenantCtx,
        state: &str,
        then: Option<String>,
        saml_request_id: Option<String>,
    ) -> Option<()> {
        let pending = PendingLogout {
            then,
            saml_request_id,
        };
        self.put_handle(
            t,
            ArtifactKind::FederatedLogout,
            state,
            &pending,
            LOGOUT_TTL,
        )
        .await
        .ok()?;
        Some(())
    }

    /// The provider sent the browser back: where it goes now (`None`: the signed-out page).
    pub async fn finish_federated_logout(&self, t: &TenantCtx, state: &str) -> Option<String> {
        self.pending_logout(t, state).await?.then
    }

    /// The logout that `state` (or a SAML `RelayState`) names, taken once.
    async fn pending_logout(&self, t: &TenantCtx, state: &str) -> Option<PendingLogout> {
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
        serde_json::from_value(artifact.payload).ok()
    }

    /// A SAML IdP answered Sigil's LogoutRequest at `/saml/sp/{name}/slo` (HTTP-Redirect,
    /// `raw_query` as sent): where the browser goes now, and whether the IdP confirmed.
    /// `None` when no logout of Sigil's is waiting for that `RelayState`. The session at Sigil
    /// ended already; the answer is checked (signature, `InResponseTo`, issuer) and logged.
    pub async fn finish_saml_logout(
        &self,
        t: &TenantCtx,
        name: &str,
        raw_query: &str,
        saml_response: &str,
        relay_state: &str,
    ) -> Option<SamlLogout> {
        let pending = self.pending_logout(t, relay_state).await?;
        let request_id = pending.saml_request_id.as_deref();
        let outcome = self
            .saml_logout_outcome(t, name, raw_query, saml_response, request_id)
            .await;
        let confirmed = match outcome {
            Ok(status) => {
                tracing::info!(provider = name, %status, "the SAML IdP answered the logout");
                status == sigil_saml::status::SUCCESS
            }
            Err(why) => {
                tracing::warn!(provider = name, %why, "the SAML IdP's logout answer was not accepted");
                false
            }
        };
        Some(SamlLogout {
            then: pending.then,
            confirmed,
        })
    }
}
