//! API callers at the gateway: `Authorization: Bearer` with an access token Sigil issued for
//! this application (RFC 6750, RFC 9068). The token is checked as Sigil's own resources check
//! theirs (signature, `typ: at+jwt`, issuer, expiry, the revocation list, the client still
//! active) and its audience must name the gateway's public URL (RFC 8707: a token meant for
//! another resource is refused). A user's token makes that user the principal, at the
//! assurance of how they signed in; a client-credentials token makes the client the principal
//! (`Sigil::Client::"<client id>"`), at the application's ordinary assurance. No cookie is
//! read and nobody is sent to sign in: a refused token answers 401 `invalid_token`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde_json::json;
use sigil_policy::Principal;

use crate::{Gateway, Loaded};

/// A caller known by its bearer token.
pub(crate) struct Bearer {
    /// Who.
    pub principal: Arc<Principal>,
    /// The assurance the token carries.
    pub assurance: u32,
    /// How the user authenticated (`amr`), for a user's token.
    pub amr: Vec<String>,
    /// The user's id, for a user's token.
    pub user: Option<String>,
}

impl Bearer {
    /// The audit trail's actor: `user:{id}` or `client:{id}`.
    pub fn actor(&self) -> String {
        match &self.user {
            Some(user) => format!("user:{user}"),
            None => format!("client:{}", self.principal.id),
        }
    }
}

/// The token of an `Authorization: Bearer` header, if the request has one.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// A 401 with a JSON `body` and the `Bearer` challenge `params` (after the realm, which
/// names `app`), per RFC 6750 §3.
pub(crate) fn bearer_401(app: &str, params: &str, body: &serde_json::Value) -> Response<Body> {
    let realm = app.replace(['"', '\\'], "");
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("Bearer realm=\"{realm}\"{params}")) {
        headers.insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// 401 `invalid_token` (RFC 6750 §3.1), never cached.
fn invalid_token(app: &str, why: &str) -> Response<Body> {
    let description = why.replace(['"', '\\'], "");
    let params = format!(", error=\"invalid_token\", error_description=\"{description}\"");
    let body = json!({"error": "invalid_token", "error_description": why});
    let mut response = bearer_401(app, &params, &body);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

impl Gateway {
    /// The caller a bearer token names, or the 401 that refuses it.
    pub(crate) async fn bearer(
        &self,
        loaded: &Loaded,
        token: &str,
    ) -> Result<Bearer, Response<Body>> {
        let app = &self.settings.app;
        let claims = self
            .provider
            .verify_access_token(&self.tenant, token)
            .await
            .map_err(|e| invalid_token(app, &e.description))?;
        if !claims.aud.contains(&self.resource) {
            return Err(invalid_token(
                app,
                "the access token is not for this application",
            ));
        }
        if !claims.is_user_token() {
            return Ok(Bearer {
                principal: self.identities.client(&claims.client_id),
                assurance: loaded.app.ordinary_assurance(),
                amr: Vec::new(),
                user: None,
            });
        }
        let principal = match self.identities.principal(&claims.sub).await {
            Ok(Some(principal)) => principal,
            Ok(None) => return Err(invalid_token(app, "the user is unknown or disabled")),
            Err(error) => {
                tracing::error!(%error, "reading a bearer token's user failed");
                return Err(invalid_token(app, "the user could not be checked"));
            }
        };
        let assurance = claims
            .acr
            .as_ref()
            .and_then(|acr| loaded.levels.get(acr))
            .copied()
            .unwrap_or(0);
        Ok(Bearer {
            principal,
            assurance,
            amr: claims.amr.unwrap_or_default(),
            user: Some(claims.sub),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_bearer_authorization_carries_a_token() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(value).expect("header"),
            );
            bearer_token(&headers).map(str::to_owned)
        };
        assert_eq!(with("Bearer abc.def.ghi").as_deref(), Some("abc.def.ghi"));
        assert_eq!(with("bearer abc").as_deref(), Some("abc"));
        assert_eq!(with("Basic dXNlcjpwdw=="), None);
        assert_eq!(with("Bearer "), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
