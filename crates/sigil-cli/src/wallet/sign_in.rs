//! Offers redeemed by signing in (the OpenID4VCI authorization code flow), the way a native
//! app does it (RFC 8252): the wallet is a public client registered at the issuer, with a
//! loopback redirect URI (`http://127.0.0.1/callback`; the port is the wallet's to pick). It
//! listens on a fresh port, pushes its request when the server offers PAR (RFC 9126) — PKCE
//! S256, `state`, the offer's `issuer_state` and `authorization_details` for what it offers —
//! has the user open the authorization URL, takes the redirect back (checking `state` and
//! RFC 9207 `iss`), and exchanges the code.

use std::time::Duration;

use anyhow::{Context, bail};
use axum::extract::{Query, State};
use serde_json::{Value, json};
use sigil_core::random;
use tokio::sync::{mpsc, oneshot};

use super::access::{NonceBox, token_request};
use super::http::{check_url, json_answer};

/// How long the wallet waits for the user to sign in.
const WAIT: Duration = Duration::from_secs(300);

/// The wallet's client at the issuer, and how the user is sent to sign in.
pub struct SignIn {
    /// The wallet's `client_id` at the issuer's authorization server.
    pub client_id: String,
    /// Shows the user the authorization URL (prints it; a test drives a browser with it).
    pub open: Box<dyn Fn(String) + Send + Sync>,
}

/// What the authorization request asks for.
pub(super) struct SignInRequest<'a> {
    /// The authorization server's metadata.
    pub as_meta: &'a Value,
    /// The offer's `issuer_state`.
    pub issuer_state: Option<&'a str>,
    /// The configurations offered.
    pub configuration_ids: &'a [String],
    /// The key the wallet binds its token to with DPoP, and the server's latest nonce.
    pub dpop: Option<(&'a sigil_keys::SigningKey, &'a NonceBox)>,
}

fn endpoint<'a>(as_meta: &'a Value, name: &str) -> anyhow::Result<&'a str> {
    let url = as_meta[name]
        .as_str()
        .with_context(|| format!("the authorization server has no {name}"))?;
    check_url(url)?;
    Ok(url)
}

/// Waits for the one redirect back to the wallet, and answers the browser.
async fn callback(
    State(sender): State<mpsc::Sender<Vec<(String, String)>>>,
    Query(query): Query<Vec<(String, String)>>,
) -> &'static str {
    let _ = sender.send(query).await;
    "Back in the wallet: you can close this window."
}

impl SignIn {
    /// Has the user sign in and approve, and exchanges the code: the token response.
    pub(super) async fn token(
        &self,
        client: &reqwest::Client,
        asked: &SignInRequest<'_>,
    ) -> anyhow::Result<Value> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let redirect_uri = format!(
            "http://127.0.0.1:{}/callback",
            listener.local_addr()?.port()
        );
        let (sender, mut redirects) = mpsc::channel(1);
        let (stop, stopped) = oneshot::channel::<()>();
        let app = axum::Router::new()
            .route("/callback", axum::routing::get(callback))
            .with_state(sender);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        let verifier = random::secret_token();
        let state = random::identifier();
        let details: Vec<Value> = asked
            .configuration_ids
            .iter()
            .map(|id| json!({"type": "openid_credential", "credential_configuration_id": id}))
            .collect();
        let mut params = vec![
            ("response_type", "code".to_owned()),
            ("client_id", self.client_id.clone()),
            ("redirect_uri", redirect_uri.clone()),
            ("code_challenge", sigil_oidc::pkce::s256(&verifier)),
            ("code_challenge_method", "S256".to_owned()),
            ("state", state.clone()),
            ("authorization_details", Value::Array(details).to_string()),
        ];
        if let Some(issuer_state) = asked.issuer_state {
            params.push(("issuer_state", issuer_state.to_owned()));
        }
        let url = self
            .authorization_url(client, asked.as_meta, &params)
            .await?;
        (self.open)(url);
        let answer = tokio::time::timeout(WAIT, redirects.recv())
            .await
            .context("no sign-in within five minutes")?
            .context("the redirect listener stopped")?;
        let _ = stop.send(());
        let get = |name: &str| {
            answer
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        anyhow::ensure!(
            get("state") == Some(state.as_str()),
            "the redirect's state is not ours"
        );
        if let (Some(iss), Some(issuer)) = (get("iss"), asked.as_meta["issuer"].as_str()) {
            anyhow::ensure!(
                iss == issuer,
                "the redirect comes from another issuer ({iss})"
            );
        }
        if let Some(error) = get("error") {
            bail!(
                "the sign-in failed: {error} {}",
                get("error_description").unwrap_or_default()
            );
        }
        let code = get("code").context("the redirect carries no code")?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri.as_str()),
            ("code_verifier", verifier.as_str()),
            ("client_id", self.client_id.as_str()),
        ];
        let token_endpoint = endpoint(asked.as_meta, "token_endpoint")?;
        let (key, nonce) = match asked.dpop {
            Some((key, nonce)) => (Some(key), nonce),
            None => (None, &NonceBox::default()),
        };
        // The user took their time: the proof is made now.
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        token_request(client, token_endpoint, &form, key, nonce, now).await
    }

    /// The URL the user opens: the request pushed first when the server takes pushed
    /// requests, by value otherwise.
    async fn authorization_url(
        &self,
        client: &reqwest::Client,
        as_meta: &Value,
        params: &[(&str, String)],
    ) -> anyhow::Result<String> {
        let authorize = endpoint(as_meta, "authorization_endpoint")?;
        let mut url = url::Url::parse(authorize)?;
        if as_meta["pushed_authorization_request_endpoint"].is_string() {
            let par = endpoint(as_meta, "pushed_authorization_request_endpoint")?;
            let pushed = json_answer(client.post(par).form(params), "the pushed request").await?;
            let request_uri = pushed["request_uri"]
                .as_str()
                .context("the pushed request got no request_uri")?;
            url.query_pairs_mut()
                .append_pair("client_id", &self.client_id)
                .append_pair("request_uri", request_uri);
        } else {
            url.query_pairs_mut().extend_pairs(params);
        }
        Ok(url.to_string())
    }
}
