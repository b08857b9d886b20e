//! Gateway applications for a tenant: saved together (an import is all or nothing), each
//! checked (policies validated against the schema, patterns compiled) before it is stored, and
//! loaded ready to decide requests.

use serde_json::json;
use sigil_core::model::{AccessApp, AuditEvent, AuditKind};
use sigil_policy::{Application, CompiledApp};

use crate::admin::AdminError;
use crate::provider::{Provider, TenantCtx};

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
            let created_at = self
                .store
                .get_access_app(&t.id, &app.name)
                .await?
                .map_or(now, |a| a.created_at);
            records.push(AccessApp {
                tenant: t.id.clone(),
                name: app.name.clone(),
                version: 0,
                document,
                created_at,
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
            saved.extend(self.store.get_access_app(&t.id, &app.name).await?);
        }
        Ok(saved)
    }

    /// A tenant's applications with their versions.
    pub async fn access_apps(&self, t: &TenantCtx) -> Result<Vec<AccessApp>, AdminError> {
        Ok(self.store.list_access_apps(&t.id).await?)
    }

    /// One application, compiled and ready to decide requests.
    pub async fn compiled_access_app(
        &self,
        t: &TenantCtx,
        name: &str,
    ) -> Result<CompiledApp, AdminError> {
        let record = self
            .store
            .get_access_app(&t.id, name)
            .await?
            .ok_or(AdminError::NotFound("application"))?;
        let app: Application =
            serde_json::from_value(record.document).map_err(|e| AdminError::Invalid {
                field: "application",
                message: format!("stored application {name} does not read: {e}"),
            })?;
        CompiledApp::new(app).map_err(|e| AdminError::Invalid {
            field: "policies",
            message: e.to_string(),
        })
    }
}
