//! OAuth clients (relying parties) and their registered metadata.

use serde::{Deserialize, Serialize};

use super::key::SigningAlg;
use crate::{ClientId, Digest32, RedirectUri, ScopeSet, TenantId, UnixTime};

/// Grant types a client may use at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GrantType {
    /// `authorization_code` (with PKCE).
    #[serde(rename = "authorization_code")]
    AuthorizationCode,
    /// `refresh_token`.
    #[serde(rename = "refresh_token")]
    RefreshToken,
    /// `client_credentials`.
    #[serde(rename = "client_credentials")]
    ClientCredentials,
    /// RFC 8628 device authorization grant.
    #[serde(rename = "urn:ietf:params:oauth:grant-type:device_code")]
    DeviceCode,
}

impl GrantType {
    /// Every grant type, in the order discovery lists them.
    pub const ALL: [GrantType; 4] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::DeviceCode,
    ];

    /// The registered name (the `grant_type` parameter value).
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    /// Parses a registered name.
    pub fn parse(text: &str) -> Option<Self> {
        GrantType::ALL.into_iter().find(|g| g.as_str() == text)
    }
}

/// How a client authenticates at the token, introspection and revocation endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// HTTP Basic with the client secret.
    ClientSecretBasic,
    /// Client secret in the form body.
    ClientSecretPost,
    /// RFC 7523 JWT signed with the client's private key.
    PrivateKeyJwt,
    /// Public client: no authentication.
    None,
}

impl AuthMethod {
    /// Every method, in the order discovery lists them.
    pub const ALL: [AuthMethod; 4] = [
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::PrivateKeyJwt,
        AuthMethod::None,
    ];

    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::None => "none",
        }
    }

    /// Parses a registered name.
    pub fn parse(text: &str) -> Option<Self> {
        AuthMethod::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// Whether clients using this method hold a shared secret.
    pub fn uses_secret(self) -> bool {
        matches!(
            self,
            AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
        )
    }
}

/// How a client wants to hear that a session it signed a user in through has ended (OpenID
/// Connect Back-Channel Logout 1.0 and Front-Channel Logout 1.0 registration metadata).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutChannels {
    /// Where Sigil POSTs a logout token (`backchannel_logout_uri`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_uri: Option<String>,
    /// Whether the client needs `sid` in logout tokens (`backchannel_logout_session_required`).
    #[serde(default)]
    pub backchannel_session_required: bool,
    /// The page Sigil loads in a hidden frame of its signed-out page
    /// (`frontchannel_logout_uri`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frontchannel_uri: Option<String>,
    /// Whether that page needs `iss` and `sid` in its query
    /// (`frontchannel_logout_session_required`).
    #[serde(default)]
    pub frontchannel_session_required: bool,
}

/// A registered client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// Owning tenant.
    pub tenant: TenantId,
    /// `client_id`.
    pub id: ClientId,
    /// Name shown on consent and account pages.
    pub name: String,
    /// SHA-256 of the client secret, for secret-based authentication methods.
    pub secret_digest: Option<Digest32>,
    /// Token endpoint authentication method; `None` means a public client.
    pub auth_method: AuthMethod,
    /// Registered redirect URIs (exact match).
    pub redirect_uris: Vec<RedirectUri>,
    /// Registered post-logout redirect URIs (exact match).
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// Grant types the client may use.
    pub grant_types: Vec<GrantType>,
    /// Scopes the client may request.
    pub scopes: ScopeSet,
    /// Resource indicators (RFC 8707) the client may ask tokens for; the first is the default
    /// audience of client-credentials tokens.
    pub resources: Vec<String>,
    /// Where the client publishes its keys for `private_key_jwt`.
    pub jwks_uri: Option<String>,
    /// The client's keys, given inline.
    pub jwks: Option<serde_json::Value>,
    /// Whether PKCE is required even though the client is confidential.
    pub require_pkce: bool,
    /// First-party clients skip the consent screen.
    pub first_party: bool,
    /// Algorithm the client wants its ID tokens signed with.
    pub id_token_signed_response_alg: SigningAlg,
    /// Where it hears of ended sessions.
    pub logout: LogoutChannels,
    /// Disabled clients are refused everywhere.
    pub disabled: bool,
    /// Creation time.
    pub created_at: UnixTime,
    /// Last change.
    pub updated_at: UnixTime,
    /// Counts changes, starting at 1 (the management API's ETag).
    pub revision: i64,
}

impl Client {
    /// Public clients (no authentication) cannot keep a secret.
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }

    /// Whether the client registered this grant type.
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// PKCE is always required of public clients and of clients configured to need it.
    pub fn pkce_required(&self) -> bool {
        self.is_public() || self.require_pkce
    }

    /// Finds the registered redirect URI that `requested` matches.
    pub fn match_redirect_uri(&self, requested: &str) -> Option<&RedirectUri> {
        let loopback_port_free = self.is_public();
        self.redirect_uris
            .iter()
            .find(|r| r.matches(requested, loopback_port_free))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for g in GrantType::ALL {
            assert_eq!(GrantType::parse(g.as_str()), Some(g));
            let json = serde_json::to_string(&g).expect("serialises");
            assert_eq!(json, format!("\"{}\"", g.as_str()));
        }
        for m in AuthMethod::ALL {
            assert_eq!(AuthMethod::parse(m.as_str()), Some(m));
        }
        assert_eq!(GrantType::parse("implicit"), None);
        assert_eq!(GrantType::parse("password"), None);
    }
}
