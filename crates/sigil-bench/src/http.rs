//! One keep-alive HTTP/1.1 connection, reopened after an error.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

/// A response.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A connection to `host:port`.
pub struct Conn {
    addr: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    /// A connection to `http://host:port` (opened lazily).
    pub fn new(base: &str) -> Self {
        Conn {
            addr: base
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_owned(),
            sender: None,
        }
    }

    async fn sender(&mut self) -> anyhow::Result<&mut SendRequest<Full<Bytes>>> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect(&self.addr).await?;
            stream.set_nodelay(true)?;
            let (sender, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        self.sender
            .as_mut()
            .ok_or_else(|| anyhow::anyhow!("no connection"))
    }

    /// Sends a request and reads the whole response.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(impl AsRef<str>, String)],
        body: Option<String>,
    ) -> anyhow::Result<Reply> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.clone());
        for (k, v) in headers {
            req = req.header(k.as_ref(), HeaderValue::from_str(v)?);
        }
        let req = req.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
        let sender = self.sender().await?;
        sender.ready().await?;
        let result = sender.send_request(req).await;
        let res = match result {
            Ok(r) => r,
            Err(e) => {
                self.sender = None;
                return Err(e.into());
            }
        };
        let (parts, body) = res.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// The `name=value` part of every `Set-Cookie`, joined for a `Cookie` header.
pub fn cookies(headers: &HeaderMap, jar: &mut Vec<String>) {
    for v in headers.get_all("set-cookie") {
        if let Some(pair) = v.to_str().ok().and_then(|s| s.split(';').next()) {
            let name = pair.split('=').next().unwrap_or_default();
            jar.retain(|c| !c.starts_with(&format!("{name}=")));
            jar.push(pair.to_owned());
        }
    }
}

/// The value of the hidden `csrf` field of a page.
pub fn csrf(html: &[u8]) -> anyhow::Result<String> {
    let text = std::str::from_utf8(html)?;
    let needle = "name=\"csrf\" value=\"";
    let start = text
        .find(needle)
        .ok_or_else(|| anyhow::anyhow!("no csrf field"))?
        + needle.len();
    let end = text[start..]
        .find('"')
        .ok_or_else(|| anyhow::anyhow!("unterminated csrf field"))?
        + start;
    Ok(text[start..end].to_owned())
}
