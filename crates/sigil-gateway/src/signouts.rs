//! Sign-outs at Sigil reaching the gateway. A gateway session remembers the Sigil session it
//! came from (`sid`); it counts for nothing once that session has ended, however it ended.
//!
//! - Sigil POSTs a logout token to `/.sigil/backchannel-logout` (Back-Channel Logout 1.0, when
//!   the gateway's client registered that URI): the node that receives it drops the session
//!   at once.
//! - Every node also asks the store whether a session it serves has ended, at most once per
//!   [`CHECK_TTL`] per session, so the other nodes (and a gateway without back-channel
//!   registration) follow within that time, and a request costs no database read otherwise.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, Response, StatusCode, header};
use serde_json::json;
use sigil_oidc::Provider;
use sigil_oidc::provider::TenantCtx;
use sigil_store::StoreError;

use crate::Gateway;
use crate::identity::insert_bounded;

/// How long a session's "not ended" answer is reused, seconds (on the provider's clock).
pub const CHECK_TTL: i64 = 30;

/// Whether each Sigil session a gateway session came from has ended.
pub struct Signouts {
    provider: Arc<Provider>,
    tenant: TenantCtx,
    /// By `sid`: when it was last found live (`None`: ended, for good).
    checked: Mutex<HashMap<String, Option<i64>>>,
}

impl Signouts {
    /// Sign-outs of `tenant`'s sessions.
    pub fn new(provider: Arc<Provider>, tenant: TenantCtx) -> Self {
        Self {
            provider,
            tenant,
            checked: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the Sigil session `sid` has ended; a gateway session without one (from before
    /// the gateway remembered it) counts as ended, so its user signs in again.
    pub async fn ended(&self, sid: Option<&str>) -> Result<bool, StoreError> {
        let Some(sid) = sid else {
            return Ok(true);
        };
        let now = self.provider.now().0;
        match self.lock().get(sid) {
            Some(None) => return Ok(true),
            Some(Some(at)) if (0..CHECK_TTL).contains(&(now - at)) => return Ok(false),
            _ => {}
        }
        let ended = self.provider.session_ended(&self.tenant, sid).await?;
        insert_bounded(&mut self.lock(), sid.to_owned(), (!ended).then_some(now));
        Ok(ended)
    }

    /// Records that Sigil said `sid` ended.
    fn end(&self, sid: &str) {
        insert_bounded(&mut self.lock(), sid.to_owned(), None);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<i64>>> {
        self.checked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// An answer to Sigil (§2.8): 200 when the session was dropped, 400 with an OAuth error
/// otherwise; never cached.
fn answer(status: StatusCode, error: Option<&str>) -> Response<Body> {
    let body = error.map_or_else(String::new, |why| {
        json!({"error": "invalid_request", "error_description": why}).to_string()
    });
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if error.is_some() {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    response
}

/// `POST /.sigil/backchannel-logout`: a logout token from Sigil; the session it names ends
/// here too.
pub async fn backchannel_logout(
    State(gateway): State<Arc<Gateway>>,
    body: Bytes,
) -> Response<Body> {
    let token = form_urlencoded::parse(&body)
        .filter(|(name, _)| name == "logout_token")
        .map(|(_, value)| value.into_owned())
        .collect::<Vec<_>>();
    let [token] = token.as_slice() else {
        return answer(
            StatusCode::BAD_REQUEST,
            Some("exactly one logout_token is required"),
        );
    };
    let now = gateway.provider.now().0;
    match gateway.rp.logout_notice(token, now).await {
        Ok(notice) => match notice.sid {
            Some(sid) => {
                gateway.signouts.end(&sid);
                tracing::info!(app = %gateway.settings.app, "a Sigil session ended: its gateway sessions end too");
                answer(StatusCode::OK, None)
            }
            None => answer(
                StatusCode::BAD_REQUEST,
                Some("the gateway needs the session (sid) in logout tokens"),
            ),
        },
        Err(error) => {
            tracing::warn!(%error, "a logout token was refused");
            answer(StatusCode::BAD_REQUEST, Some(&error.to_string()))
        }
    }
}
