//! Resolves the tenant of a request from its path: `/t/{tenant}/…` names a tenant, anything
//! else is the default tenant. Unknown tenants get 404 before any handler runs.

use axum::extract::{Request, State};
use axum::middleware::Next;
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

/// Middleware: puts the request's [`TenantCtx`] into its extensions.
pub async fn resolve_tenant(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let named = tenant_in_path(path)
        .or_else(|| path.strip_prefix("/.well-known/oauth-authorization-server/t/"));
    let id = match named {
        Some(text) => match TenantId::parse(text) {
            Ok(id) => id,
            Err(_) => return problem(404, "not-found", "No such tenant", None).into_response(),
        },
        None => TenantId::default_tenant(),
    };
    let ctx: Option<TenantCtx> = match state.provider.resolve_tenant(&id).await {
        Ok(ctx) => ctx,
        Err(e) => {
            tracing::warn!(error = %e, "tenant lookup failed");
            return problem(
                503,
                "unavailable",
                "The service is temporarily unavailable",
                None,
            )
            .into_response();
        }
    };
    let Some(ctx) = ctx else {
        return problem(404, "not-found", "No such tenant", None).into_response();
    };
    req.extensions_mut().insert(ctx);
    next.run(req).await
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
