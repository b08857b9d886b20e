//! The gateway's two cookies, sealed with AES-256-GCM under a key derived from Sigil's master
//! key (so every gateway node of a deployment reads every other's cookies and no key is
//! stored): the session (who signed in, how and when) and, while a sign-in is under way, the
//! login state (PKCE verifier, `state`, `nonce`, where to return). Both are `HttpOnly`,
//! `SameSite=Lax`, `Path=/`, and on https `Secure` with the `__Host-` prefix. The sealing
//! context names the application and the cookie's purpose, so one application's cookie is
//! worthless to another's gateway and a login cookie cannot pose as a session.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, HeaderValue, header};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sigil_core::{Digest32, b64url_decode, b64url_encode};
use sigil_keys::{KeyEncryptionKey, MasterKey};

/// Longest cookie value read; a sealed session is a few hundred bytes.
const MAX_COOKIE: usize = 3072;

/// A signed-in user's gateway session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GatewaySession {
    /// The user (`sub` of the ID token).
    pub sub: String,
    /// How they signed in (`acr`).
    #[serde(default)]
    pub acr: Option<String>,
    /// Authentication methods (`amr`).
    #[serde(default)]
    pub amr: Vec<String>,
    /// When they authenticated at Sigil (`auth_time`), Unix seconds.
    pub auth_time: i64,
    /// Their session at Sigil (`sid`): when it ends, this session ends too.
    #[serde(default)]
    pub sid: Option<String>,
    /// The application's sign-in cookies with their values at sign-in (SiteMinder's
    /// authentication-event responses), sent on with every request.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub login_cookies: BTreeMap<String, String>,
    /// Its sign-in headers, sent on with the first request after the sign-in only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub login_headers: BTreeMap<String, String>,
    /// When the session was last used (refreshed at most once a minute).
    pub seen: i64,
    /// When the gateway session started.
    pub started: i64,
    /// The assurance this sign-in was a step-up for, if it was one: a second step-up for the
    /// same level is not attempted (it would loop).
    #[serde(default)]
    pub stepped_up_for: Option<u32>,
}

/// A sign-in under way.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LoginState {
    /// The `state` sent to Sigil.
    pub state: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier.
    pub verifier: String,
    /// The path (and query) to return to.
    pub return_to: String,
    /// The assurance the sign-in must reach, for a step-up.
    pub step_up: Option<u32>,
    /// When it started (the cookie lives ten minutes).
    pub started: i64,
}

/// Seals and opens the gateway's cookies for one application.
pub struct CookieJar {
    key: KeyEncryptionKey,
    context: String,
    secure: bool,
    session_name: String,
    login_name: String,
}

impl CookieJar {
    /// The cookies of application `app`; `secure` when the gateway's public URL is https.
    pub fn new(master: &MasterKey, app: &str, secure: bool) -> Self {
        let key = KeyEncryptionKey::from_bytes(&master.derive("sigil-gateway-cookies"));
        // Cookies are scoped by host, not port: gateways for different applications on one
        // host need different names.
        let tag = &Digest32::of(app.as_bytes()).to_b64url()[..8];
        let prefix = if secure { "__Host-" } else { "" };
        Self {
            key,
            context: format!("sigil-gateway/{app}"),
            secure,
            session_name: format!("{prefix}sigil-gw-{tag}"),
            login_name: format!("{prefix}sigil-gw-login-{tag}"),
        }
    }

    /// The session in the request, if it opens.
    pub fn session(&self, headers: &HeaderMap) -> Option<GatewaySession> {
        self.open(headers, &self.session_name, "session")
    }

    /// The sign-in under way, if its cookie opens.
    pub fn login(&self, headers: &HeaderMap) -> Option<LoginState> {
        self.open(headers, &self.login_name, "login")
    }

    /// `Set-Cookie` for a session, living `lifetime` seconds at most.
    pub fn set_session(&self, session: &GatewaySession, lifetime: u64) -> HeaderValue {
        let value = self.seal("session", session);
        self.cookie(&self.session_name, &value, Some(lifetime))
    }

    /// `Set-Cookie` for a sign-in under way (ten minutes).
    pub fn set_login(&self, login: &LoginState) -> HeaderValue {
        let value = self.seal("login", login);
        self.cookie(&self.login_name, &value, Some(600))
    }

    /// `Set-Cookie` deleting the session.
    pub fn clear_session(&self) -> HeaderValue {
        self.cookie(&self.session_name, "", Some(0))
    }

    /// `Set-Cookie` deleting the login state.
    pub fn clear_login(&self) -> HeaderValue {
        self.cookie(&self.login_name, "", Some(0))
    }

    fn seal(&self, purpose: &str, value: &impl Serialize) -> String {
        let json = serde_json::to_vec(value).unwrap_or_default();
        let context = format!("{}/{purpose}", self.context);
        b64url_encode(self.key.seal(context.as_bytes(), &json))
    }

    fn open<T: DeserializeOwned>(
        &self,
        headers: &HeaderMap,
        name: &str,
        purpose: &str,
    ) -> Option<T> {
        let value = read_cookie(headers, name)?;
        if value.len() > MAX_COOKIE {
            return None;
        }
        let sealed = b64url_decode(value)?;
        let context = format!("{}/{purpose}", self.context);
        let plain = self.key.open(context.as_bytes(), &sealed).ok()?;
        serde_json::from_slice(&plain).ok()
    }

    fn cookie(&self, name: &str, value: &str, max_age: Option<u64>) -> HeaderValue {
        let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
        if self.secure {
            text.push_str("; Secure");
        }
        if let Some(age) = max_age {
            text.push_str(&format!("; Max-Age={age}"));
        }
        // Names and values are base64url we generated.
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
    }
}

/// The first value of cookie `name` in the request.
fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    cookie_pairs(headers)
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// Every `name=value` pair of the request's `Cookie` headers.
pub fn cookie_pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            Some((k.trim(), v.trim()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(cookie: &HeaderValue) -> HeaderMap {
        let pair = cookie
            .to_str()
            .expect("ascii")
            .split(';')
            .next()
            .expect("pair");
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(pair).expect("valid"));
        headers
    }

    fn session() -> GatewaySession {
        GatewaySession {
            sub: "u1".into(),
            acr: Some("urn:sigil:acr:password".into()),
            amr: vec!["pwd".into()],
            auth_time: 10,
            sid: Some("s1".into()),
            login_cookies: BTreeMap::from([("NWDEPT".into(), "42".into())]),
            login_headers: BTreeMap::new(),
            seen: 20,
            started: 20,
            stepped_up_for: None,
        }
    }

    #[test]
    fn a_session_round_trips_only_for_its_own_application_and_purpose() {
        let master = MasterKey::generate();
        let jar = CookieJar::new(&master, "hr", true);
        let headers = request_with(&jar.set_session(&session(), 60));
        assert_eq!(jar.session(&headers), Some(session()));
        assert!(jar.login(&headers).is_none(), "a session is no login state");
        let other = CookieJar::new(&master, "payroll", true);
        assert!(other.session(&headers).is_none(), "another app's cookie");
        let renamed = headers
            .get(header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .expect("cookie")
            .replace(&jar.session_name, &other.session_name);
        let mut forged = HeaderMap::new();
        forged.insert(
            header::COOKIE,
            HeaderValue::from_str(&renamed).expect("valid"),
        );
        assert!(other.session(&forged).is_none(), "sealed for another app");
        let stranger = CookieJar::new(&MasterKey::generate(), "hr", true);
        assert!(
            stranger.session(&headers).is_none(),
            "another deployment's key"
        );
    }

    #[test]
    fn cookie_names_take_the_host_prefix_on_https_only() {
        let master = MasterKey::generate();
        let secure = CookieJar::new(&master, "hr", true).set_session(&session(), 60);
        assert!(
            secure
                .to_str()
                .expect("ascii")
                .starts_with("__Host-sigil-gw-")
        );
        assert!(secure.to_str().expect("ascii").contains("; Secure"));
        let plain = CookieJar::new(&master, "hr", false).set_session(&session(), 60);
        assert!(plain.to_str().expect("ascii").starts_with("sigil-gw-"));
    }
}
