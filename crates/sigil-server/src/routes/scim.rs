//! SCIM 2.0 (RFC 7644) at `/scim/v2` (and `/t/{tenant}/scim/v2`): thin handlers over
//! [`sigil_scim::service`]. Bodies are `application/scim+json` (plain `application/json` is
//! accepted too); errors are SCIM error messages (RFC 7644 §3.12). Callers present either an
//! access token of this tenant with the `scim` scope (client credentials) or a provisioning
//! token (`sigil scim token create`).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, RawQuery, State};
use axum::http::header::{CONTENT_TYPE, ETAG, IF_MATCH, IF_NONE_MATCH, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use sigil_core::ScopeSet;
use sigil_oidc::{ErrorCode, TenantCtx};
use sigil_scim::error::{ScimError, ScimType};
use sigil_scim::service::{
    self, MAX_BULK_PAYLOAD, ResourceType, Scim, SearchParams, Written, precondition, split_list,
    version,
};

use crate::extract::bearer_token;
use crate::state::AppState;

/// Where SCIM lives under a tenant's issuer.
pub const PREFIX: &str = "/scim/v2";

/// The `{id}` of a resource path, read by name (under `/t/{tenant}` there are two parameters).
#[derive(Debug, serde::Deserialize)]
struct ById {
    id: String,
}

/// The media type of SCIM bodies.
const SCIM_JSON: &str = "application/scim+json";

/// An authenticated SCIM caller.
#[derive(Debug, Clone)]
pub struct ScimCaller {
    tenant: TenantCtx,
    actor: String,
    /// The tenant's SCIM base URL, for `meta.location` and `$ref`.
    base: String,
}

/// A SCIM error as a response.
struct Failure(ScimError);

impl From<ScimError> for Failure {
    fn from(e: ScimError) -> Self {
        Failure(e)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut res = scim_body(status, &self.0.to_json());
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"scim\""),
            );
        }
        res
    }
}

/// A SCIM client over its rate limit: 429 as a SCIM error, with `Retry-After`.
pub fn too_many_requests(retry_after_secs: u64) -> Response {
    let mut res = error(
        429,
        "too many requests; retry after the seconds in Retry-After",
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    res
}

/// Whether a request path is SCIM's (any tenant), whose errors are SCIM error messages even
/// where a shared layer (rate limits, the app's fallback) answers.
pub fn is_scim_path(path: &str) -> bool {
    path.contains(PREFIX)
}

/// A SCIM 404 for a path no SCIM route takes.
pub fn not_found() -> Response {
    error(404, "no such SCIM endpoint").into_response()
}

fn error(status: u16, detail: &str) -> Failure {
    Failure(ScimError {
        status,
        scim_type: None,
        detail: detail.to_owned(),
    })
}

fn scim_body(status: StatusCode, body: &Value) -> Response {
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    res
}

/// A written resource's response with its `ETag` (and `Location` when created).
fn resource_response(status: StatusCode, written: &Written) -> Response {
    let mut res = scim_body(status, &written.body);
    let meta = &written.meta;
    if let Some(v) = meta
        .get("version")
        .and_then(Value::as_str)
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        res.headers_mut().insert(ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Some(l) = meta
            .get("location")
            .and_then(Value::as_str)
            .and_then(|l| HeaderValue::from_str(l).ok())
    {
        res.headers_mut().insert(LOCATION, l);
    }
    res
}

impl FromRequestParts<AppState> for ScimCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        authenticate(parts, state)
            .await
            .map_err(IntoResponse::into_response)
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<ScimCaller, Failure> {
    let tenant = parts
        .extensions
        .get::<TenantCtx>()
        .cloned()
        .ok_or_else(|| error(404, "no such tenant"))?;
    let token = bearer_token(&parts.headers)
        .ok_or_else(|| error(401, "send a bearer token: Authorization: Bearer …"))?;
    if let Some(t) = state
        .provider
        .verify_provisioning_token(&tenant.id, token)
        .await
        .map_err(service::admin_error)?
    {
        return Ok(ScimCaller::new(
            tenant,
            format!("provisioning-token:{}", t.id),
        ));
    }
    let claims = match state.provider.verify_access_token(&tenant, token).await {
        Ok(c) => c,
        Err(e) if e.code == ErrorCode::TemporarilyUnavailable => {
            return Err(error(503, "temporarily unavailable; retry later"));
        }
        Err(_) => return Err(error(401, "the bearer token is not valid here")),
    };
    if !claims.aud.contains(&tenant.issuer) {
        return Err(error(
            401,
            "the access token is for another resource server",
        ));
    }
    if claims.is_user_token() {
        return Err(error(
            403,
            "SCIM takes a client's own token (client credentials grant)",
        ));
    }
    if !ScopeSet::parse(&claims.scope)
        .unwrap_or_default()
        .contains("scim")
    {
        return Err(error(403, "the access token lacks the scim scope"));
    }
    Ok(ScimCaller::new(
        tenant,
        format!("client:{}", claims.client_id),
    ))
}

impl ScimCaller {
    fn new(tenant: TenantCtx, actor: String) -> Self {
        let base = format!("{}{PREFIX}", tenant.issuer);
        ScimCaller {
            tenant,
            actor,
            base,
        }
    }

    fn scim<'a>(&'a self, state: &'a AppState) -> Scim<'a> {
        Scim {
            provider: &state.provider,
            tenant: &self.tenant.id,
            base: &self.base,
            actor: &self.actor,
        }
    }
}

/// Reads a JSON request body; SCIM's media type or plain JSON.
fn json_body(headers: &HeaderMap, body: &Bytes) -> Result<Value, Failure> {
    let media = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if !matches!(media.as_deref(), Some(SCIM_JSON | "application/json")) {
        return Err(error(
            415,
            "send the body as application/scim+json (or application/json)",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        Failure(ScimError::bad_request(
            ScimType::InvalidSyntax,
            format!("the body is not JSON: {e}"),
        ))
    })
}

/// Reads search parameters from a query string (RFC 7644 §3.4.2).
fn query_params(query: Option<&str>) -> Result<SearchParams, Failure> {
    let mut params = SearchParams::default();
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let value = value.into_owned();
        let number = || {
            value.trim().parse::<i64>().map_err(|_| {
                Failure(ScimError::invalid_value(format!(
                    "{name} must be an integer"
                )))
            })
        };
        match name.as_ref() {
            "filter" => params.filter = Some(value),
            "sortBy" => params.sort_by = Some(value),
            "sortOrder" => params.sort_order = Some(value),
            "startIndex" => params.start_index = Some(number()?),
            "count" => params.count = Some(number()?),
            "attributes" => params.attributes = split_list(&value),
            "excludedAttributes" => params.excluded_attributes = split_list(&value),
            _ => {}
        }
    }
    Ok(params)
}

/// The precondition of `If-Match`; a value that is not text names no version.
fn if_match(headers: &HeaderMap) -> sigil_oidc::admin::Precondition {
    precondition(
        headers
            .get(IF_MATCH)
            .map(|v| v.to_str().unwrap_or("unreadable")),
    )
}

async fn list(
    kind: ResourceType,
    state: AppState,
    caller: ScimCaller,
    query: Option<String>,
) -> Result<Response, Failure> {
    let params = query_params(query.as_deref())?;
    let page = caller.scim(&state).search(kind, &params).await?;
    Ok(scim_body(StatusCode::OK, &page))
}

async fn search(
    kind: ResourceType,
    state: AppState,
    caller: ScimCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let params = SearchParams::from_body(&json_body(&headers, &body)?)?;
    let page = caller.scim(&state).search(kind, &params).await?;
    Ok(scim_body(StatusCode::OK, &page))
}

async fn create(
    kind: ResourceType,
    state: AppState,
    caller: ScimCaller,
    headers: HeaderMap,
    query: Option<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let params = query_params(query.as_deref())?;
    let body = json_body(&headers, &body)?;
    let resource = caller.scim(&state).create(kind, &body, &params).await?;
    Ok(resource_response(StatusCode::CREATED, &resource))
}

async fn read(
    kind: ResourceType,
    state: AppState,
    caller: ScimCaller,
    id: String,
    headers: HeaderMap,
    query: Option<String>,
) -> Result<Response, Failure> {
    let params = query_params(query.as_deref())?;
    let (resource, revision) = caller.scim(&state).get(kind, &id, &params).await?;
    let tag = version(revision);
    let unchanged = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    if unchanged {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(v) = HeaderValue::from_str(&tag) {
            res.headers_mut().insert(ETAG, v);
        }
        return Ok(res);
    }
    let mut res = scim_body(StatusCode::OK, &resource);
    if let Ok(v) = HeaderValue::from_str(&tag) {
        res.headers_mut().insert(ETAG, v);
    }
    Ok(res)
}

async fn replace(
    kind: ResourceType,
    state: AppState,
    caller: ScimCaller,
    (id, query): (String, Option<String>),
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let params = query_params(query.as_deref())?;
    let body = json_body(&headers, &body)?;
    let resource = caller
        .scim(&state)
        .replace(kind, &id, &body, if_match(&headers), &params)
        .await?;
    Ok(resource_response(StatusCode::OK, &resource))
}

async fn patch(
    kind: ResourceType,
    state: AppState,
    caller: ScimCaller,
    (id, query): (String, Option<String>),
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let params = query_params(query.as_deref())?;
    let body = json_body(&headers, &body)?;
    let resource = caller
        .scim(&state)
        .patch(kind, &id, &body, if_match(&headers), &params)
        .await?;
    Ok(resource_response(StatusCode::OK, &resource))
}

async fn delete(
    kind: ResourceType,
    state: AppState,
    caller: ScimCaller,
    id: String,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    caller
        .scim(&state)
        .delete(kind, &id, if_match(&headers))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn bulk(
    State(state): State<AppState>,
    caller: ScimCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let body = json_body(&headers, &body)?;
    let result = caller.scim(&state).bulk(&body).await?;
    Ok(scim_body(StatusCode::OK, &result))
}

/// `POST /.search`: every resource type at once.
async fn search_everything(
    State(state): State<AppState>,
    caller: ScimCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let params = SearchParams::from_body(&json_body(&headers, &body)?)?;
    let page = caller.scim(&state).search_all(&params).await?;
    Ok(scim_body(StatusCode::OK, &page))
}

/// Discovery documents need no authentication (RFC 7644 §4: they describe the service).
async fn service_provider_config(at: DiscoveryBase) -> Response {
    let documentation = format!("{}{}/docs", at.0, crate::routes::api::PREFIX);
    scim_body(
        StatusCode::OK,
        &service::service_provider_config(&at.base(), &documentation),
    )
}

async fn resource_types(at: DiscoveryBase) -> Response {
    scim_body(
        StatusCode::OK,
        &listing(service::resource_types(&at.base())),
    )
}

async fn resource_type(at: DiscoveryBase, Path(ById { id }): Path<ById>) -> Response {
    one_of(service::resource_types(&at.base()), &id)
}

async fn schemas(at: DiscoveryBase) -> Response {
    scim_body(StatusCode::OK, &listing(service::schemas(&at.base())))
}

async fn schema(at: DiscoveryBase, Path(ById { id }): Path<ById>) -> Response {
    one_of(service::schemas(&at.base()), &id)
}

fn listing(resources: Vec<Value>) -> Value {
    serde_json::json!({
        "schemas": [sigil_scim::schema::LIST_RESPONSE],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

fn one_of(resources: Vec<Value>, id: &str) -> Response {
    match resources.into_iter().find(|r| r["id"] == id) {
        Some(r) => scim_body(StatusCode::OK, &r),
        None => error(404, "no such resource").into_response(),
    }
}

/// The endpoint's base URL, for discovery documents.
struct DiscoveryBase(String);

impl<S: Send + Sync> FromRequestParts<S> for DiscoveryBase {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        parts
            .extensions
            .get::<TenantCtx>()
            .map(|t| DiscoveryBase(t.issuer.clone()))
            .ok_or_else(|| error(404, "no such tenant").into_response())
    }
}

impl DiscoveryBase {
    fn base(&self) -> String {
        format!("{}{PREFIX}", self.0)
    }
}

/// The routes of one resource type's endpoint.
fn resource_routes(kind: ResourceType) -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(
                move |State(s): State<AppState>, c: ScimCaller, RawQuery(q): RawQuery| {
                    list(kind, s, c, q)
                },
            )
            .post(
                move |State(s): State<AppState>,
                      c: ScimCaller,
                      h: HeaderMap,
                      RawQuery(q): RawQuery,
                      b: Bytes| create(kind, s, c, h, q, b),
            ),
        )
        .route(
            "/.search",
            post(
                move |State(s): State<AppState>, c: ScimCaller, h: HeaderMap, b: Bytes| {
                    search(kind, s, c, h, b)
                },
            ),
        )
        .route(
            "/{id}",
            get(
                move |State(s): State<AppState>,
                      c: ScimCaller,
                      Path(ById { id }): Path<ById>,
                      h: HeaderMap,
                      RawQuery(q): RawQuery| read(kind, s, c, id, h, q),
            )
            .put(
                move |State(s): State<AppState>,
                      c: ScimCaller,
                      Path(ById { id }): Path<ById>,
                      RawQuery(q): RawQuery,
                      h: HeaderMap,
                      b: Bytes| replace(kind, s, c, (id, q), h, b),
            )
            .patch(
                move |State(s): State<AppState>,
                      c: ScimCaller,
                      Path(ById { id }): Path<ById>,
                      RawQuery(q): RawQuery,
                      h: HeaderMap,
                      b: Bytes| patch(kind, s, c, (id, q), h, b),
            )
            .delete(
                move |State(s): State<AppState>,
                      c: ScimCaller,
                      Path(ById { id }): Path<ById>,
                      h: HeaderMap| delete(kind, s, c, id, h),
            ),
        )
}

/// SCIM's routes, relative to [`PREFIX`].
pub fn router() -> Router<AppState> {
    Router::new()
        .nest("/Users", resource_routes(ResourceType::User))
        .nest("/Groups", resource_routes(ResourceType::Group))
        .route(
            "/Bulk",
            post(bulk).layer(DefaultBodyLimit::max(MAX_BULK_PAYLOAD)),
        )
        .route("/.search", post(search_everything))
        .route("/ServiceProviderConfig", get(service_provider_config))
        .route("/ResourceTypes", get(resource_types))
        .route("/ResourceTypes/{id}", get(resource_type))
        .route("/Schemas", get(schemas))
        .route("/Schemas/{id}", get(schema))
        .fallback(|| async { not_found() })
        .method_not_allowed_fallback(|| async {
            error(405, "this endpoint does not take that method").into_response()
        })
}
