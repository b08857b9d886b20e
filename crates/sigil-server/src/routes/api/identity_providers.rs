//! `/identity-providers`: the external OpenID providers and SAML identity providers people
//! sign in through (docs/FEDERATION.md), the same service calls `sigil idp` makes.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sigil_api_types::{
    IdentityProviderList, IdentityProviderPut, IdentityProviderResource, Problem,
};
use sigil_oidc::federation::{
    IdentityProviderView, NewIdentityProvider, ProviderBasics, Provisioning,
};

use super::auth::Caller;
use super::body::JsonBody;
use super::error::ApiError;
use super::query::{ApiPath, ById};
use crate::state::AppState;

fn resource(view: IdentityProviderView) -> IdentityProviderResource {
    let p = view.provider;
    let claims = [
        ("username", p.claims.username),
        ("email", p.claims.email),
        ("name", p.claims.name),
        ("groups", p.claims.groups),
    ]
    .into_iter()
    .map(|(field, claim)| (field.to_owned(), claim))
    .collect();
    IdentityProviderResource {
        name: view.name,
        version: view.version,
        client_id: (!p.client_id.is_empty()).then_some(p.client_id),
        client_secret_set: p.client_secret_sealed.is_some(),
        allow_legacy_algorithms: p.saml.as_ref().is_some_and(|s| s.allow_legacy_algorithms),
        kind: p.kind,
        display_name: p.display_name,
        issuer: p.issuer,
        scopes: p.scopes,
        domains: p.domains,
        claims,
        groups: p.groups,
        link_only: p.provisioning == Provisioning::LinkOnly,
        redirect_uri: view.redirect_uri,
        post_logout_redirect_uri: view.post_logout_redirect_uri,
        sp_metadata_url: view.sp_metadata_url,
    }
}

/// The provider a request body describes.
fn described(name: &str, body: IdentityProviderPut) -> Result<NewIdentityProvider, ApiError> {
    let basics = ProviderBasics {
        display_name: body.display_name,
        domains: body.domains,
        claims: body.claims.into_iter().collect(),
        groups: body.groups,
        link_only: body.link_only,
    };
    let new = match body.kind.as_str() {
        "oidc" => {
            let (Some(url), Some(client_id)) = (body.discovery_url, body.client_id) else {
                return Err(ApiError::invalid(
                    "/discovery_url",
                    "an OpenID provider needs discovery_url and client_id",
                ));
            };
            NewIdentityProvider::oidc(
                name,
                basics,
                &url,
                client_id,
                body.client_secret,
                body.scopes,
            )?
        }
        "saml" => {
            let Some(metadata) = body.metadata else {
                return Err(ApiError::invalid(
                    "/metadata",
                    "a SAML provider needs its metadata",
                ));
            };
            NewIdentityProvider::saml(name, basics, &metadata, body.allow_legacy_algorithms)?
        }
        _ => return Err(ApiError::invalid("/kind", "kind is oidc or saml")),
    };
    Ok(new)
}

/// Lists the providers.
#[utoipa::path(
    get,
    path = "/identity-providers",
    tag = "identity-providers",
    responses(
        (status = 200, description = "The providers, by name", body = IdentityProviderList),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `identity-providers:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["identity-providers:read"]))
)]
pub async fn list_identity_providers(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require("identity-providers:read")?;
    let items = state
        .provider
        .identity_providers(&caller.tenant)
        .await?
        .into_iter()
        .map(resource)
        .collect();
    Ok(Json(IdentityProviderList { items }).into_response())
}

/// Reads one provider.
#[utoipa::path(
    get,
    path = "/identity-providers/{id}",
    tag = "identity-providers",
    params(("id" = String, Path, description = "The provider's name")),
    responses(
        (status = 200, description = "The provider", body = IdentityProviderResource),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `identity-providers:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["identity-providers:read"]))
)]
pub async fn get_identity_provider(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("identity-providers:read")?;
    let view = state
        .provider
        .identity_provider(&caller.tenant, &id)
        .await?;
    Ok(Json(resource(view)).into_response())
}

/// Adds a provider under this name, or replaces it (a new version; its identifier cannot
/// change, and a client secret not given again is dropped).
#[utoipa::path(
    put,
    path = "/identity-providers/{id}",
    tag = "identity-providers",
    request_body = IdentityProviderPut,
    params(("id" = String, Path, description = "The provider's name: lowercase letters, digits and hyphens")),
    responses(
        (status = 200, description = "The provider as saved, with its version", body = IdentityProviderResource),
        (status = 400, description = "The body is not JSON of this shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `identity-providers:write`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "One of its domains is routed to another provider", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A name, issuer, metadata, scope, domain or mapping that is not valid, or a changed identifier", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["identity-providers:write"]))
)]
pub async fn put_identity_provider(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    JsonBody(body): JsonBody<IdentityProviderPut>,
) -> Result<Response, ApiError> {
    caller.require("identity-providers:write")?;
    let new = described(&id, body)?;
    let saved = state
        .provider
        .save_identity_provider(&caller.tenant, &caller.actor(), &id, new)
        .await?;
    Ok(Json(resource(saved)).into_response())
}

/// Removes a provider and every account's link to it.
#[utoipa::path(
    delete,
    path = "/identity-providers/{id}",
    tag = "identity-providers",
    params(("id" = String, Path, description = "The provider's name")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `identity-providers:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["identity-providers:write"]))
)]
pub async fn delete_identity_provider(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("identity-providers:write")?;
    state
        .provider
        .delete_identity_provider(&caller.tenant, &caller.actor(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
