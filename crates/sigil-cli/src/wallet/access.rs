//! The wallet's access tokens and DPoP (RFC 9449): a token bound to a key of the wallet goes
//! under the DPoP scheme with a fresh proof per request. Where a server asks for a nonce
//! (`use_dpop_nonce` with a `DPoP-Nonce` header, §8 at the token endpoint, §9 at the
//! credential issuer), the request is made again once with it; a nonce any response carries
//! is kept for the next proof, as HAIP asks wallets to.

use std::sync::Mutex;

use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};
use serde_json::Value;
use sigil_core::b64url_encode;
use sigil_keys::SigningKey;
use sigil_oidc::dpop::dpop_proof;

use super::http::body;

/// The header a server gives its DPoP nonce in.
const DPOP_NONCE: &str = "dpop-nonce";

/// The latest DPoP nonce a server gave.
#[derive(Debug, Default)]
pub(super) struct NonceBox(Mutex<Option<String>>);

impl NonceBox {
    /// The nonce to put in the next proof.
    pub(super) fn current(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Keeps the nonce `headers` carry, if any; whether there was one.
    pub(super) fn learn(&self, headers: &HeaderMap) -> bool {
        let given = headers
            .get(DPOP_NONCE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let learned = given.is_some();
        if learned {
            *self.0.lock().unwrap_or_else(|p| p.into_inner()) = given;
        }
        learned
    }
}

/// Whether an answer asks for a (new) DPoP nonce: a 400 `use_dpop_nonce` from an
/// authorization server, or a 401 whose DPoP challenge says so from a resource.
fn asks_for_nonce(status: u16, headers: &HeaderMap, text: &str) -> bool {
    let challenge = headers
        .get(WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("use_dpop_nonce"));
    let error = serde_json::from_str::<Value>(text)
        .ok()
        .is_some_and(|v| v["error"] == "use_dpop_nonce");
    (status == 401 && challenge) || (status == 400 && error)
}

/// Sends the request `build` makes with the current nonce; when the server answers that it
/// wants a nonce and gives one, once more with that. The status, headers and body of the
/// last answer.
pub(super) async fn send_with_nonce(
    nonce: &NonceBox,
    build: impl Fn(Option<&str>) -> reqwest::RequestBuilder,
    what: &str,
) -> anyhow::Result<(u16, HeaderMap, String)> {
    let mut retried = false;
    loop {
        let res = build(nonce.current().as_deref())
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
        let headers = res.headers().clone();
        let learned = nonce.learn(&headers);
        let (status, text) = body(res).await?;
        if !retried && learned && asks_for_nonce(status, &headers, &text) {
            retried = true;
            continue;
        }
        return Ok((status, headers, text));
    }
}

/// A token request (a form POST to `endpoint`), with a DPoP proof by `key` when there is one;
/// its JSON answer, or the server's error.
pub(super) async fn token_request(
    client: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
    key: Option<&SigningKey>,
    nonce: &NonceBox,
    now: i64,
) -> anyhow::Result<Value> {
    let build = |n: Option<&str>| {
        let request = client.post(endpoint).form(form);
        match key {
            Some(key) => request.header("dpop", dpop_proof(key, ("POST", endpoint), None, n, now)),
            None => request,
        }
    };
    let (status, _, text) = send_with_nonce(nonce, build, "the token request").await?;
    anyhow::ensure!(status == 200, "the token request: {status} {text}");
    serde_json::from_str(&text).map_err(|_| anyhow::anyhow!("the token request: not JSON"))
}

/// An access token, the DPoP key it is bound to when the server bound it, and the latest
/// nonce the server gave for proofs.
pub(super) struct AccessGrant {
    /// The token.
    pub(super) token: String,
    /// Its DPoP key.
    pub(super) dpop: Option<SigningKey>,
    /// The server's nonce.
    pub(super) nonce: NonceBox,
}

impl AccessGrant {
    /// `request` (a POST to `url`) with the token: as a Bearer token, or under the DPoP scheme
    /// with a proof for it (with `nonce` when the server gave one).
    pub(super) fn authorize(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
        nonce: Option<&str>,
        now: i64,
    ) -> reqwest::RequestBuilder {
        match &self.dpop {
            Some(key) => request
                .header("authorization", format!("DPoP {}", self.token))
                .header(
                    "dpop",
                    dpop_proof(key, ("POST", url), Some(&self.token), nonce, now),
                ),
            None => request.bearer_auth(&self.token),
        }
    }

    /// Sends the POST to `url` that `build` makes, with the token (and a nonce when one is
    /// asked for); the status, headers and body of the answer.
    pub(super) async fn send(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
        url: &str,
        now: i64,
        what: &str,
    ) -> anyhow::Result<(u16, HeaderMap, String)> {
        send_with_nonce(&self.nonce, |n| self.authorize(build(), url, n, now), what).await
    }

    /// The bound key as the store keeps it.
    pub(super) fn stored_key(&self) -> anyhow::Result<Option<String>> {
        self.dpop
            .as_ref()
            .map(|k| Ok(b64url_encode(&k.pkcs8_der()?[..])))
            .transpose()
    }
}
