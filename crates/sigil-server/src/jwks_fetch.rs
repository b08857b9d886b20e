//! Fetching clients' `jwks_uri` with the protections any URL a client registers needs: a
//! timeout, a size cap, no redirects, and no private, loopback or link-local targets unless
//! the operator allows them (SSRF). The address checked is the address connected to, so DNS
//! rebinding cannot slip past the check.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use async_trait::async_trait;
use sigil_oidc::JwksFetcher;

use crate::config::OutboundConfig;

/// Largest JWK Set accepted, bytes.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// The HTTP fetcher.
#[derive(Debug, Clone)]
pub struct HttpJwksFetcher {
    cfg: OutboundConfig,
}

impl HttpJwksFetcher {
    /// A fetcher with these rules.
    pub fn new(cfg: OutboundConfig) -> Self {
        HttpJwksFetcher { cfg }
    }
}

/// Whether an address is one outbound fetches must not reach by default.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_internal(IpAddr::V4(v4)))
        }
    }
}

/// A client for one URL whose host is pinned to an address outbound requests may reach (no
/// internal address unless allowed; the address connected to is the one checked, so DNS
/// rebinding cannot slip past), with the configured timeout and no redirects. `what` names
/// the URL in errors.
pub async fn pinned_client(
    uri: &str,
    cfg: &OutboundConfig,
    what: &str,
) -> Result<(url::Url, reqwest::Client), String> {
    let url = url::Url::parse(uri).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(format!("{what} must be http(s)"));
    }
    let host = url
        .host_str()
        .ok_or(format!("{what} has no host"))?
        .to_owned();
    let port = url
        .port_or_known_default()
        .ok_or(format!("{what} has no port"))?;
    let timeout = Duration::from_secs(cfg.timeout);
    let addrs: Vec<SocketAddr> = tokio::time::timeout(
        timeout,
        tokio::net::lookup_host((host.trim_matches(['[', ']']), port)),
    )
    .await
    .map_err(|_| "DNS lookup timed out".to_owned())?
    .map_err(|e| e.to_string())?
    .collect();
    let addr = addrs
        .into_iter()
        .find(|a| cfg.allow_private_networks || !is_internal(a.ip()))
        .ok_or(format!("{what} resolves only to internal addresses"))?;
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&host, addr)
        .build()
        .map_err(|e| e.to_string())?;
    Ok((url, client))
}

#[async_trait]
impl JwksFetcher for HttpJwksFetcher {
    async fn fetch(&self, uri: &str) -> Result<serde_json::Value, String> {
        let body = self.get(uri).await?;
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    }

    async fn fetch_text(&self, uri: &str) -> Result<String, String> {
        String::from_utf8(self.get(uri).await?).map_err(|_| format!("{uri} is not text"))
    }

    async fn post_form(
        &self,
        uri: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Result<(u16, serde_json::Value), String> {
        let res = self.send_form(uri, form, basic).await?;
        let status = res.status().as_u16();
        let body = read_capped(res, uri).await?;
        let json = serde_json::from_slice(&body).map_err(|e| format!("{uri}: {e}"))?;
        Ok((status, json))
    }

    async fn post_form_status(&self, uri: &str, form: &[(&str, &str)]) -> Result<u16, String> {
        Ok(self.send_form(uri, form, None).await?.status().as_u16())
    }

    async fn fetch_with_bearer(&self, uri: &str, token: &str) -> Result<serde_json::Value, String> {
        let (url, client) = pinned_client(uri, &self.cfg, "the URL").await?;
        let res = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("{uri} answered {}", res.status()));
        }
        let body = read_capped(res, uri).await?;
        serde_json::from_slice(&body).map_err(|e| format!("{uri}: {e}"))
    }
}

/// A response body of at most `MAX_JWKS_BYTES`.
async fn read_capped(mut res: reqwest::Response, uri: &str) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| e.to_string())? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_JWKS_BYTES {
            return Err(format!("{uri}: the document is too large"));
        }
    }
    Ok(body)
}

impl HttpJwksFetcher {
    /// POSTs a form to `uri` under the outbound rules, with HTTP Basic client credentials
    /// when given.
    async fn send_form(
        &self,
        uri: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Result<reqwest::Response, String> {
        let (url, client) = pinned_client(uri, &self.cfg, "the URL").await?;
        let mut request = client.post(url).form(form);
        if let Some((user, password)) = basic {
            // RFC 6749 §2.3.1: each part form-encoded before Basic encoding.
            let encode =
                |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            request = request.basic_auth(encode(user), Some(encode(password)));
        }
        request.send().await.map_err(|e| e.to_string())
    }

    /// GETs `uri` under the outbound rules, at most `MAX_JWKS_BYTES`.
    async fn get(&self, uri: &str) -> Result<Vec<u8>, String> {
        let (url, client) = pinned_client(uri, &self.cfg, "the URL").await?;
        let res = client.get(url).send().await.map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("{uri} answered {}", res.status()));
        }
        read_capped(res, uri).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111"] {
            assert!(!is_internal(ip.parse().expect("ip")), "{ip}");
        }
    }
}
