//! The wallet's HTTP client: https only, except plain http to this machine (development and
//! tests); no redirects; bounded time and size.

use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

/// Most bytes of one response.
const MAX_BODY: usize = 1 << 20;

/// A client for the wallet's requests.
pub fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()?)
}

/// Refuses URLs a wallet must not follow.
pub fn check_url(url: &str) -> anyhow::Result<()> {
    let parsed = url::Url::parse(url).with_context(|| format!("{url} is not a URL"))?;
    let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    anyhow::ensure!(
        parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback),
        "{url}: only https URLs (or http on this machine) are followed"
    );
    Ok(())
}

/// The status and body of a response, read up to `MAX_BODY` bytes.
pub async fn body(mut res: reqwest::Response) -> anyhow::Result<(u16, String)> {
    let status = res.status().as_u16();
    let mut bytes = Vec::new();
    while let Some(chunk) = res.chunk().await? {
        bytes.extend_from_slice(&chunk);
        anyhow::ensure!(bytes.len() <= MAX_BODY, "the response is too large");
    }
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

/// GETs JSON.
pub async fn get_json(client: &reqwest::Client, url: &str) -> anyhow::Result<Value> {
    check_url(url)?;
    let (status, text) = body(
        client
            .get(url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?,
    )
    .await?;
    anyhow::ensure!(status == 200, "GET {url}: {status} {text}");
    serde_json::from_str(&text).with_context(|| format!("GET {url}: not JSON"))
}

/// POSTs and reads a JSON answer, failing with the server's error otherwise.
pub async fn json_answer(req: reqwest::RequestBuilder, what: &str) -> anyhow::Result<Value> {
    let (status, text) = body(req.send().await.with_context(|| what.to_owned())?).await?;
    anyhow::ensure!((200..300).contains(&status), "{what}: {status} {text}");
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).with_context(|| format!("{what}: not JSON"))
}
