//! Row → record decoders, written once for both backends (the schemas have the same columns).

use sigil_core::model::{
    AccessApp, AccessKind, Artifact, ArtifactKind, AuditEvent, AuditOutcome, AuthMethod,
    Authentication, Client, Consent, CredentialState, CredentialStatus, Delivery, DeliveryAttempt,
    DeliveryState, DeviceAuthorization, DeviceStatus, ExternalIdentity, Group, Hook,
    IssuedCredential, ProvisioningToken, RefreshToken, Session, SigningAlg, StoredKey, Tenant,
    TokenFamily, User,
};
use sigil_core::{ClientId, GroupId, SessionId, UnixMillis, UserId};
use sigil_store::{StoreError, StoreResult};

use crate::rows::RowExt;

pub(crate) fn tenant(row: &impl RowExt) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: row.tenant("id")?,
        display_name: row.text("display_name")?,
        created_at: row.time("created_at")?,
    })
}

pub(crate) fn user(row: &impl RowExt) -> StoreResult<User> {
    Ok(User {
        tenant: row.tenant("tenant_id")?,
        id: row.user("id")?,
        username: row.text("username")?,
        email: row.opt_text("email")?,
        email_verified: row.flag("email_verified")?,
        name: row.opt_text("name")?,
        password_hash: row.opt_text("password_hash")?,
        disabled: row.flag("disabled")?,
        external_id: row.opt_text("external_id")?,
        attributes: row.json("attributes")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        revision: row.int("revision")?,
    })
}

pub(crate) fn group(row: &impl RowExt) -> StoreResult<Group> {
    Ok(Group {
        tenant: row.tenant("tenant_id")?,
        id: row.parsed("id", GroupId::parse)?,
        name: row.text("name")?,
        description: row.opt_text("description")?,
        external_id: row.opt_text("external_id")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        revision: row.int("revision")?,
    })
}

pub(crate) fn client(row: &impl RowExt) -> StoreResult<Client> {
    Ok(Client {
        tenant: row.tenant("tenant_id")?,
        id: row.client("id")?,
        name: row.text("name")?,
        secret_digest: row.opt_digest("secret_digest")?,
        auth_method: row.parsed("auth_method", |m| {
            AuthMethod::parse(m).ok_or("unknown auth method")
        })?,
        redirect_uris: row.json("redirect_uris")?,
        post_logout_redirect_uris: row.json("post_logout_redirect_uris")?,
        grant_types: row.json("grant_types")?,
        scopes: row.scopes("scopes")?,
        resources: row.json("resources")?,
        jwks_uri: row.opt_text("jwks_uri")?,
        jwks: row.opt_json("jwks")?,
        require_pkce: row.flag("require_pkce")?,
        first_party: row.flag("first_party")?,
        id_token_signed_response_alg: row.parsed("id_token_alg", |a| {
            SigningAlg::parse(a).ok_or("unknown alg")
        })?,
        logout: row.json("logout_channels")?,
        disabled: row.flag("disabled")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        revision: row.int("revision")?,
    })
}

pub(crate) fn key(row: &impl RowExt) -> StoreResult<StoredKey> {
    Ok(StoredKey {
        tenant: row.tenant("tenant_id")?,
        kid: row.text("kid")?,
        alg: row.parsed("alg", |a| SigningAlg::parse(a).ok_or("unknown alg"))?,
        encrypted_private_key: row.bytes("encrypted_private_key")?,
        public_jwk: row.json("public_jwk")?,
        created_at: row.time("created_at")?,
        activates_at: row.time("activates_at")?,
        retires_at: row.opt_time("retires_at")?,
        publish_until: row.opt_time("publish_until")?,
    })
}

pub(crate) fn session(row: &impl RowExt) -> StoreResult<Session> {
    Ok(Session {
        tenant: row.tenant("tenant_id")?,
        id: row.session("id")?,
        secret_digest: row.digest("secret_digest")?,
        auth: Authentication {
            user_id: row.user("user_id")?,
            auth_time: row.time("auth_time")?,
            amr: row.json("amr")?,
            acr: row.text("acr")?,
        },
        created_at: row.time("created_at")?,
        last_seen_at: row.time("last_seen_at")?,
        expires_at: row.time("expires_at")?,
        ended_at: row.opt_time("ended_at")?,
        user_agent: row.opt_text("user_agent")?,
        ip: row.opt_text("ip")?,
    })
}

pub(crate) fn consent(row: &impl RowExt) -> StoreResult<Consent> {
    Ok(Consent {
        tenant: row.tenant("tenant_id")?,
        user_id: row.user("user_id")?,
        client_id: row.client("client_id")?,
        scopes: row.scopes("scopes")?,
        granted_at: row.time("granted_at")?,
    })
}

/// A refresh token joined with its family (the family's columns aliased where names clash).
pub(crate) fn refresh(row: &impl RowExt) -> StoreResult<(RefreshToken, TokenFamily)> {
    let tenant = row.tenant("tenant_id")?;
    let family_id = row.text("family_id")?;
    let token = RefreshToken {
        tenant: tenant.clone(),
        digest: row.digest("digest")?,
        family_id: family_id.clone(),
        scopes: row.scopes("scopes")?,
        issued_at: row.time("issued_at")?,
        expires_at: row.time("expires_at")?,
        used_at: row.opt_time("used_at")?,
        access_jti: row.text("access_jti")?,
        access_expires_at: row.time("access_expires_at")?,
    };
    let family = TokenFamily {
        tenant,
        id: family_id,
        client_id: row.client("client_id")?,
        user_id: row.user("user_id")?,
        session_id: row.opt_parsed("session_id", SessionId::parse)?,
        scopes: row.scopes("family_scopes")?,
        auth_time: row.time("auth_time")?,
        amr: row.json("amr")?,
        acr: row.text("acr")?,
        audience: row.json("audience")?,
        created_at: row.time("created_at")?,
        expires_at: row.time("family_expires_at")?,
        revoked_at: row.opt_time("revoked_at")?,
    };
    Ok((token, family))
}

pub(crate) fn artifact(row: &impl RowExt, kind: ArtifactKind) -> StoreResult<Artifact> {
    Ok(Artifact {
        tenant: row.tenant("tenant_id")?,
        kind,
        key: row.digest("key")?,
        payload: row.json("payload")?,
        expires_at: row.time("expires_at")?,
        consumed_at: row.opt_time("consumed_at")?,
    })
}

pub(crate) fn device(row: &impl RowExt) -> StoreResult<DeviceAuthorization> {
    Ok(DeviceAuthorization {
        tenant: row.tenant("tenant_id")?,
        device_code_digest: row.digest("device_code_digest")?,
        user_code: row.text("user_code")?,
        client_id: row.client("client_id")?,
        scopes: row.scopes("scopes")?,
        expires_at: row.time("expires_at")?,
        interval_secs: u32::try_from(row.int("interval_secs")?)
            .map_err(|_| StoreError::Corrupt("interval_secs out of range".into()))?,
        last_polled_at: row.opt_int("last_polled_ms")?.map(UnixMillis),
        status: row.parsed("status", |s| DeviceStatus::parse(s).ok_or("unknown status"))?,
        approval: row.opt_json("approval")?,
        grant_id: row.text("grant_id")?,
        access_jti: row.text("access_jti")?,
    })
}

pub(crate) fn event(row: &impl RowExt) -> StoreResult<AuditEvent> {
    let kind = row.parsed("kind", |k| {
        serde_json::from_value(serde_json::Value::String(k.to_owned()))
    })?;
    Ok(AuditEvent {
        tenant: row.tenant("tenant_id")?,
        id: row.text("id")?,
        at: row.time("at")?,
        kind,
        actor: row.text("actor")?,
        user_id: row.opt_parsed("user_id", UserId::parse)?,
        client_id: row.opt_parsed("client_id", ClientId::parse)?,
        ip: row.opt_text("ip")?,
        user_agent: row.opt_text("user_agent")?,
        request_id: row.opt_text("request_id")?,
        outcome: row.parsed("outcome", |o| {
            AuditOutcome::parse(o).ok_or("unknown audit outcome")
        })?,
        details: row.json("details")?,
    })
}

pub(crate) fn access_app(row: &impl RowExt, kind: AccessKind) -> StoreResult<AccessApp> {
    Ok(AccessApp {
        tenant: row.tenant("tenant_id")?,
        kind,
        name: row.text("name")?,
        version: row.int("version")?,
        document: row.json("document")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

pub(crate) fn external_identity(row: &impl RowExt) -> StoreResult<ExternalIdentity> {
    Ok(ExternalIdentity {
        tenant: row.tenant("tenant_id")?,
        provider: row.text("provider")?,
        subject: row.text("subject")?,
        user_id: row.user("user_id")?,
        created_at: row.time("created_at")?,
    })
}

pub(crate) fn provisioning_token(row: &impl RowExt) -> StoreResult<ProvisioningToken> {
    Ok(ProvisioningToken {
        tenant: row.tenant("tenant_id")?,
        id: row.text("id")?,
        name: row.text("name")?,
        digest: row.digest("digest")?,
        created_at: row.time("created_at")?,
    })
}

pub(crate) fn credential(row: &impl RowExt) -> StoreResult<IssuedCredential> {
    Ok(IssuedCredential {
        tenant: row.tenant("tenant_id")?,
        id: row.text("id")?,
        user_id: row.user("user_id")?,
        type_id: row.text("type_id")?,
        state: row.parsed("state", |s| {
            CredentialState::parse(s).ok_or("unknown credential state")
        })?,
        status: row.parsed("status", |s| {
            CredentialStatus::parse(s).ok_or("unknown credential status")
        })?,
        created_at: row.time("created_at")?,
        issued_at: row.opt_time("issued_at")?,
        expires_at: row.opt_time("expires_at")?,
        updated_at: row.time("updated_at")?,
        copies: u32::try_from(row.int("copies")?)
            .map_err(|_| StoreError::Corrupt("credential copies".into()))?,
    })
}

pub(crate) fn hook(row: &impl RowExt) -> StoreResult<Hook> {
    Ok(Hook {
        tenant: row.tenant("tenant_id")?,
        id: row.text("id")?,
        url: row.text("url")?,
        event_types: row.json("event_types")?,
        secret_sealed: row.bytes("secret_sealed")?,
        description: row.opt_text("description")?,
        disabled: row.flag("disabled")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        revision: row.int("revision")?,
    })
}

pub(crate) fn delivery(row: &impl RowExt) -> StoreResult<Delivery> {
    Ok(Delivery {
        tenant: row.tenant("tenant_id")?,
        id: row.text("id")?,
        hook_id: row.text("hook_id")?,
        event_id: row.text("event_id")?,
        event_type: row.text("event_type")?,
        payload: row.text("payload")?,
        state: row.parsed("state", |s| {
            DeliveryState::parse(s).ok_or("unknown delivery state")
        })?,
        attempts: row.int("attempts")?,
        next_attempt_at: row.time("next_attempt_at")?,
        last_status: row.opt_int("last_status")?,
        last_error: row.opt_text("last_error")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

pub(crate) fn attempt(row: &impl RowExt) -> StoreResult<DeliveryAttempt> {
    Ok(DeliveryAttempt {
        n: row.int("n")?,
        at: row.time("at")?,
        status: row.opt_int("status")?,
        error: row.opt_text("error")?,
        duration_ms: row.int("duration_ms")?,
    })
}
