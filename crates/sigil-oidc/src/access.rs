//! Gateway applications for a tenant: saved together (an import is all or nothing), each
//! checked (policies validated against the schema, patterns compiled) before it is stored, and
//! loaded ready to decide requests.

use serde_json::json;
use sigil_core::model::{AccessApp, AccessKind, AuditEvent, AuditKind, User};
use std::collections::BTreeMap;
use std::net::IpAddr;

use sigil_core::UserId;
use sigil_policy::{Application, Circumstances, CompiledApp, Decision, Principal};
use sigil_store::StoreError;
use time::OffsetDateTime;

use crate::admin::AdminError;
use crate::provider::{Provider, TenantCtx};

/// One request to decide without sending it.
#[derive(Debug, Clone)]
pub struct DryRun {
    /// The HTTP method.
    pub method: String,
    /// The raw request path.
    pub path: String,
    /// The user's id; `None` when signed out.
    pub user: Option<String>,
    /// Or the id of a client calling for itself (a client-credentials token).
    pub client: Option<String>,
    /// Their groups.
    pub groups: Vec<String>,
    /// Their attributes.
    pub attributes: BTreeMap<String, String>,
    /// The session's assurance; by default that of an ordinary sign-in (0 when signed out).
    pub assurance: Option<u32>,
    /// The client's address.
    pub ip: IpAddr,
    /// When.
    pub time: OffsetDateTime,
}

impl Provider {
    /// Checks and saves applications in one transaction; returns them with their versions.
    pub async fn save_access_apps(
        &self,
        t: &TenantCtx,
        actor: &str,
        apps: &[Application],
    ) -> Result<Vec<AccessApp>, AdminError> {
        let now = self.now();
        let mut records = Vec::with_capacity(apps.len());
        let mut events = Vec::with_capacity(apps.len());
        for app in apps {
            CompiledApp::new(app.clone()).map_err(|e| AdminError::Invalid {
                field: "policies",
                message: format!("application {}: {e}", app.name),
            })?;
            let document = serde_json::to_value(app).map_err(|e| AdminError::Invalid {
                field: "application",
                message: e.to_string(),
            })?;
            records.push(AccessApp {
                tenant: t.id.clone(),
                kind: AccessKind::GatewayApp,
                name: app.name.clone(),
                version: 0,
                document,
                // Kept as first saved when the application exists: the upsert leaves it.
                created_at: now,
                updated_at: now,
            });
            events.push(
                AuditEvent::new(&t.id, now, AuditKind::AccessAppSaved, actor)
                    .details(json!({"app": app.name})),
            );
        }
        self.store.save_access_apps(&records, &events).await?;
        let mut saved = Vec::with_capacity(apps.len());
        for app in apps {
            saved.extend(
                self.store
                    .get_access_app(&t.id, AccessKind::GatewayApp, &app.name)
                    .await?,
            );
        }
        Ok(saved)
    }

    /// A tenant's applications with their versions.
    pub async fn access_apps(&self, t: &TenantCtx) -> Result<Vec<AccessApp>, AdminError> {
        Ok(self
            .store
            .list_access_apps(&t.id, AccessKind::GatewayApp)
            .await?)
    }

    /// One application with its version.
    pub async fn access_app(&self, t: &TenantCtx, name: &str) -> Result<AccessApp, AdminError> {
        self.store
            .get_access_app(&t.id, AccessKind::GatewayApp, name)
            .await?
            .ok_or(AdminError::NotFound("application"))
    }

    /// One application, compiled and ready to decide requests, with its version.
    pub async fn compiled_access_app(
        &self,
        t: &TenantCtx,
        name: &str,
    ) -> Result<(CompiledApp, i64), AdminError> {
        let record = self.access_app(t, name).await?;
        let version = record.version;
        let app: Application =
            serde_json::from_value(record.document).map_err(|e| AdminError::Invalid {
                field: "application",
                message: format!("stored application {name} does not read: {e}"),
            })?;
        let compiled = CompiledApp::new(app).map_err(|e| AdminError::Invalid {
            field: "policies",
            message: e.to_string(),
        })?;
        Ok((compiled, version))
    }

    /// Decides a request the way the gateway would, without sending it.
    pub async fn dry_run(
        &self,
        t: &TenantCtx,
        app: &str,
        run: DryRun,
    ) -> Result<Decision, AdminError> {
        let (compiled, _) = self.compiled_access_app(t, app).await?;
        let path =
            sigil_policy::paths::normalize_path(&run.path).map_err(|e| AdminError::Invalid {
                field: "path",
                message: format!("the gateway refuses the path: {e}"),
            })?;
        if run.user.is_some() && run.client.is_some() {
            return Err(AdminError::Invalid {
                field: "client",
                message: "a request comes from a user or from a client, not both".into(),
            });
        }
        let principal = match (run.user, run.client) {
            (Some(id), _) => Some(Principal::new(id, run.groups, run.attributes)),
            (None, Some(client)) => Some(Principal::client(client)),
            (None, None) => None,
        };
        let circumstances = Circumstances {
            assurance: match (&principal, run.assurance) {
                (_, Some(level)) => level,
                (Some(_), None) => compiled.ordinary_assurance(),
                (None, None) => 0,
            },
            amr: Vec::new(),
            client_ip: run.ip,
            now: run.time,
        };
        compiled
            .decide(&run.method, &path, principal.as_ref(), &circumstances)
            .map_err(|e| AdminError::Invalid {
                field: "policies",
                message: e.to_string(),
            })
    }

    /// The user a gateway session belongs to, in the terms imported policies use: the id
    /// `directory:login` and groups `directory:name`, where the directory is the user's
    /// `directory` attribute or else `directory`, and the login and group names are the
    /// directory's own (SCIM `externalId`, such as an LDAP DN) or else Sigil's. `None` when the
    /// subject is no user or a disabled one.
    pub async fn gateway_principal(
        &self,
        t: &TenantCtx,
        subject: &str,
        directory: Option<&str>,
    ) -> Result<Option<Principal>, StoreError> {
        let Ok(id) = UserId::parse(subject) else {
            return Ok(None);
        };
        let Some(user) = self.store.get_user(&t.id, &id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        self.policy_principal(t, &user, directory).await.map(Some)
    }

    /// A user as policies see them (see [`Self::gateway_principal`] for the names).
    pub(crate) async fn policy_principal(
        &self,
        t: &TenantCtx,
        user: &User,
        directory: Option<&str>,
    ) -> Result<Principal, StoreError> {
        let groups = self.store.list_user_groups(&t.id, &user.id).await?;
        let directory = user
            .attributes
            .get("directory")
            .and_then(serde_json::Value::as_str)
            .or(directory);
        let qualified = |name: &str| match directory {
            Some(dir) => format!("{dir}:{name}"),
            None => name.to_owned(),
        };
        let mut attributes: BTreeMap<String, String> = user
            .attributes
            .iter()
            .filter_map(|(k, v)| match v {
                serde_json::Value::String(s) => Some((k.clone(), s.clone())),
                serde_json::Value::Number(n) => Some((k.clone(), n.to_string())),
                serde_json::Value::Bool(b) => Some((k.clone(), b.to_string())),
                _ => None,
            })
            .collect();
        attributes.insert("username".into(), user.username.clone());
        attributes.insert("sub".into(), user.id.to_string());
        attributes.extend(user.email.clone().map(|e| ("email".to_owned(), e)));
        attributes.extend(user.name.clone().map(|n| ("name".to_owned(), n)));
        let login = user.external_id.as_deref().unwrap_or(&user.username);
        let groups = groups
            .iter()
            .map(|g| qualified(g.external_id.as_deref().unwrap_or(&g.name)))
            .collect();
        Ok(Principal::new(qualified(login), groups, attributes))
    }

    /// Queues an audit event for the batched writer (work that writes nothing else, such as
    /// a gateway decision).
    pub fn record_batched(&self, event: AuditEvent) {
        self.audit.record(event);
    }
}
