//! OAuth clients. Field names are those of OAuth dynamic client registration (RFC 7591) and
//! OpenID Connect registration, so a client's metadata reads the same everywhere.

use serde::{Deserialize, Serialize};
use sigil_core::model::Client;
use utoipa::{IntoParams, ToSchema};

use crate::{nullable, rfc3339};

/// A registered client as the API shows it. The secret is never shown after creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClientResource {
    /// `client_id`.
    pub client_id: String,
    /// Name shown on consent and account pages.
    pub client_name: String,
    /// Redirect URIs, matched exactly.
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs, matched exactly.
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types the client may use.
    pub grant_types: Vec<String>,
    /// How the client authenticates: `client_secret_basic`, `client_secret_post`,
    /// `private_key_jwt` or `none` (a public client). Fixed at registration.
    pub token_endpoint_auth_method: String,
    /// Scopes the client may request, space-separated.
    pub scope: String,
    /// Resource indicators (RFC 8707) the client may ask tokens for.
    pub resources: Vec<String>,
    /// Where the client publishes its keys (`private_key_jwt`).
    pub jwks_uri: Option<String>,
    /// The client's keys, inline (`private_key_jwt`).
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// ID token signing algorithm.
    pub id_token_signed_response_alg: String,
    /// Where Sigil POSTs a logout token when a session the client signed in through ends
    /// (OpenID Connect Back-Channel Logout 1.0).
    pub backchannel_logout_uri: Option<String>,
    /// Whether the client needs `sid` in logout tokens (Sigil always sends it).
    pub backchannel_logout_session_required: bool,
    /// The page Sigil's signed-out page loads in a hidden frame (OpenID Connect
    /// Front-Channel Logout 1.0).
    pub frontchannel_logout_uri: Option<String>,
    /// Whether that page is given `iss` and `sid`.
    pub frontchannel_logout_session_required: bool,
    /// Whether consent is skipped.
    pub first_party: bool,
    /// Whether PKCE is required.
    pub require_pkce: bool,
    /// Disabled clients are refused everywhere.
    pub disabled: bool,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

impl From<&Client> for ClientResource {
    fn from(c: &Client) -> Self {
        ClientResource {
            client_id: c.id.to_string(),
            client_name: c.name.clone(),
            redirect_uris: c.redirect_uris.iter().map(|u| u.to_string()).collect(),
            post_logout_redirect_uris: c
                .post_logout_redirect_uris
                .iter()
                .map(|u| u.to_string())
                .collect(),
            grant_types: c.grant_types.iter().map(|g| g.as_str().into()).collect(),
            token_endpoint_auth_method: c.auth_method.as_str().into(),
            scope: c.scopes.to_string(),
            resources: c.resources.clone(),
            jwks_uri: c.jwks_uri.clone(),
            jwks: c.jwks.clone(),
            id_token_signed_response_alg: c.id_token_signed_response_alg.as_str().into(),
            backchannel_logout_uri: c.logout.backchannel_uri.clone(),
            backchannel_logout_session_required: c.logout.backchannel_session_required,
            frontchannel_logout_uri: c.logout.frontchannel_uri.clone(),
            frontchannel_logout_session_required: c.logout.frontchannel_session_required,
            first_party: c.first_party,
            require_pkce: c.require_pkce,
            disabled: c.disabled,
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

/// A client as shown once, right after it was registered or its secret rotated: with the
/// secret, which Sigil keeps only as a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClientWithSecret {
    /// The client.
    #[serde(flatten)]
    pub client: ClientResource,
    /// The secret, for secret-based authentication methods; shown only now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// A client to register.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientCreate {
    /// Name shown on consent and account pages.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub client_name: String,
    /// Redirect URIs (absolute, no fragment).
    #[serde(default)]
    #[schema(max_items = 50)]
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types; when empty, `authorization_code` and `refresh_token` for clients with
    /// redirect URIs, `client_credentials` otherwise.
    #[serde(default)]
    pub grant_types: Vec<String>,
    /// Allowed scopes, space-separated; `openid profile email offline_access` when absent.
    #[serde(default)]
    pub scope: Option<String>,
    /// Resource indicators the client may ask tokens for.
    #[serde(default)]
    pub resources: Vec<String>,
    /// `client_secret_basic` (the default), `client_secret_post`, `private_key_jwt`
    /// (the default when keys are given) or `none` (public clients).
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    /// Where the client publishes its keys (`private_key_jwt`).
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// The client's keys, inline (`private_key_jwt`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// ID token signing algorithm; `RS256` when absent.
    #[serde(default)]
    pub id_token_signed_response_alg: Option<String>,
    /// Where to POST logout tokens (absolute http(s) URL, no fragment).
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// Whether logout tokens must carry `sid`.
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
    /// The page to load in a hidden frame on sign-out (same scheme, host and port as a
    /// redirect URI).
    #[serde(default)]
    pub frontchannel_logout_uri: Option<String>,
    /// Whether that page is given `iss` and `sid`.
    #[serde(default)]
    pub frontchannel_logout_session_required: bool,
    /// Skip the consent screen (for the organisation's own applications).
    #[serde(default)]
    pub first_party: bool,
    /// Require PKCE (always required of public clients); true when absent.
    #[serde(default)]
    pub require_pkce: Option<bool>,
}

/// Changes to a client, as a JSON merge patch (RFC 7396): absent fields stay, `null` clears.
/// The authentication method cannot change; register a new client instead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientUpdate {
    /// New name.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub client_name: Option<String>,
    /// New redirect URIs (replacing the list).
    #[serde(default)]
    #[schema(max_items = 50)]
    pub redirect_uris: Option<Vec<String>>,
    /// New post-logout redirect URIs (replacing the list).
    #[serde(default)]
    #[schema(max_items = 50)]
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// New grant types (replacing the list).
    #[serde(default)]
    pub grant_types: Option<Vec<String>>,
    /// New allowed scopes, space-separated.
    #[serde(default)]
    pub scope: Option<String>,
    /// New resource indicators (replacing the list).
    #[serde(default)]
    pub resources: Option<Vec<String>>,
    /// New JWKS URI, or `null` to remove it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub jwks_uri: Option<Option<String>>,
    /// New inline keys, or `null` to remove them.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Object>, nullable)]
    pub jwks: Option<Option<serde_json::Value>>,
    /// New ID token signing algorithm.
    #[serde(default)]
    pub id_token_signed_response_alg: Option<String>,
    /// New back-channel logout URI, or `null` to remove it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub backchannel_logout_uri: Option<Option<String>>,
    /// Whether logout tokens must carry `sid`.
    #[serde(default)]
    pub backchannel_logout_session_required: Option<bool>,
    /// New front-channel logout URI, or `null` to remove it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub frontchannel_logout_uri: Option<Option<String>>,
    /// Whether the front-channel page is given `iss` and `sid`.
    #[serde(default)]
    pub frontchannel_logout_session_required: Option<bool>,
    /// Skip the consent screen, or not.
    #[serde(default)]
    pub first_party: Option<bool>,
    /// Require PKCE, or not (public clients always do).
    #[serde(default)]
    pub require_pkce: Option<bool>,
    /// Disable (refused everywhere, its tokens stop working) or enable the client.
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// A page of clients. The next page is at the `Link: rel="next"` URL, also given here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClientPage {
    /// The clients on this page, by `client_id`.
    pub items: Vec<ClientResource>,
    /// The cursor of the next page (its `after` parameter); absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Query parameters of `GET /clients`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1 to 200; 50 when absent.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Where to continue: the `next_cursor` of the previous page.
    #[param(min_length = 1, max_length = 1024)]
    pub after: Option<String>,
}
