//! Single Logout started by a service provider (HTTP-Redirect, or HTTP-POST with an enveloped
//! XML signature): its LogoutRequest must be signed with a certificate from its metadata; the
//! sessions it names (by `SessionIndex`, each checked to belong to the request's subject at
//! that SP) end, and a signed LogoutResponse goes back to the SP's logout service, over
//! HTTP-Redirect or, when the SP has only that, HTTP-POST. When the browser's own
//! session was among them, the browser first visits the session's other SPs and the provider
//! it came from ([`super::initiated`]), and comes back to the SP last.

use sigil_core::SessionId;
use sigil_saml::outgoing::outgoing;
use sigil_saml::request::{LogoutRequest, parse_logout_request};
use sigil_saml::response::logout_response;
use sigil_saml::status;

use super::binding::Binding;
use super::{METADATA_PATH, ServiceProviderView};
use crate::provider::{Provider, TenantCtx};
use crate::sessions::Browser;

/// Where the IdP's single logout service is, under the tenant's issuer.
pub const SLO_PATH: &str = "/saml/slo";

/// What the browser is to do after a LogoutRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SloStep {
    /// Go back to the SP with the LogoutResponse.
    Redirect {
        /// The SP's logout service with the signed response.
        url: String,
        /// The sessions that ended (their front-channel clients are told on the way).
        ended: Vec<SessionId>,
        /// Whether the browser's own session was among them (clear its cookie).
        ended_current: bool,
    },
    /// Nothing can be sent back: show this.
    Error(String),
}

impl Provider {
    /// Handles a LogoutRequest sent over HTTP-Redirect or HTTP-POST.
    pub async fn saml_logout(
        &self,
        t: &TenantCtx,
        binding: Binding<'_>,
        browser: &Browser,
    ) -> SloStep {
        let (xml, relay_state) = binding.decode();
        let (xml, request) = match xml.and_then(|x| parse_logout_request(&x).map(|r| (x, r))) {
            Ok(read) => read,
            Err(e) => return SloStep::Error(format!("The logout request is not valid: {e}")),
        };
        let sp = match self.saml_sp_by_entity_id(t, &request.issuer).await {
            Ok(Some(sp)) => sp,
            Ok(None) => {
                return SloStep::Error(format!(
                    "The application {} is not registered here.",
                    request.issuer
                ));
            }
            Err(e) => return SloStep::Error(format!("Signing out is unavailable: {e}")),
        };
        match binding.verify(&xml, sp.trust(), &sp.name) {
            Ok(true) => {}
            Ok(false) => return SloStep::Error("A logout request must be signed.".into()),
            Err(e) => return SloStep::Error(e.to_string()),
        }
        let Some(service) = sp.sp.metadata.logout_service().cloned() else {
            return SloStep::Error("The application has no logout service.".into());
        };
        let back = service.response_url();
        let (code, (ended, ended_current)) = if request
            .destination
            .as_deref()
            .is_some_and(|d| d != t.url(SLO_PATH))
        {
            (status::REQUESTER, (Vec::new(), None))
        } else {
            (
                status::SUCCESS,
                self.end_sp_sessions(t, &sp, &request, browser).await,
            )
        };
        let now = self.now();
        let response = logout_response(&t.url(METADATA_PATH), back, &request.id, code, now.0);
        let signed = match self.saml_signer(t, now).await {
            Ok((key, certificate)) => {
                let sent = outgoing(
                    &service.binding,
                    back,
                    "SAMLResponse",
                    response,
                    relay_state,
                    &key,
                    &certificate,
                );
                sent.map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        let url = match signed {
            Ok(message) => match self.saml_send(t, message).await {
                Some(url) => url,
                None => return SloStep::Error("Signing out is unavailable.".into()),
            },
            Err(e) => return SloStep::Error(format!("Signing out is unavailable: {e}")),
        };
        let Some(session) = ended_current else {
            return SloStep::Redirect {
                url,
                ended,
                ended_current: false,
            };
        };
        let next = self
            .sign_out_elsewhere(t, &session, Some(&sp.name), Some(url.clone()))
            .await;
        SloStep::Redirect {
            url: next.unwrap_or(url),
            ended,
            ended_current: true,
        }
    }

    /// Ends the sessions `request` names that belong to its subject at `sp` (the browser's
    /// current one when it names none): those that ended, and the browser's own session when
    /// it was one of them.
    async fn end_sp_sessions(
        &self,
        t: &TenantCtx,
        sp: &ServiceProviderView,
        request: &LogoutRequest,
        browser: &Browser,
    ) -> (Vec<SessionId>, Option<SessionId>) {
        let current = self.current_session(t, browser).await.ok().flatten();
        let mut ids: Vec<SessionId> = request
            .session_indexes
            .iter()
            .filter_map(|i| SessionId::parse(i).ok())
            .collect();
        if ids.is_empty() {
            ids.extend(current.as_ref().map(|c| c.session.id.clone()));
        }
        let (mut ended, mut ended_current) = (Vec::new(), None);
        for id in ids {
            let Ok(Some(session)) = self.store.get_session(&t.id, &id).await else {
                continue;
            };
            let Ok(Some(user)) = self.store.get_user(&t.id, &session.auth.user_id).await else {
                continue;
            };
            if !self.is_subject_at(t, sp, &user, &request.name_id).await {
                tracing::warn!(sp = %sp.name, "a logout request named a session of someone else");
                continue;
            }
            let ended_now = self
                .end_session(t, &user, &id, browser.ip.clone())
                .await
                .unwrap_or(false);
            if !ended_now {
                continue;
            }
            if current.as_ref().is_some_and(|c| c.session.id == id) {
                ended_current = Some(id.clone());
            }
            ended.push(id);
        }
        (ended, ended_current)
    }

    /// Whether `name_id` is what `sp` knows `user` by (the pairwise id or the e-mail address;
    /// transient ids are not kept, so a logout naming one ends nothing).
    async fn is_subject_at(
        &self,
        t: &TenantCtx,
        sp: &ServiceProviderView,
        user: &sigil_core::model::User,
        name_id: &str,
    ) -> bool {
        if user.email.as_deref() == Some(name_id) {
            return true;
        }
        self.saml_pairwise_id(t, &sp.sp.metadata.entity_id, user)
            .await
            .is_ok_and(|p| p == name_id)
    }
}
