//! The verifier's endpoints (OpenID4VP 1.0): request objects fetched by reference, the
//! response endpoint wallets post to, and the page that shows a request to a person.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use sigil_oidc::presentations::{REQUEST_PATH, RESPONSE_PATH, ResponseError};

use crate::error::oauth_error;
use crate::extract::{Ctx, FormParams, Tenant};
use crate::routes::vci::{absent, no_store, qr_svg};
use crate::routes::{error_page, page};
use crate::state::AppState;

/// The verifier's machine routes, relative to a tenant.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(&format!("{REQUEST_PATH}/{{id}}"), get(request_object))
        .route(RESPONSE_PATH, post(response))
}

/// `GET /vp/requests/{id}`: the request object (`application/oauth-authz-req+jwt`).
async fn request_object(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> Response {
    match state.provider.presentation_request_object(&t, &id).await {
        Ok(Some(jwt)) => {
            let mut res = no_store(jwt.into_response());
            res.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/oauth-authz-req+jwt"),
            );
            res
        }
        Ok(None) => absent(),
        Err(e) => oauth_error(&e),
    }
}

/// `POST /vp/response`: a wallet's answer (`direct_post` or `direct_post.jwt`).
async fn response(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    FormParams(form): FormParams,
) -> Response {
    match state.provider.presentation_response(&t, &form).await {
        Ok(_) => no_store(Json(json!({})).into_response()),
        Err(ResponseError::Invalid(why)) => no_store(
            (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "invalid_request", "error_description": why})),
            )
                .into_response(),
        ),
        Err(ResponseError::Server(e)) => oauth_error(&e),
    }
}

/// `GET /presentation/{id}`: the request as a QR code a wallet scans and a same-device
/// link, while it waits for the wallet.
pub async fn presentation_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Response {
    let outcome = match state.provider.presentation_outcome(&ctx.tenant, &id).await {
        Ok(o) => o,
        Err(e) => return error_page(&state, &ctx, &e).await,
    };
    let link = match state.provider.presentation_link(&ctx.tenant, &id).await {
        Ok(link) => link,
        Err(e) => return error_page(&state, &ctx, &e).await,
    };
    let status = outcome.as_ref().map(|o| o.status.clone());
    let verifier = outcome
        .as_ref()
        .map(|o| o.verifier.as_str())
        .unwrap_or_default();
    let name = match state.provider.verifier(&ctx.tenant, verifier).await {
        Ok(Some(v)) => v.name,
        _ => String::new(),
    };
    let code = if status.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let values = minijinja::context! {
        name => name,
        status => status,
        qr => minijinja::Value::from_safe_string(link.as_deref().and_then(qr_svg).unwrap_or_default()),
        link => link,
    };
    no_store(page(&state, &ctx, "presentation.html", values, code, &[]).await)
}
