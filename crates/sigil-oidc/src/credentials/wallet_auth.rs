//! Wallets that authenticate with a wallet attestation (OpenID4VCI 1.0 Appendix E,
//! `attest_jwt_client_auth`): at the token endpoint when they redeem an offer, and at the PAR
//! and token endpoints beside a registered wallet app's own authentication in the
//! authorization code flow. The checks are `sigil-vc`'s; here the proof's `jti` is recorded
//! against replay, and a deployment that requires attestations refuses credential requests
//! from wallets without one.

use sigil_core::model::{Artifact, ArtifactKind, Client};
use sigil_core::{Digest32, UnixTime};
use sigil_vc::trust::parse_anchors;
use sigil_vc::wallet_attestation::{
    AttestedWallet, PresentedAttestation, WalletAttestationCheck, verify_wallet_attestation,
};

use crate::error::{ErrorCode, OAuthError};
use crate::provider::{Provider, TenantCtx};

impl Provider {
    /// The wallet a token request's attestation headers authenticate, its proof recorded so
    /// it cannot be sent again; `None` when none came and none is required. A `client_id`
    /// the request names must be the attested wallet's.
    pub(crate) async fn attested_wallet(
        &self,
        t: &TenantCtx,
        presented: Option<PresentedAttestation<'_>>,
        client_id: Option<&str>,
    ) -> Result<Option<AttestedWallet>, OAuthError> {
        let cfg = &self.config.credentials;
        let Some(presented) = presented else {
            if cfg.wallet_attestation_required {
                return Err(OAuthError::invalid_client(
                    "a wallet attestation is required (OAuth-Client-Attestation and \
                     OAuth-Client-Attestation-PoP)",
                ));
            }
            return Ok(None);
        };
        if cfg.wallet_providers.is_empty() {
            return Err(OAuthError::invalid_client(
                "wallet attestations are not accepted here",
            ));
        }
        let anchors = self
            .caches
            .wallet_anchors
            .get_or_init(|| parse_anchors(&cfg.wallet_providers))
            .as_ref()
            .map_err(|_| {
                OAuthError::new(
                    ErrorCode::ServerError,
                    "the wallet providers are unreadable",
                )
            })?;
        let now = self.now();
        let check = WalletAttestationCheck {
            anchors,
            issuer: &t.issuer,
            now: now.0,
            max_pop_age: cfg.proof_max_age as i64,
        };
        let wallet = verify_wallet_attestation(presented, &check);
        super::issuance::count_attestation("wallet", wallet.is_ok());
        let wallet = wallet.map_err(OAuthError::invalid_client)?;
        if client_id.is_some_and(|id| id != wallet.client_id) {
            return Err(OAuthError::invalid_client(
                "client_id is not the wallet the attestation names",
            ));
        }
        let seen = Artifact {
            tenant: t.id.clone(),
            kind: ArtifactKind::AssertionJti,
            key: Digest32::of(format!(
                "wallet attestation\u{0}{}\u{0}{}",
                wallet.client_id, wallet.pop_jti
            )),
            payload: serde_json::Value::Null,
            expires_at: UnixTime(wallet.replay_until),
            consumed_at: None,
        };
        if !self.store.put_artifact(&seen, now).await? {
            return Err(OAuthError::invalid_client(
                "the attestation proof was already used",
            ));
        }
        Ok(Some(wallet))
    }

    /// Verifies the attestation a registered client (a wallet app) sent besides its own
    /// authentication, which must name it; whether it sent one.
    pub(crate) async fn attested_client(
        &self,
        t: &TenantCtx,
        presented: Option<PresentedAttestation<'_>>,
        client: &Client,
    ) -> Result<bool, OAuthError> {
        if presented.is_none() {
            return Ok(false);
        }
        self.attested_wallet(t, presented, Some(client.id.as_str()))
            .await?;
        Ok(true)
    }

    /// Refuses a credential request from a client that proved no wallet attestation, where
    /// attestations are required.
    pub(crate) fn require_attested(&self, attested: bool) -> Result<(), OAuthError> {
        if attested || !self.config.credentials.wallet_attestation_required {
            return Ok(());
        }
        Err(OAuthError::invalid_client(
            "credentials are issued only to wallets with a wallet attestation \
             (OAuth-Client-Attestation and OAuth-Client-Attestation-PoP)",
        ))
    }
}
