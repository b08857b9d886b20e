//! Single sign-on, SP-initiated (IdP-initiated from a per-SP link works the same without a
//! request): an AuthnRequest (HTTP-Redirect or HTTP-POST) from a registered
//! SP, its assertion consumer service checked against the SP's metadata, `Destination`,
//! signature rules, `ForceAuthn` and `IsPassive` honoured; the request waits (bound to the
//! browser) while the user signs in, then a signed response goes to the ACS over HTTP-POST.
//! Errors about a request that cannot be trusted are shown to the user; errors about a
//! trusted request go back to the SP as SAML status codes.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sigil_core::model::{Artifact, ArtifactKind, AuditEvent, AuditKind, User, VcDefinition};
use sigil_core::{Digest32, SessionId, b64_decode, b64_encode, random};
use sigil_policy::Outcome;
use sigil_saml::outgoing::PostForm;
use sigil_saml::request::parse_authn_request;
use sigil_saml::response::{
    AC_PASSWORD, AC_UNSPECIFIED, Assertion, error_response, signed_response,
};
use sigil_saml::{BINDING_POST, name_id, status};

use super::binding::Binding;
use super::{METADATA_PATH, SSO_PATH, ServiceProviderView};
use crate::provider::{Provider, TenantCtx};
use crate::sessions::{ACR_PASSWORD, Browser};

/// How long a request may wait for the user to sign in, seconds.
const REQUEST_TTL: u64 = 600;
/// Where a waiting request continues, under the tenant's issuer.
pub const CONTINUE_PATH: &str = "/saml/sso/continue";

/// What the browser is to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoStep {
    /// Sign in, then return to `return_to`.
    Login {
        /// Where to come back to.
        return_to: String,
        /// Whether the user is signed in but must authenticate again (`ForceAuthn`).
        reauthenticate: bool,
    },
    /// Post a response to the SP (its assertion consumer service).
    Post(PostForm),
    /// Go on here (a request that arrived without the browser's cookies).
    Redirect(String),
    /// Nothing can be sent to an SP: show this.
    Error(String),
}

/// A request waiting for the user.
#[derive(Debug, Serialize, Deserialize)]
struct PendingSso {
    sp: String,
    /// The request's ID; none for IdP-initiated sign-in.
    request_id: Option<String>,
    acs: String,
    name_id_format: String,
    force_authn: bool,
    is_passive: bool,
    relay_state: Option<String>,
    /// The browser it is bound to; none until the first request from a browser that carries
    /// its cookies (a cross-site HTTP-POST carries none of Sigil's `SameSite=Lax` cookies).
    browser: Option<Digest32>,
    started: i64,
    /// The browser's session when the request reached it: `ForceAuthn` wants a newer one.
    #[serde(default)]
    session_at_start: Option<SessionId>,
    /// Whether the SP's sign-on policy already sent the user to sign in again, more strongly.
    #[serde(default)]
    stepped_up: bool,
}

/// What of a request the answer depends on (nothing was asked in IdP-initiated sign-in).
struct Unanswered {
    request_id: Option<String>,
    force_authn: bool,
    is_passive: bool,
}

fn browser_digest(browser: &Browser) -> Digest32 {
    Digest32::of(format!("saml sso:{}", browser.browser_id))
}

/// The NameID format to issue: the one asked for when Sigil has it, else the SP's first
/// that Sigil has, else persistent.
fn choose_format(asked: Option<&str>, sp: &ServiceProviderView) -> Result<String, ()> {
    let known = [
        name_id::PERSISTENT,
        name_id::EMAIL,
        name_id::TRANSIENT,
        name_id::UNSPECIFIED,
    ];
    match asked {
        Some(f) if known.contains(&f) => Ok(f.to_owned()),
        Some(_) => Err(()),
        None => Ok(sp
            .sp
            .metadata
            .name_id_formats
            .iter()
            .find(|f| known.contains(&f.as_str()))
            .cloned()
            .unwrap_or_else(|| name_id::PERSISTENT.to_owned())),
    }
}

impl Provider {
    /// Handles an AuthnRequest.
    pub async fn saml_sso(
        &self,
        t: &TenantCtx,
        binding: Binding<'_>,
        browser: &Browser,
    ) -> SsoStep {
        let (xml, relay_state) = binding.decode();
        let (xml, request) = match xml.and_then(|x| parse_authn_request(&x).map(|r| (x, r))) {
            Ok(read) => read,
            Err(e) => return SsoStep::Error(format!("The sign-in request is not valid: {e}")),
        };
        let sp = match self.saml_sp_by_entity_id(t, &request.issuer).await {
            Ok(Some(sp)) => sp,
            Ok(None) => {
                return SsoStep::Error(format!(
                    "The application {} is not registered here.",
                    request.issuer
                ));
            }
            Err(e) => return SsoStep::Error(format!("Signing in is unavailable: {e}")),
        };
        let acs = match sp
            .sp
            .metadata
            .consumer_service(request.acs_url.as_deref(), request.acs_index)
        {
            Ok(acs) => acs.location.clone(),
            Err(e) => return SsoStep::Error(e.to_string()),
        };
        // Signatures: checked whenever present; required when the SP says it signs.
        match binding.verify(&xml, sp.trust(), &sp.name) {
            Ok(true) => {}
            Ok(false) if !sp.sp.metadata.authn_requests_signed => {}
            Ok(false) => {
                return SsoStep::Error(
                    "This application signs its requests, and this one carries no signature."
                        .into(),
                );
            }
            Err(e) => return SsoStep::Error(e.to_string()),
        }
        let relay_state = relay_state.map(|r| r.chars().take(1024).collect::<String>());
        let fail = |code: &str| {
            SsoStep::Post(self.saml_error(t, &acs, Some(&request.id), code, relay_state.clone()))
        };
        if request
            .destination
            .as_deref()
            .is_some_and(|d| d != t.url(SSO_PATH))
        {
            return fail(status::REQUESTER);
        }
        if request
            .protocol_binding
            .as_deref()
            .is_some_and(|b| b != BINDING_POST)
        {
            return fail(status::REQUESTER);
        }
        let Ok(name_id_format) = choose_format(request.name_id_format.as_deref(), &sp) else {
            return fail(status::INVALID_NAME_ID_POLICY);
        };
        let bound = match binding {
            Binding::Redirect { .. } => Some(browser),
            Binding::Post { .. } => None,
        };
        let unanswered = Unanswered {
            request_id: Some(request.id.clone()),
            force_authn: request.force_authn,
            is_passive: request.is_passive,
        };
        self.pend_saml_request(t, &sp, unanswered, acs, name_id_format, relay_state, bound)
            .await
    }

    /// Starts an IdP-initiated sign-in to the SP `name` (its per-SP link): once the user is
    /// signed in, an unsolicited response goes to the SP's default consumer service.
    pub async fn saml_idp_initiated(
        &self,
        t: &TenantCtx,
        name: &str,
        relay_state: Option<&str>,
        browser: &Browser,
    ) -> SsoStep {
        let Ok(sp) = self.saml_sp(t, name).await else {
            return SsoStep::Error(format!("There is no application {name} here."));
        };
        let acs = match sp.sp.metadata.consumer_service(None, None) {
            Ok(acs) => acs.location.clone(),
            Err(e) => return SsoStep::Error(e.to_string()),
        };
        let name_id_format =
            choose_format(None, &sp).unwrap_or_else(|()| name_id::PERSISTENT.to_owned());
        let unsolicited = Unanswered {
            request_id: None,
            force_authn: false,
            is_passive: false,
        };
        let relay_state = relay_state.map(|r| r.chars().take(1024).collect());
        self.pend_saml_request(
            t,
            &sp,
            unsolicited,
            acs,
            name_id_format,
            relay_state,
            Some(browser),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn pend_saml_request(
        &self,
        t: &TenantCtx,
        sp: &ServiceProviderView,
        request: Unanswered,
        acs: String,
        name_id_format: String,
        relay_state: Option<String>,
        browser: Option<&Browser>,
    ) -> SsoStep {
        let now = self.now();
        let handle = random::secret_token();
        let pending = PendingSso {
            sp: sp.name.clone(),
            request_id: request.request_id,
            acs,
            name_id_format,
            force_authn: request.force_authn,
            is_passive: request.is_passive,
            relay_state,
            browser: browser.map(browser_digest),
            started: now.0,
            session_at_start: match browser {
                Some(b) => self.current_session_id(t, b).await,
                None => None,
            },
            stepped_up: false,
        };
        let artifact = Artifact {
            tenant: t.id.clone(),
            kind: ArtifactKind::SamlRequest,
            key: Digest32::of(&handle),
            payload: serde_json::to_value(&pending).unwrap_or_default(),
            expires_at: now.plus(std::time::Duration::from_secs(REQUEST_TTL)),
            consumed_at: None,
        };
        if let Err(e) = self.store.put_artifact(&artifact, now).await {
            return SsoStep::Error(format!("Signing in is unavailable: {e}"));
        }
        let continue_path = format!("{}{CONTINUE_PATH}?request={handle}", t.path_prefix());
        match browser {
            Some(browser) => self.saml_continue(t, &handle, browser).await,
            None => SsoStep::Redirect(continue_path),
        }
    }

    /// Continues a waiting request: sign in first, or answer the SP.
    pub async fn saml_continue(&self, t: &TenantCtx, handle: &str, browser: &Browser) -> SsoStep {
        let expired = || {
            SsoStep::Error(
                "This sign-in request has expired. Start again from the application.".into(),
            )
        };
        let key = Digest32::of(handle);
        let now = self.now();
        let Ok(Some(artifact)) = self
            .store
            .get_artifact(&t.id, ArtifactKind::SamlRequest, &key, now)
            .await
        else {
            return expired();
        };
        let Ok(mut pending) = serde_json::from_value::<PendingSso>(artifact.payload) else {
            return expired();
        };
        if artifact.consumed_at.is_some() {
            return expired();
        }
        match pending.browser {
            Some(bound) if bound != browser_digest(browser) => return expired(),
            Some(_) => {}
            None => {
                // The first browser that comes with its cookies claims the request.
                pending.browser = Some(browser_digest(browser));
                pending.session_at_start = self.current_session_id(t, browser).await;
                let payload = serde_json::to_value(&pending).unwrap_or_default();
                let claimed = self
                    .store
                    .update_artifact(&t.id, ArtifactKind::SamlRequest, &key, &payload, now)
                    .await;
                if !matches!(claimed, Ok(true)) {
                    return expired();
                }
            }
        }
        let session = match self.current_session(t, browser).await {
            Ok(s) => s,
            Err(e) => return SsoStep::Error(format!("Signing in is unavailable: {e}")),
        };
        let fresh = session.as_ref().filter(|s| {
            !pending.force_authn
                || (Some(&s.session.id) != pending.session_at_start.as_ref()
                    && s.session.auth.auth_time.0 >= pending.started)
        });
        let Some(current) = fresh else {
            if pending.is_passive {
                let _ = self
                    .store
                    .consume_artifact(&t.id, ArtifactKind::SamlRequest, &key, now)
                    .await;
                return SsoStep::Post(self.saml_error(
                    t,
                    &pending.acs,
                    pending.request_id.as_deref(),
                    status::NO_PASSIVE,
                    pending.relay_state,
                ));
            }
            return SsoStep::Login {
                return_to: format!("{}{CONTINUE_PATH}?request={handle}", t.path_prefix()),
                reauthenticate: session.is_some(),
            };
        };
        // The SP's sign-on policy: a refusal is an `AuthnFailed` answer; a sign-in too weak
        // for it signs in again once (as `ForceAuthn`), and is refused if still too weak.
        let allowed = match self.check_saml_sign_on(t, &pending.sp, current).await {
            Ok(None) => true,
            Ok(Some(decision)) if decision.decision == Outcome::Allow => true,
            Ok(Some(decision)) if decision.decision == Outcome::StepUp && !pending.stepped_up => {
                pending.stepped_up = true;
                pending.force_authn = true;
                pending.session_at_start = Some(current.session.id.clone());
                pending.started = now.0;
                let payload = serde_json::to_value(&pending).unwrap_or_default();
                let saved = self
                    .store
                    .update_artifact(&t.id, ArtifactKind::SamlRequest, &key, &payload, now)
                    .await;
                if !matches!(saved, Ok(true)) {
                    return expired();
                }
                return SsoStep::Login {
                    return_to: format!("{}{CONTINUE_PATH}?request={handle}", t.path_prefix()),
                    reauthenticate: true,
                };
            }
            Ok(Some(decision)) => {
                tracing::info!(sp = %pending.sp, reason = %decision.reason, "SAML sign-in refused by policy");
                false
            }
            Err(why) => {
                tracing::warn!(sp = %pending.sp, %why, "SAML sign-on policy not evaluated");
                false
            }
        };
        match self
            .store
            .consume_artifact(&t.id, ArtifactKind::SamlRequest, &key, now)
            .await
        {
            Ok(Some(_)) => {}
            _ => return expired(),
        }
        if !allowed {
            return SsoStep::Post(self.saml_error(
                t,
                &pending.acs,
                pending.request_id.as_deref(),
                status::AUTHN_FAILED,
                pending.relay_state,
            ));
        }
        let Ok(sp) = self.saml_sp(t, &pending.sp).await else {
            return expired();
        };
        match self.saml_response(t, &sp, &pending, current).await {
            Ok(form) => SsoStep::Post(form),
            Err(e) => SsoStep::Error(format!("Signing in is unavailable: {e}")),
        }
    }

    async fn saml_response(
        &self,
        t: &TenantCtx,
        sp: &ServiceProviderView,
        pending: &PendingSso,
        current: &crate::sessions::CurrentSession,
    ) -> Result<PostForm, crate::admin::AdminError> {
        let now = self.now();
        let user = &current.user;
        let subject = match pending.name_id_format.as_str() {
            name_id::EMAIL => match &user.email {
                Some(email) => email.clone(),
                None => {
                    return Ok(self.saml_error(
                        t,
                        &pending.acs,
                        pending.request_id.as_deref(),
                        status::INVALID_NAME_ID_POLICY,
                        pending.relay_state.clone(),
                    ));
                }
            },
            name_id::TRANSIENT => format!("_{}", random::identifier()),
            _ => {
                self.saml_pairwise_id(t, &sp.sp.metadata.entity_id, user)
                    .await?
            }
        };
        let attributes = self.saml_attributes(t, sp, user).await?;
        let (key, der) = self.saml_signer_for(t, sp, now).await?;
        let issuer = t.url(METADATA_PATH);
        let auth = &current.session.auth;
        let assertion = Assertion {
            issuer: &issuer,
            destination: &pending.acs,
            in_response_to: pending.request_id.as_deref(),
            audience: &sp.sp.metadata.entity_id,
            name_id: (&subject, &pending.name_id_format),
            session_index: current.session.id.as_str(),
            authn_instant: auth.auth_time.0,
            authn_context: if auth.acr == ACR_PASSWORD {
                AC_PASSWORD
            } else {
                AC_UNSPECIFIED
            },
            attributes: &attributes,
            now: now.0,
            encrypt_to: sp
                .sp
                .metadata
                .encryption_certificates
                .first()
                .map(String::as_str)
                .filter(|_| sp.sp.encrypt_assertions),
        };
        let xml = signed_response(&assertion, &key, &der)
            .map_err(|e| crate::admin::invalid("keys", e.to_string()))?;
        let participant = super::initiated::Participant {
            sp: sp.name.clone(),
            name_id: subject.clone(),
            format: pending.name_id_format.clone(),
        };
        self.remember_saml_participant(
            t,
            &current.session.id,
            current.session.expires_at,
            participant,
        )
        .await?;
        let event = AuditEvent::new(&t.id, now, AuditKind::SamlAssertionIssued, format!("user:{}", user.id))
            .user(&user.id)
            .details(json!({"sp": sp.name, "entity_id": sp.sp.metadata.entity_id, "name_id_format": pending.name_id_format}));
        self.audit.record(event);
        Ok(PostForm {
            action: pending.acs.clone(),
            parameter: "SAMLResponse".into(),
            value: b64_encode(xml.as_bytes()),
            relay_state: pending.relay_state.clone(),
        })
    }

    async fn current_session_id(&self, t: &TenantCtx, browser: &Browser) -> Option<SessionId> {
        self.current_session(t, browser)
            .await
            .ok()
            .flatten()
            .map(|c| c.session.id)
    }

    /// An error response for the SP at `acs`.
    fn saml_error(
        &self,
        t: &TenantCtx,
        acs: &str,
        in_response_to: Option<&str>,
        code: &str,
        relay_state: Option<String>,
    ) -> PostForm {
        let xml = error_response(
            &t.url(METADATA_PATH),
            acs,
            in_response_to,
            code,
            self.now().0,
        );
        PostForm {
            action: acs.to_owned(),
            parameter: "SAMLResponse".into(),
            value: b64_encode(xml.as_bytes()),
            relay_state,
        }
    }

    /// The attributes `sp` gets about `user`, by its mapping.
    async fn saml_attributes(
        &self,
        t: &TenantCtx,
        sp: &ServiceProviderView,
        user: &User,
    ) -> Result<Vec<(String, Vec<String>)>, crate::admin::AdminError> {
        let needs_groups = sp.sp.attribute_map.values().any(|f| f == "groups");
        let groups: Vec<String> = if needs_groups {
            self.store
                .list_user_groups(&t.id, &user.id)
                .await?
                .into_iter()
                .map(|g| g.name)
                .collect()
        } else {
            Vec::new()
        };
        let mut out = Vec::new();
        for (attribute, field) in &sp.sp.attribute_map {
            let values: Vec<String> = match field.as_str() {
                "email" => user.email.iter().cloned().collect(),
                "name" => user.name.iter().cloned().collect(),
                "username" => vec![user.username.clone()],
                "sub" => vec![user.id.to_string()],
                "groups" => groups.clone(),
                _ => Vec::new(),
            };
            if !values.is_empty() {
                out.push((attribute.clone(), values));
            }
        }
        Ok(out)
    }

    /// A persistent NameID for `user` at the SP `entity_id`: stable for that SP, unlinkable
    /// across SPs (a digest under the tenant's secret salt).
    pub(super) async fn saml_pairwise_id(
        &self,
        t: &TenantCtx,
        entity_id: &str,
        user: &User,
    ) -> Result<String, crate::admin::AdminError> {
        const KIND: &str = "saml_pairwise_salt";
        let context = format!("sigil saml pairwise salt:{}", t.id).into_bytes();
        let stored = self.store.list_vc_definitions(&t.id, KIND).await?;
        let salt = match stored
            .first()
            .and_then(|d| d.definition.get("sealed")?.as_str().and_then(b64_decode))
        {
            Some(sealed) => self
                .kek
                .open(&context, &sealed)
                .map_err(|e| crate::admin::invalid("keys", e.to_string()))?
                .to_vec(),
            None => {
                let salt = random::bytes::<32>().to_vec();
                let now = self.now();
                let definition = VcDefinition {
                    tenant: t.id.clone(),
                    kind: KIND.into(),
                    id: "salt".into(),
                    definition: json!({"sealed": b64_encode(self.kek.seal(&context, &salt))}),
                    created_at: now,
                    updated_at: now,
                };
                let audit = AuditEvent::new(&t.id, now, AuditKind::VcDefinitionSaved, "system")
                    .details(json!({"kind": KIND}));
                self.store.put_vc_definition(&definition, &audit).await?;
                salt
            }
        };
        let mut input = salt;
        input.extend_from_slice(format!(":{entity_id}:{}", user.id).as_bytes());
        Ok(Digest32::of(&input).to_b64url())
    }
}
