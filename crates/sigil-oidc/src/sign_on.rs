//! Applications' sign-on policies: who may sign in to which OpenID client or SAML service
//! provider (named `saml:{name}`), and how strongly. Saved as versioned access documents
//! (validated against the schema first, audited), tried out with a dry run, and enforced once
//! the user is known: at the authorization endpoint a refusal is an `access_denied` error to
//! the client, at the SAML SSO service an `AuthnFailed` response; a sign-in too weak for the
//! policy is sent to authenticate again (and refused if the new sign-in is no stronger).

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

/// How a SAML service provider is named where a sign-on policy is for an application (and in
/// its Cedar resource, `Sigil::Client::"saml:{name}"`).
pub const SAML_APP_PREFIX: &str = "saml:";

/// An application a sign-on policy is for.
enum App {
    /// An OpenID client, by id.
    Client(ClientId),
    /// A SAML service provider, by name.
    Saml(String),
}

impl App {
    /// Its id in the policy store and in Cedar.
    fn id(&self) -> String {
        match self {
            App::Client(id) => id.to_string(),
            App::Saml(name) => format!("{SAML_APP_PREFIX}{name}"),
        }
    }

    /// `event` about this application: its id in the details (with `details`), and the
    /// client when it is one.
    fn audited(&self, event: AuditEvent, mut details: serde_json::Value) -> AuditEvent {
        details["client"] = json!(self.id());
        let event = event.details(details);
        match self {
            App::Client(id) => event.client(id),
            App::Saml(_) => event,
        }
    }
}

/// Why a sign-on policy could not decide (either way, nobody signs in).
enum Unevaluable {
    /// The store failed.
    Store(sigil_store::StoreError),
    /// The policy does not compile or decide.
    Policy(String),
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
        let app = self.known_app(t, client).await?;
        CompiledSignOn::new(policy.clone()).map_err(|e| AdminError::Invalid {
            field: "policies",
            message: e.to_string(),
        })?;
        let now = self.now();
        let record = AccessApp {
            tenant: t.id.clone(),
            kind: AccessKind::SignOn,
            name: app.id(),
            version: 0,
            document: serde_json::to_value(&policy).map_err(|e| AdminError::Invalid {
                field: "policy",
                message: e.to_string(),
            })?,
            created_at: now,
            updated_at: now,
        };
        let event = app.audited(
            AuditEvent::new(&t.id, now, AuditKind::SignOnPolicySaved, actor),
            json!({}),
        );
        self.store.save_access_apps(&[record], &[event]).await?;
        self.sign_on_policy(t, &app.id())
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
        let app = self.known_app(t, client).await?;
        Ok(self
            .store
            .get_access_app(&t.id, AccessKind::SignOn, &app.id())
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
        let app = self.known_app(t, client).await?;
        let event = app.audited(
            AuditEvent::new(&t.id, self.now(), AuditKind::SignOnPolicyDeleted, actor),
            json!({}),
        );
        self.store
            .delete_access_app(&t.id, AccessKind::SignOn, &app.id(), &event)
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
        let app = self.known_app(t, client).await?;
        let compiled = self.compiled_sign_on(t, &app.id()).await?;
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
                    app.id(),
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
        self.decide_sign_on(t, &compiled, &app.id(), &user, &facts)
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
        self.check_app_sign_on(t, &App::Client(client.id.clone()), current)
            .await
            .map_err(|e| match e {
                Unevaluable::Store(e) => e.into(),
                Unevaluable::Policy(why) => OAuthError::new(crate::ErrorCode::AccessDenied, why),
            })
    }

    /// The decision of the SAML service provider `name`'s sign-on policy for the signed-in
    /// user; `None` when it has none. An error (a policy that cannot be evaluated) refuses.
    pub(crate) async fn check_saml_sign_on(
        &self,
        t: &TenantCtx,
        name: &str,
        current: &CurrentSession,
    ) -> Result<Option<SignOnDecision>, String> {
        self.check_app_sign_on(t, &App::Saml(name.to_owned()), current)
            .await
            .map_err(|e| match e {
                Unevaluable::Store(e) => e.to_string(),
                Unevaluable::Policy(why) => why,
            })
    }

    async fn check_app_sign_on(
        &self,
        t: &TenantCtx,
        app: &App,
        current: &CurrentSession,
    ) -> Result<Option<SignOnDecision>, Unevaluable> {
        let id = app.id();
        let compiled = match self.compiled_sign_on(t, &id).await {
            Ok(compiled) => compiled,
            Err(AdminError::Store(e)) => return Err(Unevaluable::Store(e)),
            Err(error) => {
                // A stored policy that no longer compiles lets nobody in.
                tracing::error!(%error, app = %id, "a sign-on policy does not compile");
                return Err(Unevaluable::Policy(
                    "the sign-on policy of this application cannot be evaluated".into(),
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
            .decide_sign_on(t, &compiled, &id, &current.user, &facts)
            .await
            .map_err(|e| Unevaluable::Policy(e.to_string()))?;
        if decision.decision == Outcome::Deny {
            let event = AuditEvent::new(
                &t.id,
                self.now(),
                AuditKind::SignOnDenied,
                format!("user:{}", current.user.id),
            )
            .user(&current.user.id);
            let details = json!({"reason": decision.reason, "policies": decision.policies});
            let event = app.audited(event, details).failure();
            self.audit.record(event);
        }
        Ok(Some(decision))
    }

    async fn decide_sign_on(
        &self,
        t: &TenantCtx,
        compiled: &CompiledSignOn,
        app: &str,
        user: &User,
        facts: &Circumstances,
    ) -> Result<SignOnDecision, sigil_policy::PolicyError> {
        let directory = compiled.policy().directory.as_deref();
        let principal = self
            .policy_principal(t, user, directory)
            .await
            .map_err(|e| sigil_policy::PolicyError::Request(e.to_string()))?;
        compiled.decide(app, &principal, facts)
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

    /// The application `app` names: `saml:{name}` a SAML service provider, anything else a
    /// client id.
    async fn known_app(&self, t: &TenantCtx, app: &str) -> Result<App, AdminError> {
        match app.strip_prefix(SAML_APP_PREFIX) {
            Some(name) => {
                self.saml_sp(t, name).await?;
                Ok(App::Saml(name.to_owned()))
            }
            None => Ok(App::Client(self.known_client(t, app).await?.id.clone())),
        }
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
