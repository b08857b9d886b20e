//! The management API, `/api/v1` (and `/t/{tenant}/api/v1`): handlers annotated with their
//! OpenAPI operations, collected by `utoipa-axum` so that the published document and the
//! routes cannot drift apart. Conventions are written down in docs/API.md.

mod audit;
mod auth;
mod body;
mod clients;
mod credentials;
mod definitions;
pub mod deprecation;
mod docs;
mod error;
mod gateway;
pub(crate) mod global_revocation;
mod groups;
mod hooks;
mod idempotency;
mod identity_providers;
mod keys;
mod query;
mod saml;
mod sessions;
mod sign_on;
mod tenants;
mod users;

use std::sync::LazyLock;

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sigil_oidc::TenantCtx;
use utoipa::OpenApi;
use utoipa::openapi::security::{ClientCredentials, Flow, OAuth2, Scopes, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::ApiError;

use crate::extract::Tenant;
use crate::state::AppState;

/// Where the API lives under a tenant's issuer.
pub const PREFIX: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sigil management API",
        version = "1",
        description = "Manage a Sigil tenant: users, clients, sessions, keys and audit events. \
            Authenticate with an access token from the client-credentials grant of this \
            tenant's token endpoint. Errors are RFC 9457 problem documents; resources carry an \
            `ETag` and updates need `If-Match`; every POST and PATCH accepts an \
            `Idempotency-Key`. `/api/v1` only ever gains fields.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    tags(
        (name = "users", description = "People who sign in"),
        (name = "groups", description = "Groups of users"),
        (name = "clients", description = "Applications that sign people in or call APIs"),
        (name = "sessions", description = "Users' sign-in sessions"),
        (name = "keys", description = "The keys tokens are signed with"),
        (name = "audit", description = "The audit trail"),
        (name = "tenants", description = "Separate issuers with their own users, clients and keys"),
        (name = "hooks", description = "HTTPS endpoints that receive events, signed, with retries"),
        (name = "credentials", description = "Verifiable credentials offered to users, and their status"),
        (name = "presentations", description = "Asking wallets for credentials, and what they presented"),
        (name = "gateway", description = "Applications behind the identity-aware gateway, their access policies, and dry-run decisions"),
        (name = "saml", description = "SAML service providers Sigil signs users in to"),
        (name = "identity-providers", description = "External OpenID and SAML identity providers people sign in through")
    )
)]
struct ApiDoc;

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(
            users::get_user,
            users::update_user,
            users::delete_user
        ))
        .routes(routes!(users::set_password))
        .routes(routes!(groups::list_groups, groups::create_group))
        .routes(routes!(
            groups::get_group,
            groups::update_group,
            groups::delete_group
        ))
        .routes(routes!(groups::list_members, groups::add_member))
        .routes(routes!(groups::remove_member))
        .routes(routes!(groups::user_groups))
        .routes(routes!(clients::list_clients, clients::create_client))
        .routes(routes!(
            clients::get_client,
            clients::update_client,
            clients::delete_client
        ))
        .routes(routes!(clients::rotate_secret))
        .routes(routes!(sessions::list_sessions, sessions::revoke_sessions))
        .routes(routes!(sessions::revoke_session))
        .routes(routes!(keys::list_keys))
        .routes(routes!(keys::rotate_keys))
        .routes(routes!(audit::list_audit))
        .routes(routes!(tenants::list_tenants, tenants::create_tenant))
        .routes(routes!(tenants::get_tenant))
        .routes(routes!(hooks::list_hooks, hooks::create_hook))
        .routes(routes!(
            hooks::get_hook,
            hooks::update_hook,
            hooks::delete_hook
        ))
        .routes(routes!(hooks::rotate_hook_secret))
        .routes(routes!(hooks::list_deliveries))
        .routes(routes!(credentials::offer_credential))
        .routes(routes!(credentials::user_credentials))
        .routes(routes!(credentials::get_credential))
        .routes(routes!(credentials::change_credential_status))
        .routes(routes!(credentials::request_presentation))
        .routes(routes!(credentials::presentation_result))
        .routes(routes!(definitions::list_credential_types))
        .routes(routes!(
            definitions::put_credential_type,
            definitions::delete_credential_type
        ))
        .routes(routes!(gateway::list_gateway_apps))
        .routes(routes!(gateway::get_gateway_app, gateway::put_gateway_app))
        .routes(routes!(gateway::evaluate_gateway_request))
        .routes(routes!(
            sign_on::get_sign_on_policy,
            sign_on::put_sign_on_policy,
            sign_on::delete_sign_on_policy
        ))
        .routes(routes!(sign_on::evaluate_sign_on))
        .routes(routes!(saml::list_saml_sps))
        .routes(routes!(identity_providers::list_identity_providers))
        .routes(routes!(
            identity_providers::get_identity_provider,
            identity_providers::put_identity_provider,
            identity_providers::delete_identity_provider
        ))
        .routes(routes!(
            saml::get_saml_sp,
            saml::put_saml_sp,
            saml::delete_saml_sp
        ))
        .routes(routes!(definitions::list_verifiers))
        .routes(routes!(
            definitions::put_verifier,
            definitions::delete_verifier
        ))
}

/// The document without tenant-specific parts (servers, token URL): built once.
static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| {
    let mut doc = routes().split_for_parts().1;
    document_rate_limits(&mut doc);
    deprecation::mark(&mut doc, deprecation::DEPRECATED);
    doc
});

/// Adds the `429` every operation may answer (the rate limiter sits in front of them all),
/// and the `RateLimit` fields every response may carry.
fn document_rate_limits(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::header::Header;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};

    let text = |description: &str| {
        let mut header = Header::new(ObjectBuilder::new().schema_type(Type::String));
        header.description = Some(description.to_owned());
        header
    };
    let too_many = ResponseBuilder::new()
        .description(
            "Too many requests: a rate limit of this client, its IP or the tenant is spent",
        )
        .header("Retry-After", text("Seconds to wait before retrying"))
        .header(
            "RateLimit-Policy",
            text("The quota policies applied (draft-ietf-httpapi-ratelimit-headers)"),
        )
        .header(
            "RateLimit",
            text("What is left of each quota, and when it resets"),
        )
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build();
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            operation
                .responses
                .responses
                .insert("429".into(), too_many.clone().into());
        }
    }
}

/// The OpenAPI document as a tenant serves it: its own server URL and token endpoint.
pub fn openapi(t: &TenantCtx) -> utoipa::openapi::OpenApi {
    let mut doc = DOCUMENT.clone();
    doc.servers = Some(vec![Server::new(format!("{}{PREFIX}", t.issuer))]);
    let scopes = Scopes::from_iter(sigil_oidc::admin::MANAGEMENT_SCOPES.iter().copied());
    let scheme = SecurityScheme::OAuth2(OAuth2::with_description(
        [Flow::ClientCredentials(ClientCredentials::new(
            format!("{}{}", t.issuer, sigil_oidc::endpoints::TOKEN),
            scopes,
        ))],
        "An access token from the client-credentials grant (`sigil client create --admin`).",
    ));
    doc.components
        .get_or_insert_with(Default::default)
        .security_schemes
        .insert("oauth2".into(), scheme.into());
    doc
}

/// `GET /api/v1/openapi.json`.
async fn openapi_json(Tenant(t): Tenant) -> Response {
    let mut res = axum::Json(openapi(&t)).into_response();
    res.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    res
}

/// The management API's routes, relative to [`PREFIX`].
pub fn router(state: &AppState) -> Router<AppState> {
    let (router, _) = routes().split_for_parts();
    router
        .route_layer(from_fn_with_state(state.clone(), idempotency::idempotency))
        .route_layer(axum::middleware::from_fn(deprecation::announce))
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(docs::reference))
        .fallback(|| async { ApiError::NotFound("resource").into_response() })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed.into_response() })
}
