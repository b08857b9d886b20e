//! `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4–3.5): polling
//! with `authorization_pending` and `slow_down`, single redemption once the user approved.

use sigil_core::Digest32;
use sigil_core::model::{Client, DeviceStatus, GrantType};
use sigil_store::Redemption;

use super::mint::TokenResponse;
use super::{UserGrant, issued_event};
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::provider::{Provider, TenantCtx};

/// Seconds added to the interval on each `slow_down` (RFC 8628 §3.5).
const SLOW_DOWN_STEP: u32 = 5;

impl Provider {
    pub(crate) async fn device_code_grant(
        &self,
        t: &TenantCtx,
        client: &Client,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let code = params.require("device_code")?;
        let digest = Digest32::of(code);
        let now = self.now();
        let device = self
            .store
            .find_device_by_code(&t.id, &digest)
            .await?
            .filter(|d| d.client_id == client.id)
            .ok_or_else(|| OAuthError::invalid_grant("the device code is invalid"))?;
        if device.expires_at <= now {
            return Err(OAuthError::new(
                ErrorCode::ExpiredToken,
                "the device code has expired",
            ));
        }
        match device.status {
            DeviceStatus::Pending => {
                let polled_at = self.clock.now_millis();
                let too_soon = device.last_polled_at.is_some_and(|last| {
                    polled_at.millis_since(last) < i64::from(device.interval_secs) * 1000
                });
                let interval = if too_soon {
                    device.interval_secs + SLOW_DOWN_STEP
                } else {
                    device.interval_secs
                };
                self.store
                    .record_device_poll(&t.id, &digest, polled_at, interval)
                    .await?;
                return Err(if too_soon {
                    OAuthError::new(
                        ErrorCode::SlowDown,
                        format!("poll at most every {interval} seconds"),
                    )
                } else {
                    OAuthError::new(
                        ErrorCode::AuthorizationPending,
                        "the user has not finished yet",
                    )
                });
            }
            DeviceStatus::Denied => {
                return Err(OAuthError::new(
                    ErrorCode::AccessDenied,
                    "the user denied the request",
                ));
            }
            DeviceStatus::Consumed => {
                self.revoke_replayed_grant(t, client, &device.grant_id, &device.access_jti)
                    .await?;
                return Err(OAuthError::invalid_grant(
                    "the device code was already used",
                ));
            }
            DeviceStatus::Approved => {}
        }
        let approval = device
            .approval
            .clone()
            .ok_or_else(|| OAuthError::invalid_grant("the device code is invalid"))?;
        let user = self.active_user(t, &approval.auth.user_id).await?;
        let grant = UserGrant {
            auth: &approval.auth,
            scopes: &device.scopes,
            nonce: None,
            session_id: &approval.session_id,
            grant_id: &device.grant_id,
            access_jti: &device.access_jti,
            audience: crate::authorize::code::user_token_audience(
                t,
                None,
                device.scopes.contains("openid"),
            ),
        };
        let (response, issue) = self.mint_user_grant(t, client, &user, grant).await?;
        let audit = issued_event(
            t,
            now,
            client,
            Some(&user),
            GrantType::DeviceCode,
            &device.scopes,
        );
        if self
            .store
            .redeem_device(&t.id, &digest, &issue, &audit)
            .await?
            == Redemption::AlreadyUsed
        {
            self.revoke_replayed_grant(t, client, &device.grant_id, &device.access_jti)
                .await?;
            return Err(OAuthError::invalid_grant(
                "the device code was already used",
            ));
        }
        Ok(response)
    }
}
