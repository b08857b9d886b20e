//! Signing in through external identity providers: `/login/idp/{name}` starts it,
//! `/login/idp/{name}/callback` is where the provider answers, `POST /login/idp` routes an
//! address to its organisation's provider (home-realm discovery), and `POST /login/idp/link`
//! links an existing account once its owner signs in to it. A SAML provider answers at
//! `/saml/sp/{name}/acs` (its SP metadata is `/saml/sp/{name}/metadata`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sigil_oidc::federation::accounts::LinkError;
use sigil_oidc::federation::logout::SamlLogout;
use sigil_oidc::federation::saml;
use sigil_oidc::federation::sign_in::{Callback, FederatedSignIn, FederationRefusal};
use sigil_oidc::{Params, SignInError};

use super::{csrf_form, page, path_with_query, safe_return_to, see_other, signed_in};
use crate::extract::Ctx;
use crate::state::AppState;

/// What the sign-in page offers besides a password: a button per provider, whether an
/// organisation address can be routed, and the `form-action` targets that routing needs.
pub async fn sign_in_options(
    state: &AppState,
    ctx: &Ctx,
    return_to: &str,
) -> (Vec<minijinja::Value>, bool, Vec<String>) {
    let providers = state
        .provider
        .identity_providers(&ctx.tenant)
        .await
        .unwrap_or_default();
    let routing = providers.iter().any(|p| !p.provider.domains.is_empty());
    let buttons = providers
        .iter()
        .map(|p| {
            minijinja::context! {
                name => p.name,
                display_name => p.provider.display_name,
                url => start_path(ctx, &p.name, return_to, None),
            }
        })
        .collect();
    let targets = if routing {
        state.provider.routed_provider_origins(&ctx.tenant.id).await
    } else {
        Vec::new()
    };
    (buttons, routing, targets)
}

/// The path that starts a sign-in at `name`.
pub fn start_path(ctx: &Ctx, name: &str, return_to: &str, login_hint: Option<&str>) -> String {
    let path = format!("{}/login/idp/{name}", ctx.tenant.path_prefix());
    let mut pairs = vec![("return_to", return_to)];
    pairs.extend(login_hint.map(|h| ("login_hint", h)));
    path_with_query(&path, &pairs)
}

/// The sign-in page with a message (a refused federated sign-in).
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    refusal: &FederationRefusal,
    status: StatusCode,
) -> Response {
    let return_to = safe_return_to(ctx, refusal.return_to.as_deref());
    super::login::login_form(state, ctx, &return_to, "", Some(&refusal.message), status).await
}

/// `GET /login/idp/{name}?return_to=…&login_hint=…`: off to the provider.
pub async fn start(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    uri: Uri,
) -> Response {
    let params = Params::parse(uri.query().unwrap_or("").as_bytes()).unwrap_or_default();
    let return_to = safe_return_to(&ctx, params.get("return_to"));
    let known = state
        .provider
        .stored_identity_provider(&ctx.tenant.id, &name)
        .await;
    if let Ok(None) = known {
        let refusal = FederationRefusal {
            message: "There is no such identity provider.".into(),
            reason: String::new(),
            return_to: Some(return_to),
        };
        return refused(&state, &ctx, &refusal, StatusCode::NOT_FOUND).await;
    }
    match state
        .provider
        .start_federated_sign_in(
            &ctx.tenant,
            &name,
            &return_to,
            params.get("login_hint"),
            &ctx.browser,
        )
        .await
    {
        Ok(url) => see_other(&url),
        Err(mut refusal) => {
            tracing::info!(provider = %name, reason = %refusal.reason, "a federated sign-in could not start");
            refusal.return_to = Some(return_to);
            refused(&state, &ctx, &refusal, StatusCode::SERVICE_UNAVAILABLE).await
        }
    }
}

/// `GET /login/idp/{name}/callback`: the provider's answer.
pub async fn callback(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    uri: Uri,
) -> Response {
    let params = match Params::parse(uri.query().unwrap_or("").as_bytes()) {
        Ok(p) => p,
        Err(e) => return super::error_page(&state, &ctx, &e).await,
    };
    let owned = |k: &str| params.get(k).map(str::to_owned);
    let answer = Callback {
        state: owned("state").unwrap_or_default(),
        code: owned("code"),
        error: owned("error"),
        iss: owned("iss"),
    };
    let outcome = state
        .provider
        .finish_federated_sign_in(&ctx.tenant, &name, answer, &ctx.browser)
        .await;
    finished(&state, &ctx, outcome).await
}

/// Where a federated sign-in goes once the provider's answer was taken in.
async fn finished(
    state: &AppState,
    ctx: &Ctx,
    outcome: Result<FederatedSignIn, FederationRefusal>,
) -> Response {
    match outcome {
        Ok(FederatedSignIn::SignedIn { signed, return_to }) => signed_in(
            state,
            ctx,
            &signed.secret,
            &safe_return_to(ctx, Some(&return_to)),
        ),
        Ok(FederatedSignIn::LinkRequired {
            handle,
            username,
            return_to,
        }) => link_page(state, ctx, &handle, &username, &return_to, None).await,
        Err(refusal) => refused(state, ctx, &refusal, StatusCode::BAD_REQUEST).await,
    }
}

/// `GET /saml/sp/{name}/metadata`: Sigil's SP metadata for the SAML provider `name`.
pub async fn saml_sp_metadata(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Response {
    match state.provider.saml_sp_metadata(&ctx.tenant, &name).await {
        Ok(xml) => super::saml::metadata_response(xml),
        Err(sigil_oidc::admin::AdminError::NotFound(_)) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "SAML SP metadata");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `POST /saml/sp/{name}/acs`: the SAML provider's response, posted cross-site (so without
/// the browser's cookies and CSRF token; the response itself is what is checked). The
/// browser is sent on to pick the answer up where its cookies are seen again.
pub async fn saml_acs(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let params = match Params::parse(&body) {
        Ok(p) => p,
        Err(e) => return super::error_page(&state, &ctx, &e).await,
    };
    let received = state
        .provider
        .receive_saml_response(
            &ctx.tenant,
            &name,
            params.get("SAMLResponse").unwrap_or(""),
            params.get("RelayState").unwrap_or(""),
            &ctx.browser,
        )
        .await;
    match received {
        Ok(answer) => {
            let path = format!(
                "{}{}",
                ctx.tenant.path_prefix(),
                saml::acs_continue_path(&name)
            );
            see_other(&path_with_query(&path, &[("answer", &answer)]))
        }
        // Not the sign-in form: without the browser's cookie here, its CSRF token would not
        // be the browser's.
        Err(refusal) => {
            let values = minijinja::context! {
                title => "You could not be signed in",
                message => refusal.message,
            };
            page(
                &state,
                &ctx,
                "error.html",
                values,
                StatusCode::BAD_REQUEST,
                &[],
            )
            .await
        }
    }
}

/// `GET /saml/sp/{name}/acs/continue?answer=…`: the browser that started the sign-in picks up
/// the checked answer.
pub async fn saml_acs_continue(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    uri: Uri,
) -> Response {
    let params = Params::parse(uri.query().unwrap_or("").as_bytes()).unwrap_or_default();
    let outcome = state
        .provider
        .finish_saml_sign_in(
            &ctx.tenant,
            &name,
            params.get("answer").unwrap_or(""),
            &ctx.browser,
        )
        .await;
    finished(&state, &ctx, outcome).await
}

async fn link_page(
    state: &AppState,
    ctx: &Ctx,
    handle: &str,
    username: &str,
    return_to: &str,
    error: Option<&str>,
) -> Response {
    let login = format!(
        "{}{}",
        ctx.tenant.path_prefix(),
        sigil_oidc::endpoints::LOGIN
    );
    let values = minijinja::context! {
        handle => handle,
        username => username,
        return_to => return_to,
        error => error,
        login_url => path_with_query(&login, &[("return_to", return_to)]),
    };
    page(state, ctx, "login_link.html", values, StatusCode::OK, &[]).await
}

/// `POST /login/idp/link`: the owner of an existing account signs in to it to link it.
pub async fn link(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let params = match csrf_form(&state, &ctx, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let handle = params.get("handle").unwrap_or("");
    let return_to = safe_return_to(&ctx, params.get("return_to"));
    let outcome = state
        .provider
        .confirm_federated_link(
            &ctx.tenant,
            handle,
            params.get("password").unwrap_or(""),
            &ctx.browser,
        )
        .await;
    let message = match outcome {
        Ok((signed, return_to)) => {
            return signed_in(
                &state,
                &ctx,
                &signed.secret,
                &safe_return_to(&ctx, Some(&return_to)),
            );
        }
        Err(LinkError::Expired) => {
            let refusal = FederationRefusal {
                message: "This link has expired or was already used. Sign in again.".into(),
                reason: String::new(),
                return_to: Some(return_to),
            };
            return refused(&state, &ctx, &refusal, StatusCode::BAD_REQUEST).await;
        }
        Err(LinkError::SignIn(SignInError::InvalidCredentials)) => {
            "The password is incorrect.".to_owned()
        }
        Err(LinkError::SignIn(SignInError::Throttled(wait))) => {
            format!("Too many attempts. Try again in {wait} seconds.")
        }
        Err(LinkError::SignIn(SignInError::Unavailable)) => {
            "Signing in is temporarily unavailable. Try again shortly.".to_owned()
        }
    };
    let username = state
        .provider
        .pending_link_username(&ctx.tenant, handle, &ctx.browser)
        .await
        .unwrap_or_default();
    link_page(&state, &ctx, handle, &username, &return_to, Some(&message)).await
}

/// `POST /login/idp`: sends an organisation address to its provider.
pub async fn discover(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let params = match csrf_form(&state, &ctx, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let return_to = safe_return_to(&ctx, params.get("return_to"));
    let address = params.get("email").unwrap_or("").trim();
    match route_address(&state, &ctx, address, &return_to).await {
        Some(res) => res,
        None => {
            let message = "No organisation signs in users of that address here. Sign in with your username and password.";
            super::login::login_form(&state, &ctx, &return_to, "", Some(message), StatusCode::OK)
                .await
        }
    }
}

/// A redirect to the provider an address's domain is routed to, if one is.
pub async fn route_address(
    state: &AppState,
    ctx: &Ctx,
    address: &str,
    return_to: &str,
) -> Option<Response> {
    if !address.contains('@') {
        return None;
    }
    let (name, _) = state
        .provider
        .provider_for_domain(&ctx.tenant.id, address)
        .await
        .ok()??;
    Some(see_other(&start_path(ctx, &name, return_to, Some(address))))
}

/// `GET /saml/sp/{name}/slo?SAMLResponse=…&RelayState=…`: a SAML IdP answers Sigil's
/// logout request (HTTP-Redirect); or `?SAMLRequest=…`: the IdP signs the person out of Sigil.
pub async fn saml_sp_slo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    uri: Uri,
) -> Response {
    let raw_query = uri.query().unwrap_or("");
    let params = Params::parse(raw_query.as_bytes()).unwrap_or_default();
    if let Some(request) = params.get("SAMLRequest") {
        let step = state
            .provider
            .saml_upstream_logout(
                &ctx.tenant,
                &name,
                raw_query,
                request,
                params.get("RelayState"),
                &ctx.browser,
            )
            .await;
        return super::saml::slo_step(&state, &ctx, step).await;
    }
    let outcome = match (params.get("SAMLResponse"), params.get("RelayState")) {
        (Some(response), Some(relay)) => {
            state
                .provider
                .finish_saml_logout(&ctx.tenant, &name, raw_query, response, relay)
                .await
        }
        _ => None,
    };
    match outcome {
        Some(SamlLogout {
            then: Some(url),
            confirmed: true,
        }) => see_other(&url),
        Some(SamlLogout { confirmed, .. }) => {
            super::logout::signed_out_page(&state, &ctx, !confirmed, &[], None).await
        }
        None => super::logout::logged_out_page(&state, &ctx).await,
    }
}

/// `GET /login/idp/{name}/logged-out?state=…`: the provider signed the browser out too.
pub async fn logged_out(State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    let params = Params::parse(uri.query().unwrap_or("").as_bytes()).unwrap_or_default();
    let then = match params.get("state") {
        Some(s) => state.provider.finish_federated_logout(&ctx.tenant, s).await,
        None => None,
    };
    match then {
        Some(url) => see_other(&url),
        None => super::logout::logged_out_page(&state, &ctx).await,
    }
}
