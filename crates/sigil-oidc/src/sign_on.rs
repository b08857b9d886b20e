//! Clients' sign-on policies: who may sign in to which client and how strongly. Saved as
//! versioned access documents (validated against the schema first, audited), tried out with a
//! dry run, and enforced at the authorization endpoint once the user is known: a refusal is an
//! `access_denied` error to the client, a sign-in too weak for the policy is sent to
//! authenticate again (and refused if the new sign-in is no stronger).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use serde_json::json;
use sigil_core::ClientId;
use sigil_core::model::{AccessApp, AccessKind, AuditEvent, AuditKind, Client, User};
use sigil_policy::{Circumstances, CompiledSignOn, Outcome, SignOnDecision, SignOnPolicy};
use time::OffsetDateTime;

use crate::admin::{AdminError, invalid};
use crate::error::OAuthError;
use crate::provider::{Provider, TenantCtx};
use crate::sessions::{ACR_CREDENTIAL, ACR_PASSWORD, CurrentSession};

/// Assurance levels when a policy names none: a password sign-in 1, a sign-in with a
/// verifiable credential (proof of possession of a wallet key) 2.
fn default_levels() -> BTreeMap<String, u32> {
    BTreeMap::from([(ACR_PASSWORD.to_owned(), 1), (ACR_CREDENTIAL.to_owned(), 2)])
}

/// The assurance level of a sign-in with `acr` under `policy`.
pub fn assurance_of(policy: &SignOnPolicy, acr: &str) -> u32 {
    let levels = if policy.levels.is_empty() {
        default_levels()
    } else {
        policy.levels.clone()
    };
    levels.get(acr).copied().unwrap_or(0)
}

/// A sign-in to try a policy on.
#[derive(Debug, Clone)]
pub struct SignOnTrial {
    /// The user's username or id.
    pub user: String,
    /// How they signed in (`acr`); a password sign-in by default.
    pub acr: Option<String>,
    /// The client's address.
    pub ip: Option<IpAddr>,
    /// When.
    pub time: Option<OffsetDateTime>,
}

impl Provider {
    /// Validates and saves `client`'s sign-on policy as its next version.
    pub async fn save_sign_on_policy(
        &self,
        t: &TenantCtx,
        actor: &str,
        client: &str,
        policy: SignOnPolicy,
    ) -> Result<AccessApp, AdminError> {
        let client = self.known_client(t, client).await?;
        CompiledSignOn::new(policy.clone()).map_err(|e| AdminError::Invalid {
            field: "policies",
            message: e.to_string(),
        })?;
        let now = self.now();
        let record = AccessApp {
            tenant: t.id.clone(),
            kind: AccessKind::SignOn,
            name: client.id.to_string(),
            version: 0,
            document: serde_json::to_value(&policy).map_err(|e| AdminError::Invalid {
                field: "policy",
                message: e.to_string(),
            })?,
            created_at: now,
            updated_at: now,
        };
        let event = AuditEvent::new(&t.id, now, AuditKind::SignOnPolicySaved, actor)
            .client(&client.id)
            .details(json!({"client": client.id}));
        self.store.save_access_apps(&[record], &[event]).await?;
        self.sign_on_policy(t, client.id.as_str())
            .await?
            .ok_or(AdminError::NotFound("sign-on policy"))
    }

    /// `client`'s sign-on policy with its version; `None` when it has none (anyone may sign
    /// in). An unknown client is `NotFound`.
    pub async fn sign_on_policy(
        &self,
        t: &TenantCtx,
        client: &str,
    ) -> Result<Option<AccessApp>, AdminError> {
        let client = self.known_client(t, client).await?;
        Ok(self
            .store
            .get_access_app(&t.id, AccessKind::SignOn, client.id.as_str())
            .await?)
    }

    /// Removes `client`'s sign-on policy, if it has one: everyone may sign in to it again.
    /// An unknown client is `NotFound`.
    pub async fn delete_sign_on_policy(
        &self,
        t: &TenantCtx,
        actor: &str,
        client: &str,
    ) -> Result<(), AdminError> {
        let client = self.known_client(t, client).await?;
        let event = AuditEvent::new(&t.id, self.now(), AuditKind::SignOnPolicyDeleted, actor)
            .details(json!({"client": client.id}));
        self.store
            .delete_access_app(&t.id, AccessKind::SignOn, client.id.as_str(), &event)
            .await?;
        Ok(())
    }

    /// What `client`'s sign-on policy says about a sign-in, without signing anyone in.
    pub async fn try_sign_on(
        &self,
        t: &TenantCtx,
        client: &str,
        trial: SignOnTrial,
    ) -> Result<SignOnDecision, AdminError> {
        let client = self.known_client(t, client).await?;
        let compiled = self.compiled_sign_on(t, client.id.as_str()).await?;
        let user = match self.find_user(&t.id, &trial.user).await {
            Err(AdminError::NotFound(_)) => {
                return Err(invalid("user", format!("no such user: {:?}", trial.user)));
            }
            found => found?,
        };
        let Some(compiled) = compiled else {
            return Ok(SignOnDecision {
                decision: Outcome::Allow,
                reason: format!(
                    "{} has no sign-on policy: {} may sign in to it",
                    client.id.as_str(),
                    user.username
                ),
                required_assurance: None,
                policies: Vec::new(),
            });
        };
        let acr = trial.acr.unwrap_or_else(|| ACR_PASSWORD.to_owned());
        let facts = Circumstances {
            assurance: assurance_of(compiled.policy(), &acr),
            amr: Vec::new(),
            client_ip: trial.ip.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            now: trial.time.unwrap_or_else(|| unix(self.now().0)),
        };
        self.decide_sign_on(t, &compiled, &client, &user, &facts)
            .await
            .map_err(|e| AdminError::Invalid {
                field: "policies",
                message: e.to_string(),
            })
    }

    /// The decision of `client`'s sign-on policy for the signed-in user; `None` when the client
    /// has no policy (anyone may sign in).
    pub(crate) async fn check_sign_on(
        &self,
        t: &TenantCtx,
        client: &Client,
        current: &CurrentSession,
    ) -> Result<Option<SignOnDecision>, OAuthError> {
        let compiled = match self.compiled_sign_on(t, client.id.as_str()).await {
            Ok(compiled) => compiled,
            Err(AdminError::Store(e)) => return Err(e.into()),
            Err(error) => {
                // A stored policy that no longer compiles lets nobody in.
                tracing::error!(%error, client = %client.id, "a sign-on policy does not compile");
                return Err(OAuthError::new(
                    crate::ErrorCode::AccessDenied,
                    "the sign-on policy of this application cannot be evaluated",
                ));
            }
        };
        let Some(compiled) = compiled else {
            return Ok(None);
        };
        let auth = &current.session.auth;
        let facts = Circumstances {
            assurance: assurance_of(compiled.policy(), &auth.acr),
            amr: auth.amr.clone(),
            client_ip: sigil_core::request::current()
                .and_then(|r| r.ip)
                .and_then(|ip| ip.parse().ok())
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            now: unix(self.now().0),
        };
        let decision = self
            .decide_sign_on(t, &compiled, client, &current.user, &facts)
            .await
            .map_err(|e| OAuthError::new(crate::ErrorCode::AccessDenied, e.to_string()))?;
        if decision.decision == Outcome::Deny {
            let event = AuditEvent::new(
                &t.id,
                self.now(),
                AuditKind::SignOnDenied,
                format!("user:{}", current.user.id),
            )
            .user(&current.user.id)
            .client(&client.id)
            .details(json!({"reason": decision.reason, "policies": decision.policies}))
            .failure();
            self.audit.record(event);
        }
        Ok(Some(decision))
    }

    async fn decide_sign_on(
        &self,
        t: &TenantCtx,
        compiled: &CompiledSignOn,
        client: &Client,
        user: &User,
        facts: &Circumstances,
    ) -> Result<SignOnDecision, sigil_policy::PolicyError> {
        let directory = compiled.policy().directory.as_deref();
        let principal = self
            .policy_principal(t, user, directory)
            .await
            .map_err(|e| sigil_policy::PolicyError::Request(e.to_string()))?;
        compiled.decide(client.id.as_str(), &principal, facts)
    }

    /// `client`'s compiled sign-on policy, compiled again only when its version changed.
    async fn compiled_sign_on(
        &self,
        t: &TenantCtx,
        client: &str,
    ) -> Result<Option<Arc<CompiledSignOn>>, AdminError> {
        let Some(record) = self
            .store
            .get_access_app(&t.id, AccessKind::SignOn, client)
            .await?
        else {
            return Ok(None);
        };
        let key = (t.id.clone(), client.to_owned());
        let cached = self
            .caches
            .sign_on
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .filter(|(version, _)| *version == record.version)
            .map(|(_, compiled)| compiled.clone());
        if let Some(compiled) = cached {
            return Ok(Some(compiled));
        }
        let invalid = |message: String| AdminError::Invalid {
            field: "policies",
            message,
        };
        let policy: SignOnPolicy =
            serde_json::from_value(record.document).map_err(|e| invalid(e.to_string()))?;
        let compiled = Arc::new(CompiledSignOn::new(policy).map_err(|e| invalid(e.to_string()))?);
        self.caches
            .sign_on
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, (record.version, compiled.clone()));
        Ok(Some(compiled))
    }

    async fn known_client(&self, t: &TenantCtx, client: &str) -> Result<Arc<Client>, AdminError> {
        let id = ClientId::parse(client).map_err(|_| AdminError::NotFound("client"))?;
        self.client(&t.id, &id)
            .await
            .map_err(|e| AdminError::Invalid {
                field: "client",
                message: e.description.into_owned(),
            })?
            .ok_or(AdminError::NotFound("client"))
    }
}

fn unix(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
