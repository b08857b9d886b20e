//! Credential offers and their redemption: an administrator offers a credential type to a
//! user, the wallet fetches the offer by reference and redeems its pre-authorized code (with
//! the transaction code, when one was sent to the user) at the token endpoint; or, for an
//! offer made by sign-in, takes its `issuer_state` into the authorization code flow
//! ([`super::authorization`]).
//!
//! The offer's handle `R` (in its URL) is random; the pre-authorized code (or issuer state) is
//! derived from it, and only its digest is stored, so the store holds nothing a wallet could
//! redeem.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sigil_core::model::{Artifact, ArtifactKind, AuditEvent, AuditKind, IssuedCredential};
use sigil_core::{Digest32, TenantId, UnixTime, UserId, b64url_encode, random};
use sigil_keys::sign_compact;
use sigil_vc::authorization::CredentialAuthorization;
use sigil_vc::offer::{
    AuthorizationCodeGrant, CredentialOffer, Grants, PRE_AUTHORIZED_GRANT, PreAuthorizedCodeGrant,
    TxCode, link_by_reference,
};
use sigil_vc::wallet_attestation::AttestedWallet;

use super::CREDENTIAL_ACCESS_TOKEN_TYP;
use crate::admin::AdminError;
use crate::error::{ErrorCode, OAuthError};
use crate::grants::mint::TokenResponse;
use crate::params::Params;
use crate::provider::{Provider, TenantCtx};

/// The path under the issuer where offers are fetched by reference.
pub const OFFER_PATH: &str = "/vci/offers";
/// The path under the issuer of the page that shows an offer as a QR code and a link.
pub const OFFER_PAGE_PATH: &str = "/credential-offer";

/// What an offer's artifact (under its pre-authorized code or its `issuer_state`) remembers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PendingOffer {
    pub credential_id: String,
    pub user_id: UserId,
    pub configuration_ids: Vec<String>,
    /// Digest of the transaction code, base64url.
    pub tx_code: Option<String>,
}

/// How the wallet redeems an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferGrant {
    /// With the pre-authorized code in the offer (the user was known when it was made),
    /// and a transaction code given to the user another way when `tx_code`.
    PreAuthorized {
        /// Whether a transaction code must go with the code.
        tx_code: bool,
    },
    /// By signing the user in: the authorization code flow, with the offer's `issuer_state`.
    SignIn,
}

impl OfferGrant {
    /// The grant of an offer redeemed by sign-in (`sign_in`) or with a pre-authorized code,
    /// with a transaction code when `tx_code` (which only the latter can have).
    pub fn new(sign_in: bool, tx_code: bool) -> Result<Self, AdminError> {
        match (sign_in, tx_code) {
            (true, true) => Err(AdminError::Invalid {
                field: "tx_code",
                message: "a transaction code goes with the pre-authorized code grant only".into(),
            }),
            (true, false) => Ok(OfferGrant::SignIn),
            (false, tx_code) => Ok(OfferGrant::PreAuthorized { tx_code }),
        }
    }
}

/// The claims of a credential access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CredentialAccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// RFC 9396 authorization details: the configurations the token may obtain, each with the
    /// identifier of the credential (record) it issues.
    pub authorization_details: Vec<CredentialAuthorization>,
    /// Whether the token response gave the identifiers to the wallet: the credential request
    /// must then name one (OpenID4VCI 1.0 §8.2).
    #[serde(default)]
    pub by_identifier: bool,
    /// The DPoP key the token is bound to (RFC 9449 §6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// A token's key binding.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Confirmation {
    /// The RFC 7638 thumbprint of the DPoP key.
    pub jkt: String,
}

impl CredentialAccessClaims {
    /// The detail granting configuration `id`.
    pub fn configuration(&self, id: &str) -> Option<&CredentialAuthorization> {
        self.authorization_details
            .iter()
            .find(|d| d.credential_configuration_id == id)
    }

    /// The detail whose credential is `identifier`.
    pub fn identifier(&self, identifier: &str) -> Option<&CredentialAuthorization> {
        self.authorization_details
            .iter()
            .find(|d| d.credential_identifiers.iter().any(|i| i == identifier))
    }
}

/// What a credential access token grants.
pub(crate) struct CredentialTokenGrant {
    /// The credentials, each with the identifier of its record.
    pub details: Vec<CredentialAuthorization>,
    /// The token's `jti`.
    pub jti: String,
    /// Whether the token response lists the details, identifiers included.
    pub by_identifier: bool,
    /// The DPoP key it is bound to.
    pub jkt: Option<String>,
}

/// An offer made.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedOffer {
    /// The credential's id (for listing, suspending, revoking).
    pub credential_id: String,
    /// `openid-credential-offer://?credential_offer_uri=…`, for a QR code or a link.
    pub credential_offer_uri: String,
    /// Where the offer is fetched.
    pub offer_url: String,
    /// The page that shows the offer as a QR code and a link, for the user.
    pub offer_page: String,
    /// The offer itself.
    pub credential_offer: CredentialOffer,
    /// The transaction code to give the user another way, when one is required.
    pub tx_code: Option<String>,
    /// When the offer lapses.
    pub expires_at: UnixTime,
}

/// The pre-authorized code of offer handle `handle`.
fn code_of(handle: &str) -> String {
    b64url_encode(Digest32::of(format!("sigil pre-authorized code:{handle}")).0)
}

/// The `issuer_state` of offer handle `handle`.
fn issuer_state_of(handle: &str) -> String {
    b64url_encode(Digest32::of(format!("sigil issuer state:{handle}")).0)
}

/// The key an offer's state is stored under.
pub(crate) fn issuer_state_key(issuer_state: &str) -> Digest32 {
    Digest32::of(issuer_state)
}

/// The artifact kind and secret (pre-authorized code or issuer state) of an offer's handle.
fn secret_of(grant: OfferGrant, handle: &str) -> (ArtifactKind, String) {
    match grant {
        OfferGrant::PreAuthorized { .. } => (ArtifactKind::PreAuthorizedCode, code_of(handle)),
        OfferGrant::SignIn => (ArtifactKind::CredentialOfferState, issuer_state_of(handle)),
    }
}

/// The grant type an offer stored as `kind` is redeemed with, for its audit event.
fn kind_grant_type(kind: ArtifactKind) -> &'static str {
    if kind == ArtifactKind::CredentialOfferState {
        "authorization_code"
    } else {
        PRE_AUTHORIZED_GRANT
    }
}

/// `n` uniformly random decimal digits (bytes of 250 and above are drawn again, so that no
/// digit is likelier than another).
fn digits(n: u32) -> String {
    let mut out = String::with_capacity(n as usize);
    while out.len() < n as usize {
        for b in random::bytes::<16>() {
            if b < 250 && out.len() < n as usize {
                out.push(char::from(b'0' + b % 10));
            }
        }
    }
    out
}

impl Provider {
    /// Offers a credential of type `type_id` to user `user` (by id).
    pub async fn offer_credential(
        &self,
        t: &TenantCtx,
        actor: &str,
        type_id: &str,
        user: &UserId,
        grant: OfferGrant,
    ) -> Result<CreatedOffer, AdminError> {
        let known = self.credential_type(t, type_id).await;
        if known.map_err(crate::presentations::oauth_admin)?.is_none() {
            return Err(AdminError::Invalid {
                field: "type",
                message: format!("no credential type {type_id:?}"),
            });
        }
        let user = self
            .store
            .get_user(&t.id, user)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(AdminError::NotFound("user"))?;
        let now = self.now();
        let cfg = &self.config.credentials;
        let expires_at = now.plus(Duration::from_secs(cfg.offer_ttl));
        let credential_id = random::identifier();
        let handle = random::secret_token();
        let (kind, secret) = secret_of(grant, &handle);
        let with_tx_code = grant == OfferGrant::PreAuthorized { tx_code: true };
        let tx_code = with_tx_code.then(|| digits(cfg.tx_code_length));
        let pending = PendingOffer {
            credential_id: credential_id.clone(),
            user_id: user.id.clone(),
            configuration_ids: vec![type_id.to_owned()],
            tx_code: tx_code.as_ref().map(|c| Digest32::of(c).to_b64url()),
        };
        let credential =
            IssuedCredential::offered(&t.id, credential_id.clone(), &user.id, type_id, now);
        let audit = AuditEvent::new(&t.id, now, AuditKind::CredentialOffered, actor)
            .user(&user.id)
            .details(
                json!({"credential_id": credential_id, "type": type_id, "tx_code": with_tx_code,
                       "grant_type": kind_grant_type(kind)}),
            );
        self.store.create_credential(&credential, &audit).await?;
        let artifact = Artifact {
            tenant: t.id.clone(),
            kind,
            key: Digest32::of(&secret),
            payload: serde_json::to_value(&pending).unwrap_or_default(),
            expires_at,
            consumed_at: None,
        };
        if !self.store.put_artifact(&artifact, now).await? {
            return Err(AdminError::Conflict("credential offer".into()));
        }
        let offer_url = t.url(&format!("{OFFER_PATH}/{handle}"));
        Ok(CreatedOffer {
            credential_id,
            credential_offer_uri: link_by_reference(&offer_url),
            credential_offer: self.offer_json(t, &pending, kind, secret),
            offer_page: t.url(&format!("{OFFER_PAGE_PATH}/{handle}")),
            offer_url,
            tx_code,
            expires_at,
        })
    }

    fn offer_json(
        &self,
        t: &TenantCtx,
        pending: &PendingOffer,
        kind: ArtifactKind,
        secret: String,
    ) -> CredentialOffer {
        let cfg = &self.config.credentials;
        let grants = if kind == ArtifactKind::CredentialOfferState {
            Grants {
                authorization_code: Some(AuthorizationCodeGrant {
                    issuer_state: Some(secret),
                    authorization_server: None,
                }),
                pre_authorized_code: None,
            }
        } else {
            Grants {
                authorization_code: None,
                pre_authorized_code: Some(PreAuthorizedCodeGrant {
                    code: secret,
                    tx_code: pending.tx_code.as_ref().map(|_| TxCode {
                        input_mode: Some("numeric".into()),
                        length: Some(cfg.tx_code_length),
                        description: Some(
                            "Enter the code your administrator gave you with this offer".into(),
                        ),
                    }),
                    authorization_server: None,
                }),
            }
        };
        CredentialOffer {
            credential_issuer: t.issuer.clone(),
            credential_configuration_ids: pending.configuration_ids.clone(),
            grants: Some(grants),
        }
    }

    /// The offer behind handle `handle`, while it can be redeemed.
    pub async fn credential_offer_by_reference(
        &self,
        t: &TenantCtx,
        handle: &str,
    ) -> Result<Option<CredentialOffer>, OAuthError> {
        if handle.len() > 64 {
            return Ok(None);
        }
        for grant in [
            OfferGrant::PreAuthorized { tx_code: false },
            OfferGrant::SignIn,
        ] {
            let (kind, secret) = secret_of(grant, handle);
            let found = self
                .store
                .get_artifact(&t.id, kind, &Digest32::of(&secret), self.now())
                .await?
                .filter(|a| a.consumed_at.is_none())
                .and_then(|a| serde_json::from_value::<PendingOffer>(a.payload).ok());
            if let Some(pending) = found {
                return Ok(Some(self.offer_json(t, &pending, kind, secret)));
            }
        }
        Ok(None)
    }

    /// The token endpoint's pre-authorized code grant (OpenID4VCI 1.0 §6.1): no client
    /// authentication (`pre-authorized_grant_anonymous_access_supported`) unless the wallet
    /// came with an attestation (`wallet`, already checked); the transaction code checked
    /// when the offer has one, with a few attempts before the offer is void.
    pub(crate) async fn pre_authorized_code_grant(
        &self,
        t: &TenantCtx,
        params: &Params,
        dpop: Option<&str>,
        wallet: Option<&AttestedWallet>,
    ) -> Result<TokenResponse, OAuthError> {
        let code = params.require("pre-authorized_code")?;
        let jkt = self.token_binding(t, dpop).await?;
        let key = Digest32::of(code);
        let now = self.now();
        let kind = ArtifactKind::PreAuthorizedCode;
        let artifact = self
            .store
            .get_artifact(&t.id, kind, &key, now)
            .await?
            .filter(|a| a.consumed_at.is_none())
            .ok_or_else(|| {
                OAuthError::invalid_grant("the pre-authorized code is invalid or used")
            })?;
        let pending: PendingOffer = serde_json::from_value(artifact.payload)
            .map_err(|_| OAuthError::new(ErrorCode::ServerError, "a stored offer is unreadable"))?;
        let given = params.get("tx_code");
        match (&pending.tx_code, given) {
            (None, Some(_)) => {
                return Err(OAuthError::invalid_request(
                    "this offer has no transaction code",
                ));
            }
            (Some(_), None) => {
                return Err(OAuthError::invalid_request("tx_code is required"));
            }
            (Some(expected), Some(given)) => {
                // Every comparison first claims one of the offer's attempts, atomically (an
                // attempt is a single-use artifact), so parallel guesses get no more tries.
                if !self
                    .claim_tx_attempt(t, code, artifact.expires_at, now)
                    .await?
                {
                    self.store.consume_artifact(&t.id, kind, &key, now).await?;
                    return Err(OAuthError::invalid_grant("the transaction code is wrong"));
                }
                let matches =
                    Digest32::from_b64url(expected).is_some_and(|e| e.ct_eq(&Digest32::of(given)));
                if !matches {
                    return Err(OAuthError::invalid_grant("the transaction code is wrong"));
                }
            }
            (None, None) => {}
        }
        if self
            .store
            .consume_artifact(&t.id, kind, &key, now)
            .await?
            .is_none()
        {
            return Err(OAuthError::invalid_grant(
                "the pre-authorized code is invalid or used",
            ));
        }
        let user = self.active_user(t, &pending.user_id).await?;
        let audit = AuditEvent::new(&t.id, now, AuditKind::TokenIssued, "wallet")
            .user(&user.id)
            .details(json!({
                "grant_type": PRE_AUTHORIZED_GRANT,
                "credential_id": pending.credential_id,
                "wallet": wallet.map(|w| &w.client_id),
                "wallet_name": wallet.and_then(|w| w.wallet_name.as_ref()),
            }));
        self.audit.record(audit);
        let details = pending
            .configuration_ids
            .iter()
            .map(|id| {
                CredentialAuthorization::granted(id, None, vec![pending.credential_id.clone()])
            })
            .collect();
        let grant = CredentialTokenGrant {
            details,
            jti: random::identifier(),
            by_identifier: false,
            jkt,
        };
        self.credential_access_token(t, &user.id, grant).await
    }

    /// A credential access token of user `user` for what `grant` grants.
    pub(crate) async fn credential_access_token(
        &self,
        t: &TenantCtx,
        user: &UserId,
        grant: CredentialTokenGrant,
    ) -> Result<TokenResponse, OAuthError> {
        let CredentialTokenGrant {
            details,
            jti,
            by_identifier,
            jkt,
        } = grant;
        let now = self.now();
        let ttl = self.config.credentials.access_token_ttl;
        let claims = CredentialAccessClaims {
            iss: t.issuer.clone(),
            sub: user.to_string(),
            aud: t.issuer.clone(),
            iat: now.0,
            exp: now.0 + ttl as i64,
            jti,
            authorization_details: details,
            by_identifier,
            cnf: jkt.map(|jkt| Confirmation { jkt }),
        };
        let key = self.es256_signer(&t.id, now).await?;
        Ok(TokenResponse {
            access_token: sign_compact(&key, CREDENTIAL_ACCESS_TOKEN_TYP, &claims),
            token_type: if claims.cnf.is_some() {
                "DPoP"
            } else {
                "Bearer"
            },
            expires_in: ttl,
            scope: String::new(),
            refresh_token: None,
            id_token: None,
            authorization_details: by_identifier.then_some(claims.authorization_details),
        })
    }

    /// Claims one of an offer's transaction-code attempts; false when all are spent.
    async fn claim_tx_attempt(
        &self,
        t: &TenantCtx,
        code: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<bool, OAuthError> {
        for n in 0..self.config.credentials.tx_code_attempts {
            let attempt = Artifact {
                tenant: t.id.clone(),
                kind: ArtifactKind::PreAuthorizedCode,
                key: Digest32::of(format!("tx_code attempt {n}:{code}")),
                payload: json!({}),
                expires_at,
                consumed_at: None,
            };
            if self.store.put_artifact(&attempt, now).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// A tenant's user by username, for the command line.
    pub async fn credential_holder(
        &self,
        tenant: &TenantId,
        username: &str,
    ) -> Result<UserId, AdminError> {
        self.store
            .find_user_by_username(tenant, &sigil_core::model::normalize_username(username))
            .await?
            .map(|u| u.id)
            .ok_or(AdminError::NotFound("user"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_codes_are_digits_of_the_asked_length() {
        for n in [4, 6, 12, 20] {
            let code = digits(n);
            assert_eq!(code.len(), n as usize);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn the_code_depends_on_the_handle() {
        assert_ne!(code_of("a"), code_of("b"));
        assert_eq!(code_of("a"), code_of("a"));
    }
}
