//! Signing in with a credential: the sign-in page starts a presentation request bound to
//! the browser, the person's wallet answers it, and once it is verified the claim the
//! administrator chose (`sign_in_claim`) names the account (`sign_in_user_field`) and the
//! browser that started it gets a session (`amr` `pop`, its own `acr`). A verified
//! presentation signs in once, and only the browser that asked.

use serde_json::Value;
use sigil_core::model::{ArtifactKind, User};
use sigil_core::{Digest32, UserId};
use sigil_vc::verifier::{ClientIdPrefix, ResponseMode};

use super::{CreatedRequest, oauth_admin};
use crate::admin::AdminError;
use crate::provider::{Provider, TenantCtx};
use crate::sessions::{Browser, SignInMethod, SignedIn};

/// Where a sign-in with a wallet stands.
#[derive(Debug)]
pub enum WalletSignIn {
    /// The wallet has not answered yet.
    Pending,
    /// Signed in.
    SignedIn(Box<SignedIn>),
    /// Refused; the reason is for the person.
    Refused(String),
}

fn browser_digest(browser: &Browser) -> String {
    Digest32::of(format!("wallet sign-in:{}", browser.browser_id)).to_b64url()
}

impl Provider {
    /// Whether the sign-in page offers signing in with a credential.
    pub fn wallet_sign_in_enabled(&self) -> bool {
        !self.config.credentials.sign_in_verifier.is_empty()
    }

    /// Starts a sign-in with a wallet for this browser.
    pub async fn start_wallet_sign_in(
        &self,
        t: &TenantCtx,
        browser: &Browser,
    ) -> Result<CreatedRequest, AdminError> {
        let verifier = &self.config.credentials.sign_in_verifier;
        let config = self.verifier(t, verifier).await.map_err(oauth_admin)?;
        let Some(config) = config.filter(|_| !verifier.is_empty()) else {
            return Err(AdminError::NotFound("wallet sign-in"));
        };
        // Accounts are named only by what this tenant itself attested.
        let own_only = !config.accepted_issuers.is_empty()
            && config
                .accepted_issuers
                .iter()
                .all(|i| self.is_own_issuer(t, i));
        if !own_only || !config.trust_anchors.is_empty() {
            return Err(AdminError::Invalid {
                field: "sign_in_verifier",
                message: "a sign-in verifier must accept this tenant's own credentials only".into(),
            });
        }
        self.new_presentation_request(
            t,
            verifier,
            ClientIdPrefix::X509Hash,
            ResponseMode::DirectPost,
            Some(browser_digest(browser)),
        )
        .await
    }

    /// Finishes a sign-in with a wallet once its presentation is verified.
    pub async fn finish_wallet_sign_in(
        &self,
        t: &TenantCtx,
        request_id: &str,
        browser: &Browser,
    ) -> Result<WalletSignIn, AdminError> {
        let refused = |why: &str| Ok(WalletSignIn::Refused(why.to_owned()));
        let outcome = self
            .presentation_outcome(t, request_id)
            .await
            .map_err(oauth_admin)?;
        let Some(outcome) = outcome else {
            return refused("The request has expired. Start again.");
        };
        if outcome.browser.as_deref() != Some(browser_digest(browser).as_str()) {
            return refused("This sign-in was started in another browser.");
        }
        match outcome.status.as_str() {
            "pending" => return Ok(WalletSignIn::Pending),
            "rejected" => {
                let reason = outcome.reason.unwrap_or_default();
                return Ok(WalletSignIn::Refused(format!(
                    "Your credential could not be verified: {reason}."
                )));
            }
            _ => {}
        }
        // One session per presentation.
        let now = self.now();
        let spent = self
            .store
            .consume_artifact(
                &t.id,
                ArtifactKind::PresentationResult,
                &Digest32::of(request_id),
                now,
            )
            .await?;
        if spent.is_none() {
            return refused("This presentation was already used to sign in.");
        }
        let Some(user) = self.user_named_by(t, &outcome.claims).await? else {
            return refused("No account matches your credential.");
        };
        let session = self
            .start_session(t, &user, browser, now, SignInMethod::Credential)
            .await
            .map_err(oauth_admin)?;
        metrics::counter!("sigil_sign_ins_total", "outcome" => "success").increment(1);
        Ok(WalletSignIn::SignedIn(Box::new(session)))
    }

    /// The active user the configured claim names.
    async fn user_named_by(
        &self,
        t: &TenantCtx,
        claims: &serde_json::Map<String, Value>,
    ) -> Result<Option<User>, AdminError> {
        let cfg = &self.config.credentials;
        let verifier = self
            .verifier(t, &cfg.sign_in_verifier)
            .await
            .map_err(oauth_admin)?;
        // The first credential the verifier asks for names the account.
        let first = verifier.and_then(|v| v.dcql_query.credentials.first().map(|c| c.id.clone()));
        // A W3C credential's claims are members of its subject.
        let value = first
            .and_then(|id| claims.get(&id))
            .map(|c| c.get("credentialSubject").unwrap_or(c))
            .and_then(|c| c.get(&cfg.sign_in_claim))
            .and_then(Value::as_str);
        let Some(value) = value else {
            return Ok(None);
        };
        let user = match cfg.sign_in_user_field.as_str() {
            "email" => self
                .store
                .find_user_by_email(&t.id, value)
                .await?
                .filter(|u| u.email_verified),
            "username" => {
                let name = sigil_core::model::normalize_username(value);
                self.store.find_user_by_username(&t.id, &name).await?
            }
            "sub" => match UserId::parse(value) {
                Ok(id) => self.store.get_user(&t.id, &id).await?,
                Err(_) => None,
            },
            _ => None,
        };
        Ok(user.filter(|u| !u.disabled))
    }
}
