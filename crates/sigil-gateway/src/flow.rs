//! What the gateway does with a request: decide it, then forward it (with or without
//! identity), refuse it, or send the user to sign in; and the sign-in's return
//! (`/.sigil/callback`) and sign-out (`/.sigil/logout`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use serde::Deserialize;
use serde_json::json;
use sigil_core::model::{AuditEvent, AuditKind};
use sigil_core::{Digest32, UserId, random};
use sigil_policy::decide::SessionLimits;
use sigil_policy::paths::normalize_path;
use sigil_policy::{Circumstances, Decision, Outcome, Principal};
use sigil_store::StoreError;
use time::OffsetDateTime;

use crate::bearer::{bearer_401, bearer_token};
use crate::cookies::{GatewaySession, LoginState};
use crate::pages::page;
use crate::proxy::Forward;
use crate::{Gateway, Loaded};

/// A session's last use is written back at most this often (seconds).
const TOUCH_INTERVAL: i64 = 60;

/// Every request outside `/.sigil/`.
pub async fn handle(
    State(gateway): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request<Body>,
) -> Response<Body> {
    let path = match normalize_path(request.uri().path()) {
        Ok(path) => path,
        Err(error) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Bad request",
                &format!("The gateway refuses this path: {error}."),
            );
        }
    };
    let now = gateway.provider.now().0;
    let loaded = gateway.current();
    let bearer = match bearer_token(request.headers()) {
        Some(token) => match gateway.bearer(&loaded, token).await {
            Ok(bearer) => Some(bearer),
            Err(refused) => return refused,
        },
        None => None,
    };
    let (session, principal) = match &bearer {
        Some(b) => (None, Some(b.principal.clone())),
        None => match gateway.signed_in(request.headers(), now).await {
            Ok(found) => found,
            Err(error) => return unavailable(&error),
        },
    };
    let (assurance, amr) = match (&bearer, &session) {
        (Some(b), _) => (b.assurance, b.amr.clone()),
        (None, Some(s)) => (level(&loaded, s), s.amr.clone()),
        (None, None) => (0, Vec::new()),
    };
    let circumstances = Circumstances {
        assurance,
        amr,
        client_ip: peer.ip(),
        now: OffsetDateTime::from_unix_timestamp(now).unwrap_or(OffsetDateTime::UNIX_EPOCH),
    };
    let method = request.method().as_str().to_owned();
    let decided = loaded.decisions.decide(
        &loaded.app,
        &method,
        &path,
        principal.as_ref(),
        &circumstances,
        now,
    );
    let mut decision = match decided {
        Ok(decision) => decision,
        Err(error) => {
            tracing::error!(%error, "the access decision failed");
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The gateway could not decide this request.",
            );
        }
    };
    if decision.decision == Outcome::Allow
        && let Some(s) = &session
        && let Some(why) = expired(s, decision.limits, now)
    {
        decision.decision = Outcome::StepUp;
        decision.reason = why.into();
        decision.required_assurance = Some(circumstances.assurance);
        decision.headers.clear();
        decision.cookies.clear();
    }
    let (actor, user) = match (&bearer, &session) {
        (Some(b), _) => (b.actor(), b.user.clone()),
        (None, Some(s)) => (format!("user:{}", s.sub), Some(s.sub.clone())),
        (None, None) => ("anonymous".to_owned(), None),
    };
    gateway.audit(&decision, &method, &path, (&actor, user.as_deref()), peer);
    match decision.decision {
        Outcome::Public | Outcome::Allow => {
            let allowed = session.filter(|_| decision.decision == Outcome::Allow);
            if let Some(s) = &allowed {
                add_login_values(&mut decision, s);
            }
            // Written back once a minute, and right after the sign-in's one-time headers went.
            let refresh = allowed
                .filter(|s| now - s.seen >= TOUCH_INTERVAL || !s.login_headers.is_empty())
                .map(|s| GatewaySession {
                    seen: now,
                    login_headers: Default::default(),
                    ..s
                });
            let query = request.uri().query().map(str::to_owned);
            let forward = Forward {
                path: &path,
                query: query.as_deref(),
                client_ip: peer.ip(),
                scheme: if gateway.secure { "https" } else { "http" },
                headers: &decision.headers,
                cookies: &decision.cookies,
            };
            let mut response = gateway
                .upstream
                .forward(request, &loaded.protected, forward)
                .await;
            if let Some(s) = refresh {
                let cookie = gateway
                    .cookies
                    .set_session(&s, remaining(&gateway, &s, now));
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Outcome::Deny => match &decision.redirect {
            Some(target) => redirect(StatusCode::FOUND, target),
            None => page(
                StatusCode::FORBIDDEN,
                "Access denied",
                "You are not allowed to open this page.",
            ),
        },
        // An API caller cannot be sent to sign in: its token is not strong enough.
        Outcome::StepUp if bearer.is_some() => unauthorized(&gateway.settings.app, true, &[]),
        Outcome::StepUp => {
            let query = request.uri().query();
            let return_to = match query {
                Some(q) => format!("{path}?{q}"),
                None => path.clone(),
            };
            gateway
                .challenge(
                    &loaded,
                    &decision,
                    session.as_ref(),
                    request.method(),
                    request.headers(),
                    return_to,
                    now,
                )
                .await
        }
    }
}

/// The sign-in responses' values a session holds (SiteMinder's authentication-event
/// responses): its cookies go with every request, as a browser that was given them would send
/// them; its headers with the first request after the sign-in only. Values the permits set
/// themselves win.
fn add_login_values(decision: &mut Decision, session: &GatewaySession) {
    for (name, value) in &session.login_cookies {
        decision
            .cookies
            .entry(name.clone())
            .or_insert_with(|| value.clone());
    }
    for (name, value) in &session.login_headers {
        decision
            .headers
            .entry(name.clone())
            .or_insert_with(|| value.clone());
    }
}

/// The answer when the store cannot say who the user is or whether they signed out.
fn unavailable(error: &sigil_store::StoreError) -> Response<Body> {
    tracing::error!(%error, "reading the signed-in user failed");
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "Your identity could not be checked. Try again in a moment.",
    )
}

/// Why a session may no longer enter a realm chain, if it may not.
fn expired(session: &GatewaySession, limits: SessionLimits, now: i64) -> Option<&'static str> {
    if limits
        .max
        .is_some_and(|max| now - session.auth_time > max as i64)
    {
        return Some("the session is older than this realm allows");
    }
    if limits
        .idle
        .is_some_and(|idle| now - session.seen > idle as i64)
    {
        return Some("the session was idle longer than this realm allows");
    }
    None
}

/// The assurance of a session, by how the user signed in.
fn level(loaded: &Loaded, session: &GatewaySession) -> u32 {
    session
        .acr
        .as_ref()
        .and_then(|acr| loaded.levels.get(acr))
        .copied()
        .unwrap_or(0)
}

/// Seconds a session cookie should still live.
fn remaining(gateway: &Gateway, session: &GatewaySession, now: i64) -> u64 {
    let lifetime = gateway.settings.session_lifetime.as_secs() as i64;
    (session.started + lifetime - now).max(0) as u64
}

/// Whether a browser sent the request (so it can be sent to sign in).
fn is_browser(method: &Method, headers: &HeaderMap) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
        && headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains("text/html"))
}

fn redirect(status: StatusCode, target: &str) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    if let Ok(location) = HeaderValue::from_str(target) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

impl Gateway {
    /// Sends a browser to sign in (again, or more strongly); answers anything else 401.
    #[allow(clippy::too_many_arguments)]
    async fn challenge(
        &self,
        loaded: &Loaded,
        decision: &Decision,
        session: Option<&GatewaySession>,
        method: &Method,
        headers: &HeaderMap,
        return_to: String,
        now: i64,
    ) -> Response<Body> {
        let required = decision.required_assurance.unwrap_or(0);
        let current = session.map_or(0, |s| level(loaded, s));
        // The acr values that reach the level, weakest first; none when a plain sign-in does.
        let mut stronger: Vec<(&String, &u32)> = loaded
            .levels
            .iter()
            .filter(|(_, l)| **l >= required)
            .collect();
        stronger.sort_by_key(|(_, l)| **l);
        let plain = loaded
            .levels
            .get(sigil_oidc::sessions::ACR_PASSWORD)
            .copied()
            .unwrap_or(0);
        let acr_values: Vec<String> = if required > plain {
            stronger.iter().map(|(acr, _)| (*acr).clone()).collect()
        } else {
            Vec::new()
        };
        if session.is_some_and(|s| s.stepped_up_for.is_some_and(|l| l >= required))
            && current < required
        {
            return page(
                StatusCode::FORBIDDEN,
                "A stronger sign-in is needed",
                "This area needs a stronger sign-in than the one you just completed.",
            );
        }
        if !is_browser(method, headers) {
            return unauthorized(&self.settings.app, session.is_some(), &acr_values);
        }
        let login = LoginState {
            state: random::identifier(),
            nonce: random::identifier(),
            verifier: random::secret_token(),
            return_to,
            step_up: session.map(|_| required),
            started: now,
        };
        match self
            .rp
            .authorization_url(&login, &acr_values, session.is_some())
            .await
        {
            Ok(url) => {
                let mut response = redirect(StatusCode::FOUND, &url);
                response
                    .headers_mut()
                    .append(header::SET_COOKIE, self.cookies.set_login(&login));
                response
            }
            Err(error) => {
                tracing::error!(%error, "cannot start a sign-in");
                page(
                    StatusCode::BAD_GATEWAY,
                    "Sign-in unavailable",
                    "The identity provider cannot be reached. Try again in a moment.",
                )
            }
        }
    }

    /// Who a request came from: its session's user or the bearer token's user, with any
    /// session cookie ignored when a token is presented.
    async fn signed_in(
        &self,
        headers: &HeaderMap,
        now: i64,
    ) -> Result<(Option<GatewaySession>, Option<Arc<Principal>>), StoreError> {
        let lifetime = self.settings.session_lifetime.as_secs() as i64;
        let session = self
            .cookies
            .session(headers)
            .filter(|s| now - s.started < lifetime && s.seen <= now + 60);
        let Some(session) = session else {
            return Ok((None, None));
        };
        // A session whose Sigil session ended (signed out there) counts for nothing, and so
        // does one whose user is gone or disabled.
        if self.signouts.ended(session.sid.as_deref()).await? {
            return Ok((None, None));
        }
        let principal = self.identities.principal(&session.sub).await?;
        Ok((principal.as_ref().map(|_| session), principal))
    }

    /// One audit event per decision (batched: identical ones in a second are one row), by
    /// `who` (the actor, and the user's id when a user asked).
    fn audit(
        &self,
        decision: &Decision,
        method: &str,
        path: &str,
        who: (&str, Option<&str>),
        peer: SocketAddr,
    ) {
        metrics::counter!("sigil_gateway_decisions_total", "decision" => outcome_name(decision.decision))
            .increment(1);
        let (actor, user) = who;
        let policies: Vec<&str> = decision
            .matched
            .iter()
            .filter(|m| m.kind == "policy")
            .map(|m| m.id.as_str())
            .collect();
        let mut event = AuditEvent::new(
            &self.tenant.id,
            self.provider.now(),
            AuditKind::GatewayDecision,
            actor,
        )
        .ip(Some(peer.ip().to_string()))
        .details(json!({
            "app": self.settings.app,
            "method": method,
            "path": path,
            "decision": outcome_name(decision.decision),
            "reason": decision.reason,
            "policies": policies,
        }));
        if let Some(user) = user.and_then(|u| UserId::parse(u).ok()) {
            event = event.user(&user);
        }
        if decision.decision == Outcome::Deny {
            event = event.failure();
        }
        self.provider.record_batched(event);
    }
}

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Allow => "allow",
        Outcome::Deny => "deny",
        Outcome::Public => "public",
        Outcome::StepUp => "step-up",
    }
}

/// 401 with a Bearer challenge; RFC 9470's `insufficient_user_authentication` when a signed-in
/// user's sign-in is not strong or fresh enough.
fn unauthorized(app: &str, signed_in: bool, acr_values: &[String]) -> Response<Body> {
    let mut params = String::new();
    if signed_in {
        params.push_str(", error=\"insufficient_user_authentication\", error_description=\"a stronger or more recent sign-in is required\"");
    }
    if !acr_values.is_empty() {
        params.push_str(&format!(", acr_values=\"{}\"", acr_values.join(" ")));
    }
    let body = json!({
        "error": if signed_in { "insufficient_user_authentication" } else { "unauthorized" },
        "error_description": "sign in through the gateway first",
    });
    bearer_401(app, &params, &body)
}

/// The authorization response.
#[derive(Deserialize)]
pub struct CallbackParams {
    state: Option<String>,
    code: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

/// `GET /.sigil/callback`: completes a sign-in and returns the user where they were going.
pub async fn callback(
    State(gateway): State<Arc<Gateway>>,
    Query(params): Query<CallbackParams>,
    headers: HeaderMap,
) -> Response<Body> {
    let now = gateway.provider.now().0;
    let login = gateway
        .cookies
        .login(&headers)
        .filter(|l| now - l.started < 600);
    let Some(login) = login else {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in expired",
            "This sign-in was not started here or took too long. Go back and try again.",
        );
    };
    let state_matches = params
        .state
        .as_deref()
        .is_some_and(|s| Digest32::of(s).ct_eq(&Digest32::of(&login.state)));
    let mut response = if !state_matches {
        page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "The answer from the identity provider does not belong to this sign-in.",
        )
    } else if let Some(error) = &params.error {
        page(
            StatusCode::FORBIDDEN,
            "Sign-in failed",
            &format!("The identity provider answered: {error}."),
        )
    } else {
        let code = params.code.as_deref().unwrap_or_default();
        match gateway
            .rp
            .finish(&login, code, params.iss.as_deref(), now)
            .await
        {
            Ok(signed_in) => {
                let (login_headers, login_cookies) =
                    match gateway.identities.principal(&signed_in.sub).await {
                        Ok(Some(principal)) => gateway.current().app.login_values(&principal),
                        _ => Default::default(),
                    };
                let session = GatewaySession {
                    login_headers,
                    login_cookies,
                    sub: signed_in.sub,
                    acr: signed_in.acr,
                    amr: signed_in.amr,
                    auth_time: signed_in.auth_time,
                    sid: signed_in.sid,
                    seen: now,
                    started: now,
                    stepped_up_for: login.step_up,
                };
                let lifetime = gateway.settings.session_lifetime.as_secs();
                let mut response = redirect(StatusCode::SEE_OTHER, &safe_return(&login.return_to));
                response.headers_mut().append(
                    header::SET_COOKIE,
                    gateway.cookies.set_session(&session, lifetime),
                );
                response
            }
            Err(error) => {
                tracing::warn!(%error, "a gateway sign-in failed");
                page(
                    StatusCode::BAD_GATEWAY,
                    "Sign-in failed",
                    &error.to_string(),
                )
            }
        }
    };
    response
        .headers_mut()
        .append(header::SET_COOKIE, gateway.cookies.clear_login());
    response
}

/// A return path that stays on the gateway.
fn safe_return(path: &str) -> String {
    if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') {
        path.to_owned()
    } else {
        "/".to_owned()
    }
}

/// `GET /.sigil/logout`: ends the gateway session and continues to Sigil's sign-out.
pub async fn logout(State(gateway): State<Arc<Gateway>>) -> Response<Body> {
    let mut response = match gateway.rp.logout_url().await {
        Some(url) => redirect(StatusCode::SEE_OTHER, &url),
        None => page(
            StatusCode::OK,
            "Signed out",
            "You are signed out of this application.",
        ),
    };
    response
        .headers_mut()
        .append(header::SET_COOKIE, gateway.cookies.clear_session());
    response
}
