//! A sign-in through an external provider, from the redirect to a Sigil session: the pending
//! sign-in is stored under a digest of its `state` and bound to the browser that started it;
//! the answer is accepted once, from that browser, with the issuer RFC 9207 names; the ID
//! token is validated in full; then the person's account is found by their link, created, or
//! (when an account with their verified address exists) linked once they prove it is theirs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sigil_core::model::{Artifact, ArtifactKind, AuditEvent, AuditKind};
use sigil_core::{Digest32, random};

use super::callback_path;
use super::upstream::{Expected, UpstreamError, s256};
use crate::provider::{Provider, TenantCtx};
use crate::sessions::{Browser, SignedIn};

/// How long a sign-in at a provider may take, seconds.
const LOGIN_TTL: u64 = 600;

/// A sign-in sent to a provider.
#[derive(Debug, Serialize, Deserialize)]
struct PendingLogin {
    provider: String,
    issuer: String,
    nonce: String,
    verifier: String,
    return_to: String,
    browser: Digest32,
}

/// The provider's answer, as it reached the callback.
#[derive(Debug, Default, Clone)]
pub struct Callback {
    /// `state`.
    pub state: String,
    /// `code`, on success.
    pub code: Option<String>,
    /// `error`, on failure.
    pub error: Option<String>,
    /// RFC 9207 `iss`.
    pub iss: Option<String>,
}

/// How a federated sign-in ended.
#[derive(Debug)]
pub enum FederatedSignIn {
    /// Signed in; go on to `return_to`.
    SignedIn {
        /// The new session.
        signed: Box<SignedIn>,
        /// Where the sign-in was started from.
        return_to: String,
    },
    /// An account with the person's verified address exists: its owner must sign in to it
    /// once to link it (the `handle` of the pending link, and the account's username).
    LinkRequired {
        /// Names the pending link in the form that completes it.
        handle: String,
        /// The account to sign in to.
        username: String,
        /// Where the sign-in was started from.
        return_to: String,
    },
}

/// Why a federated sign-in was refused; `message` is for the person, `reason` for the audit
/// trail and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationRefusal {
    /// What to tell the person.
    pub message: String,
    /// Why, for operators.
    pub reason: String,
    /// Where the sign-in was started from, when known.
    pub return_to: Option<String>,
}

impl FederationRefusal {
    pub(super) fn new(message: &str, reason: impl Into<String>) -> Self {
        Self {
            message: message.to_owned(),
            reason: reason.into(),
            return_to: None,
        }
    }
}

pub(super) const UNAVAILABLE: &str =
    "Signing in with this provider is not possible right now. Try again later.";
pub(super) const EXPIRED: &str = "This sign-in has expired or was already used. Start again.";

pub(super) fn browser_digest(browser: &Browser) -> Digest32 {
    Digest32::of(format!("federated sign-in:{}", browser.browser_id))
}

pub(super) fn store_error<E: std::fmt::Display>(e: E) -> FederationRefusal {
    FederationRefusal::new(UNAVAILABLE, e.to_string())
}

fn upstream_refusal(e: UpstreamError) -> FederationRefusal {
    match e {
        UpstreamError::Unreachable(_) => FederationRefusal::new(UNAVAILABLE, e.to_string()),
        UpstreamError::Refused(why) => FederationRefusal::new(
            "The identity provider's answer could not be accepted. Start again.",
            why,
        ),
    }
}

/// A claim's text, if it is text.
pub(super) fn text_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

impl Provider {
    /// Starts a sign-in at the provider `name`: the URL to send the browser to.
    pub async fn start_federated_sign_in(
        &self,
        t: &TenantCtx,
        name: &str,
        return_to: &str,
        login_hint: Option<&str>,
        browser: &Browser,
    ) -> Result<String, FederationRefusal> {
        let (_, provider) = self
            .stored_identity_provider(&t.id, name)
            .await
            .map_err(store_error)?
            .ok_or_else(|| {
                FederationRefusal::new("There is no such identity provider.", "unknown provider")
            })?;
        if let Some(settings) = &provider.saml {
            return self
                .start_saml_sign_in(t, name, settings, return_to, browser)
                .await;
        }
        let metadata = self
            .upstream_metadata(&provider.issuer)
            .await
            .map_err(upstream_refusal)?;
        let state = random::secret_token();
        let pending = PendingLogin {
            provider: name.to_owned(),
            issuer: provider.issuer.clone(),
            nonce: random::secret_token(),
            verifier: random::secret_token(),
            return_to: return_to.to_owned(),
            browser: browser_digest(browser),
        };
        let now = self.now();
        let mut url = url::Url::parse(&metadata.authorization_endpoint)
            .map_err(|e| FederationRefusal::new(UNAVAILABLE, e.to_string()))?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &provider.client_id)
                .append_pair("redirect_uri", &t.url(&callback_path(name)))
                .append_pair("scope", &provider.scopes.join(" "))
                .append_pair("state", &state)
                .append_pair("nonce", &pending.nonce)
                .append_pair("code_challenge", &s256(&pending.verifier))
                .append_pair("code_challenge_method", "S256");
            if let Some(hint) = login_hint.filter(|h| !h.is_empty()) {
                query.append_pair("login_hint", hint);
            }
        }
        let artifact = Artifact {
            tenant: t.id.clone(),
            kind: ArtifactKind::FederatedLogin,
            key: Digest32::of(&state),
            payload: serde_json::to_value(&pending).map_err(store_error)?,
            expires_at: now.plus(std::time::Duration::from_secs(LOGIN_TTL)),
            consumed_at: None,
        };
        self.store
            .put_artifact(&artifact, now)
            .await
            .map_err(store_error)?;
        Ok(url.into())
    }

    /// Finishes a sign-in at the provider `name` with its answer.
    pub async fn finish_federated_sign_in(
        &self,
        t: &TenantCtx,
        name: &str,
        answer: Callback,
        browser: &Browser,
    ) -> Result<FederatedSignIn, FederationRefusal> {
        let outcome = self.federated_answer(t, name, answer, browser).await;
        if let Err(refusal) = &outcome {
            self.record_federation_refusal(t, name, browser, refusal);
        }
        outcome
    }

    /// Logs, counts and audits a refused federated sign-in.
    pub(super) fn record_federation_refusal(
        &self,
        t: &TenantCtx,
        name: &str,
        browser: &Browser,
        refusal: &FederationRefusal,
    ) {
        tracing::info!(provider = name, reason = %refusal.reason, "federated sign-in refused");
        metrics::counter!("sigil_sign_ins_total", "outcome" => "federation_refused").increment(1);
        let event = AuditEvent::new(
            &t.id,
            self.now(),
            AuditKind::FederatedSignInFailed,
            "anonymous",
        )
        .failure()
        .ip(browser.ip.clone())
        .details(json!({"provider": name, "reason": refusal.reason}));
        self.audit.record(event);
    }

    async fn federated_answer(
        &self,
        t: &TenantCtx,
        name: &str,
        answer: Callback,
        browser: &Browser,
    ) -> Result<FederatedSignIn, FederationRefusal> {
        let now = self.now();
        let artifact = self
            .store
            .consume_artifact(
                &t.id,
                ArtifactKind::FederatedLogin,
                &Digest32::of(&answer.state),
                now,
            )
            .await
            .map_err(store_error)?
            .ok_or_else(|| FederationRefusal::new(EXPIRED, "unknown, expired or replayed state"))?;
        let pending: PendingLogin =
            serde_json::from_value(artifact.payload).map_err(store_error)?;
        let with_return = |mut r: FederationRefusal| {
            r.return_to = Some(pending.return_to.clone());
            r
        };
        if pending.browser != browser_digest(browser) || pending.provider != name {
            return Err(with_return(FederationRefusal::new(
                EXPIRED,
                "the answer reached another browser or provider than the one that started it",
            )));
        }
        if let Some(error) = answer.error {
            let error: String = error.chars().take(64).collect();
            return Err(with_return(FederationRefusal::new(
                "The identity provider did not sign you in.",
                format!("the provider answered {error}"),
            )));
        }
        let provider = self
            .stored_identity_provider(&t.id, name)
            .await
            .map_err(store_error)?
            .map(|(_, p)| p)
            .filter(|p| p.issuer == pending.issuer)
            .ok_or_else(|| with_return(FederationRefusal::new(EXPIRED, "the provider changed")))?;
        let metadata = self
            .upstream_metadata(&provider.issuer)
            .await
            .map_err(|e| with_return(upstream_refusal(e)))?;
        // RFC 9207 §2.4: a present `iss` must be the issuer; an absent one is refused when the
        // provider said it always sends it (a mix-up).
        let iss_ok = match &answer.iss {
            Some(iss) => *iss == provider.issuer,
            None => !metadata.authorization_response_iss_parameter_supported,
        };
        let code = answer.code.filter(|_| iss_ok).ok_or_else(|| {
            with_return(FederationRefusal::new(
                "The identity provider's answer could not be accepted. Start again.",
                "no code, or the response's iss is not the provider's",
            ))
        })?;
        let secret = self
            .identity_provider_secret(&t.id, name, &provider)
            .map_err(store_error)?;
        let tokens = self
            .redeem_upstream_code(
                &metadata,
                (&provider.client_id, secret.as_deref()),
                &code,
                &t.url(&callback_path(name)),
                &pending.verifier,
            )
            .await
            .map_err(|e| with_return(upstream_refusal(e)))?;
        let id_token = tokens
            .get("id_token")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                with_return(FederationRefusal::new(
                    UNAVAILABLE,
                    "no id_token in the token response",
                ))
            })?;
        let expected = Expected {
            issuer: &provider.issuer,
            client_id: &provider.client_id,
            nonce: &pending.nonce,
            now: now.0,
            authenticated_after: None,
        };
        let verified = self
            .verify_upstream_id_token(&metadata, id_token, &expected)
            .await
            .map_err(|e| with_return(upstream_refusal(e)))?;
        let mut claims = match tokens.get("access_token").and_then(Value::as_str) {
            Some(access) => self
                .upstream_userinfo(&metadata, access, &verified.sub)
                .await
                .map_err(|e| with_return(upstream_refusal(e)))?,
            None => Map::new(),
        };
        // What the ID token says wins over UserInfo.
        claims.extend(verified.claims);
        let outcome = self
            .federated_account(
                t,
                name,
                &provider,
                &verified.sub,
                claims,
                pending.return_to,
                browser,
            )
            .await?;
        if let FederatedSignIn::SignedIn { signed, .. } = &outcome {
            let session = &signed.session;
            self.remember_federated_session(t, &session.id, session.expires_at, name, id_token)
                .await
                .map_err(store_error)?;
        }
        Ok(outcome)
    }
}
