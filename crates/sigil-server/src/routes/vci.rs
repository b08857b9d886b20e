//! The credential issuer's endpoints (OpenID4VCI 1.0): metadata, offers by reference, the
//! nonce, credential, deferred credential and notification endpoints, SD-JWT VC type metadata and status lists.
//! Tokens come only in the `Authorization` header; every answer but metadata and status
//! lists is `no-store`.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, PRAGMA};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sigil_oidc::credentials::{
    IssuerError, OFFER_PATH, PublishedList, RequestBody, STATUS_LIST_PATH,
};
use sigil_oidc::dpop::{DPOP_ALGS, PresentedToken};
use sigil_oidc::error::{ErrorCode, OAuthError};
use sigil_oidc::provider::TenantCtx;
use sigil_vc::metadata::{
    CREDENTIAL_PATH, DEFERRED_PATH, NONCE_PATH, NOTIFICATION_PATH, type_metadata,
};
use sigil_vc::offer::link_by_reference;
use sigil_vc::types::CredentialFormat;
use sigil_vc::w3c::status::StatusPurpose;

use crate::error::{bearer_error, oauth_error, problem};
use crate::extract::{Ctx, Tenant, authorization, bearer_token, dpop_header};
use crate::routes::discovery::public;
use crate::routes::userinfo::missing;
use crate::routes::{error_page, page};
use crate::state::AppState;

/// The issuer's routes, relative to a tenant.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/.well-known/openid-credential-issuer",
            get(credential_issuer_metadata),
        )
        .route("/.well-known/jwt-vc-issuer", get(jwt_vc_issuer_metadata))
        .route("/.well-known/did.json", get(did_document))
        .route("/did.json", get(did_document))
        .route("/vct/{id}", get(vct))
        .route(&format!("{OFFER_PATH}/{{handle}}"), get(offer))
        .route(NONCE_PATH, post(nonce))
        .route(CREDENTIAL_PATH, post(credential))
        .route(NOTIFICATION_PATH, post(notification))
        .route(DEFERRED_PATH, post(deferred_credential))
        .route(&format!("{STATUS_LIST_PATH}/{{id}}"), get(status_list))
        .route(
            &format!("{STATUS_LIST_PATH}/{{id}}/{{purpose}}"),
            get(bitstring_status_list),
        )
}

/// `404`: an unknown offer, type or list, or credentials not issued by this deployment.
pub(crate) fn absent() -> Response {
    problem(404, "not-found", "Not found", None)
}

pub(crate) fn no_store(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

fn issuer_error(e: &IssuerError, dpop: bool) -> Response {
    match e {
        IssuerError::Token(e) => token_error(e, dpop),
        IssuerError::Request(e) => {
            no_store((StatusCode::BAD_REQUEST, Json(e.body())).into_response())
        }
    }
}

/// A refused access token: a Bearer challenge, or a DPoP one (401, with the accepted
/// algorithms) when the token came under the DPoP scheme or its proof failed (RFC 9449 §7.1).
fn token_error(e: &OAuthError, dpop: bool) -> Response {
    let dpop_challenge = matches!(
        e.code,
        ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce
    ) || (dpop && e.code == ErrorCode::InvalidToken);
    if !dpop_challenge {
        return bearer_error(e);
    }
    let mut res = oauth_error(e);
    *res.status_mut() = StatusCode::UNAUTHORIZED;
    let algs: Vec<&str> = DPOP_ALGS.iter().map(|a| a.as_str()).collect();
    let challenge = format!(
        "DPoP algs=\"{}\", error=\"{}\", error_description=\"{}\"",
        algs.join(" "),
        e.code.as_str(),
        sigil_oidc::params::sanitize(&e.description)
    );
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        res.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    res
}

/// Whether this deployment issues credentials; the endpoints are absent otherwise.
fn issuing(state: &AppState) -> bool {
    state.provider.issues_credentials()
}

/// `GET /.well-known/openid-credential-issuer`.
pub async fn credential_issuer_metadata(
    State(state): State<AppState>,
    Tenant(t): Tenant,
) -> Response {
    if !issuing(&state) {
        return absent();
    }
    match state.provider.credential_issuer_metadata(&t).await {
        Ok(doc) => public(Json(doc).into_response(), 3600),
        Err(e) => oauth_error(&e),
    }
}

/// `GET /.well-known/jwt-vc-issuer`.
pub async fn jwt_vc_issuer_metadata(State(state): State<AppState>, Tenant(t): Tenant) -> Response {
    if !issuing(&state) {
        return absent();
    }
    match state.provider.jwt_vc_issuer_metadata(&t).await {
        Ok(doc) => public(
            Json(doc).into_response(),
            state.provider.config().keys.jwks_max_age,
        ),
        Err(e) => oauth_error(&e),
    }
}

/// `GET /.well-known/did.json` (an issuer URL without a path) or `GET …/did.json` (with one):
/// the DID document of a tenant that issues as a `did:web`, at the one URL its DID names.
async fn did_document(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    OriginalUri(uri): OriginalUri,
) -> Response {
    if !issuing(&state) {
        return absent();
    }
    let document = match state.provider.issuer_did_document(&t).await {
        Ok(Some(document)) => document,
        Ok(None) => return absent(),
        Err(e) => return oauth_error(&e),
    };
    // `did:web:host` is read at `/.well-known/did.json`, `did:web:host:path…` at `/path…/did.json`.
    let did = state.provider.credential_issuer_id(&t);
    let did_has_path = did.trim_start_matches("did:web:").contains(':');
    if uri.path().ends_with("/.well-known/did.json") == did_has_path {
        return absent();
    }
    let mut res = Json(document).into_response();
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/did+json"),
    );
    public(res, state.provider.config().keys.jwks_max_age)
}

/// `GET /vct/{id}`: SD-JWT VC Type Metadata.
async fn vct(State(state): State<AppState>, Tenant(t): Tenant, Path(id): Path<String>) -> Response {
    match state.provider.credential_type(&t, &id).await {
        Ok(Some(ty)) if ty.format == CredentialFormat::SdJwtVc => {
            public(Json(type_metadata(&ty)).into_response(), 3600)
        }
        Ok(_) => absent(),
        Err(e) => oauth_error(&e),
    }
}

/// `GET /vci/offers/{handle}`: a credential offer by reference.
async fn offer(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    Path(handle): Path<String>,
) -> Response {
    match state
        .provider
        .credential_offer_by_reference(&t, &handle)
        .await
    {
        Ok(Some(offer)) => no_store(Json(offer).into_response()),
        Ok(None) => absent(),
        Err(e) => oauth_error(&e),
    }
}

/// `POST /vci/nonce`.
async fn nonce(State(state): State<AppState>, Tenant(t): Tenant) -> Response {
    if !issuing(&state) {
        return absent();
    }
    let res = match state.provider.credential_nonce(&t).await {
        Ok(c_nonce) => no_store(Json(serde_json::json!({"c_nonce": c_nonce})).into_response()),
        Err(e) => oauth_error(&e),
    };
    with_dpop_nonce(&state, &t, res)
}

/// `res` with the `DPoP-Nonce` header proofs are to carry, when the deployment asks for
/// nonces (RFC 9449 §8.2, §9: any response of the server may give one).
pub(crate) fn with_dpop_nonce(state: &AppState, t: &TenantCtx, mut res: Response) -> Response {
    if let Some(v) = state
        .provider
        .dpop_nonce(t)
        .and_then(|n| HeaderValue::from_str(&n).ok())
    {
        res.headers_mut().insert("dpop-nonce", v);
    }
    res
}

/// Whether the body is of media type `media` (parameters aside).
fn body_is(headers: &HeaderMap, media: &str) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case(media))
        })
}

/// The access token of a credential, deferred credential or notification request (with a
/// JSON body): `Authorization: Bearer …`, or `DPoP …` with its `DPoP` proof header.
struct AccessToken {
    token: String,
    dpop: bool,
    proof: Option<String>,
}

impl AccessToken {
    fn presented(&self) -> PresentedToken<'_> {
        PresentedToken {
            token: &self.token,
            dpop: self.dpop,
            proof: self.proof.as_deref(),
        }
    }
}

/// The access token of a request, or the answer that refuses it. The body must be JSON, or
/// (`encrypted_ok`, for credential requests) an encrypted request (`application/jwt`).
async fn token_of(
    state: &AppState,
    headers: &HeaderMap,
    encrypted_ok: bool,
) -> Result<AccessToken, Response> {
    if !issuing(state) {
        return Err(absent());
    }
    let dpop_token = authorization(headers)
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("dpop"))
        .map(|(_, token)| token.trim().to_owned());
    let (token, dpop) = match (dpop_token, bearer_token(headers)) {
        (Some(token), _) => (token, true),
        (None, Some(token)) => (token.to_owned(), false),
        (None, None) => return Err(missing()),
    };
    let proof = dpop_header(headers).map_err(|e| token_error(&e, true))?;
    let jwt = encrypted_ok && body_is(headers, "application/jwt");
    if !jwt && !body_is(headers, "application/json") {
        let e = sigil_vc::VciError::request(if encrypted_ok {
            "the body must be application/json, or application/jwt when encrypted"
        } else {
            "the body must be application/json"
        });
        return Err(issuer_error(&IssuerError::Request(e), dpop));
    }
    Ok(AccessToken { token, dpop, proof })
}

/// `POST /vci/credential`.
async fn credential(
    state: State<AppState>,
    t: Tenant,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    credential_endpoint(state, t, &headers, &body, false).await
}

/// `POST /vci/deferred_credential`.
async fn deferred_credential(
    state: State<AppState>,
    t: Tenant,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    credential_endpoint(state, t, &headers, &body, true).await
}

/// The credential endpoint, or (`deferred`) the deferred credential endpoint: the
/// credentials (200), a deferral (202), or the refusal.
async fn credential_endpoint(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    headers: &HeaderMap,
    body: &[u8],
    deferred: bool,
) -> Response {
    let token = match token_of(&state, headers, true).await {
        Ok(token) => token,
        Err(res) => return res,
    };
    let body = match body_is(headers, "application/jwt") {
        true => RequestBody::Jwt(body),
        false => RequestBody::Json(body),
    };
    let (provider, presented) = (&state.provider, token.presented());
    let outcome = match deferred {
        true => provider.deferred_credential(&t, &presented, body).await,
        false => provider.issue_credentials(&t, &presented, body).await,
    };
    let response = match outcome {
        Ok(response) => response,
        Err(e) => return with_dpop_nonce(&state, &t, issuer_error(&e, token.dpop)),
    };
    let status = match response.is_deferred() {
        true => StatusCode::ACCEPTED,
        false => StatusCode::OK,
    };
    let res = match response.body() {
        Ok((text, media)) => no_store((status, [(CONTENT_TYPE, media)], text).into_response()),
        Err(e) => oauth_error(&OAuthError::new(
            ErrorCode::ServerError,
            format!("the response cannot be encrypted: {e}"),
        )),
    };
    with_dpop_nonce(&state, &t, res)
}

/// `POST /vci/notification`.
async fn notification(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = match token_of(&state, &headers, false).await {
        Ok(token) => token,
        Err(res) => return res,
    };
    let res = match state
        .provider
        .credential_notification(&t, &token.presented(), &body)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => issuer_error(&e, token.dpop),
    };
    with_dpop_nonce(&state, &t, res)
}

/// `GET /vci/status-lists/{id}`: a Token Status List (`application/statuslist+jwt`).
async fn status_list(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    Path(id): Path<String>,
) -> Response {
    published_list(&state, &t, &id, PublishedList::Token).await
}

/// `GET /vci/status-lists/{id}/{revocation|suspension}`: a Bitstring Status List credential
/// (`application/vc+jwt`).
async fn bitstring_status_list(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    Path((id, purpose)): Path<(String, String)>,
) -> Response {
    match StatusPurpose::parse(&purpose) {
        Some(purpose) => published_list(&state, &t, &id, PublishedList::Bitstring(purpose)).await,
        None => absent(),
    }
}

async fn published_list(
    state: &AppState,
    t: &TenantCtx,
    id: &str,
    form: PublishedList,
) -> Response {
    match state.provider.status_list_token(t, id, form).await {
        Ok(Some(token)) => {
            let mut res = public(
                token.to_string().into_response(),
                state.provider.config().credentials.status_list_ttl,
            );
            res.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(form.media_type()));
            res
        }
        Ok(None) => absent(),
        Err(e) => oauth_error(&e),
    }
}

/// The offer's link as an SVG QR code (medium error correction, a quiet zone around it).
pub(crate) fn qr_svg(link: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(link, qrcode::EcLevel::M).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build(),
    )
}

/// `GET /credential-offer/{handle}`: the offer for a person, as a QR code their wallet scans
/// and a same-device link.
pub async fn offer_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(handle): Path<String>,
) -> Response {
    let offer = match state
        .provider
        .credential_offer_by_reference(&ctx.tenant, &handle)
        .await
    {
        Ok(offer) => offer,
        Err(e) => return error_page(&state, &ctx, &e).await,
    };
    let Some(offer) = offer else {
        let values = minijinja::context! { name => "", found => false };
        return page(
            &state,
            &ctx,
            "credential_offer.html",
            values,
            StatusCode::NOT_FOUND,
            &[],
        )
        .await;
    };
    let first = offer
        .credential_configuration_ids
        .first()
        .map(String::as_str);
    let ty = state
        .provider
        .credential_type(&ctx.tenant, first.unwrap_or_default())
        .await
        .ok()
        .flatten();
    let name = ty
        .and_then(|ty| ty.display.first().map(|d| d.name.clone()))
        .unwrap_or_else(|| "digital".into());
    let link = link_by_reference(&ctx.tenant.url(&format!("{OFFER_PATH}/{handle}")));
    let tx_code = offer
        .grants
        .as_ref()
        .and_then(|g| g.pre_authorized_code.as_ref())
        .is_some_and(|g| g.tx_code.is_some());
    let values = minijinja::context! {
        name => name,
        found => true,
        qr => minijinja::Value::from_safe_string(qr_svg(&link).unwrap_or_default()),
        link => link,
        tx_code => tx_code,
    };
    no_store(
        page(
            &state,
            &ctx,
            "credential_offer.html",
            values,
            StatusCode::OK,
            &[],
        )
        .await,
    )
}
