//! `/credential-offers`, `/credentials`, `/users/{id}/credentials`: verifiable credentials
//! offered to users and their status; `/verifiers/{id}/requests` and `/presentations/{id}`:
//! presentation requests a relying application starts and the results it reads.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sigil_api_types::{
    ClientIdPrefixChoice, CredentialAction, CredentialList, CredentialOfferCreate,
    CredentialOfferResource, CredentialResource, CredentialStatusChange, OfferGrantType,
    PresentationRequestCreate, PresentationRequestResource, PresentationResponseMode,
    PresentationResultResource, Problem, rfc3339,
};
use sigil_core::UserId;
use sigil_oidc::credentials::{OfferGrant, StatusChange};
use sigil_vc::verifier::{ClientIdPrefix, ResponseMode};

use super::auth::Caller;
use super::body::JsonBody;
use super::error::ApiError;
use super::query::{ApiPath, ById, location};
use crate::state::AppState;

fn user_id(id: &str) -> Result<UserId, ApiError> {
    UserId::parse(id).map_err(|_| ApiError::NotFound("user"))
}

/// Offers a credential to a user (OpenID4VCI: redeemed with a pre-authorized code, or by
/// signing the user in).
#[utoipa::path(
    post,
    path = "/credential-offers",
    tag = "credentials",
    request_body = CredentialOfferCreate,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response")),
    responses(
        (status = 201, description = "Offered: give the user `offer_page` or `credential_offer_uri`, and `tx_code` another way", body = CredentialOfferResource),
        (status = 400, description = "The body does not match the schema", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `credentials:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown credential type, a transaction code with the authorization code grant, or the `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["credentials:write"]))
)]
pub async fn offer_credential(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<CredentialOfferCreate>,
) -> Result<Response, ApiError> {
    caller.require("credentials:write")?;
    let user = user_id(&body.user_id)?;
    let sign_in = body.grant == OfferGrantType::AuthorizationCode;
    let grant = OfferGrant::new(sign_in, body.tx_code)?;
    let offer = state
        .provider
        .offer_credential(&caller.tenant, &caller.actor(), &body.type_id, &user, grant)
        .await?;
    let resource = CredentialOfferResource {
        credential_id: offer.credential_id.clone(),
        credential_offer_uri: offer.credential_offer_uri,
        offer_url: offer.offer_url,
        offer_page: offer.offer_page,
        tx_code: offer.tx_code,
        expires_at: rfc3339(offer.expires_at),
    };
    let mut res = (StatusCode::CREATED, Json(resource)).into_response();
    location(
        &mut res,
        &caller.url(&format!("/credentials/{}", offer.credential_id)),
    );
    Ok(res)
}

/// Lists a user's credentials, newest first.
#[utoipa::path(
    get,
    path = "/users/{id}/credentials",
    tag = "credentials",
    params(("id" = String, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user's credentials", body = CredentialList),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `credentials:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["credentials:read"]))
)]
pub async fn user_credentials(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("credentials:read")?;
    let user = state
        .provider
        .get_user(&caller.tenant.id, &user_id(&id)?)
        .await?;
    let list = state
        .provider
        .list_credentials(&caller.tenant.id, &user.id)
        .await?;
    let items = list.iter().map(CredentialResource::from).collect();
    Ok(Json(CredentialList { items }).into_response())
}

/// Reads a credential.
#[utoipa::path(
    get,
    path = "/credentials/{id}",
    tag = "credentials",
    params(("id" = String, Path, description = "The credential's id")),
    responses(
        (status = 200, description = "The credential", body = CredentialResource),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `credentials:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such credential", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["credentials:read"]))
)]
pub async fn get_credential(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("credentials:read")?;
    let c = state
        .provider
        .get_credential(&caller.tenant.id, &id)
        .await?;
    Ok(Json(CredentialResource::from(&c)).into_response())
}

/// Suspends, reinstates or revokes a credential (verifiers see it in its status list), or
/// approves one whose type needs approval.
#[utoipa::path(
    post,
    path = "/credentials/{id}/status",
    tag = "credentials",
    request_body = CredentialStatusChange,
    params(
        ("id" = String, Path, description = "The credential's id"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response"),
    ),
    responses(
        (status = 200, description = "The credential with its new status or state", body = CredentialResource),
        (status = 400, description = "The body does not match the schema", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `credentials:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such credential", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The credential changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a change its status allows (a revoked credential stays revoked; only a valid credential not yet issued is approved), or the `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["credentials:write"]))
)]
pub async fn change_credential_status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    JsonBody(body): JsonBody<CredentialStatusChange>,
) -> Result<Response, ApiError> {
    caller.require("credentials:write")?;
    let (provider, tenant, actor) = (&state.provider, &caller.tenant.id, caller.actor());
    let change = match body.action {
        CredentialAction::Suspend => StatusChange::Suspend,
        CredentialAction::Reinstate => StatusChange::Reinstate,
        CredentialAction::Revoke => StatusChange::Revoke,
        CredentialAction::Approve => {
            let c = provider.approve_credential(tenant, &actor, &id).await?;
            return Ok(Json(CredentialResource::from(&c)).into_response());
        }
    };
    let c = provider
        .change_credential_status(tenant, &actor, &id, change)
        .await?;
    Ok(Json(CredentialResource::from(&c)).into_response())
}

/// Starts a presentation request (OpenID4VP) for one of the tenant's verifiers.
#[utoipa::path(
    post,
    path = "/verifiers/{id}/requests",
    tag = "presentations",
    request_body = PresentationRequestCreate,
    params(
        ("id" = String, Path, description = "The verifier, e.g. `employee-check`"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response"),
    ),
    responses(
        (status = 201, description = "Started: show `request_uri` as a QR code or link, or send the person to `page`", body = PresentationRequestResource),
        (status = 400, description = "The body does not match the schema", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `presentations:write`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown verifier, `x509_san_dns` for an issuer without a DNS name, or the `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["presentations:write"]))
)]
pub async fn request_presentation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    JsonBody(body): JsonBody<PresentationRequestCreate>,
) -> Result<Response, ApiError> {
    caller.require("presentations:write")?;
    let mode = match body.response_mode {
        PresentationResponseMode::DirectPost => ResponseMode::DirectPost,
        PresentationResponseMode::DirectPostJwt => ResponseMode::DirectPostJwt,
    };
    let prefix = match body.client_id_prefix {
        ClientIdPrefixChoice::X509Hash => ClientIdPrefix::X509Hash,
        ClientIdPrefixChoice::X509SanDns => ClientIdPrefix::X509SanDns,
        ClientIdPrefixChoice::RedirectUri => ClientIdPrefix::RedirectUri,
    };
    let created = state
        .provider
        .request_presentation(&caller.tenant, &id, prefix, mode)
        .await?;
    let resource = PresentationRequestResource {
        id: created.id.clone(),
        request_uri: created.request_uri,
        client_id: created.client_id,
        page: created.page,
        expires_at: rfc3339(created.expires_at),
    };
    let mut res = (StatusCode::CREATED, Json(resource)).into_response();
    location(
        &mut res,
        &caller.url(&format!("/presentations/{}", created.id)),
    );
    Ok(res)
}

/// What became of a presentation request: pending, verified (with only the claims asked
/// for) or rejected (with the reason). Kept for an hour after the wallet answers.
#[utoipa::path(
    get,
    path = "/presentations/{id}",
    tag = "presentations",
    params(("id" = String, Path, description = "The request's id")),
    responses(
        (status = 200, description = "The request's result", body = PresentationResultResource),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `presentations:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request, or its result has expired", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["presentations:read"]))
)]
pub async fn presentation_result(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("presentations:read")?;
    let outcome = state
        .provider
        .presentation_outcome(&caller.tenant, &id)
        .await?
        .ok_or(ApiError::NotFound("presentation request"))?;
    Ok(Json(PresentationResultResource {
        id,
        status: outcome.status,
        verifier: outcome.verifier,
        claims: outcome.claims,
        reason: outcome.reason,
    })
    .into_response())
}
