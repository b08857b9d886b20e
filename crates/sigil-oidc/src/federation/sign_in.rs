//! A sign-in through an external provider, from the redirect to a Sigil session: the pending
//! sign-in is stored under a digest of its `state` and bound to the browser that started it;
//! the answer is accepted once, from that browser, with the issuer RFC 9207 names; the ID
//! token is validated in full; then the person's account is found by their link, created, or
//! (when an account with their verified address exists) linked once they prove it is theirs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sigil_core::model::{Artifact, ArtifactKind, AuditEvent, AuditKind, ExternalIdentity, User};
use sigil_core::{Digest32, UnixTime, UserId, random};

use super::upstream::{Expected, UpstreamError, s256};
use super::{IdentityProvider, Provisioning, callback_path};
use crate::admin::{AdminError, NewUser, Precondition, UserPatch};
use crate::provider::{Provider, TenantCtx};
use crate::sessions::{Browser, SignInError, SignInMethod, SignedIn};

/// How long a sign-in at a provider may take, seconds.
const LOGIN_TTL: u64 = 600;
/// How long the owner of an account has to prove it is theirs, seconds.
const LINK_TTL: u64 = 600;

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

/// An identity waiting to be linked to an existing account.
#[derive(Debug, Serialize, Deserialize)]
struct PendingLink {
    provider: String,
    subject: String,
    user_id: UserId,
    claims: Map<String, Value>,
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
    fn new(message: &str, reason: impl Into<String>) -> Self {
        Self {
            message: message.to_owned(),
            reason: reason.into(),
            return_to: None,
        }
    }
}

const UNAVAILABLE: &str =
    "Signing in with this provider is not possible right now. Try again later.";
const EXPIRED: &str = "This sign-in has expired or was already used. Start again.";

fn browser_digest(browser: &Browser) -> Digest32 {
    Digest32::of(format!("federated sign-in:{}", browser.browser_id))
}

fn store_error<E: std::fmt::Display>(e: E) -> FederationRefusal {
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
fn text_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
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
            tracing::info!(provider = name, reason = %refusal.reason, "federated sign-in refused");
            metrics::counter!("sigil_sign_ins_total", "outcome" => "federation_refused")
                .increment(1);
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
        outcome
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

    /// The account an identity at `name` signs in as, then the session.
    #[allow(clippy::too_many_arguments)]
    async fn federated_account(
        &self,
        t: &TenantCtx,
        name: &str,
        provider: &IdentityProvider,
        subject: &str,
        claims: Map<String, Value>,
        return_to: String,
        browser: &Browser,
    ) -> Result<FederatedSignIn, FederationRefusal> {
        let refuse = |message: &str, reason: &str| {
            let mut r = FederationRefusal::new(message, reason);
            r.return_to = Some(return_to.clone());
            r
        };
        let link = self
            .store
            .find_external_identity(&t.id, name, subject)
            .await
            .map_err(store_error)?;
        let user = match link {
            Some(link) => self
                .store
                .get_user(&t.id, &link.user_id)
                .await
                .map_err(store_error)?
                .ok_or_else(|| refuse(UNAVAILABLE, "the linked user is gone"))?,
            None => {
                let mapping = &provider.claims;
                let email = text_claim(&claims, &mapping.email);
                let verified =
                    claims.get(&format!("{}_verified", mapping.email)) == Some(&Value::Bool(true));
                let existing = match email.filter(|_| verified) {
                    Some(email) => self
                        .store
                        .find_user_by_email(&t.id, email)
                        .await
                        .map_err(store_error)?,
                    None => None,
                };
                if let Some(existing) = existing {
                    let handle = self
                        .pend_link(t, name, subject, &existing, claims, &return_to, browser)
                        .await?;
                    return Ok(FederatedSignIn::LinkRequired {
                        handle,
                        username: existing.username,
                        return_to,
                    });
                }
                if provider.provisioning == Provisioning::LinkOnly {
                    return Err(refuse(
                        "No account here is linked to your identity at this provider. Ask an administrator.",
                        "no linked account and provisioning is link-only",
                    ));
                }
                self.provision_user(t, name, provider, subject, &claims)
                    .await
                    .map_err(|e| {
                        refuse(
                            "An account could not be created for you. Ask an administrator.",
                            &e.to_string(),
                        )
                    })?
            }
        };
        if user.disabled {
            return Err(refuse(
                "Your account is disabled.",
                "the linked user is disabled",
            ));
        }
        let user = self
            .sync_federated_user(t, name, provider, user, &claims)
            .await
            .map_err(store_error)?;
        let signed = self
            .start_session(t, &user, browser, self.now(), SignInMethod::Federated)
            .await
            .map_err(|e| refuse(UNAVAILABLE, &e.to_string()))?;
        metrics::counter!("sigil_sign_ins_total", "outcome" => "success").increment(1);
        Ok(FederatedSignIn::SignedIn {
            signed: Box::new(signed),
            return_to,
        })
    }

    /// Creates the account of a new identity at `name`, linked to it, in the provider's
    /// groups that are mapped.
    async fn provision_user(
        &self,
        t: &TenantCtx,
        name: &str,
        provider: &IdentityProvider,
        subject: &str,
        claims: &Map<String, Value>,
    ) -> Result<User, AdminError> {
        let mapping = &provider.claims;
        let email = text_claim(claims, &mapping.email);
        let username =
            text_claim(claims, &mapping.username)
                .or(email)
                .ok_or(AdminError::Invalid {
                    field: "username",
                    message: format!(
                        "the provider sent neither {} nor {}",
                        mapping.username, mapping.email
                    ),
                })?;
        let actor = format!("idp:{name}");
        let user = self
            .create_user(
                &t.id,
                NewUser {
                    username: username.to_owned(),
                    password: None,
                    email: email.map(str::to_owned),
                    email_verified: claims.get(&format!("{}_verified", mapping.email))
                        == Some(&Value::Bool(true)),
                    name: text_claim(claims, &mapping.name).map(str::to_owned),
                    external_id: None,
                    attributes: Map::new(),
                    disabled: false,
                },
                &actor,
            )
            .await?;
        self.link_identity(t, name, subject, &user, "provisioned")
            .await?;
        Ok(user)
    }

    async fn link_identity(
        &self,
        t: &TenantCtx,
        name: &str,
        subject: &str,
        user: &User,
        how: &str,
    ) -> Result<(), AdminError> {
        let now = self.now();
        let link = ExternalIdentity {
            tenant: t.id.clone(),
            provider: name.to_owned(),
            subject: subject.to_owned(),
            user_id: user.id.clone(),
            created_at: now,
        };
        let event = AuditEvent::new(
            &t.id,
            now,
            AuditKind::ExternalIdentityLinked,
            format!("idp:{name}"),
        )
        .user(&user.id)
        .details(json!({"provider": name, "subject": subject, "how": how}));
        self.store.link_external_identity(&link, &event).await?;
        Ok(())
    }

    /// Brings the profile and the mapped groups of a federated user in line with what the
    /// provider says now.
    async fn sync_federated_user(
        &self,
        t: &TenantCtx,
        name: &str,
        provider: &IdentityProvider,
        user: User,
        claims: &Map<String, Value>,
    ) -> Result<User, AdminError> {
        let mapping = &provider.claims;
        let actor = format!("idp:{name}");
        let mut patch = UserPatch::default();
        let email = text_claim(claims, &mapping.email).map(str::to_owned);
        if email.is_some() && email != user.email {
            patch.email = Some(email);
            patch.email_verified = Some(
                claims.get(&format!("{}_verified", mapping.email)) == Some(&Value::Bool(true)),
            );
        }
        let display = text_claim(claims, &mapping.name).map(str::to_owned);
        if display.is_some() && display != user.name {
            patch.name = Some(display);
        }
        let user = if patch == UserPatch::default() {
            user
        } else {
            self.update_user(&t.id, &user.id, patch, Precondition::None, &actor)
                .await?
        };
        if provider.groups.is_empty() {
            return Ok(user);
        }
        let theirs: Vec<&str> = claims
            .get(&mapping.groups)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let current = self.store.list_user_groups(&t.id, &user.id).await?;
        for (external, local) in &provider.groups {
            let Ok(group) = self.find_group(&t.id, local).await else {
                tracing::warn!(provider = name, group = %local, "a mapped group does not exist");
                continue;
            };
            let member = current.iter().any(|g| g.id == group.id);
            let should = theirs.contains(&external.as_str());
            if should && !member {
                self.add_member(&t.id, &group.id, &user.id, &actor).await?;
            } else if !should && member {
                self.remove_member(&t.id, &group.id, &user.id, &actor)
                    .await?;
            }
        }
        Ok(user)
    }

    #[allow(clippy::too_many_arguments)]
    async fn pend_link(
        &self,
        t: &TenantCtx,
        name: &str,
        subject: &str,
        existing: &User,
        claims: Map<String, Value>,
        return_to: &str,
        browser: &Browser,
    ) -> Result<String, FederationRefusal> {
        let handle = random::secret_token();
        let now = self.now();
        let pending = PendingLink {
            provider: name.to_owned(),
            subject: subject.to_owned(),
            user_id: existing.id.clone(),
            claims,
            return_to: return_to.to_owned(),
            browser: browser_digest(browser),
        };
        let artifact = Artifact {
            tenant: t.id.clone(),
            kind: ArtifactKind::PendingLink,
            key: Digest32::of(&handle),
            payload: serde_json::to_value(&pending).map_err(store_error)?,
            expires_at: now.plus(std::time::Duration::from_secs(LINK_TTL)),
            consumed_at: None,
        };
        self.store
            .put_artifact(&artifact, now)
            .await
            .map_err(store_error)?;
        Ok(handle)
    }

    /// Completes a pending link: the person signs in to the existing account with its
    /// password (throttled like any sign-in); only then is the identity linked to it.
    pub async fn confirm_federated_link(
        &self,
        t: &TenantCtx,
        handle: &str,
        password: &str,
        browser: &Browser,
    ) -> Result<(SignedIn, String), LinkError> {
        let now: UnixTime = self.now();
        let key = Digest32::of(handle);
        let artifact = self
            .store
            .get_artifact(&t.id, ArtifactKind::PendingLink, &key, now)
            .await
            .map_err(|_| LinkError::SignIn(SignInError::Unavailable))?
            .filter(|a| a.consumed_at.is_none())
            .ok_or(LinkError::Expired)?;
        let pending: PendingLink =
            serde_json::from_value(artifact.payload).map_err(|_| LinkError::Expired)?;
        if pending.browser != browser_digest(browser) {
            return Err(LinkError::Expired);
        }
        let user = self
            .store
            .get_user(&t.id, &pending.user_id)
            .await
            .map_err(|_| LinkError::SignIn(SignInError::Unavailable))?
            .ok_or(LinkError::Expired)?;
        let signed = self
            .sign_in(t, &user.username, password, browser)
            .await
            .map_err(LinkError::SignIn)?;
        let unavailable = |_| LinkError::SignIn(SignInError::Unavailable);
        self.store
            .consume_artifact(&t.id, ArtifactKind::PendingLink, &key, now)
            .await
            .map_err(unavailable)?
            .ok_or(LinkError::Expired)?;
        let (_, provider) = self
            .stored_identity_provider(&t.id, &pending.provider)
            .await
            .map_err(|_| LinkError::SignIn(SignInError::Unavailable))?
            .ok_or(LinkError::Expired)?;
        self.link_identity(t, &pending.provider, &pending.subject, &user, "proven")
            .await
            .map_err(|_| LinkError::SignIn(SignInError::Unavailable))?;
        self.sync_federated_user(t, &pending.provider, &provider, user, &pending.claims)
            .await
            .map_err(|_| LinkError::SignIn(SignInError::Unavailable))?;
        Ok((signed, pending.return_to))
    }

    /// The username of the account a pending link is for (to show on its form).
    pub async fn pending_link_username(
        &self,
        t: &TenantCtx,
        handle: &str,
        browser: &Browser,
    ) -> Option<String> {
        let artifact = self
            .store
            .get_artifact(
                &t.id,
                ArtifactKind::PendingLink,
                &Digest32::of(handle),
                self.now(),
            )
            .await
            .ok()??;
        let pending: PendingLink = serde_json::from_value(artifact.payload).ok()?;
        if pending.browser != browser_digest(browser) || artifact.consumed_at.is_some() {
            return None;
        }
        let user = self.store.get_user(&t.id, &pending.user_id).await.ok()??;
        Some(user.username)
    }
}

/// Why a pending link was not completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    /// It expired, was used, or belongs to another browser.
    Expired,
    /// The password sign-in failed (wrong password, throttled, unavailable).
    SignIn(SignInError),
}
