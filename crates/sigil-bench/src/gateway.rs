//! The gateway's side of the benchmark: a minimal upstream (what the gateway's added latency
//! is measured against) and a real gateway sign-in, whose session cookie the load then
//! carries.

use clap::Args;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::flows::signed_in_jar;
use crate::http::{Conn, cookies};

/// `upstream`.
#[derive(Debug, Args)]
pub struct UpstreamArgs {
    /// Where to listen.
    #[arg(long)]
    listen: std::net::SocketAddr,
}

/// Answers every request `200 ok` (keep-alive HTTP/1.1) until killed.
pub async fn upstream(args: UpstreamArgs) -> anyhow::Result<Value> {
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|_request| async {
                Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from_static(
                    b"ok",
                ))))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// `gateway-session`.
#[derive(Debug, Args)]
pub struct GatewaySessionArgs {
    /// The gateway's base URL.
    #[arg(long)]
    gateway: String,
    /// Sigil's base URL.
    #[arg(long)]
    sigil: String,
    /// A protected path to start from.
    #[arg(long)]
    path: String,
    /// Username.
    #[arg(long)]
    username: String,
    /// Password.
    #[arg(long)]
    password: String,
}

/// Signs in through the gateway (redirect to Sigil, sign-in, callback); prints the gateway's
/// session cookie as `{"cookie": "name=value"}`.
pub async fn session(args: GatewaySessionArgs) -> anyhow::Result<Value> {
    let mut gateway = Conn::new(&args.gateway);
    let mut sigil = Conn::new(&args.sigil);
    let accept = ("accept", "text/html".to_owned());
    let start = gateway
        .send(Method::GET, &args.path, std::slice::from_ref(&accept), None)
        .await?;
    let mut gateway_jar = Vec::new();
    cookies(&start.headers, &mut gateway_jar);
    let authorize = location(&start.headers)?;
    let sigil_jar = signed_in_jar(&mut sigil, &args.username, &args.password).await?;
    let path = authorize
        .strip_prefix(args.sigil.trim_end_matches('/'))
        .ok_or_else(|| anyhow::anyhow!("the gateway sent the browser to {authorize}"))?;
    let back = sigil
        .send(Method::GET, path, &[("cookie", sigil_jar.join("; "))], None)
        .await?;
    let callback = location(&back.headers)?;
    let callback = callback
        .strip_prefix(args.gateway.trim_end_matches('/'))
        .ok_or_else(|| anyhow::anyhow!("Sigil sent the browser to {callback}"))?;
    let done = gateway
        .send(
            Method::GET,
            callback,
            &[accept, ("cookie", gateway_jar.join("; "))],
            None,
        )
        .await?;
    anyhow::ensure!(
        done.status.as_u16() == 303,
        "callback answered {}",
        done.status
    );
    let mut jar = Vec::new();
    cookies(&done.headers, &mut jar);
    let session = jar
        .into_iter()
        .find(|c| c.starts_with("sigil-gw-") && !c.starts_with("sigil-gw-login"))
        .ok_or_else(|| anyhow::anyhow!("no gateway session cookie"))?;
    Ok(json!({ "cookie": session }))
}

fn location(headers: &hyper::HeaderMap) -> anyhow::Result<String> {
    headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no redirect"))
}
