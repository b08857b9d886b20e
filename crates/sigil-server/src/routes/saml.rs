//! Sigil as a SAML identity provider: its metadata (`/saml/metadata`), the single sign-on
//! service (`/saml/sso`, HTTP-Redirect and HTTP-POST), where a request waiting for the user's
//! sign-in continues (`/saml/sso/continue`), each SP's IdP-initiated link
//! (`/saml/sp/{name}/login`), single logout (`/saml/slo`, either binding), and the page of a
//! logout message sent over HTTP-POST (`/saml/post/{handle}`). Messages posted to an SP go
//! through a form the user submits (no script runs on Sigil's pages).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sigil_oidc::Params;
use sigil_oidc::saml::PostForm;
use sigil_oidc::saml::binding::Binding;
use sigil_oidc::saml::slo::SloStep;
use sigil_oidc::saml::sso::SsoStep;

use super::{clearing_session, page, path_with_query, see_other};
use crate::extract::Ctx;
use crate::state::AppState;

/// `GET /saml/metadata[?signed=true]`.
pub async fn metadata(State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    let params = Params::parse(uri.query().unwrap_or("").as_bytes()).unwrap_or_default();
    let signed = matches!(params.get("signed"), Some("true" | "1"));
    match state.provider.saml_idp_metadata(&ctx.tenant, signed).await {
        Ok(xml) => metadata_response(xml),
        Err(e) => {
            tracing::error!(error = %e, "SAML metadata");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// SAML metadata, with its media type.
pub fn metadata_response(xml: String) -> Response {
    let mut res = xml.into_response();
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/samlmetadata+xml"),
    );
    res
}

async fn respond(state: &AppState, ctx: &Ctx, step: SsoStep) -> Response {
    match step {
        SsoStep::Login { return_to, .. } => {
            let login = format!(
                "{}{}",
                ctx.tenant.path_prefix(),
                sigil_oidc::endpoints::LOGIN
            );
            see_other(&path_with_query(&login, &[("return_to", &return_to)]))
        }
        SsoStep::Post(form) => post_page(state, ctx, form, false).await,
        SsoStep::Redirect(path) => see_other(&path),
        SsoStep::Error(message) => {
            let values = minijinja::context! {
                title => "This sign-in request cannot be completed",
                message => message,
            };
            page(
                state,
                ctx,
                "error.html",
                values,
                StatusCode::BAD_REQUEST,
                &[],
            )
            .await
        }
    }
}

/// The page whose form posts a message to an SP (its `form-action` allows exactly that SP):
/// a sign-in, or a step of `signing_out`.
async fn post_page(state: &AppState, ctx: &Ctx, form: PostForm, signing_out: bool) -> Response {
    let target = url::Url::parse(&form.action)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let values = minijinja::context! {
        action => form.action,
        parameter => form.parameter,
        value => form.value,
        relay_state => form.relay_state,
        signing_out => signing_out,
    };
    page(
        state,
        ctx,
        "saml_post.html",
        values,
        StatusCode::OK,
        &[target],
    )
    .await
}

/// `GET /saml/post/{handle}`: a logout message Sigil sends over HTTP-POST, as a form (once).
pub async fn post_form(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Path(handle): axum::extract::Path<String>,
) -> Response {
    match state
        .provider
        .take_saml_post_form(&ctx.tenant, &handle)
        .await
    {
        Some(form) => post_page(&state, &ctx, form, true).await,
        None => {
            let gone = "This sign-out step has expired or was already taken.";
            respond(&state, &ctx, SsoStep::Error(gone.into())).await
        }
    }
}

/// The parameters of a message carrying a `SAMLRequest`, or the page saying what is wrong.
async fn saml_params(
    state: &AppState,
    ctx: &Ctx,
    raw: &[u8],
) -> Result<(Params, String), Response> {
    let params = parsed(state, ctx, raw).await?;
    let request = saml_request(state, ctx, &params).await?;
    Ok((params, request))
}

/// The parameters of a message, or the page saying what is wrong.
async fn parsed(state: &AppState, ctx: &Ctx, raw: &[u8]) -> Result<Params, Response> {
    match Params::parse(raw) {
        Ok(p) => Ok(p),
        Err(e) => Err(super::error_page(state, ctx, &e).await),
    }
}

/// The `SAMLRequest` of a message, or the page saying it has none.
async fn saml_request(state: &AppState, ctx: &Ctx, params: &Params) -> Result<String, Response> {
    match params.get("SAMLRequest") {
        Some(request) => Ok(request.to_owned()),
        None => Err(respond(state, ctx, SsoStep::Error("No SAMLRequest.".into())).await),
    }
}

/// `GET /saml/sso?SAMLRequest=…` (HTTP-Redirect).
pub async fn sso_get(State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    let raw_query = uri.query().unwrap_or("");
    let (params, saml_request) = match saml_params(&state, &ctx, raw_query.as_bytes()).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let binding = Binding::Redirect {
        raw_query,
        message: &saml_request,
        relay_state: params.get("RelayState"),
    };
    let step = state
        .provider
        .saml_sso(&ctx.tenant, binding, &ctx.browser)
        .await;
    respond(&state, &ctx, step).await
}

/// `POST /saml/sso` (HTTP-POST): a cross-site form post from the SP, so no CSRF token.
pub async fn sso_post(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let (params, saml_request) = match saml_params(&state, &ctx, &body).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let binding = Binding::Post {
        message: &saml_request,
        relay_state: params.get("RelayState"),
    };
    let step = state
        .provider
        .saml_sso(&ctx.tenant, binding, &ctx.browser)
        .await;
    respond(&state, &ctx, step).await
}

/// `GET /saml/sso/continue?request=…`: after signing in.
pub async fn sso_continue(State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    let params = Params::parse(uri.query().unwrap_or("").as_bytes()).unwrap_or_default();
    let handle = params.get("request").unwrap_or("");
    let step = state
        .provider
        .saml_continue(&ctx.tenant, handle, &ctx.browser)
        .await;
    respond(&state, &ctx, step).await
}

/// `GET /saml/sp/{name}/login?RelayState=…`: IdP-initiated sign-in to one SP (its link).
pub async fn idp_initiated(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Path(name): axum::extract::Path<String>,
    uri: Uri,
) -> Response {
    let params = Params::parse(uri.query().unwrap_or("").as_bytes()).unwrap_or_default();
    let step = state
        .provider
        .saml_idp_initiated(&ctx.tenant, &name, params.get("RelayState"), &ctx.browser)
        .await;
    respond(&state, &ctx, step).await
}

/// `GET /saml/slo?SAMLRequest=…` (HTTP-Redirect): an SP signs the user out; or
/// `?SAMLResponse=…`: an SP answers the logout Sigil started, and the browser goes on.
pub async fn slo(State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    let raw_query = uri.query().unwrap_or("");
    let params = match parsed(&state, &ctx, raw_query.as_bytes()).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    if let Some(response) = params.get("SAMLResponse") {
        let answer = Binding::Redirect {
            raw_query,
            message: response,
            relay_state: params.get("RelayState"),
        };
        return logout_answered(&state, &ctx, answer).await;
    }
    let saml_request = match saml_request(&state, &ctx, &params).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let binding = Binding::Redirect {
        raw_query,
        message: &saml_request,
        relay_state: params.get("RelayState"),
    };
    let step = state
        .provider
        .saml_logout(&ctx.tenant, binding, &ctx.browser)
        .await;
    slo_step(&state, &ctx, step).await
}

/// An SP answered the logout Sigil started: on to the next step.
async fn logout_answered(state: &AppState, ctx: &Ctx, answer: Binding<'_>) -> Response {
    match state
        .provider
        .saml_logout_answered(&ctx.tenant, answer)
        .await
    {
        Some(url) => see_other(&url),
        None => super::logout::logged_out_page(state, ctx).await,
    }
}

/// `POST /saml/slo` (HTTP-POST): an SP's LogoutRequest with an enveloped XML signature (the
/// cross-site post carries none of Sigil's cookies: the sessions it names end, and the
/// LogoutResponse goes back to the SP), or its LogoutResponse to the logout Sigil started.
pub async fn slo_post(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    if let Ok(params) = Params::parse(&body)
        && let Some(response) = params.get("SAMLResponse")
    {
        let answer = Binding::Post {
            message: response,
            relay_state: params.get("RelayState"),
        };
        return logout_answered(&state, &ctx, answer).await;
    }
    let (params, saml_request) = match saml_params(&state, &ctx, &body).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let binding = Binding::Post {
        message: &saml_request,
        relay_state: params.get("RelayState"),
    };
    let step = state
        .provider
        .saml_logout(&ctx.tenant, binding, &ctx.browser)
        .await;
    slo_step(&state, &ctx, step).await
}

/// Where a logout request leaves the browser: sent on (through a page framing the ended
/// sessions' front-channel clients, when they have any; its session cookie cleared when its
/// own session ended), or shown what is wrong.
pub async fn slo_step(state: &AppState, ctx: &Ctx, step: SloStep) -> Response {
    let (url, ended, ended_current) = match step {
        SloStep::Redirect {
            url,
            ended,
            ended_current,
        } => (url, ended, ended_current),
        SloStep::Error(message) => return respond(state, ctx, SsoStep::Error(message)).await,
    };
    let mut frames = Vec::new();
    for session in &ended {
        let urls = state
            .provider
            .frontchannel_logout_urls(&ctx.tenant, session);
        frames.extend(urls.await);
    }
    let res = if frames.is_empty() {
        see_other(&url)
    } else {
        super::logout::signed_out_page(state, ctx, false, &frames, Some(url)).await
    };
    if ended_current {
        clearing_session(state, ctx, res)
    } else {
        res
    }
}
