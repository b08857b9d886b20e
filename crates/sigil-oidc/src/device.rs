//! RFC 8628: the device authorization endpoint, and the user's side (enter the code, review,
//! approve or deny). The token side is [`crate::grants::device_code`].

use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use sigil_core::model::{
    AuditEvent, AuditKind, DeviceApproval, DeviceAuthorization, DeviceStatus, GrantType,
};
use sigil_core::random::{normalize_user_code, user_code};
use sigil_core::{Digest32, ScopeSet};
use sigil_store::{DeviceDecision, StoreError};

use crate::endpoints;
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::provider::{Provider, TenantCtx};
use crate::sessions::CurrentSession;

/// The device authorization response (RFC 8628 §3.2).
#[derive(Debug, Clone, Serialize)]
pub struct DeviceAuthorizationResponse {
    /// Code the device polls with.
    pub device_code: String,
    /// Code the user types.
    pub user_code: String,
    /// Where the user goes.
    pub verification_uri: String,
    /// The same, with the code filled in (for QR codes).
    pub verification_uri_complete: String,
    /// Lifetime, seconds.
    pub expires_in: u64,
    /// Polling interval, seconds.
    pub interval: u32,
}

/// A pending device request as shown to the user.
#[derive(Debug, Clone)]
pub struct DeviceView {
    /// The normalised user code.
    pub user_code: String,
    /// The requesting client's name.
    pub client_name: String,
    /// Requested scopes.
    pub scopes: Vec<String>,
}

/// Why a typed user code cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceCodeProblem {
    /// Not a code, unknown, or expired.
    Invalid,
    /// Already approved or denied.
    AlreadyDecided,
    /// Too many wrong codes from this user; try again after this many seconds.
    Throttled(u64),
}

/// Wrong user codes a user may type before delays start (RFC 8628 §5.1: user codes are short,
/// so guessing must be rate-limited).
const FREE_WRONG_CODES: u32 = 5;

impl Provider {
    /// Starts a device authorization for an authenticated client.
    pub async fn device_authorization(
        &self,
        t: &TenantCtx,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<DeviceAuthorizationResponse, OAuthError> {
        let client = self.authenticate_client(t, authorization, params).await?;
        if !client.allows_grant(GrantType::DeviceCode) {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "the client may not use the device grant",
            ));
        }
        let scopes = ScopeSet::parse(params.get("scope").unwrap_or(""))
            .map_err(|e| OAuthError::invalid_scope(e.0))?;
        if scopes.iter().any(|s| !client.scopes.contains(s)) {
            return Err(OAuthError::invalid_scope(
                "a requested scope is not allowed for this client",
            ));
        }
        let now = self.now();
        let ttl = self.config.tokens.device_code_ttl;
        let device_code = sigil_core::random::secret_token();
        let mut record = DeviceAuthorization {
            tenant: t.id.clone(),
            device_code_digest: Digest32::of(&device_code),
            user_code: user_code(),
            client_id: client.id.clone(),
            scopes,
            expires_at: now.plus(Duration::from_secs(ttl)),
            interval_secs: self.config.tokens.device_poll_interval,
            last_polled_at: None,
            status: DeviceStatus::Pending,
            approval: None,
            grant_id: sigil_core::random::identifier(),
            access_jti: sigil_core::random::identifier(),
        };
        let mut attempts = 0;
        loop {
            match self.store.create_device_authorization(&record).await {
                Ok(()) => break,
                Err(StoreError::Conflict(_)) if attempts < 5 => {
                    attempts += 1;
                    record.user_code = user_code();
                }
                Err(e) => return Err(e.into()),
            }
        }
        let verification_uri = t.url(endpoints::DEVICE);
        Ok(DeviceAuthorizationResponse {
            device_code,
            verification_uri_complete: crate::authorize::code::with_query(
                &verification_uri,
                &[("user_code", &record.user_code)],
            ),
            user_code: record.user_code,
            verification_uri,
            expires_in: ttl,
            interval: record.interval_secs,
        })
    }

    /// Looks up what the signed-in user typed. Wrong codes count against the user, with
    /// growing delays, so codes cannot be guessed.
    pub async fn device_request(
        &self,
        t: &TenantCtx,
        typed: &str,
        current: &CurrentSession,
    ) -> Result<Result<DeviceView, DeviceCodeProblem>, OAuthError> {
        let now = self.now();
        let key = format!("device:{}:{}", t.id, current.user.id);
        if let Some(wait) = self
            .throttle
            .retry_after(std::slice::from_ref(&key), now)
            .await
        {
            return Ok(Err(DeviceCodeProblem::Throttled(wait)));
        }
        let found = match normalize_user_code(typed) {
            Some(code) => {
                self.store
                    .find_device_by_user_code(&t.id, &code, now)
                    .await?
            }
            None => None,
        };
        let Some(record) = found else {
            self.throttle
                .record_failure(&[(key, FREE_WRONG_CODES)], now)
                .await;
            return Ok(Err(DeviceCodeProblem::Invalid));
        };
        if record.status != DeviceStatus::Pending {
            return Ok(Err(DeviceCodeProblem::AlreadyDecided));
        }
        let Some(client) = self
            .client(&t.id, &record.client_id)
            .await?
            .filter(|c| !c.disabled)
        else {
            return Ok(Err(DeviceCodeProblem::Invalid));
        };
        Ok(Ok(DeviceView {
            user_code: record.user_code,
            client_name: client.name.clone(),
            scopes: record.scopes.iter().map(str::to_owned).collect(),
        }))
    }

    /// Records the signed-in user's decision; false if the code is no longer pending.
    pub async fn decide_device(
        &self,
        t: &TenantCtx,
        typed: &str,
        approve: bool,
        current: &CurrentSession,
    ) -> Result<bool, OAuthError> {
        let Some(code) = normalize_user_code(typed) else {
            return Ok(false);
        };
        let decision = if approve {
            DeviceDecision::Approve(DeviceApproval {
                auth: current.session.auth.clone(),
                session_id: current.session.id.clone(),
            })
        } else {
            DeviceDecision::Deny
        };
        let now = self.now();
        let audit = AuditEvent::new(
            &t.id,
            now,
            AuditKind::DeviceDecided,
            format!("user:{}", current.user.id),
        )
        .user(&current.user.id)
        .details(json!({"approved": approve}));
        Ok(self
            .store
            .decide_device(&t.id, &code, &decision, now, &audit)
            .await?)
    }
}
