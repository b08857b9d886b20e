//! Single logout started by an upstream SAML identity provider: its LogoutRequest arrives at
//! `/saml/sp/{name}/slo` over HTTP-Redirect and must be signed by the IdP (its metadata's
//! certificates) and name Sigil's logout service; the sessions of the account linked to its
//! NameID that were signed in through that IdP (and, when it names session indexes, only
//! those IdP sessions) end, and a LogoutResponse signed over the query string goes back.

use crate::saml::binding::signed;
use sigil_core::SessionId;
use sigil_saml::logout::SamlSubject;
use sigil_saml::request::{
    LogoutRequest, decode_redirect, parse_logout_request, verify_redirect_signature,
};
use sigil_saml::response::{logout_response, signed_redirect};
use sigil_saml::status;

use super::saml::{sp_metadata_path, sp_slo_path};
use crate::provider::{Provider, TenantCtx};
use crate::saml::slo::SloStep;
use crate::sessions::Browser;

impl Provider {
    /// Handles a LogoutRequest the SAML provider `name` sent over HTTP-Redirect (`raw_query`
    /// as received).
    pub async fn saml_upstream_logout(
        &self,
        t: &TenantCtx,
        name: &str,
        raw_query: &str,
        saml_request: &str,
        relay_state: Option<&str>,
        browser: &Browser,
    ) -> SloStep {
        let settings = match self.stored_identity_provider(&t.id, name).await {
            Ok(Some((_, provider))) => match provider.saml {
                Some(settings) => settings,
                None => return SloStep::Error("There is no such SAML identity provider.".into()),
            },
            Ok(None) => return SloStep::Error("There is no such SAML identity provider.".into()),
            Err(e) => return SloStep::Error(format!("Signing out is unavailable: {e}")),
        };
        match verify_redirect_signature(raw_query, settings.trust()) {
            Ok(verified) if signed(verified.as_ref(), name) => {}
            Ok(_) => return SloStep::Error("A logout request must be signed.".into()),
            Err(e) => return SloStep::Error(e.to_string()),
        }
        let request = match decode_redirect(saml_request).and_then(|x| parse_logout_request(&x)) {
            Ok(r) => r,
            Err(e) => return SloStep::Error(format!("The logout request is not valid: {e}")),
        };
        let Some(back) = settings.idp.slo_url.clone() else {
            return SloStep::Error("The identity provider has no logout service.".into());
        };
        let misdirected = request.issuer != settings.idp.entity_id
            || request
                .destination
                .as_deref()
                .is_some_and(|d| d != t.url(&sp_slo_path(name)));
        let (code, ended, ended_current) = if misdirected {
            (status::REQUESTER, Vec::new(), false)
        } else {
            let current = self.current_session(t, browser).await.ok().flatten();
            let ended = self.end_upstream_sessions(t, name, &request, browser).await;
            let current_ended = current.is_some_and(|c| ended.contains(&c.session.id));
            (status::SUCCESS, ended, current_ended)
        };
        match self
            .upstream_logout_answer(t, name, &back, &request, code, relay_state)
            .await
        {
            Ok(url) => SloStep::Redirect {
                url,
                ended,
                ended_current,
            },
            Err(e) => SloStep::Error(format!("Signing out is unavailable: {e}")),
        }
    }

    /// The signed LogoutResponse for the IdP, as the URL to send the browser to.
    async fn upstream_logout_answer(
        &self,
        t: &TenantCtx,
        name: &str,
        back: &str,
        request: &LogoutRequest,
        code: &str,
        relay_state: Option<&str>,
    ) -> Result<String, String> {
        let now = self.now();
        let xml = logout_response(
            &t.url(&sp_metadata_path(name)),
            back,
            &request.id,
            code,
            now.0,
        )
        .to_canonical();
        let (key, _) = self.saml_signer(t, now).await.map_err(|e| e.to_string())?;
        tracing::info!(provider = name, code, "the SAML IdP signed a person out");
        signed_redirect(back, "SAMLResponse", &xml, relay_state, &key).map_err(|e| e.to_string())
    }

    /// Ends the sessions of the account linked to the request's NameID that came from the
    /// provider `name` (those of the IdP sessions it names, when it names any).
    async fn end_upstream_sessions(
        &self,
        t: &TenantCtx,
        name: &str,
        request: &LogoutRequest,
        browser: &Browser,
    ) -> Vec<SessionId> {
        let Ok(Some(link)) = self
            .store
            .find_external_identity(&t.id, name, &request.name_id)
            .await
        else {
            return Vec::new();
        };
        let Ok(Some(user)) = self.store.get_user(&t.id, &link.user_id).await else {
            return Vec::new();
        };
        let sessions = self
            .store
            .list_user_sessions(&t.id, &user.id, self.now())
            .await
            .unwrap_or_default();
        let mut ended = Vec::new();
        for session in sessions {
            let Some((provider, hint)) = self.federated_session(t, &session.id, false).await else {
                continue;
            };
            let Ok(subject) = serde_json::from_str::<SamlSubject>(&hint) else {
                continue;
            };
            let named = request.session_indexes.is_empty()
                || subject
                    .session_index
                    .as_ref()
                    .is_some_and(|i| request.session_indexes.contains(i));
            if provider == name
                && subject.name_id == request.name_id
                && named
                && self
                    .end_session(t, &user, &session.id, browser.ip.clone())
                    .await
                    .unwrap_or(false)
            {
                ended.push(session.id);
            }
        }
        ended
    }
}
