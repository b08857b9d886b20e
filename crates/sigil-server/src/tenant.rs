//! Resolves the tenant of a request from its path: `/t/{tenant}/…` names a tenant, anything
//! else is the default tenant. Unknown tenants get 404 before any handler runs
//! ([`crate::edge`]).

use axum::response::{IntoResponse, Response};
use sigil_core::TenantId;
use sigil_oidc::TenantCtx;

use crate::error::problem;
use crate::state::AppState;

/// The tenant path segment named in a path, if any.
pub fn tenant_in_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/t/")?;
    Some(rest.split('/').next().unwrap_or(rest))
}

/// The tenant a request's path names (the default tenant when none): its answer is `404`
/// for a tenant that does not exist, `503` when the store cannot say.
pub async fn resolve(state: &AppState, path: &str) -> Result<TenantCtx, Response> {
    let named = tenant_in_path(path)
        .or_else(|| path.strip_prefix("/.well-known/oauth-authorization-server/t/"));
    let not_found = || problem(404, "not-found", "No such tenant", None).into_response();
    let id = match named {
        Some(text) => TenantId::parse(text).map_err(|_| not_found())?,
        None => TenantId::default_tenant(),
    };
    match state.provider.resolve_tenant(&id).await {
        Ok(Some(ctx)) => Ok(ctx),
        Ok(None) => Err(not_found()),
        Err(e) => {
            tracing::warn!(error = %e, "tenant lookup failed");
            Err(problem(
                503,
                "unavailable",
                "The service is temporarily unavailable",
                None,
            )
            .into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tenant_in_path;

    #[test]
    fn finds_tenant_segment() {
        assert_eq!(tenant_in_path("/t/acme/token"), Some("acme"));
        assert_eq!(tenant_in_path("/t/acme"), Some("acme"));
        assert_eq!(tenant_in_path("/token"), None);
    }
}
