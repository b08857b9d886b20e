//! The response endpoint (OpenID4VP 1.0 §8.2): the wallet posts its `vp_token` (or, for
//! `direct_post.jwt`, a JWE of it) with the request's `state`. Sigil verifies every
//! presentation, records the outcome in place of the request, and audits it; the wallet hears
//! only whether the response was taken.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Map, Value, json};
use sigil_core::model::{Artifact, ArtifactKind, AuditEvent, AuditKind};
use sigil_core::{Digest32, b64url_decode};
use sigil_vc::dcql::DcqlQuery;
use sigil_vc::verifier::{PresentationCheck, ResponseMode, VerifierConfig};

use super::{PendingRequest, PresentationOutcome, seal_context};
use crate::error::OAuthError;
use crate::params::Params;
use crate::provider::{Provider, TenantCtx};

/// Why a response was not taken (HTTP 400 `invalid_request`).
#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    /// Malformed, or for no pending request.
    #[error("{0}")]
    Invalid(String),
    /// The server failed.
    #[error(transparent)]
    Server(#[from] OAuthError),
}

impl From<sigil_store::StoreError> for ResponseError {
    fn from(e: sigil_store::StoreError) -> Self {
        ResponseError::Server(e.into())
    }
}

fn invalid(why: impl Into<String>) -> ResponseError {
    ResponseError::Invalid(why.into())
}

/// The form fields of a response, decrypted when it came as a JWE.
struct Answer {
    state: String,
    vp_token: Value,
}

impl Provider {
    /// Takes a wallet's response: finds its request by `state`, verifies it and records the
    /// outcome. An error only when the response cannot be taken at all.
    pub async fn presentation_response(
        &self,
        t: &TenantCtx,
        form: &Params,
    ) -> Result<PresentationOutcome, ResponseError> {
        let (answer, pending) = self.read_answer(t, form).await?;
        let verifier = self
            .verifier(t, &pending.verifier)
            .await?
            .ok_or_else(|| invalid("the verifier of this request no longer exists"))?;
        let outcome = match self
            .verify_answer(t, &verifier, &pending, &answer.vp_token)
            .await
        {
            Ok(claims) => PresentationOutcome {
                status: "verified".into(),
                verifier: verifier.id.clone(),
                claims,
                reason: None,
                browser: pending.browser.clone(),
            },
            Err(reason) => PresentationOutcome {
                status: "rejected".into(),
                verifier: verifier.id.clone(),
                claims: Map::new(),
                reason: Some(reason),
                browser: pending.browser.clone(),
            },
        };
        self.record_outcome(t, &answer.state, &outcome).await?;
        Ok(outcome)
    }

    async fn read_answer(
        &self,
        t: &TenantCtx,
        form: &Params,
    ) -> Result<(Answer, PendingRequest), ResponseError> {
        if let Some(jwe) = form.get("response") {
            return self.read_encrypted_answer(t, jwe).await;
        }
        let state = form
            .get("state")
            .ok_or_else(|| invalid("state is required"))?;
        let pending = self
            .pending_request(t, state)
            .await?
            .ok_or_else(|| invalid("no pending request has this state"))?;
        if pending.response_mode != ResponseMode::DirectPost {
            return Err(invalid("this request expects an encrypted response"));
        }
        let vp_token = form
            .get("vp_token")
            .ok_or_else(|| invalid("vp_token is required"))?;
        let vp_token = serde_json::from_str(vp_token)
            .map_err(|_| invalid("vp_token must be a JSON object"))?;
        Ok((
            Answer {
                state: state.to_owned(),
                vp_token,
            },
            pending,
        ))
    }

    /// A `direct_post.jwt` response: the JWE's `kid` names the request (the key was made for
    /// it), whose key decrypts it; the `state` inside must agree.
    async fn read_encrypted_answer(
        &self,
        t: &TenantCtx,
        jwe: &str,
    ) -> Result<(Answer, PendingRequest), ResponseError> {
        let header: Value = jwe
            .split('.')
            .next()
            .and_then(b64url_decode)
            .and_then(|h| serde_json::from_slice(&h).ok())
            .ok_or_else(|| invalid("response is not a compact JWE"))?;
        let id = header
            .get("kid")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("the JWE names no kid"))?;
        let pending = self
            .pending_request(t, id)
            .await?
            .ok_or_else(|| invalid("no pending request has this key"))?;
        let sealed = pending
            .decryption_key
            .as_deref()
            .and_then(b64url_decode)
            .ok_or_else(|| invalid("this request expects a plain direct_post response"))?;
        let scalar = self
            .kek
            .open(&seal_context(t, id), &sealed)
            .map_err(|_| invalid("the request's key is unreadable"))?;
        let (_, plain) = sigil_keys::jwe::decrypt_ecdh_es(jwe, &scalar)
            .map_err(|e| invalid(format!("the response does not decrypt: {e}")))?;
        let body: Map<String, Value> = serde_json::from_slice(&plain)
            .map_err(|_| invalid("the decrypted response is not JSON"))?;
        if body.get("state").and_then(Value::as_str) != Some(id) {
            return Err(invalid("the response's state is not its request's"));
        }
        let vp_token = body
            .get("vp_token")
            .cloned()
            .ok_or_else(|| invalid("vp_token is required"))?;
        Ok((
            Answer {
                state: id.to_owned(),
                vp_token,
            },
            pending,
        ))
    }

    /// Verifies every presentation against the verifier's query; the claims asked for, per
    /// credential query id, or why the response fails.
    async fn verify_answer(
        &self,
        t: &TenantCtx,
        verifier: &VerifierConfig,
        pending: &PendingRequest,
        vp_token: &Value,
    ) -> Result<Map<String, Value>, String> {
        let token = vp_token
            .as_object()
            .ok_or("vp_token must be a JSON object")?;
        let query: &DcqlQuery = &verifier.request_query();
        let now = self.now();
        let check = PresentationCheck {
            client_id: &pending.client_id,
            nonce: &pending.nonce,
            now: now.0,
            max_age: self.config.credentials.key_binding_max_age as i64,
        };
        let mut claims = Map::new();
        for (id, presentations) in token {
            let mut cq = query
                .credential(id)
                .ok_or_else(|| format!("{id:?} is not a credential the request asked for"))?
                .clone();
            if pending.browser.is_some() {
                // A sign-in: whoever presents must prove they hold the credential's key.
                cq.require_cryptographic_holder_binding = Some(true);
            }
            let list = presentations
                .as_array()
                .ok_or_else(|| format!("{id:?} must be an array of presentations"))?;
            if list.is_empty() || (!cq.multiple && list.len() > 1) {
                return Err(format!("{id:?} must hold one presentation"));
            }
            let mut answers = Vec::with_capacity(list.len());
            for p in list {
                let text = p.as_str().ok_or("a presentation must be a string")?;
                let verified = self
                    .verify_presentation(t, verifier, &cq, &check, text)
                    .await?;
                answers.push(Value::Object(verified.claims));
            }
            let answer = if cq.multiple {
                Value::Array(answers)
            } else {
                answers.remove(0)
            };
            claims.insert(id.clone(), answer);
        }
        let answered: HashSet<&str> = claims.keys().map(String::as_str).collect();
        if !query.satisfied_by(&answered) {
            return Err("the response does not include every credential asked for".into());
        }
        Ok(claims)
    }

    /// Replaces the request with its outcome (once: a second response finds nothing) and
    /// audits it (without the claims, which only the result holds).
    async fn record_outcome(
        &self,
        t: &TenantCtx,
        state: &str,
        outcome: &PresentationOutcome,
    ) -> Result<(), ResponseError> {
        let now = self.now();
        let result = Artifact {
            tenant: t.id.clone(),
            kind: ArtifactKind::PresentationResult,
            key: Digest32::of(state),
            payload: serde_json::to_value(outcome).unwrap_or_default(),
            expires_at: now.plus(Duration::from_secs(
                self.config.credentials.presentation_result_ttl,
            )),
            consumed_at: None,
        };
        let taken = self
            .store
            .exchange_artifact(
                &t.id,
                ArtifactKind::PresentationRequest,
                &Digest32::of(state),
                &result,
                now,
            )
            .await?;
        if !taken {
            return Err(invalid("this request was already answered"));
        }
        metrics::counter!("sigil_presentations_total", "outcome" => outcome.status.clone())
            .increment(1);
        let kind = if outcome.status == "verified" {
            AuditKind::PresentationVerified
        } else {
            AuditKind::PresentationRejected
        };
        let mut audit = AuditEvent::new(&t.id, now, kind, "wallet").details(json!({
            "verifier": outcome.verifier,
            "request_id": state,
            "reason": outcome.reason,
        }));
        if outcome.status != "verified" {
            audit = audit.failure();
        }
        self.audit.record(audit);
        Ok(())
    }
}
