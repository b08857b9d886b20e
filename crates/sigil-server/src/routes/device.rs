//! The pages where a user connects a device (RFC 8628 §3.3).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use sigil_oidc::device::DeviceCodeProblem;
use sigil_oidc::{CurrentSession, Params};

use super::authorize::scope_list;
use super::{csrf_form, error_page, page, path_with_query, see_other};
use crate::extract::Ctx;
use crate::state::AppState;

fn login_redirect(ctx: &Ctx, user_code: Option<&str>) -> Response {
    let prefix = ctx.tenant.path_prefix();
    let back = match user_code {
        Some(code) => path_with_query(&format!("{prefix}/device"), &[("user_code", code)]),
        None => format!("{prefix}/device"),
    };
    see_other(&path_with_query(
        &format!("{prefix}/login"),
        &[("return_to", &back)],
    ))
}

async fn signed_in(state: &AppState, ctx: &Ctx) -> Result<Option<CurrentSession>, Response> {
    match state
        .provider
        .current_session(&ctx.tenant, &ctx.browser)
        .await
    {
        Ok(s) => Ok(s),
        Err(e) => Err(error_page(state, ctx, &e).await),
    }
}

async fn entry_form(
    state: &AppState,
    ctx: &Ctx,
    user_code: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let values = minijinja::context! { user_code => user_code, error => error };
    page(state, ctx, "device.html", values, status, &[]).await
}

async fn review(state: &AppState, ctx: &Ctx, current: &CurrentSession, typed: &str) -> Response {
    match state
        .provider
        .device_request(&ctx.tenant, typed, current)
        .await
    {
        Ok(Ok(view)) => {
            let values = minijinja::context! {
                client_name => view.client_name,
                user_code => view.user_code,
                scopes => scope_list(&view.scopes),
                username => current.user.username.clone(),
            };
            page(
                state,
                ctx,
                "device_confirm.html",
                values,
                StatusCode::OK,
                &[],
            )
            .await
        }
        Ok(Err(DeviceCodeProblem::Invalid)) => {
            entry_form(
                state,
                ctx,
                typed,
                Some("That code is not valid or has expired. Check your device."),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Ok(Err(DeviceCodeProblem::Throttled(wait))) => {
            let msg = format!("Too many wrong codes. Try again in {wait} seconds.");
            entry_form(state, ctx, typed, Some(&msg), StatusCode::TOO_MANY_REQUESTS).await
        }
        Ok(Err(DeviceCodeProblem::AlreadyDecided)) => {
            entry_form(
                state,
                ctx,
                typed,
                Some("That code was already used."),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => error_page(state, ctx, &e).await,
    }
}

/// `GET /device[?user_code=…]`.
pub async fn device_get(State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    let params = Params::parse(uri.query().unwrap_or("").as_bytes()).unwrap_or_default();
    let code = params.get("user_code");
    let current = match signed_in(&state, &ctx).await {
        Ok(Some(c)) => c,
        Ok(None) => return login_redirect(&ctx, code),
        Err(res) => return res,
    };
    match code {
        Some(code) => review(&state, &ctx, &current, code).await,
        None => entry_form(&state, &ctx, "", None, StatusCode::OK).await,
    }
}

/// A device form from a signed-in user (CSRF checked), or the response to send instead.
async fn device_form(
    state: &AppState,
    ctx: &Ctx,
    body: &[u8],
) -> Result<(Params, CurrentSession), Response> {
    let params = csrf_form(state, ctx, body).await?;
    match signed_in(state, ctx).await? {
        Some(current) => Ok((params, current)),
        None => Err(login_redirect(ctx, params.get("user_code"))),
    }
}

/// `POST /device`: the user typed a code.
pub async fn device_post(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    match device_form(&state, &ctx, &body).await {
        Ok((params, current)) => {
            review(
                &state,
                &ctx,
                &current,
                params.get("user_code").unwrap_or(""),
            )
            .await
        }
        Err(res) => res,
    }
}

/// `POST /device/decide`: the user approved or denied.
pub async fn device_decide(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let (params, current) = match device_form(&state, &ctx, &body).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let code = params.get("user_code").unwrap_or("");
    let approve = params.get("decision") == Some("approve");
    match state
        .provider
        .decide_device(&ctx.tenant, code, approve, &current)
        .await
    {
        Ok(true) => {
            page(
                &state,
                &ctx,
                "device_done.html",
                minijinja::context! { approved => approve },
                StatusCode::OK,
                &[],
            )
            .await
        }
        Ok(false) => {
            entry_form(
                &state,
                &ctx,
                code,
                Some("That code is no longer valid."),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => error_page(&state, &ctx, &e).await,
    }
}
