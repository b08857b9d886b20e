//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): `id_token_hint`, `client_id`,
//! an exactly registered `post_logout_redirect_uri`, and `state`.

use sigil_core::ClientId;

use crate::authorize::code::with_query;
use crate::error::OAuthError;
use crate::params::Params;
use crate::provider::{Provider, TenantCtx};
use crate::sessions::CurrentSession;

/// A validated logout request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    /// Where to send the browser afterwards (with `state`), if anywhere.
    pub redirect: Option<String>,
    /// The client that asked, by name.
    pub client_name: Option<String>,
    /// Whether the request proves it comes from the session's own relying party (a valid
    /// `id_token_hint` naming the current session), so no confirmation is needed.
    pub confirmed_by_hint: bool,
}

impl Provider {
    /// Validates a logout request against the browser's current session.
    pub async fn logout_request(
        &self,
        t: &TenantCtx,
        params: &Params,
        current: Option<&CurrentSession>,
    ) -> Result<LogoutRequest, OAuthError> {
        let hint = match params.get("id_token_hint") {
            Some(token) => Some(self.verify_own_id_token(t, token).await?),
            None => None,
        };
        let client_id = match (params.get("client_id"), &hint) {
            (Some(id), Some(h)) if id != h.aud => {
                return Err(OAuthError::invalid_request(
                    "client_id does not match id_token_hint",
                ));
            }
            (Some(id), _) => Some(id.to_owned()),
            (None, Some(h)) => Some(h.aud.clone()),
            (None, None) => None,
        };
        let client = match client_id {
            Some(id) => {
                let id = ClientId::parse(&id)
                    .map_err(|_| OAuthError::invalid_request("client_id is malformed"))?;
                Some(
                    self.client(&t.id, &id)
                        .await?
                        .filter(|c| !c.disabled)
                        .ok_or_else(|| OAuthError::invalid_request("unknown client"))?,
                )
            }
            None => None,
        };
        let redirect = match params.get("post_logout_redirect_uri") {
            Some(uri) => {
                let client = client.as_ref().ok_or_else(|| {
                    OAuthError::invalid_request(
                        "post_logout_redirect_uri needs id_token_hint or client_id",
                    )
                })?;
                if !client
                    .post_logout_redirect_uris
                    .iter()
                    .any(|r| r.as_str() == uri)
                {
                    return Err(OAuthError::invalid_request(
                        "post_logout_redirect_uri is not registered for this client",
                    ));
                }
                let state: Vec<(&str, &str)> = params
                    .get("state")
                    .map(|s| vec![("state", s)])
                    .unwrap_or_default();
                Some(if state.is_empty() {
                    uri.to_owned()
                } else {
                    with_query(uri, &state)
                })
            }
            None => None,
        };
        let confirmed_by_hint = match (&hint, current) {
            (Some(h), Some(c)) => {
                h.sid.as_deref() == Some(c.session.id.as_str()) && h.sub == c.user.id.as_str()
            }
            _ => false,
        };
        Ok(LogoutRequest {
            redirect,
            client_name: client.map(|c| c.name.clone()),
            confirmed_by_hint,
        })
    }
}
