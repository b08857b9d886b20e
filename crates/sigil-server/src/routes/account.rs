//! The account page: who is signed in, their sessions and consents, and sign-out.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use sigil_core::{ClientId, SessionId};
use sigil_oidc::CurrentSession;

use super::{clearing_session, csrf_form, error_page, page, path_with_query, see_other};
use crate::extract::Ctx;
use crate::state::AppState;

fn when(t: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&format).ok())
        .unwrap_or_else(|| t.to_string())
}

fn account_path(ctx: &Ctx) -> String {
    format!("{}/account", ctx.tenant.path_prefix())
}

fn to_login(ctx: &Ctx) -> Response {
    see_other(&path_with_query(
        &format!("{}/login", ctx.tenant.path_prefix()),
        &[("return_to", &account_path(ctx))],
    ))
}

async fn require_session(state: &AppState, ctx: &Ctx) -> Result<CurrentSession, Response> {
    match state
        .provider
        .current_session(&ctx.tenant, &ctx.browser)
        .await
    {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(to_login(ctx)),
        Err(e) => Err(error_page(state, ctx, &e).await),
    }
}

/// `GET /account`.
pub async fn account(State(state): State<AppState>, ctx: Ctx) -> Response {
    let current = match require_session(&state, &ctx).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let overview = match state.provider.account_overview(&ctx.tenant, &current).await {
        Ok(o) => o,
        Err(e) => return error_page(&state, &ctx, &e).await,
    };
    let sessions: Vec<minijinja::Value> = overview
        .sessions
        .iter()
        .map(|s| {
            minijinja::context! {
                id => s.id.as_str(),
                created => when(s.created_at.0),
                user_agent => s.user_agent.clone(),
                ip => s.ip.clone(),
                current => s.id == current.session.id,
            }
        })
        .collect();
    let consents: Vec<minijinja::Value> = overview
        .consents
        .iter()
        .map(|c| {
            minijinja::context! {
                client_id => c.client_id.clone(),
                client_name => c.client_name.clone(),
                scopes => c.scopes.clone(),
                granted => when(c.granted_at),
            }
        })
        .collect();
    let u = &current.user;
    let values = minijinja::context! {
        user => minijinja::context! { username => u.username.clone(), name => u.name.clone(), email => u.email.clone(), sub => u.id.as_str() },
        sessions => sessions,
        consents => consents,
    };
    // Signing out may go on to the SAML SPs and the provider of the session.
    let targets = state
        .provider
        .sign_out_origins(&ctx.tenant, &current.session.id)
        .await;
    page(
        &state,
        &ctx,
        "account.html",
        values,
        StatusCode::OK,
        &targets,
    )
    .await
}

async fn account_form(
    state: &AppState,
    ctx: &Ctx,
    body: &[u8],
) -> Result<(CurrentSession, sigil_oidc::Params), Response> {
    let params = csrf_form(state, ctx, body).await?;
    let current = require_session(state, ctx).await?;
    Ok((current, params))
}

/// `POST /account/sessions/end`: signs out one session (possibly this one).
pub async fn end_session(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let (current, params) = match account_form(&state, &ctx, &body).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let Some(sid) = params.get("sid").and_then(|s| SessionId::parse(s).ok()) else {
        return see_other(&account_path(&ctx));
    };
    if let Err(e) = state
        .provider
        .end_session(&ctx.tenant, &current.user, &sid, ctx.browser.ip.clone())
        .await
    {
        return error_page(&state, &ctx, &e).await;
    }
    if sid == current.session.id {
        return clearing_session(&state, &ctx, to_login(&ctx));
    }
    see_other(&account_path(&ctx))
}

/// `POST /account/consents/withdraw`.
pub async fn withdraw_consent(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let (current, params) = match account_form(&state, &ctx, &body).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    if let Some(client) = params
        .get("client_id")
        .and_then(|c| ClientId::parse(c).ok())
        && let Err(e) = state
            .provider
            .withdraw_consent(&ctx.tenant, &current.user, &client, ctx.browser.ip.clone())
            .await
    {
        return error_page(&state, &ctx, &e).await;
    }
    see_other(&account_path(&ctx))
}

/// `POST /account/logout`: signs out of this browser.
pub async fn logout(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let (current, _) = match account_form(&state, &ctx, &body).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    super::logout::sign_out(&state, &ctx, &current, None).await
}
