//! RP-initiated logout: validate, confirm (unless the relying party proved it is the session's
//! own with `id_token_hint`), end the session, go back to the client or show a signed-out page.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use sigil_oidc::logout::LogoutRequest;
use sigil_oidc::{CurrentSession, Params};

use super::{clearing_session, csrf_form, error_page, framing_page, page, page_form, see_other};
use crate::extract::Ctx;
use crate::state::AppState;

/// Parameters carried through the confirmation form.
const CARRIED: &[&str] = &[
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "ui_locales",
];

/// The web origins of `urls`, once each.
fn origins<'a>(urls: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut origins: Vec<String> = urls
        .into_iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .collect();
    origins.sort();
    origins.dedup();
    origins
}

async fn validated(
    state: &AppState,
    ctx: &Ctx,
    params: &Params,
) -> Result<(Option<CurrentSession>, LogoutRequest), Response> {
    let current = match state
        .provider
        .current_session(&ctx.tenant, &ctx.browser)
        .await
    {
        Ok(c) => c,
        Err(e) => return Err(error_page(state, ctx, &e).await),
    };
    match state
        .provider
        .logout_request(&ctx.tenant, params, current.as_ref())
        .await
    {
        Ok(req) => Ok((current, req)),
        Err(e) => Err(error_page(state, ctx, &e).await),
    }
}

async fn finish(
    state: &AppState,
    ctx: &Ctx,
    current: Option<CurrentSession>,
    req: LogoutRequest,
) -> Response {
    let Some(c) = current else {
        let res = match req.redirect {
            Some(url) => see_other(&url),
            None => logged_out_page(state, ctx).await,
        };
        return clearing_session(state, ctx, res);
    };
    sign_out(state, ctx, &c, req.redirect).await
}

/// Ends the browser's session `current` and sends the browser on its way out: through the
/// SAML service providers and the upstream provider it signed in to, then to `then` or the
/// signed-out page. When clients want to hear of it in the browser (front-channel logout),
/// a page loads their logout pages in hidden frames first and then moves on by itself.
pub async fn sign_out(
    state: &AppState,
    ctx: &Ctx,
    current: &CurrentSession,
    then: Option<String>,
) -> Response {
    let (t, sid) = (&ctx.tenant, &current.session.id);
    if let Err(e) = state
        .provider
        .end_session(t, &current.user, sid, ctx.browser.ip.clone())
        .await
    {
        return error_page(state, ctx, &e).await;
    }
    let frames = state.provider.frontchannel_logout_urls(t, sid).await;
    let next = state.provider.sign_out_elsewhere(t, sid, None, then).await;
    let res = match (next, frames.is_empty()) {
        (Some(url), true) => see_other(&url),
        (next, _) => signed_out_page(state, ctx, false, &frames, next).await,
    };
    clearing_session(state, ctx, res)
}

/// The signed-out page.
pub async fn logged_out_page(state: &AppState, ctx: &Ctx) -> Response {
    signed_out_page(state, ctx, false, &[], None).await
}

/// The signed-out page: saying so when an identity provider upstream did not confirm that it
/// signed the person out too, loading the clients' front-channel logout pages in hidden
/// `frames`, and moving on to `next` (if any) once they had a moment to load.
pub async fn signed_out_page(
    state: &AppState,
    ctx: &Ctx,
    upstream_unconfirmed: bool,
    frames: &[String],
    next: Option<String>,
) -> Response {
    let values = minijinja::context! {
        upstream_unconfirmed => upstream_unconfirmed,
        frames => frames,
        next => next,
    };
    let frame_sources = origins(frames.iter().map(String::as_str));
    let template = "logged_out.html";
    framing_page(
        state,
        ctx,
        template,
        values,
        StatusCode::OK,
        &[],
        &frame_sources,
    )
    .await
}

async fn logout(state: &AppState, ctx: &Ctx, params: &Params) -> Response {
    let (current, req) = match validated(state, ctx, params).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    if current.is_none() || req.confirmed_by_hint {
        return finish(state, ctx, current, req).await;
    }
    let fields: Vec<minijinja::Value> = CARRIED
        .iter()
        .filter_map(|name| {
            params
                .get(name)
                .map(|v| minijinja::context! { name => name, value => v })
        })
        .collect();
    let values = minijinja::context! { client_name => req.client_name.clone(), fields => fields };
    let mut targets = origins(req.redirect.as_deref());
    if let Some(c) = &current {
        targets.extend(
            state
                .provider
                .sign_out_origins(&ctx.tenant, &c.session.id)
                .await,
        );
    }
    page(state, ctx, "logout.html", values, StatusCode::OK, &targets).await
}

/// `GET /logout`.
pub async fn end_session_get(State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    match Params::parse(uri.query().unwrap_or("").as_bytes()) {
        Ok(params) => logout(&state, &ctx, &params).await,
        Err(e) => error_page(&state, &ctx, &e).await,
    }
}

/// `POST /logout`.
pub async fn end_session_post(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    match page_form(&state, &ctx, &body).await {
        Ok(params) => logout(&state, &ctx, &params).await,
        Err(res) => res,
    }
}

/// `POST /logout/confirm`: the user confirmed.
pub async fn confirm(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let params = match csrf_form(&state, &ctx, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    match validated(&state, &ctx, &params).await {
        Ok((current, req)) => finish(&state, &ctx, current, req).await,
        Err(res) => res,
    }
}
