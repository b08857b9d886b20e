//! Sign-in and browser sessions: password check with throttling, session creation with a new
//! id (no fixation), lookup with idle and absolute timeouts, sign-out.

use std::time::Duration;

use serde_json::json;
use sigil_core::model::{AuditEvent, AuditKind, Authentication, Session, User, normalize_username};
use sigil_core::{Digest32, SessionId, UnixTime, UserId};

use crate::error::OAuthError;
use crate::provider::{Provider, TenantCtx};

/// The `acr` of a password sign-in.
pub const ACR_PASSWORD: &str = "urn:sigil:acr:password";
/// Authentication context of a sign-in with a verifiable credential from a wallet.
pub const ACR_CREDENTIAL: &str = "urn:sigil:acr:credential";
/// Authentication context of a sign-in at an external identity provider.
pub const ACR_FEDERATED: &str = "urn:sigil:acr:federated";

/// How a user proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignInMethod {
    /// Username and password (`amr` `pwd`).
    Password,
    /// A verifiable credential presented from a wallet, bound to its key (`amr` `pop`).
    Credential,
    /// An external identity provider vouched for the user (`amr` `fed`, not one of RFC 8176's
    /// values: how the provider authenticated them is its business).
    Federated,
}

impl SignInMethod {
    fn amr_acr(self) -> (Vec<String>, &'static str) {
        match self {
            SignInMethod::Password => (vec!["pwd".into()], ACR_PASSWORD),
            SignInMethod::Credential => (vec!["pop".into()], ACR_CREDENTIAL),
            SignInMethod::Federated => (vec!["fed".into()], ACR_FEDERATED),
        }
    }
}

/// A session is marked as used at most this often, to keep reads from writing.
const TOUCH_INTERVAL: i64 = 60;

/// What Sigil knows about the browser making a request.
#[derive(Debug, Clone, Default)]
pub struct Browser {
    /// The session cookie's secret, if any.
    pub session_secret: Option<String>,
    /// The browser-binding cookie (also the CSRF anchor); the server always provides one.
    pub browser_id: String,
    /// Client IP.
    pub ip: Option<String>,
    /// User-Agent header.
    pub user_agent: Option<String>,
}

/// A signed-in user's live session.
#[derive(Debug, Clone)]
pub struct CurrentSession {
    /// The session.
    pub session: Session,
    /// Its user.
    pub user: User,
}

/// A successful sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The new session's cookie secret (set it as the session cookie).
    pub secret: String,
    /// The session.
    pub session: Session,
}

/// Why a sign-in failed. Unknown users and wrong passwords are the same variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    /// Username or password is wrong.
    InvalidCredentials,
    /// Too many failures; try again after this many seconds.
    Throttled(u64),
    /// The service cannot complete sign-ins right now.
    Unavailable,
}

impl Provider {
    /// The live session of the browser, if any. Expired, ended, and disabled users' sessions
    /// count as none.
    pub async fn current_session(
        &self,
        t: &TenantCtx,
        browser: &Browser,
    ) -> Result<Option<CurrentSession>, OAuthError> {
        let Some(secret) = browser.session_secret.as_deref() else {
            return Ok(None);
        };
        let now = self.now();
        let Some(session) = self
            .store
            .find_session_by_secret(&t.id, &Digest32::of(secret))
            .await?
        else {
            return Ok(None);
        };
        if !session.is_active(now, Duration::from_secs(self.config.sessions.idle_timeout)) {
            return Ok(None);
        }
        let Some(user) = self.store.get_user(&t.id, &session.auth.user_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        if now.0 - session.last_seen_at.0 >= TOUCH_INTERVAL {
            self.store.touch_session(&t.id, &session.id, now).await?;
        }
        Ok(Some(CurrentSession { session, user }))
    }

    fn throttle_keys(t: &TenantCtx, username: &str, browser: &Browser) -> (String, Option<String>) {
        let account = format!("acct:{}:{}", t.id, normalize_username(username));
        let ip = browser.ip.as_ref().map(|ip| format!("ip:{ip}"));
        (account, ip)
    }

    /// Signs a user in with username and password, starting a new session that replaces the
    /// browser's current one.
    pub async fn sign_in(
        &self,
        t: &TenantCtx,
        username: &str,
        password: &str,
        browser: &Browser,
    ) -> Result<SignedIn, SignInError> {
        let now = self.now();
        let (account_key, ip_key) = Self::throttle_keys(t, username, browser);
        let keys: Vec<String> = std::iter::once(account_key.clone())
            .chain(ip_key.clone())
            .collect();
        if let Some(wait) = self.throttle.retry_after(&keys, now).await {
            metrics::counter!("sigil_sign_ins_total", "outcome" => "throttled").increment(1);
            self.audit_sign_in_failure(t, username, None, "throttled", browser, now);
            return Err(SignInError::Throttled(wait));
        }
        let user = if username.len() <= 512 {
            self.store
                .find_user_by_username(&t.id, &normalize_username(username))
                .await
                .map_err(|_| SignInError::Unavailable)?
        } else {
            None
        };
        let usable = user.as_ref().filter(|u| !u.disabled);
        let stored_hash = usable.and_then(|u| u.password_hash.clone());
        let ok = self
            .passwords
            .verify(password.to_owned(), stored_hash)
            .await;
        let Some(user) = usable.filter(|_| ok) else {
            // Why, for the audit trail only: the user is told the same whatever it is.
            let reason = match (&user, usable) {
                (None, _) => "unknown_user",
                (Some(_), None) => "user_disabled",
                (Some(_), Some(u)) if u.password_hash.is_none() => "no_password",
                _ => "wrong_password",
            };
            let known = user.as_ref().map(|u| &u.id);
            self.record_sign_in_failure(account_key, ip_key, now).await;
            self.audit_sign_in_failure(t, username, known, reason, browser, now);
            return Err(SignInError::InvalidCredentials);
        };
        self.throttle.record_success(&account_key).await;
        let session = self
            .start_session(t, user, browser, now, SignInMethod::Password)
            .await
            .map_err(|_| SignInError::Unavailable)?;
        metrics::counter!("sigil_sign_ins_total", "outcome" => "success").increment(1);
        Ok(session)
    }

    async fn record_sign_in_failure(
        &self,
        account_key: String,
        ip_key: Option<String>,
        now: UnixTime,
    ) {
        let cfg = self.throttle.config();
        let mut keys = vec![(account_key, cfg.account_free_failures)];
        keys.extend(ip_key.map(|k| (k, cfg.ip_free_failures)));
        self.throttle.record_failure(&keys, now).await;
        metrics::counter!("sigil_sign_ins_total", "outcome" => "failure").increment(1);
    }

    /// Records a refused sign-in with the name tried and why (never the password).
    fn audit_sign_in_failure(
        &self,
        t: &TenantCtx,
        username: &str,
        user: Option<&UserId>,
        reason: &str,
        browser: &Browser,
        now: UnixTime,
    ) {
        let shown: String = username.chars().take(128).collect();
        let mut event = AuditEvent::new(&t.id, now, AuditKind::SignInFailed, "anonymous")
            .failure()
            .ip(browser.ip.clone())
            .details(json!({"username": shown, "reason": reason}));
        if let Some(id) = user {
            event = event.user(id);
        }
        self.audit.record(event);
    }

    pub(crate) async fn start_session(
        &self,
        t: &TenantCtx,
        user: &User,
        browser: &Browser,
        now: UnixTime,
        method: SignInMethod,
    ) -> Result<SignedIn, OAuthError> {
        let (amr, acr) = method.amr_acr();
        let replaces = self
            .current_session(t, browser)
            .await?
            .map(|c| c.session.id);
        let secret = sigil_core::random::secret_token();
        let session = Session {
            tenant: t.id.clone(),
            id: SessionId::generate(),
            secret_digest: Digest32::of(&secret),
            auth: Authentication {
                user_id: user.id.clone(),
                auth_time: now,
                amr,
                acr: acr.into(),
            },
            created_at: now,
            last_seen_at: now,
            expires_at: now.plus(Duration::from_secs(self.config.sessions.absolute_timeout)),
            ended_at: None,
            user_agent: browser
                .user_agent
                .as_ref()
                .map(|u| u.chars().take(256).collect()),
            ip: browser.ip.clone(),
        };
        let audit = AuditEvent::new(
            &t.id,
            now,
            AuditKind::SessionStarted,
            format!("user:{}", user.id),
        )
        .user(&user.id)
        .ip(browser.ip.clone())
        .details(json!({"sid": session.id, "amr": session.auth.amr}));
        self.store
            .create_session(&session, replaces.as_ref(), &audit)
            .await?;
        Ok(SignedIn { secret, session })
    }

    /// Whether the session `sid` was ended (signed out, ended by an administrator, or
    /// replaced), or never existed: what a client of Sigil in the same deployment (the
    /// gateway) asks to drop its own session. Expiry is not an end: the client's session
    /// keeps its own lifetime.
    pub async fn session_ended(
        &self,
        t: &TenantCtx,
        sid: &str,
    ) -> Result<bool, sigil_store::StoreError> {
        let Ok(id) = SessionId::parse(sid) else {
            return Ok(true);
        };
        let session = self.store.get_session(&t.id, &id).await?;
        Ok(session.is_none_or(|s| s.ended_at.is_some()))
    }

    /// Ends a session of `user` (their own, or another of theirs from the account page).
    pub async fn end_session(
        &self,
        t: &TenantCtx,
        user: &User,
        session_id: &SessionId,
        ip: Option<String>,
    ) -> Result<bool, OAuthError> {
        let Some(session) = self.store.get_session(&t.id, session_id).await? else {
            return Ok(false);
        };
        if session.auth.user_id != user.id {
            return Ok(false);
        }
        let now = self.now();
        let audit = AuditEvent::new(
            &t.id,
            now,
            AuditKind::SessionEnded,
            format!("user:{}", user.id),
        )
        .user(&user.id)
        .ip(ip)
        .details(json!({"sid": session_id}));
        let ended = self
            .store
            .end_session(&t.id, session_id, now, &audit)
            .await?;
        if ended {
            self.send_backchannel_logouts(t, &session).await;
        }
        Ok(ended)
    }
}
