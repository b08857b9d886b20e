//! What a federated sign-in does to local accounts: the identity's linked user, or a new
//! account created for it (just-in-time), or an existing account with the person's verified
//! address, linked only once its owner signs in to it with its password; then the profile
//! and the mapped groups brought in line with the provider on every sign-in.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sigil_core::model::{Artifact, ArtifactKind, AuditEvent, AuditKind, ExternalIdentity, User};
use sigil_core::{Digest32, UnixTime, UserId, random};

use super::sign_in::{
    FederatedSignIn, FederationRefusal, UNAVAILABLE, browser_digest, store_error, text_claim,
};
use super::{IdentityProvider, Provisioning};
use crate::admin::{AdminError, NewUser, Precondition, UserPatch};
use crate::provider::{Provider, TenantCtx};
use crate::sessions::{Browser, SignInError, SignInMethod, SignedIn};

/// How long the owner of an account has to prove it is theirs, seconds.
const LINK_TTL: u64 = 600;

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

impl Provider {
    /// The account an identity at `name` signs in as, then the session.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn federated_account(
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
                let verified = mapping.email_verified(&claims);
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
                    email_verified: mapping.email_verified(claims),
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
            patch.email_verified = Some(mapping.email_verified(claims));
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
            .map_err(unavailable)?
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
            .map_err(unavailable)?
            .ok_or(LinkError::Expired)?;
        let signed = self
            .sign_in(t, &user.username, password, browser)
            .await
            .map_err(LinkError::SignIn)?;
        self.store
            .consume_artifact(&t.id, ArtifactKind::PendingLink, &key, now)
            .await
            .map_err(unavailable)?
            .ok_or(LinkError::Expired)?;
        let (_, provider) = self
            .stored_identity_provider(&t.id, &pending.provider)
            .await
            .map_err(unavailable)?
            .ok_or(LinkError::Expired)?;
        self.link_identity(t, &pending.provider, &pending.subject, &user, "proven")
            .await
            .map_err(unavailable)?;
        self.sync_federated_user(t, &pending.provider, &provider, user, &pending.claims)
            .await
            .map_err(unavailable)?;
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

/// Any failure of the store or the service while linking: try again later.
fn unavailable<E>(_: E) -> LinkError {
    LinkError::SignIn(SignInError::Unavailable)
}
