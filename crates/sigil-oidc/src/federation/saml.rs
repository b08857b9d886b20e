//! Sign-in through an external SAML identity provider, Sigil being its service provider: an
//! AuthnRequest over HTTP-Redirect with its query string signed by the tenant's RS256 key,
//! remembered under a digest of its `RelayState` and bound to the browser; the IdP's response
//! posted to `/saml/sp/{name}/acs` and checked in full ([`sigil_saml::consume`]), its
//! assertion ID kept until the assertion expires so it is accepted once; then, because that
//! cross-site post carries none of the browser's `SameSite=Lax` cookies, the checked answer
//! waits under a fresh handle for the browser to come back to `/saml/sp/{name}/acs/continue`,
//! where it must be the browser that started the sign-in. From there on it is the same as an
//! OpenID sign-in ([`super::accounts`]): the NameID is the external subject and the
//! attributes are the claims the provider's mapping reads. The session remembers the NameID
//! and the IdP's session index, so that signing out of Sigil sends a signed LogoutRequest to
//! the IdP's single logout service ([`super::logout`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sigil_core::model::ArtifactKind;
use sigil_core::{Digest32, UnixTime, random};
use sigil_saml::consume::{Expected, SKEW, consume_response};
use sigil_saml::logout::{SamlSubject, logout_request, parse_logout_response};
use sigil_saml::request::{decode_post, decode_redirect, verify_redirect_signature};

use crate::saml::binding::signed;
use sigil_saml::response::signed_redirect;
use sigil_saml::sp::{IdpDescriptor, SpMetadataDocument, authn_request, parse_idp_metadata};
use sigil_saml::verify::Trust;

use super::sign_in::{
    EXPIRED, FederatedSignIn, FederationRefusal, UNAVAILABLE, browser_digest, store_error,
};
use crate::admin::{AdminError, invalid};
use crate::provider::{Provider, TenantCtx};
use crate::sessions::Browser;

/// How long a sign-in at a SAML provider may take, seconds.
const LOGIN_TTL: u64 = 600;
/// How long a checked answer waits for the browser, seconds.
const ANSWER_TTL: u64 = 120;

/// A SAML identity provider's metadata and how far it is trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlSettings {
    /// What its metadata says.
    pub idp: IdpDescriptor,
    /// Whether its SHA-1 signatures and RSA keys under 2048 bits are accepted (each use is
    /// logged); off unless an administrator turns it on for this one partner.
    #[serde(default)]
    pub allow_legacy_algorithms: bool,
}

impl SamlSettings {
    /// The settings for the IdP that `metadata` (XML) describes.
    pub fn from_metadata(
        metadata: &str,
        allow_legacy_algorithms: bool,
    ) -> Result<Self, AdminError> {
        let idp = parse_idp_metadata(metadata).map_err(|e| invalid("metadata", e.to_string()))?;
        Ok(Self {
            idp,
            allow_legacy_algorithms,
        })
    }

    /// The certificates (and algorithms) its messages must be signed with.
    pub(super) fn trust(&self) -> Trust<'_> {
        Trust {
            certificates: &self.idp.certificates,
            allow_legacy: self.allow_legacy_algorithms,
        }
    }

    /// Checks the settings of the provider whose identifier is `issuer`.
    pub(super) fn check(&self, issuer: &str) -> Result<(), AdminError> {
        if issuer != self.idp.entity_id {
            return Err(invalid(
                "issuer",
                "a SAML provider's identifier is its entity id",
            ));
        }
        if self.idp.certificates.is_empty() {
            return Err(invalid(
                "metadata",
                "the IdP's metadata has no signing certificate",
            ));
        }
        Ok(())
    }
}

/// The path of Sigil's SP metadata for the provider `name`, which is also Sigil's entity id
/// there.
pub fn sp_metadata_path(name: &str) -> String {
    format!("/saml/sp/{name}/metadata")
}

/// The path of Sigil's assertion consumer service for the provider `name`.
pub fn acs_path(name: &str) -> String {
    format!("/saml/sp/{name}/acs")
}

/// The path of Sigil's single logout service for the provider `name` (its answers to Sigil's
/// logout requests).
pub fn sp_slo_path(name: &str) -> String {
    format!("/saml/sp/{name}/slo")
}

/// The path where the browser picks up a checked answer (`?answer=…`).
pub fn acs_continue_path(name: &str) -> String {
    format!("/saml/sp/{name}/acs/continue")
}

/// An AuthnRequest sent to a SAML provider.
#[derive(Debug, Serialize, Deserialize)]
struct PendingSamlLogin {
    provider: String,
    entity_id: String,
    request_id: String,
    return_to: String,
    browser: Digest32,
}

/// A checked answer waiting for the browser.
#[derive(Debug, Serialize, Deserialize)]
struct SamlAnswer {
    provider: String,
    entity_id: String,
    subject: SamlSubject,
    claims: Map<String, Value>,
    return_to: String,
    browser: Digest32,
}

/// Attributes as claims: one value as a string, several as an array.
fn attribute_claims(attributes: Vec<(String, Vec<String>)>) -> Map<String, Value> {
    attributes
        .into_iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(name, mut values)| {
            let value = if values.len() == 1 {
                Value::String(values.remove(0))
            } else {
                Value::from(values)
            };
            (name, value)
        })
        .collect()
}

impl Provider {
    /// Sigil's SP metadata for the SAML provider `name`.
    pub async fn saml_sp_metadata(&self, t: &TenantCtx, name: &str) -> Result<String, AdminError> {
        let (_, provider) = self
            .stored_identity_provider(&t.id, name)
            .await?
            .filter(|(_, p)| p.saml.is_some())
            .ok_or(AdminError::NotFound("SAML identity provider"))?;
        let (_, der) = self.saml_signer(t, self.now()).await?;
        let entity_id = t.url(&sp_metadata_path(name));
        let acs_url = t.url(&acs_path(name));
        let slo_url = t.url(&sp_slo_path(name));
        tracing::debug!(provider = name, idp = %provider.issuer, "SP metadata served");
        Ok(SpMetadataDocument {
            entity_id: &entity_id,
            acs_url: &acs_url,
            slo_url: &slo_url,
            certificates: &[der],
        }
        .to_xml())
    }

    /// The private halves of the keys assertions may be encrypted to: the tenant's RSA keys,
    /// the current one (whose certificate Sigil's SP metadata publishes for encryption too)
    /// first, then those it replaced, for IdPs that have not read the new metadata yet.
    async fn saml_decryption_keys(
        &self,
        t: &TenantCtx,
    ) -> Vec<aws_lc_rs::rsa::PrivateDecryptingKey> {
        let Ok(ring) = self.keyring(&t.id).await else {
            return Vec::new();
        };
        ring.keys_of(sigil_core::model::SigningAlg::RS256)
            .iter()
            .filter_map(|key| key.pkcs8_der().ok())
            .filter_map(|pkcs8| aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(&pkcs8).ok())
            .collect()
    }

    /// Starts a sign-in at a SAML provider: the URL of the signed AuthnRequest.
    pub(super) async fn start_saml_sign_in(
        &self,
        t: &TenantCtx,
        name: &str,
        settings: &SamlSettings,
        return_to: &str,
        browser: &Browser,
    ) -> Result<String, FederationRefusal> {
        let now = self.now();
        let (key, _) = self.saml_signer(t, now).await.map_err(store_error)?;
        let relay_state = random::secret_token();
        let pending = PendingSamlLogin {
            provider: name.to_owned(),
            entity_id: settings.idp.entity_id.clone(),
            request_id: format!("_{}", random::identifier()),
            return_to: return_to.to_owned(),
            browser: browser_digest(browser),
        };
        let xml = authn_request(
            &pending.request_id,
            &t.url(&sp_metadata_path(name)),
            &settings.idp.sso_url,
            &t.url(&acs_path(name)),
            now.0,
        );
        let url = signed_redirect(
            &settings.idp.sso_url,
            "SAMLRequest",
            &xml,
            Some(&relay_state),
            &key,
        )
        .map_err(store_error)?;
        self.put_saml_artifact(
            t,
            ArtifactKind::SamlLogin,
            &relay_state,
            &pending,
            LOGIN_TTL,
        )
        .await?;
        Ok(url)
    }

    async fn put_saml_artifact<T: Serialize>(
        &self,
        t: &TenantCtx,
        kind: ArtifactKind,
        handle: &str,
        payload: &T,
        ttl: u64,
    ) -> Result<bool, FederationRefusal> {
        self.put_handle(t, kind, handle, payload, ttl)
            .await
            .map_err(store_error)
    }

    /// Checks what a SAML provider posted to `/saml/sp/{name}/acs`: the handle under which
    /// the answer waits for the browser.
    pub async fn receive_saml_response(
        &self,
        t: &TenantCtx,
        name: &str,
        saml_response: &str,
        relay_state: &str,
        browser: &Browser,
    ) -> Result<String, FederationRefusal> {
        let outcome = self
            .checked_saml_answer(t, name, saml_response, relay_state)
            .await;
        if let Err(refusal) = &outcome {
            self.record_federation_refusal(t, name, browser, refusal);
        }
        outcome
    }

    async fn checked_saml_answer(
        &self,
        t: &TenantCtx,
        name: &str,
        saml_response: &str,
        relay_state: &str,
    ) -> Result<String, FederationRefusal> {
        let now = self.now();
        let artifact = self
            .store
            .consume_artifact(
                &t.id,
                ArtifactKind::SamlLogin,
                &Digest32::of(relay_state),
                now,
            )
            .await
            .map_err(store_error)?
            .ok_or_else(|| {
                FederationRefusal::new(EXPIRED, "unknown, expired or replayed RelayState")
            })?;
        let pending: PendingSamlLogin =
            serde_json::from_value(artifact.payload).map_err(store_error)?;
        let with_return = |mut r: FederationRefusal| {
            r.return_to = Some(pending.return_to.clone());
            r
        };
        let settings = self
            .stored_identity_provider(&t.id, name)
            .await
            .map_err(store_error)?
            .and_then(|(_, p)| p.saml)
            .filter(|s| pending.provider == name && s.idp.entity_id == pending.entity_id)
            .ok_or_else(|| {
                with_return(FederationRefusal::new(
                    EXPIRED,
                    "the answer reached another provider than the one asked, or it changed",
                ))
            })?;
        let xml = decode_post(saml_response)
            .map_err(|e| with_return(FederationRefusal::new(UNAVAILABLE, e.to_string())))?;
        let sp_entity_id = t.url(&sp_metadata_path(name));
        let acs_url = t.url(&acs_path(name));
        let decryption_keys = self.saml_decryption_keys(t).await;
        let expected = Expected {
            request_id: &pending.request_id,
            sp_entity_id: &sp_entity_id,
            acs_url: &acs_url,
            idp_entity_id: &settings.idp.entity_id,
            trust: settings.trust(),
            decryption_keys: &decryption_keys,
            now: now.0,
        };
        let assertion = consume_response(&xml, &expected).map_err(|e| {
            with_return(FederationRefusal::new(
                "The identity provider's answer could not be accepted. Start again.",
                e.to_string(),
            ))
        })?;
        if assertion.legacy_algorithm {
            tracing::warn!(
                provider = name,
                "accepted a SHA-1 signature (allowed for this provider)"
            );
        }
        if assertion.name_id_format.as_deref() == Some(sigil_saml::name_id::TRANSIENT) {
            return Err(with_return(FederationRefusal::new(
                "The identity provider did not say who you are in a way Sigil can remember.",
                "a transient NameID cannot be linked to an account",
            )));
        }
        let replay_key = format!("{}\n{}", settings.idp.entity_id, assertion.id);
        let remember = (assertion.not_on_or_after + SKEW - now.0).max(1) as u64;
        let first_use = self
            .put_saml_artifact(t, ArtifactKind::SamlAssertionId, &replay_key, &(), remember)
            .await
            .map_err(with_return)?;
        if !first_use {
            return Err(with_return(FederationRefusal::new(
                EXPIRED,
                "the assertion was already used (replay)",
            )));
        }
        let handle = random::secret_token();
        let answer = SamlAnswer {
            provider: name.to_owned(),
            entity_id: settings.idp.entity_id.clone(),
            subject: SamlSubject {
                name_id: assertion.name_id,
                format: assertion.name_id_format,
                session_index: assertion.session_index,
            },
            claims: attribute_claims(assertion.attributes),
            return_to: pending.return_to.clone(),
            browser: pending.browser,
        };
        self.put_saml_artifact(t, ArtifactKind::SamlAnswer, &handle, &answer, ANSWER_TTL)
            .await
            .map_err(with_return)?;
        Ok(handle)
    }

    /// Finishes a SAML sign-in once the browser that started it comes back with `handle`.
    pub async fn finish_saml_sign_in(
        &self,
        t: &TenantCtx,
        name: &str,
        handle: &str,
        browser: &Browser,
    ) -> Result<FederatedSignIn, FederationRefusal> {
        let outcome = self.saml_sign_in(t, name, handle, browser).await;
        if let Err(refusal) = &outcome {
            self.record_federation_refusal(t, name, browser, refusal);
        }
        outcome
    }

    async fn saml_sign_in(
        &self,
        t: &TenantCtx,
        name: &str,
        handle: &str,
        browser: &Browser,
    ) -> Result<FederatedSignIn, FederationRefusal> {
        let now: UnixTime = self.now();
        let artifact = self
            .store
            .consume_artifact(&t.id, ArtifactKind::SamlAnswer, &Digest32::of(handle), now)
            .await
            .map_err(store_error)?
            .ok_or_else(|| FederationRefusal::new(EXPIRED, "unknown, expired or used answer"))?;
        let answer: SamlAnswer = serde_json::from_value(artifact.payload).map_err(store_error)?;
        let refuse = |reason: &str| {
            let mut r = FederationRefusal::new(EXPIRED, reason);
            r.return_to = Some(answer.return_to.clone());
            r
        };
        if answer.browser != browser_digest(browser) || answer.provider != name {
            return Err(refuse(
                "the answer reached another browser or provider than the one that started it",
            ));
        }
        let provider = self
            .stored_identity_provider(&t.id, name)
            .await
            .map_err(store_error)?
            .map(|(_, p)| p)
            .filter(|p| p.saml.is_some() && p.issuer == answer.entity_id)
            .ok_or_else(|| refuse("the provider changed"))?;
        let outcome = self
            .federated_account(
                t,
                name,
                &provider,
                &answer.subject.name_id,
                answer.claims,
                answer.return_to,
                browser,
            )
            .await?;
        if let FederatedSignIn::SignedIn { signed, .. } = &outcome {
            let session = &signed.session;
            let hint = serde_json::to_string(&answer.subject).map_err(store_error)?;
            self.remember_federated_session(t, &session.id, session.expires_at, name, &hint)
                .await
                .map_err(store_error)?;
        }
        Ok(outcome)
    }

    /// A signed LogoutRequest for `subject` to the IdP's single logout service, carrying
    /// `relay_state`: its URL and its ID. `None` when the IdP has no logout service.
    pub(super) async fn saml_logout_request(
        &self,
        t: &TenantCtx,
        name: &str,
        settings: &SamlSettings,
        subject: &SamlSubject,
        relay_state: &str,
    ) -> Option<(String, String)> {
        let slo_url = settings.idp.slo_url.as_deref()?;
        let now = self.now();
        let (key, _) = self.saml_signer(t, now).await.ok()?;
        let id = format!("_{}", random::identifier());
        let xml = logout_request(
            &id,
            &t.url(&sp_metadata_path(name)),
            slo_url,
            subject,
            now.0,
        )
        .to_canonical();
        let url = signed_redirect(slo_url, "SAMLRequest", &xml, Some(relay_state), &key).ok()?;
        Some((url, id))
    }

    /// Checks the IdP's LogoutResponse: its status, or why it is not believed.
    pub(super) async fn saml_logout_outcome(
        &self,
        t: &TenantCtx,
        name: &str,
        raw_query: &str,
        saml_response: &str,
        request_id: Option<&str>,
    ) -> Result<String, String> {
        let settings = self
            .stored_identity_provider(&t.id, name)
            .await
            .map_err(|e| e.to_string())?
            .and_then(|(_, p)| p.saml)
            .ok_or("no such SAML provider")?;
        let verified = verify_redirect_signature(raw_query, settings.trust());
        if !signed(verified.map_err(|e| e.to_string())?.as_ref(), name) {
            return Err("the LogoutResponse is not signed".into());
        }
        let xml = decode_redirect(saml_response).map_err(|e| e.to_string())?;
        let outcome = parse_logout_response(&xml).map_err(|e| e.to_string())?;
        if outcome.in_response_to.as_deref() != request_id
            || outcome
                .issuer
                .as_deref()
                .is_some_and(|i| i != settings.idp.entity_id)
        {
            return Err(
                "the LogoutResponse answers another request or comes from elsewhere".into(),
            );
        }
        Ok(outcome.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_is_a_string_several_an_array_none_nothing() {
        let claims = attribute_claims(vec![
            ("mail".into(), vec!["a@b.example".into()]),
            ("groups".into(), vec!["x".into(), "y".into()]),
            ("empty".into(), vec![]),
        ]);
        assert_eq!(claims["mail"], "a@b.example");
        assert_eq!(claims["groups"], serde_json::json!(["x", "y"]));
        assert!(!claims.contains_key("empty"));
    }
}
