//! `sigil wallet web`: the wallet as a small web page on this machine. It lists the
//! credentials held, receives an offer pasted into it, and answers a presentation request by
//! showing what would be shared, with whom, and sending it only when the holder says so.
//!
//! The page serves this machine's user only:
//! - it listens on a loopback address, and answers only requests whose `Host` is that address
//!   (a DNS-rebinding site's name is refused);
//! - every URL starts with a secret printed at start (`/w/<secret>/`), so other local users
//!   and other web pages can neither read the page nor post to it: a cross-site form cannot
//!   name the secret, and posts from another origin are refused besides;
//! - pages are `no-store`, sent as a `Referer` to the page itself only, and under a CSP with
//!   no script at all.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Path, Request, State};
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Environment, context};
use serde::Deserialize;
use serde_json::Value;
use sigil_core::Digest32;
use tokio::sync::Mutex;

use super::present::{Prepared, prepare};
use super::receive::{Redeem, receive_with};
use super::store::Wallet;

/// Pending presentation requests kept for the holder's answer, at most.
const MAX_PENDING: usize = 32;

/// The wallet page's state: the wallet, requests awaiting an answer, and what requests must
/// carry.
struct WebWallet {
    wallet: Mutex<Wallet>,
    pending: std::sync::Mutex<HashMap<String, Prepared>>,
    secret: String,
    host: String,
    pages: Environment<'static>,
    now: fn() -> i64,
}

/// The page for `wallet`, served at `addr` (a loopback address): its router, and the URL to
/// open (which holds the secret). `now` is the clock.
pub fn web_wallet(wallet: Wallet, addr: SocketAddr, now: fn() -> i64) -> (Router, String) {
    let secret = sigil_core::random::secret_token();
    let host = addr.to_string();
    let url = format!("http://{host}/w/{secret}/");
    let mut pages = Environment::new();
    for (name, text) in [
        ("layout.html", include_str!("web/layout.html")),
        ("home.html", include_str!("web/home.html")),
        ("consent.html", include_str!("web/consent.html")),
    ] {
        // The templates are part of the binary; one that does not parse fails every test.
        pages.add_template(name, text).unwrap_or_default();
    }
    let state = Arc::new(WebWallet {
        wallet: Mutex::new(wallet),
        pending: std::sync::Mutex::new(HashMap::new()),
        secret,
        host,
        pages,
        now,
    });
    let router = Router::new()
        .route("/w/{secret}/", get(home))
        .route("/w/{secret}/wallet.css", get(stylesheet))
        .route("/w/{secret}/receive", post(receive))
        .route("/w/{secret}/present", post(ask))
        .route("/w/{secret}/present/{id}", post(decide))
        .layer(from_fn_with_state(state.clone(), guard))
        .with_state(state);
    (router, url)
}

/// Refuses requests for another host, without the secret, or posted from another origin;
/// adds the security headers to every answer.
async fn guard(State(state): State<Arc<WebWallet>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host_ok = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h == state.host);
    let secret_ok = request
        .uri()
        .path()
        .strip_prefix("/w/")
        .and_then(|rest| rest.split('/').next())
        .is_some_and(|given| Digest32::of(given).ct_eq(&Digest32::of(&state.secret)));
    let origin_ok = headers
        .get(ORIGIN)
        .is_none_or(|o| o.as_bytes() == format!("http://{}", state.host).as_bytes());
    let mut res = if !host_ok {
        (
            StatusCode::MISDIRECTED_REQUEST,
            "This wallet answers on its own address only.",
        )
            .into_response()
    } else if !secret_ok {
        (StatusCode::NOT_FOUND, "Not found").into_response()
    } else if request.method() != axum::http::Method::GET && !origin_ok {
        (StatusCode::FORBIDDEN, "Posted from another site.").into_response()
    } else {
        next.run(request).await
    };
    let h = res.headers_mut();
    for (name, value) in [
        (
            "content-security-policy",
            "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        // `same-origin`, not `no-referrer`: under `no-referrer` browsers post forms with
        // `Origin: null`, which the origin check refuses. The secret never leaves the page.
        ("referrer-policy", "same-origin"),
        ("x-content-type-options", "nosniff"),
        ("cache-control", "no-store"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    res
}

impl WebWallet {
    fn base(&self) -> String {
        format!("/w/{}", self.secret)
    }

    /// The home page: the credentials held, pending ones, and the two forms.
    async fn home_page(
        &self,
        status: StatusCode,
        notice: Option<String>,
        problem: Option<String>,
    ) -> Response {
        let wallet = self.wallet.lock().await;
        let credentials: Vec<Value> = wallet
            .credentials
            .iter()
            .map(|c| {
                let claims: Vec<Value> = c
                    .shown_claims()
                    .iter()
                    .map(|(name, value)| {
                        serde_json::json!({"label": c.label(name), "value": shown(value)})
                    })
                    .collect();
                let expires = c.expires_at.map(|e| sigil_core::UnixTime(e).rfc3339());
                serde_json::json!({"name": c.name, "issuer": c.issuer, "expires": expires, "claims": claims})
            })
            .collect();
        let pending: Vec<Value> = wallet
            .pending
            .iter()
            .map(|p| serde_json::json!({"type": p.configuration_id, "issuer": p.issuer}))
            .collect();
        self.render(
            status,
            "home.html",
            context! { base => self.base(), credentials, pending, notice, problem },
        )
    }

    fn render(&self, status: StatusCode, name: &str, ctx: minijinja::Value) -> Response {
        match self.pages.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the page failed: {e}"),
            )
                .into_response(),
        }
    }
}

/// A claim's value as text: strings as they are, anything else as JSON.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn home(State(state): State<Arc<WebWallet>>) -> Response {
    state.home_page(StatusCode::OK, None, None).await
}

async fn stylesheet() -> Response {
    let mut res = include_str!("web/wallet.css").into_response();
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    res
}

#[derive(Deserialize)]
struct ReceiveForm {
    offer: String,
    #[serde(default)]
    tx_code: String,
}

async fn receive(State(state): State<Arc<WebWallet>>, Form(form): Form<ReceiveForm>) -> Response {
    let tx_code = Some(form.tx_code.trim()).filter(|t| !t.is_empty());
    let redeem = Redeem {
        tx_code,
        sign_in: None,
    };
    let outcome = {
        let mut wallet = state.wallet.lock().await;
        receive_with(&mut wallet, form.offer.trim(), &redeem, (state.now)()).await
    };
    match outcome {
        Ok(received) => {
            let mut said: Vec<String> = received
                .credentials
                .iter()
                .map(|c| format!("Received {} from {}.", c.name, c.issuer))
                .collect();
            said.extend(received.pending.iter().map(|p| {
                format!(
                    "{} from {} is waiting for the issuer's approval.",
                    p.configuration_id, p.issuer
                )
            }));
            state
                .home_page(StatusCode::OK, Some(said.join(" ")), None)
                .await
        }
        Err(e) => {
            let why = format!("The offer could not be received: {e:#}");
            state
                .home_page(StatusCode::BAD_REQUEST, None, Some(why))
                .await
        }
    }
}

#[derive(Deserialize)]
struct RequestForm {
    request: String,
}

async fn ask(State(state): State<Arc<WebWallet>>, Form(form): Form<RequestForm>) -> Response {
    let prepared = {
        let wallet = state.wallet.lock().await;
        prepare(&wallet, form.request.trim(), (state.now)()).await
    };
    let prepared = match prepared {
        Ok(p) => p,
        Err(e) => {
            let why = format!("The request cannot be answered: {e:#}");
            return state
                .home_page(StatusCode::BAD_REQUEST, None, Some(why))
                .await;
        }
    };
    let id = sigil_core::random::identifier();
    let consent = prepared.consent.clone();
    {
        let mut pending = state.pending.lock().unwrap_or_else(|p| p.into_inner());
        if pending.len() >= MAX_PENDING {
            pending.clear();
        }
        pending.insert(id.clone(), prepared);
    }
    let disclosures: Vec<Value> = consent
        .disclosures
        .iter()
        .map(|d| {
            let claims: Vec<Value> = d
                .claims
                .iter()
                .map(|(label, value)| serde_json::json!({"label": label, "value": shown(value)}))
                .collect();
            serde_json::json!({"name": d.name, "claims": claims})
        })
        .collect();
    state.render(
        StatusCode::OK,
        "consent.html",
        context! {
            base => state.base(), id, verifier => consent.verifier, name => consent.name,
            responds_to => consent.responds_to, disclosures,
        },
    )
}

#[derive(Deserialize)]
struct DecisionForm {
    decision: String,
}

async fn decide(
    State(state): State<Arc<WebWallet>>,
    Path((_, id)): Path<(String, String)>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let prepared = state
        .pending
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
    let Some(prepared) = prepared else {
        let why = "That request was already answered, or this page was restarted.".to_owned();
        return state
            .home_page(StatusCode::NOT_FOUND, None, Some(why))
            .await;
    };
    if form.decision != "disclose" {
        let said = "Nothing was shared.".to_owned();
        return state.home_page(StatusCode::OK, Some(said), None).await;
    }
    let sent = {
        let wallet = state.wallet.lock().await;
        prepared.send(&wallet, (state.now)()).await
    };
    match sent {
        Ok(()) => {
            let said = format!("Shared with {}.", prepared.consent.verifier);
            state.home_page(StatusCode::OK, Some(said), None).await
        }
        Err(e) => {
            let why = format!("The answer could not be sent: {e:#}");
            state
                .home_page(StatusCode::BAD_GATEWAY, None, Some(why))
                .await
        }
    }
}
