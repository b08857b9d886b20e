//! Single Logout started at Sigil: when a person signs out here, every service provider their
//! session signed them in to, and that has a logout service, gets a signed LogoutRequest (over
//! HTTP-Redirect, or HTTP-POST when the SP has only that), one after the other: the browser
//! goes to the first, comes back to `/saml/slo` with its LogoutResponse (either binding), goes
//! on to the next, and at last to where the sign-out was going. Each answer is checked
//! (signature when signed, `InResponseTo`, issuer) and logged; an SP that does not answer well
//! does not stop the others.

use serde::{Deserialize, Serialize};
use sigil_core::model::{Artifact, ArtifactKind};
use sigil_core::{Digest32, SessionId, UnixTime, random};
use sigil_saml::logout::{SamlSubject, logout_request, parse_logout_response};
use sigil_saml::outgoing::outgoing;
use sigil_saml::status;

use super::METADATA_PATH;
use super::binding::Binding;
use crate::provider::{Provider, TenantCtx};

/// How long one SP may take to answer, seconds.
const HOP_TTL: u64 = 300;

/// A service provider the session signed its user in to, and as whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Participant {
    /// The SP's name.
    pub sp: String,
    /// The NameID it was given.
    pub name_id: String,
    /// Its format.
    pub format: String,
}

/// A logout on its way through the session's SPs.
#[derive(Debug, Serialize, Deserialize)]
struct Chain {
    /// The session's index, as the SPs were told it.
    session_index: String,
    /// The SPs still to visit.
    remaining: Vec<Participant>,
    /// The SP being visited and the ID of the request it was sent.
    current: Option<(String, String)>,
    /// Where the browser goes at the end.
    then: Option<String>,
}

fn participants_key(session: &SessionId) -> Digest32 {
    Digest32::of(format!("saml participants:{session}"))
}

impl Provider {
    /// Remembers that `session` (until `expires_at`) signed its user in to `participant`.
    pub(crate) async fn remember_saml_participant(
        &self,
        t: &TenantCtx,
        session: &SessionId,
        expires_at: UnixTime,
        participant: Participant,
    ) -> Result<(), sigil_store::StoreError> {
        let now = self.now();
        let key = participants_key(session);
        let kind = ArtifactKind::SamlParticipants;
        let existing = self.store.get_artifact(&t.id, kind, &key, now).await?;
        let mut all: Vec<Participant> = existing
            .as_ref()
            .and_then(|a| serde_json::from_value(a.payload.clone()).ok())
            .unwrap_or_default();
        all.retain(|p| p.sp != participant.sp);
        all.push(participant);
        let payload = serde_json::to_value(&all).unwrap_or_default();
        if existing.is_some() {
            self.store
                .update_artifact(&t.id, kind, &key, &payload, now)
                .await?;
        } else {
            let artifact = Artifact {
                tenant: t.id.clone(),
                kind,
                key,
                payload,
                expires_at,
                consumed_at: None,
            };
            self.store.put_artifact(&artifact, now).await?;
        }
        Ok(())
    }

    async fn saml_participants(
        &self,
        t: &TenantCtx,
        session: &SessionId,
        consume: bool,
    ) -> Vec<Participant> {
        let (key, now) = (participants_key(session), self.now());
        let kind = ArtifactKind::SamlParticipants;
        let found = if consume {
            self.store.consume_artifact(&t.id, kind, &key, now).await
        } else {
            self.store.get_artifact(&t.id, kind, &key, now).await
        };
        found
            .ok()
            .flatten()
            .and_then(|a| serde_json::from_value(a.payload).ok())
            .unwrap_or_default()
    }

    /// The web origins of the logout services of the SPs `session` signed in to.
    async fn saml_logout_origins(&self, t: &TenantCtx, session: &SessionId) -> Vec<String> {
        let mut origins = Vec::new();
        for participant in self.saml_participants(t, session, false).await {
            let Ok(sp) = self.saml_sp(t, &participant.sp).await else {
                continue;
            };
            let service = sp.sp.metadata.logout_service();
            if let Some(url) = service.and_then(|s| url::Url::parse(&s.location).ok()) {
                origins.push(url.origin().ascii_serialization());
            }
        }
        origins
    }

    /// Where the browser goes once `session` ended here: to each SAML SP it signed in to
    /// (other than `except`, which started the logout), then to the provider it came from (if
    /// any), then to `then`.
    pub async fn sign_out_elsewhere(
        &self,
        t: &TenantCtx,
        session: &SessionId,
        except: Option<&str>,
        then: Option<String>,
    ) -> Option<String> {
        let upstream = self.federated_logout(t, session, then.clone()).await;
        self.saml_logout_chain(t, session, except, upstream.or(then))
            .await
    }

    /// Where a sign-out form of `session` may send the browser besides Sigil (its CSP
    /// `form-action`): the SAML SPs it signed in to and the provider it came from.
    pub async fn sign_out_origins(&self, t: &TenantCtx, session: &SessionId) -> Vec<String> {
        let mut origins = self.saml_logout_origins(t, session).await;
        origins.extend(self.federated_logout_origin(t, session).await);
        origins
    }

    /// After `session` ended here: the first SP (other than `except`, which started the
    /// logout) to sign the person out at, or `then` when there is none.
    async fn saml_logout_chain(
        &self,
        t: &TenantCtx,
        session: &SessionId,
        except: Option<&str>,
        then: Option<String>,
    ) -> Option<String> {
        let mut remaining = self.saml_participants(t, session, true).await;
        remaining.retain(|p| Some(p.sp.as_str()) != except);
        if remaining.is_empty() {
            return then;
        }
        let chain = Chain {
            session_index: session.as_str().to_owned(),
            remaining,
            current: None,
            then,
        };
        self.next_saml_logout(t, chain).await
    }

    /// Sends the browser to the next SP of `chain` that can be reached, or on to its end.
    async fn next_saml_logout(&self, t: &TenantCtx, mut chain: Chain) -> Option<String> {
        while !chain.remaining.is_empty() {
            let participant = chain.remaining.remove(0);
            let Ok(sp) = self.saml_sp(t, &participant.sp).await else {
                continue;
            };
            let Some(service) = sp.sp.metadata.logout_service() else {
                continue;
            };
            let now = self.now();
            let Ok((key, certificate)) = self.saml_signer(t, now).await else {
                break;
            };
            let id = format!("_{}", random::identifier());
            let subject = SamlSubject {
                name_id: participant.name_id.clone(),
                format: Some(participant.format.clone()),
                session_index: Some(chain.session_index.clone()),
            };
            let location = service.location.as_str();
            let request = logout_request(&id, &t.url(METADATA_PATH), location, &subject, now.0);
            let handle = random::secret_token();
            let Ok(message) = outgoing(
                &service.binding,
                location,
                "SAMLRequest",
                request,
                Some(&handle),
                &key,
                &certificate,
            ) else {
                continue;
            };
            chain.current = Some((participant.sp, id));
            let kind = ArtifactKind::SamlLogoutChain;
            if self
                .put_handle(t, kind, &handle, &chain, HOP_TTL)
                .await
                .is_ok()
                && let Some(url) = self.saml_send(t, message).await
            {
                return Some(url);
            }
        }
        chain.then
    }

    /// An SP answered Sigil's LogoutRequest at `/saml/slo` (over either binding): the next SP,
    /// or where the sign-out was going (`None`: the signed-out page).
    pub async fn saml_logout_answered(&self, t: &TenantCtx, answer: Binding<'_>) -> Option<String> {
        let (xml, relay_state) = answer.decode();
        let artifact = self
            .store
            .consume_artifact(
                &t.id,
                ArtifactKind::SamlLogoutChain,
                &Digest32::of(relay_state.unwrap_or_default()),
                self.now(),
            )
            .await
            .ok()??;
        let chain: Chain = serde_json::from_value(artifact.payload).ok()?;
        if let Some((name, request_id)) = &chain.current {
            match self
                .saml_logout_outcome_at(t, name, request_id, answer, xml)
                .await
            {
                Ok(code) if code == status::SUCCESS => {
                    tracing::info!(sp = %name, "the SP signed the person out");
                }
                Ok(code) => tracing::warn!(sp = %name, %code, "the SP did not sign the person out"),
                Err(why) => {
                    tracing::warn!(sp = %name, %why, "the SP's logout answer was not accepted")
                }
            }
        }
        self.next_saml_logout(t, chain).await
    }

    /// Checks an SP's LogoutResponse: its status, or why it is not believed.
    async fn saml_logout_outcome_at(
        &self,
        t: &TenantCtx,
        name: &str,
        request_id: &str,
        answer: Binding<'_>,
        xml: Result<String, sigil_saml::SamlError>,
    ) -> Result<String, String> {
        let sp = self.saml_sp(t, name).await.map_err(|e| e.to_string())?;
        let xml = xml.map_err(|e| e.to_string())?;
        let signed = answer
            .verify(&xml, sp.trust(), &sp.name)
            .map_err(|e| e.to_string())?;
        let outcome = parse_logout_response(&xml).map_err(|e| e.to_string())?;
        if outcome.in_response_to.as_deref() != Some(request_id)
            || outcome
                .issuer
                .as_deref()
                .is_some_and(|i| i != sp.sp.metadata.entity_id)
        {
            return Err(
                "the LogoutResponse answers another request or comes from elsewhere".into(),
            );
        }
        if !signed {
            tracing::info!(sp = %name, "the SP's LogoutResponse is not signed");
        }
        Ok(outcome.status)
    }
}
