//! Handlers, one module per area. Each handler extracts, calls the provider, and maps the
//! outcome; the helpers here are the mappings they share.

pub mod account;
pub mod api;
pub mod authorize;
pub mod device;
pub mod discovery;
pub mod federation;
pub mod health;
pub mod login;
pub mod logout;
pub mod saml;
pub mod scim;
pub mod token;
pub mod userinfo;
pub mod vci;
pub mod vp;

use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::Value;
use sigil_oidc::{OAuthError, Params};

use crate::cookies;
use crate::csrf;
use crate::extract::Ctx;
use crate::state::AppState;

/// A `303 See Other` (never 307: a POST must not be replayed to the target).
pub fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    match HeaderValue::from_str(location) {
        Ok(v) => {
            res.headers_mut().insert(LOCATION, v);
            res
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Renders a page with the context every page gets (product name, tenant prefix, CSRF token).
pub async fn page(
    state: &AppState,
    ctx: &Ctx,
    template: &str,
    values: Value,
    status: StatusCode,
    form_targets: &[String],
) -> Response {
    framing_page(state, ctx, template, values, status, form_targets, &[]).await
}

/// [`page`], allowed to frame the origins `frame_sources`.
pub async fn framing_page(
    state: &AppState,
    ctx: &Ctx,
    template: &str,
    values: Value,
    status: StatusCode,
    form_targets: &[String],
    frame_sources: &[String],
) -> Response {
    let product = match &state.config.ui.product_name {
        Some(p) => p.clone(),
        None => state
            .provider
            .tenant(&ctx.tenant.id)
            .await
            .ok()
            .flatten()
            .map_or_else(|| "Sigil".to_owned(), |t| t.display_name.clone()),
    };
    let common = minijinja::context! {
        product => product,
        prefix => ctx.tenant.path_prefix(),
        csrf => csrf::token(&state.csrf_key, &ctx.tenant.id, &ctx.browser.browser_id),
        lang => "en",
    };
    let merged = minijinja::context! { ..values, ..common };
    state
        .pages
        .respond(template, merged, status, form_targets, frame_sources)
}

/// An error page for a protocol error that must not go back to the client.
pub async fn error_page(state: &AppState, ctx: &Ctx, e: &OAuthError) -> Response {
    // A page is not an authentication challenge: a 401 would need WWW-Authenticate.
    let status = match e.code.http_status() {
        401 => StatusCode::BAD_REQUEST,
        code => StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST),
    };
    let values = minijinja::context! {
        title => "This request cannot be completed",
        message => e.description.to_string(),
        code => e.code.as_str(),
    };
    page(state, ctx, "error.html", values, status, &[]).await
}

/// Checks a form's CSRF token and origin; an error page when they fail.
pub async fn check_csrf(state: &AppState, ctx: &Ctx, params: &Params) -> Result<(), Response> {
    let origin = state.config.issuer_origin();
    if csrf::check(
        &state.csrf_key,
        &ctx.tenant.id,
        &ctx.browser.browser_id,
        params.get("csrf"),
        &ctx.headers,
        &origin,
    ) {
        return Ok(());
    }
    tracing::warn!(tenant = %ctx.tenant.id, "form submitted with a missing or wrong CSRF token or a foreign origin");
    let e = OAuthError::invalid_request(
        "the form has expired or did not come from this site; go back, reload and try again",
    );
    Err(error_page(state, ctx, &e).await)
}

/// A relative path within the tenant that a sign-in may return to; the account page otherwise.
pub fn safe_return_to(ctx: &Ctx, requested: Option<&str>) -> String {
    let prefix = ctx.tenant.path_prefix();
    let fallback = format!("{prefix}{}", sigil_oidc::endpoints::ACCOUNT);
    let Some(path) = requested else {
        return fallback;
    };
    let ok = path.len() <= 2048
        && path.starts_with(&format!("{prefix}/"))
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control);
    if ok { path.to_owned() } else { fallback }
}

/// A host-relative path with a query string.
pub fn path_with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{query}")
}

/// A new session's cookie, then on to `return_to`.
pub fn signed_in(state: &AppState, ctx: &Ctx, secret: &str, return_to: &str) -> Response {
    let secure = state.config.is_https();
    let max_age = state.provider.config().sessions.absolute_timeout;
    let cookie = cookies::set(&ctx.cookies.session, secret, secure, Some(max_age));
    with_cookie(see_other(return_to), cookie)
}

/// Adds a `Set-Cookie` to a response.
pub fn with_cookie(mut res: Response, cookie: HeaderValue) -> Response {
    res.headers_mut().append(SET_COOKIE, cookie);
    res
}

/// Clears the session cookie on a response.
pub fn clearing_session(state: &AppState, ctx: &Ctx, res: Response) -> Response {
    with_cookie(
        res,
        cookies::clear(&ctx.cookies.session, state.config.is_https()),
    )
}

/// Parses a page form and checks its CSRF token and origin; an error page otherwise.
pub async fn csrf_form(state: &AppState, ctx: &Ctx, body: &[u8]) -> Result<Params, Response> {
    let params = page_form(state, ctx, body).await?;
    check_csrf(state, ctx, &params).await?;
    Ok(params)
}

/// Parses a page form's body or answers with an error page.
pub async fn page_form(state: &AppState, ctx: &Ctx, body: &[u8]) -> Result<Params, Response> {
    match Params::parse(body) {
        Ok(p) => Ok(p),
        Err(e) => Err(error_page(state, ctx, &e).await),
    }
}
