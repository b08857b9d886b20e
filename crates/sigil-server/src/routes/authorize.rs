//! The authorization endpoint and the interaction pages (consent; sign-in is [`super::login`]).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use sigil_core::model::Client;
use sigil_oidc::{AuthorizeOutcome, InteractionStep, Params};

use super::federation::{sign_in_options, start_path};
use super::{csrf_form, error_page, page, page_form, see_other};
use crate::extract::Ctx;
use crate::pages::describe_scope;
use crate::state::AppState;

/// Origins a page's forms may end up redirecting to: the client's redirect URIs.
pub fn client_form_targets(client: &Client) -> Vec<String> {
    let mut targets: Vec<String> = client
        .redirect_uris
        .iter()
        .map(|u| {
            u.web_origin()
                .unwrap_or_else(|| format!("{}:", u.as_str().split(':').next().unwrap_or("")))
        })
        .collect();
    targets.sort();
    targets.dedup();
    targets
}

/// `GET /authorize`.
pub async fn authorize_get(State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    match Params::parse(uri.query().unwrap_or("").as_bytes()) {
        Ok(params) => authorize(&state, &ctx, &params).await,
        Err(e) => error_page(&state, &ctx, &e).await,
    }
}

/// `POST /authorize`.
pub async fn authorize_post(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    match page_form(&state, &ctx, &body).await {
        Ok(params) => authorize(&state, &ctx, &params).await,
        Err(res) => res,
    }
}

async fn authorize(state: &AppState, ctx: &Ctx, params: &Params) -> Response {
    let outcome = state
        .provider
        .authorize(&ctx.tenant, params, &ctx.browser)
        .await;
    outcome_response(state, ctx, outcome).await
}

/// Maps an authorization outcome onto HTTP.
pub async fn outcome_response(state: &AppState, ctx: &Ctx, outcome: AuthorizeOutcome) -> Response {
    match outcome {
        AuthorizeOutcome::Redirect(url) => see_other(&url),
        AuthorizeOutcome::Interaction(id) => {
            see_other(&format!("{}/interaction/{id}", ctx.tenant.path_prefix()))
        }
        AuthorizeOutcome::ErrorPage(e) => error_page(state, ctx, &e).await,
    }
}

fn interaction_id(path: &HashMap<String, String>) -> String {
    path.get("id").cloned().unwrap_or_default()
}

/// `GET /interaction/{id}`.
pub async fn interaction_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(path): Path<HashMap<String, String>>,
) -> Response {
    let id = interaction_id(&path);
    let step = state
        .provider
        .interaction(&ctx.tenant, &id, &ctx.browser)
        .await;
    step_response(&state, &ctx, &id, step).await
}

/// `POST /interaction/{id}/consent`.
pub async fn interaction_consent(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(path): Path<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let params = match csrf_form(&state, &ctx, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let id = interaction_id(&path);
    let approve = params.get("decision") == Some("approve");
    let step = state
        .provider
        .decide_consent(&ctx.tenant, &id, approve, &ctx.browser)
        .await;
    step_response(&state, &ctx, &id, step).await
}

/// Scope names with their descriptions, for consent screens.
pub fn scope_list(scopes: &[String]) -> Vec<minijinja::Value> {
    scopes
        .iter()
        .map(|s| minijinja::context! { name => s, description => describe_scope(s) })
        .collect()
}

async fn step_response(state: &AppState, ctx: &Ctx, id: &str, step: InteractionStep) -> Response {
    match step {
        InteractionStep::Login {
            client,
            login_hint,
            reauthenticate,
            idp_hint,
        } => {
            let return_to = format!("{}/interaction/{id}", ctx.tenant.path_prefix());
            if let Some(name) = idp_hint
                && !reauthenticate
                && let Ok(Some(_)) = state
                    .provider
                    .stored_identity_provider(&ctx.tenant.id, &name)
                    .await
            {
                let start = start_path(ctx, &name, &return_to, login_hint.as_deref());
                return see_other(&start);
            }
            let (providers, routing, mut targets) = sign_in_options(state, ctx, &return_to).await;
            targets.extend(client_form_targets(&client));
            let values = minijinja::context! {
                client_name => client.name,
                username => login_hint.unwrap_or_default(),
                reauthenticate => reauthenticate,
                return_to => return_to,
                providers => providers,
                routing => routing,
            };
            page(state, ctx, "login.html", values, StatusCode::OK, &targets).await
        }
        InteractionStep::Consent {
            client,
            scopes,
            credentials,
            username,
        } => {
            let values = minijinja::context! {
                client_name => client.name,
                scopes => scope_list(&scopes),
                credentials => credentials,
                username => username,
                interaction => id,
            };
            page(
                state,
                ctx,
                "consent.html",
                values,
                StatusCode::OK,
                &client_form_targets(&client),
            )
            .await
        }
        InteractionStep::Done(outcome) => outcome_response(state, ctx, outcome).await,
    }
}
