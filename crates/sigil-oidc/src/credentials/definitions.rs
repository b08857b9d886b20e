//! Credential types and verifiers: the ready-made ones (`employee`, `employee-check`) and
//! those administrators define (JSON documents, stored per tenant, checked before they are
//! saved). Read from the store on use: both change rarely and are read by requests that
//! write to the store anyway.

use serde_json::{Value, json};
use sigil_core::TenantId;
use sigil_core::model::{AuditEvent, AuditKind, VcDefinition};
use sigil_vc::dcql::DcqlQuery;
use sigil_vc::sd_jwt_vc::SD_JWT_VC;
use sigil_vc::types::{CredentialType, EMPLOYEE};
use sigil_vc::verifier::{EMPLOYEE_CHECK, VerifierConfig};
use sigil_vc::w3c::JWT_VC_JSON;

use crate::admin::AdminError;
use crate::error::OAuthError;
use crate::provider::{Provider, TenantCtx};

/// The stored kind of credential types.
const TYPE: &str = "credential_type";
/// The stored kind of verifiers.
const VERIFIER: &str = "verifier";

fn invalid(field: &'static str, message: impl Into<String>) -> AdminError {
    AdminError::Invalid {
        field,
        message: message.into(),
    }
}

impl Provider {
    async fn stored<T: serde::de::DeserializeOwned>(
        &self,
        tenant: &TenantId,
        kind: &str,
    ) -> Result<Vec<T>, OAuthError> {
        let defs = self.store.list_vc_definitions(tenant, kind).await?;
        Ok(defs
            .into_iter()
            .filter_map(|d| match serde_json::from_value(d.definition) {
                Ok(v) => Some(v),
                Err(e) => {
                    tracing::warn!(tenant = %tenant, kind, id = %d.id, error = %e, "an unreadable stored definition is ignored");
                    None
                }
            })
            .collect())
    }

    /// The credential types a tenant offers: the ready-made `employee` and those defined.
    pub async fn credential_types(&self, t: &TenantCtx) -> Result<Vec<CredentialType>, OAuthError> {
        if !self.issues_credentials() {
            return Ok(Vec::new());
        }
        let mut types = vec![CredentialType::employee(&t.issuer)];
        types.extend(self.stored::<CredentialType>(&t.id, TYPE).await?);
        Ok(types)
    }

    /// One credential type by its configuration id.
    pub async fn credential_type(
        &self,
        t: &TenantCtx,
        id: &str,
    ) -> Result<Option<CredentialType>, OAuthError> {
        Ok(self
            .credential_types(t)
            .await?
            .into_iter()
            .find(|ty| ty.id == id))
    }

    /// The verifiers a tenant has: the ready-made `employee-check` and those defined.
    pub async fn verifiers(&self, t: &TenantCtx) -> Result<Vec<VerifierConfig>, OAuthError> {
        let mut verifiers = vec![VerifierConfig::employee_check(
            &t.issuer,
            &self.credential_issuer_id(t),
        )];
        verifiers.extend(self.stored::<VerifierConfig>(&t.id, VERIFIER).await?);
        Ok(verifiers)
    }

    /// One verifier by id.
    pub async fn verifier(
        &self,
        t: &TenantCtx,
        id: &str,
    ) -> Result<Option<VerifierConfig>, OAuthError> {
        Ok(self.verifiers(t).await?.into_iter().find(|v| v.id == id))
    }

    /// Defines (or redefines) credential type `id` from a JSON document: `format`, `vct` (or
    /// for W3C credentials `vc_type` and `contexts`), `display`, `claims` (name, source,
    /// disclosable, display) and `lifetime_secs`.
    pub async fn save_credential_type(
        &self,
        t: &TenantCtx,
        actor: &str,
        id: &str,
        mut document: Value,
    ) -> Result<CredentialType, AdminError> {
        if id == EMPLOYEE {
            return Err(invalid(
                "id",
                "the ready-made employee type cannot be redefined",
            ));
        }
        let object = document
            .as_object_mut()
            .ok_or_else(|| invalid("body", "a credential type is a JSON object"))?;
        object.insert("id".into(), json!(id));
        let ty: CredentialType =
            serde_json::from_value(document).map_err(|e| invalid("body", e.to_string()))?;
        ty.validate().map_err(|e| invalid("body", e))?;
        self.save_definition(
            t,
            actor,
            TYPE,
            id,
            serde_json::to_value(&ty).unwrap_or_default(),
        )
        .await?;
        Ok(ty)
    }

    /// Defines (or redefines) verifier `id`: `name`, a DCQL query of `dc+sd-jwt` and
    /// `jwt_vc_json` credentials
    /// (`dcql_query`) and whose credentials it accepts: the issuers it lists
    /// (`accepted_issuers`), and those certified by its `trust_anchors`.
    pub async fn save_verifier(
        &self,
        t: &TenantCtx,
        actor: &str,
        id: &str,
        mut document: Value,
    ) -> Result<VerifierConfig, AdminError> {
        if id == EMPLOYEE_CHECK {
            return Err(invalid(
                "id",
                "the ready-made employee-check verifier cannot be redefined",
            ));
        }
        let valid_id = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !valid_id {
            return Err(invalid("id", "1-64 letters, digits, '-', '_' or '.'"));
        }
        let object = document
            .as_object_mut()
            .ok_or_else(|| invalid("body", "a verifier is a JSON object"))?;
        object.insert("id".into(), json!(id));
        let query = object.get("dcql_query").cloned().unwrap_or(Value::Null);
        let query = DcqlQuery::parse(&query).map_err(|e| invalid("dcql_query", e))?;
        if query
            .credentials
            .iter()
            .any(|c| c.format != SD_JWT_VC && c.format != JWT_VC_JSON)
        {
            return Err(invalid(
                "dcql_query",
                format!("only {SD_JWT_VC} and {JWT_VC_JSON} credentials can be asked for"),
            ));
        }
        let verifier: VerifierConfig =
            serde_json::from_value(document).map_err(|e| invalid("body", e.to_string()))?;
        if verifier.name.trim().is_empty() || verifier.name.len() > 200 {
            return Err(invalid("name", "a name of 1-200 characters is needed"));
        }
        let issuers_ok = verifier.accepted_issuers.iter().all(|i| {
            url::Url::parse(i).is_ok_and(|u| u.scheme() == "https" || u.scheme() == "http")
                || sigil_vc::did::is_did(i)
        });
        if !issuers_ok || verifier.accepted_issuers.len() + verifier.trust_anchors.len() == 0 {
            return Err(invalid(
                "accepted_issuers",
                "issuer URLs or DIDs are needed, or trust_anchors",
            ));
        }
        sigil_vc::trust::parse_anchors(&verifier.trust_anchors)
            .map_err(|e| invalid("trust_anchors", e))?;
        self.save_definition(
            t,
            actor,
            VERIFIER,
            id,
            serde_json::to_value(&verifier).unwrap_or_default(),
        )
        .await?;
        Ok(verifier)
    }

    async fn save_definition(
        &self,
        t: &TenantCtx,
        actor: &str,
        kind: &str,
        id: &str,
        definition: Value,
    ) -> Result<(), AdminError> {
        let now = self.now();
        let created_at = self
            .store
            .list_vc_definitions(&t.id, kind)
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .map_or(now, |d| d.created_at);
        let audit = AuditEvent::new(&t.id, now, AuditKind::VcDefinitionSaved, actor)
            .details(json!({"kind": kind, "id": id}));
        let def = VcDefinition {
            tenant: t.id.clone(),
            kind: kind.to_owned(),
            id: id.to_owned(),
            definition,
            created_at,
            updated_at: now,
        };
        self.store.put_vc_definition(&def, &audit).await?;
        Ok(())
    }

    /// Deletes a defined credential type (credentials already issued stay valid).
    pub async fn delete_credential_type(
        &self,
        t: &TenantCtx,
        actor: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        self.delete_definition(t, actor, TYPE, id, "credential type")
            .await
    }

    /// Deletes a defined verifier.
    pub async fn delete_verifier(
        &self,
        t: &TenantCtx,
        actor: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        self.delete_definition(t, actor, VERIFIER, id, "verifier")
            .await
    }

    async fn delete_definition(
        &self,
        t: &TenantCtx,
        actor: &str,
        kind: &str,
        id: &str,
        what: &'static str,
    ) -> Result<(), AdminError> {
        let audit = AuditEvent::new(&t.id, self.now(), AuditKind::VcDefinitionDeleted, actor)
            .details(json!({"kind": kind, "id": id}));
        if self
            .store
            .delete_vc_definition(&t.id, kind, id, &audit)
            .await?
        {
            Ok(())
        } else {
            Err(AdminError::NotFound(what))
        }
    }
}
