//! `/saml/service-providers`: the SAML service providers Sigil signs users in to, registered
//! from their metadata (docs/SAML.md). They are applications, so the client scopes govern
//! them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sigil_api_types::{
    Problem, SamlServiceProviderImport, SamlServiceProviderList, SamlServiceProviderResource,
};
use sigil_oidc::saml::{ServiceProviderView, SpSettings};

use super::auth::Caller;
use super::body::JsonBody;
use super::error::ApiError;
use super::query::{ApiPath, ById};
use crate::state::AppState;

fn resource(sp: ServiceProviderView) -> SamlServiceProviderResource {
    SamlServiceProviderResource {
        name: sp.name,
        version: sp.version,
        login_url: sp.login_url,
        metadata: serde_json::to_value(&sp.sp.metadata).unwrap_or_default(),
        attribute_map: sp.sp.attribute_map,
        encrypt_assertions: sp.sp.encrypt_assertions,
        allow_legacy_algorithms: sp.sp.allow_legacy_algorithms,
    }
}

/// Lists the service providers.
#[utoipa::path(
    get,
    path = "/saml/service-providers",
    tag = "saml",
    responses(
        (status = 200, description = "The service providers, by name", body = SamlServiceProviderList),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `clients:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["clients:read"]))
)]
pub async fn list_saml_sps(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require("clients:read")?;
    let t = &caller.tenant;
    let items = state
        .provider
        .saml_sps(t)
        .await?
        .into_iter()
        .map(resource)
        .collect();
    Ok(Json(SamlServiceProviderList { items }).into_response())
}

/// Reads one service provider.
#[utoipa::path(
    get,
    path = "/saml/service-providers/{id}",
    tag = "saml",
    params(("id" = String, Path, description = "The service provider's name")),
    responses(
        (status = 200, description = "The service provider", body = SamlServiceProviderResource),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `clients:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such service provider", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["clients:read"]))
)]
pub async fn get_saml_sp(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("clients:read")?;
    let t = &caller.tenant;
    Ok(Json(resource(state.provider.saml_sp(t, &id).await?)).into_response())
}

/// Registers a service provider under this name from its metadata, or replaces it (a new
/// version).
#[utoipa::path(
    put,
    path = "/saml/service-providers/{id}",
    tag = "saml",
    request_body = SamlServiceProviderImport,
    params(("id" = String, Path, description = "The service provider's name: lowercase letters, digits and hyphens")),
    responses(
        (status = 200, description = "The service provider as saved, with its version", body = SamlServiceProviderResource),
        (status = 400, description = "The body is not JSON of this shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `clients:write`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Its entity id is registered under another name", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Metadata that is not usable, a name or an attribute mapping that is not valid", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["clients:write"]))
)]
pub async fn put_saml_sp(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    JsonBody(body): JsonBody<SamlServiceProviderImport>,
) -> Result<Response, ApiError> {
    caller.require("clients:write")?;
    let t = &caller.tenant;
    let sp = state
        .provider
        .import_saml_sp(
            t,
            &caller.actor(),
            Some(&id),
            &body.metadata,
            SpSettings {
                attribute_map: body.attribute_map,
                encrypt_assertions: body.encrypt_assertions,
                allow_legacy_algorithms: body.allow_legacy_algorithms,
            },
        )
        .await?;
    Ok(Json(resource(sp)).into_response())
}

/// Removes a service provider.
#[utoipa::path(
    delete,
    path = "/saml/service-providers/{id}",
    tag = "saml",
    params(("id" = String, Path, description = "The service provider's name")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `clients:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such service provider", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["clients:write"]))
)]
pub async fn delete_saml_sp(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("clients:write")?;
    let t = &caller.tenant;
    state
        .provider
        .delete_saml_sp(t, &caller.actor(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
