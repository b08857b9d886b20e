//! Every route in one place. Each tenant's endpoints are served at the root (default tenant)
//! and under `/t/{tenant}`; the browser-facing ones get the browser cookie.

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{Method, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use sigil_oidc::endpoints as ep;
use tower::ServiceBuilder;
use tower_http::cors::{Any, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::edge::edge;
use crate::error::not_found;
use crate::lazy_router::LazyRouter;
use crate::metrics;
use crate::routes::{
    account, api, authorize, device, discovery, federation, health, login, logout, saml, scim,
    token, userinfo, vci, vp,
};
use crate::security::browser_cookie;
use crate::state::AppState;

/// Browser-based public clients (single-page apps) call these endpoints from their own origin.
/// No cookies are involved (credentials travel in the request itself), so any origin may.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([AUTHORIZATION, CONTENT_TYPE])
        .expose_headers([
            WWW_AUTHENTICATE,
            RETRY_AFTER,
            HeaderName::from_static("ratelimit"),
            HeaderName::from_static("ratelimit-policy"),
            HeaderName::from_static(crate::request_context::X_REQUEST_ID),
        ])
        .max_age(Duration::from_secs(600))
}

/// Endpoints for machines: no cookies.
fn protocol_routes() -> Router<AppState> {
    Router::new()
        .route(ep::OPENID_CONFIGURATION, get(discovery::get_metadata))
        .route(ep::OAUTH_AUTHORIZATION_SERVER, get(discovery::get_metadata))
        .route(ep::JWKS, get(discovery::get_jwks))
        .route(ep::TOKEN, post(token::token))
        .route(ep::INTROSPECT, post(token::introspect))
        .route(ep::REVOKE, post(token::revoke))
        .route(
            ep::GLOBAL_TOKEN_REVOCATION,
            post(api::global_revocation::revoke),
        )
        .route(ep::DEVICE_AUTHORIZATION, post(token::device_authorization))
        .route(ep::PAR, post(token::pushed_authorization_request))
        .route(
            ep::USERINFO,
            get(userinfo::userinfo_get).post(userinfo::userinfo_post),
        )
        .layer(cors())
}

/// Pages and the authorization endpoint: the browser's world.
fn browser_routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(
            ep::AUTHORIZE,
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route("/interaction/{id}", get(authorize::interaction_get))
        .route(
            "/interaction/{id}/consent",
            post(authorize::interaction_consent),
        )
        .route(ep::LOGIN, get(login::login_get).post(login::login_post))
        .route(
            "/login/wallet",
            get(login::wallet_get).post(login::wallet_post),
        )
        .route("/login/idp", post(federation::discover))
        .route("/login/idp/link", post(federation::link))
        .route("/login/idp/{name}", get(federation::start))
        .route("/login/idp/{name}/callback", get(federation::callback))
        .route("/login/idp/{name}/logged-out", get(federation::logged_out))
        .route("/saml/metadata", get(saml::metadata))
        .route("/saml/sso", get(saml::sso_get).post(saml::sso_post))
        .route("/saml/sso/continue", get(saml::sso_continue))
        .route("/saml/sp/{name}/login", get(saml::idp_initiated))
        .route(
            "/saml/sp/{name}/acs/continue",
            get(federation::saml_acs_continue),
        )
        .route("/saml/sp/{name}/slo", get(federation::saml_sp_slo))
        .route("/saml/slo", get(saml::slo).post(saml::slo_post))
        .route("/saml/post/{handle}", get(saml::post_form))
        .route(
            ep::DEVICE,
            get(device::device_get).post(device::device_post),
        )
        .route("/device/decide", post(device::device_decide))
        .route(
            ep::END_SESSION,
            get(logout::end_session_get).post(logout::end_session_post),
        )
        .route("/logout/confirm", post(logout::confirm))
        .route(ep::ACCOUNT, get(account::account))
        .route("/account/sessions/end", post(account::end_session))
        .route(
            "/account/consents/withdraw",
            post(account::withdraw_consent),
        )
        .route("/account/logout", post(account::logout))
        .route(
            &format!("{}/{{handle}}", sigil_oidc::credentials::OFFER_PAGE_PATH),
            get(vci::offer_page),
        )
        .route(
            &format!(
                "{}/{{id}}",
                sigil_oidc::presentations::PRESENTATION_PAGE_PATH
            ),
            get(vp::presentation_page),
        )
        .layer(from_fn_with_state(state.clone(), browser_cookie))
}

/// Where external SAML identity providers send the browser with a cross-site form post: no
/// browser cookie is issued here (the browser's own one is not sent along and must not be
/// replaced), and no CORS.
fn saml_sp_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/saml/sp/{name}/metadata",
            get(federation::saml_sp_metadata),
        )
        .route("/saml/sp/{name}/acs", post(federation::saml_acs))
}

fn tenant_routes(state: &AppState) -> Router<AppState> {
    protocol_routes()
        .merge(saml_sp_routes())
        .merge(vci::router())
        .merge(vp::router())
        .merge(browser_routes(state))
        .nest(scim::PREFIX, scim::router())
}

/// The management API, built on its first request (see [`LazyRouter`]) and measured by its
/// own routes: the outer router only sees the prefix it is nested under.
fn lazy_api(state: &AppState) -> LazyRouter {
    let state = state.clone();
    LazyRouter::new(move || {
        api::router(&state)
            .route_layer(metrics::Track)
            .with_state(state.clone())
    })
}

/// The whole application.
///
/// Cross-cutting layers wrap the router once, outside it, rather than each route through
/// `Router::layer`: every `Router::layer` re-boxes every route, and each request clones the
/// boxed stack of the route it hits (an allocation per layer per request on the hot path).
pub fn router(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.config.request_timeout);
    let api = lazy_api(&state);
    let routes = Router::new()
        .merge(tenant_routes(&state))
        .nest("/t/{tenant}", tenant_routes(&state))
        .route(
            "/.well-known/oauth-authorization-server/t/{tenant}",
            get(discovery::get_metadata),
        )
        .route(
            "/.well-known/openid-credential-issuer/t/{tenant}",
            get(vci::credential_issuer_metadata),
        )
        .route(
            "/.well-known/jwt-vc-issuer/t/{tenant}",
            get(vci::jwt_vc_issuer_metadata),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/static/sigil.css", get(health::stylesheet))
        .route_layer(metrics::Track)
        .nest_service(api::PREFIX, api.clone())
        .nest_service(&format!("/t/{{tenant}}{}", api::PREFIX), api)
        .fallback(not_found)
        .with_state(state.clone());
    let layered = ServiceBuilder::new()
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                // The path only: query strings carry codes, hints and state. A debug span: at the
                // default level it would cost ~5% of the token endpoint's throughput for context
                // that only warnings use (and they carry the tenant and client themselves).
                tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
            }),
        )
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(from_fn_with_state(state, edge))
        .service(routes);
    Router::new().fallback_service(layered)
}
