//! The sign-in page (standalone, and for interactions via `return_to`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::Response;
use sigil_core::model::normalize_username;
use sigil_oidc::presentations::WalletSignIn;
use sigil_oidc::{Params, SignInError};

use super::authorize::client_form_targets;
use super::federation::{route_address, sign_in_options};
use super::{csrf_form, page, path_with_query, safe_return_to, signed_in};
use crate::extract::Ctx;
use crate::ratelimit::{RouteClass, over_limit};
use crate::routes::vci::{no_store, qr_svg};
use crate::state::AppState;

/// The sign-in form, optionally with an error. When the sign-in continues an authorization
/// request, the page names the client and lets the form's redirects reach it.
pub(crate) async fn login_form(
    state: &AppState,
    ctx: &Ctx,
    return_to: &str,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let interaction = return_to.strip_prefix(&format!("{}/interaction/", ctx.tenant.path_prefix()));
    let client = match interaction {
        Some(id) => {
            state
                .provider
                .interaction_client(&ctx.tenant, id, &ctx.browser)
                .await
        }
        None => None,
    };
    let mut targets = client
        .as_deref()
        .map(client_form_targets)
        .unwrap_or_default();
    let (providers, routing, provider_targets) = sign_in_options(state, ctx, return_to).await;
    targets.extend(provider_targets);
    let values = minijinja::context! {
        return_to => return_to,
        username => username,
        error => error,
        providers => providers,
        routing => routing,
        client_name => client.map(|c| c.name.clone()),
        wallet_url => state.provider.wallet_sign_in_enabled().then(|| {
            let path = format!("{}/login/wallet", ctx.tenant.path_prefix());
            path_with_query(&path, &[("return_to", return_to)])
        }),
    };
    page(state, ctx, "login.html", values, status, &targets).await
}

/// The page that shows a wallet sign-in request.
async fn wallet_page(
    state: &AppState,
    ctx: &Ctx,
    return_to: &str,
    (request, link): (&str, &str),
    error: Option<&str>,
) -> Response {
    let values = minijinja::context! {
        return_to => return_to,
        request => request,
        link => link,
        qr => minijinja::Value::from_safe_string(qr_svg(link).unwrap_or_default()),
        password_url => path_with_query(
            &format!("{}{}", ctx.tenant.path_prefix(), sigil_oidc::endpoints::LOGIN),
            &[("return_to", return_to)],
        ),
        error => error,
    };
    no_store(page(state, ctx, "login_wallet.html", values, StatusCode::OK, &[]).await)
}

/// `GET /login/wallet?return_to=…`: starts a sign-in with a credential from a wallet.
pub async fn wallet_get(State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    let params = Params::parse(uri.query().unwrap_or("").as_bytes()).unwrap_or_default();
    let return_to = safe_return_to(&ctx, params.get("return_to"));
    match state
        .provider
        .start_wallet_sign_in(&ctx.tenant, &ctx.browser)
        .await
    {
        Ok(r) => wallet_page(&state, &ctx, &return_to, (&r.id, &r.request_uri), None).await,
        Err(_) => {
            let msg = "Signing in with a wallet is not available.";
            login_form(
                &state,
                &ctx,
                &return_to,
                "",
                Some(msg),
                StatusCode::NOT_FOUND,
            )
            .await
        }
    }
}

/// `POST /login/wallet`: finishes the sign-in once the wallet has answered.
pub async fn wallet_post(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let params = match csrf_form(&state, &ctx, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let return_to = safe_return_to(&ctx, params.get("return_to"));
    let request = params.get("request").unwrap_or("");
    let outcome = state
        .provider
        .finish_wallet_sign_in(&ctx.tenant, request, &ctx.browser)
        .await;
    let message = match outcome {
        Ok(WalletSignIn::SignedIn(signed)) => {
            return signed_in(&state, &ctx, &signed.secret, &return_to);
        }
        Ok(WalletSignIn::Pending) => {
            let link = state.provider.presentation_link(&ctx.tenant, request).await;
            if let Ok(Some(link)) = link {
                let msg = "Your wallet has not answered yet.";
                return wallet_page(&state, &ctx, &return_to, (request, &link), Some(msg)).await;
            }
            "The request has expired. Start again.".to_owned()
        }
        Ok(WalletSignIn::Refused(why)) => why,
        Err(_) => "Signing in is temporarily unavailable. Try again shortly.".to_owned(),
    };
    login_form(&state, &ctx, &return_to, "", Some(&message), StatusCode::OK).await
}

/// `GET /login?return_to=…`.
pub async fn login_get(State(state): State<AppState>, ctx: Ctx, uri: Uri) -> Response {
    let params = Params::parse(uri.query().unwrap_or("").as_bytes()).unwrap_or_default();
    let return_to = safe_return_to(&ctx, params.get("return_to"));
    let hint = params.get("login_hint").unwrap_or("");
    login_form(&state, &ctx, &return_to, hint, None, StatusCode::OK).await
}

/// `POST /login`: checks the password and starts a session.
pub async fn login_post(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let params = match csrf_form(&state, &ctx, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let return_to = safe_return_to(&ctx, params.get("return_to"));
    let username = params.get("username").unwrap_or("");
    // An address of an organisation that signs its people in elsewhere goes there.
    if let Some(res) = route_address(&state, &ctx, username.trim(), &return_to).await {
        return res;
    }
    let (Some(_), Some(password)) = (params.get("username"), params.get("password")) else {
        let msg = "Enter your username and password.";
        return login_form(
            &state,
            &ctx,
            &return_to,
            username,
            Some(msg),
            StatusCode::OK,
        )
        .await;
    };
    // Attempts per account, counted on every node alike (the shared buckets), for any name
    // tried, so the answer says nothing about which accounts exist.
    let account = format!("{}:{}", ctx.tenant.id, normalize_username(username));
    let per_user = state.config.rate_limits.sign_in.per_user;
    let limited = over_limit(&state, RouteClass::SignIn, "user", per_user, &account).await;
    let attempt = match limited {
        Some(wait) => Err(SignInError::Throttled(wait)),
        None => {
            state
                .provider
                .sign_in(&ctx.tenant, username, password, &ctx.browser)
                .await
        }
    };
    let (message, status, retry_after) = match attempt {
        Ok(signed) => {
            return signed_in(&state, &ctx, &signed.secret, &return_to);
        }
        // 200, not 401: a 401 must carry a WWW-Authenticate challenge, and this is a form.
        Err(SignInError::InvalidCredentials) => (
            "The username or password is incorrect.".to_owned(),
            StatusCode::OK,
            None,
        ),
        Err(SignInError::Throttled(wait)) => (
            format!("Too many attempts. Try again in {wait} seconds."),
            StatusCode::TOO_MANY_REQUESTS,
            Some(wait),
        ),
        Err(SignInError::Unavailable) => (
            "Signing in is temporarily unavailable. Try again shortly.".to_owned(),
            StatusCode::SERVICE_UNAVAILABLE,
            Some(1),
        ),
    };
    let mut res = login_form(&state, &ctx, &return_to, username, Some(&message), status).await;
    if let Some(wait) = retry_after
        && let Ok(v) = HeaderValue::from_str(&wait.to_string())
    {
        res.headers_mut().insert(RETRY_AFTER, v);
    }
    res
}
