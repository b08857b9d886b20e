//! Who is calling the management API: a client with an access token Sigil issued it through
//! the client-credentials grant, for this tenant's issuer, carrying management scopes. A
//! user's token is refused even if it carries such scopes: user-delegated administration
//! needs roles, which do not exist yet.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sigil_core::ScopeSet;
use sigil_oidc::{ErrorCode, TenantCtx};

use super::error::ApiError;
use crate::extract::bearer_token;
use crate::state::AppState;

/// An authenticated management API caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The tenant the call acts on (its issuer issued the token).
    pub tenant: TenantCtx,
    /// The calling client.
    pub client_id: String,
    scopes: ScopeSet,
}

impl Caller {
    /// Refuses the call unless the token carries `scope`.
    pub fn require(&self, scope: &'static str) -> Result<(), ApiError> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope(scope))
        }
    }

    /// The absolute URL of an API path (`/users/…`) under the caller's tenant.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}{path}", self.tenant.issuer, super::PREFIX)
    }

    /// The actor recorded in audit events.
    pub fn actor(&self) -> String {
        format!("client:{}", self.client_id)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Already authenticated by a middleware (idempotency keys are per caller).
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let tenant = parts
            .extensions
            .get::<TenantCtx>()
            .cloned()
            .ok_or(ApiError::NotFound("tenant"))?;
        let token = bearer_token(&parts.headers).ok_or(ApiError::InvalidToken(
            "send an access token: Authorization: Bearer …",
        ))?;
        let claims = match state.provider.verify_access_token(&tenant, token).await {
            Ok(c) => c,
            Err(e) if e.code == ErrorCode::TemporarilyUnavailable => {
                return Err(ApiError::Unavailable);
            }
            Err(_) => return Err(ApiError::InvalidToken("the access token is not valid here")),
        };
        if !claims.aud.contains(&tenant.issuer) {
            return Err(ApiError::InvalidToken(
                "the access token is for another resource server",
            ));
        }
        if claims.is_user_token() {
            return Err(ApiError::Forbidden(
                "the management API takes a client's own token (client credentials grant)",
            ));
        }
        let scopes = ScopeSet::parse(&claims.scope).unwrap_or_default();
        Ok(Caller {
            tenant,
            client_id: claims.client_id,
            scopes,
        })
    }
}
