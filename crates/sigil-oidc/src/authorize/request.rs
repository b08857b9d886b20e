//! The authorization request (RFC 6749 §4.1.1, RFC 7636, OpenID Connect Core §3.1.2.1,
//! RFC 8707), validated as an ordered list of small checks. The first checks decide whether
//! errors may be sent back to the client at all: only once the client and the redirect URI
//! are known good (RFC 6749 §4.1.2.1).

use serde::{Deserialize, Serialize};
use sigil_core::model::{Client, GrantType};
use sigil_core::{ClientId, ScopeSet};

use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::pkce;

/// The `prompt` values Sigil honours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// `none`: no user interaction at all.
    pub none: bool,
    /// `login` (and `select_account`): authenticate again.
    pub login: bool,
    /// `consent`: ask for consent again.
    pub consent: bool,
}

/// `prompt_values_supported`.
pub const PROMPT_VALUES: &[&str] = &["none", "login", "consent", "select_account"];

impl Prompt {
    /// Parses the space-delimited `prompt` parameter.
    pub fn parse(text: Option<&str>) -> Result<Self, OAuthError> {
        let mut p = Prompt::default();
        let Some(text) = text else { return Ok(p) };
        let values: Vec<&str> = text.split(' ').filter(|v| !v.is_empty()).collect();
        for v in &values {
            match *v {
                "none" => p.none = true,
                "login" | "select_account" => p.login = true,
                "consent" => p.consent = true,
                _ => return Err(OAuthError::invalid_request("unsupported prompt value")),
            }
        }
        if p.none && values.len() > 1 {
            return Err(OAuthError::invalid_request(
                "prompt=none cannot be combined with other values",
            ));
        }
        Ok(p)
    }
}

/// A validated authorization request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: ClientId,
    /// Where the response goes (exactly as requested, or the sole registered URI).
    pub redirect_uri: String,
    /// Whether `redirect_uri` was in the request (the token request must then repeat it).
    pub redirect_uri_in_request: bool,
    /// Requested scopes, all allowed for the client.
    pub scopes: ScopeSet,
    /// Opaque client state.
    pub state: Option<String>,
    /// OpenID Connect nonce.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// Prompt.
    pub prompt: Prompt,
    /// Maximum authentication age, seconds.
    pub max_age: Option<u64>,
    /// Username hint.
    pub login_hint: Option<String>,
    /// A previously issued ID token, not yet verified.
    pub id_token_hint: Option<String>,
    /// Requested ACR values (voluntary).
    pub acr_values: Vec<String>,
    /// Preferred UI languages.
    pub ui_locales: Option<String>,
    /// Resource indicator (RFC 8707).
    pub resource: Option<String>,
    /// The external identity provider to sign in at (`idp_hint`), when the client knows.
    #[serde(default)]
    pub idp_hint: Option<String>,
    /// The credentials a wallet asks to be issued (OpenID4VCI `authorization_details`,
    /// `issuer_state`), read by the provider once the request is otherwise valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<crate::credentials::CredentialGrant>,
    /// The scope values that name credential configurations, until the provider reads them
    /// into `credentials`.
    #[serde(skip)]
    pub credential_scopes: Vec<String>,
}

impl AuthorizationRequest {
    /// Whether this is an OpenID Connect request.
    pub fn is_openid(&self) -> bool {
        self.scopes.contains("openid")
    }
}

/// A failed authorization request: shown on a page, or sent back to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: never redirect.
    Page(OAuthError),
    /// Safe to send to the client's redirect URI.
    Redirect {
        /// The validated redirect URI.
        redirect_uri: String,
        /// The request's state, echoed.
        state: Option<String>,
        /// The error.
        error: OAuthError,
    },
}

/// Resolves the redirect URI: exact match against the registration; may be omitted only when
/// exactly one is registered and the request is not OpenID Connect.
fn resolve_redirect_uri(params: &Params, client: &Client) -> Result<(String, bool), OAuthError> {
    match params.get("redirect_uri") {
        Some(requested) => client
            .match_redirect_uri(requested)
            .map(|_| (requested.to_owned(), true))
            .ok_or_else(|| {
                OAuthError::invalid_request("redirect_uri is not registered for this client")
            }),
        None => {
            let openid = params
                .get("scope")
                .is_some_and(|s| s.split(' ').any(|v| v == "openid"));
            match client.redirect_uris.as_slice() {
                [only] if !openid => Ok((only.to_string(), false)),
                _ => Err(OAuthError::invalid_request("redirect_uri is required")),
            }
        }
    }
}

fn bounded<'a>(
    params: &'a Params,
    name: &'static str,
    max: usize,
) -> Result<Option<&'a str>, OAuthError> {
    match params.get(name) {
        Some(v) if v.len() > max => Err(OAuthError::invalid_request(format!("{name} is too long"))),
        other => Ok(other),
    }
}

fn check_response_type(params: &Params) -> Result<(), OAuthError> {
    match params.get("response_type") {
        None => Err(OAuthError::invalid_request("response_type is required")),
        Some("code") => match params.get("response_mode") {
            None | Some("query") => Ok(()),
            Some(_) => Err(OAuthError::invalid_request(
                "only response_mode=query is supported",
            )),
        },
        Some(_) => Err(OAuthError::new(
            ErrorCode::UnsupportedResponseType,
            "only response_type=code is supported",
        )),
    }
}

/// The requested scopes, less those that name credential configurations (OpenID4VCI
/// §5.1.2), which are returned apart; the others must be allowed for the client.
fn check_scopes(
    params: &Params,
    client: &Client,
    credential_scopes: &[String],
) -> Result<(ScopeSet, Vec<String>), OAuthError> {
    let requested = params.get("scope").unwrap_or("");
    let (credentials, others): (Vec<&str>, Vec<&str>) = requested
        .split(' ')
        .filter(|s| !s.is_empty())
        .partition(|s| credential_scopes.iter().any(|c| c == s));
    let scopes = ScopeSet::parse(&others.join(" ")).map_err(|e| OAuthError::invalid_scope(e.0))?;
    if let Some(s) = scopes.iter().find(|s| !client.scopes.contains(s)) {
        return Err(OAuthError::invalid_scope(format!(
            "scope {} is not allowed for this client",
            crate::params::sanitize(s)
        )));
    }
    Ok((scopes, credentials.into_iter().map(str::to_owned).collect()))
}

fn check_pkce(params: &Params, client: &Client) -> Result<Option<String>, OAuthError> {
    match (
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    ) {
        (Some(challenge), method) => {
            pkce::validate_challenge(challenge, method)?;
            Ok(Some(challenge.to_owned()))
        }
        (None, Some(_)) => Err(OAuthError::invalid_request(
            "code_challenge_method without code_challenge",
        )),
        (None, None) if client.pkce_required() => Err(OAuthError::invalid_request(
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        )),
        (None, None) => Ok(None),
    }
}

fn check_max_age(params: &Params) -> Result<Option<u64>, OAuthError> {
    params
        .get("max_age")
        .map(|v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n <= 10 * 365 * 86400)
                .ok_or_else(|| {
                    OAuthError::invalid_request("max_age must be a non-negative integer")
                })
        })
        .transpose()
}

fn check_resource(params: &Params, client: &Client) -> Result<Option<String>, OAuthError> {
    let Some(resource) = params.get("resource") else {
        return Ok(None);
    };
    let valid = url::Url::parse(resource).is_ok_and(|u| u.fragment().is_none());
    if !valid || !client.resources.iter().any(|r| r == resource) {
        return Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            "resource is not allowed for this client",
        ));
    }
    Ok(Some(resource.to_owned()))
}

/// Whether the request asks for verifiable credentials (OpenID4VCI) by parameters of their
/// own (rather than by scope).
pub fn is_credential_request(params: &Params) -> bool {
    params.has("authorization_details") || params.has("issuer_state")
}

/// Validates an authorization request for `client` (already looked up by `client_id`).
pub fn validate(params: &Params, client: &Client) -> Result<AuthorizationRequest, AuthorizeError> {
    validate_with(params, client, &[])
}

/// [`validate`], where the scope values `credential_scopes` name credential configurations.
pub fn validate_with(
    params: &Params,
    client: &Client,
    credential_scopes: &[String],
) -> Result<AuthorizationRequest, AuthorizeError> {
    let (redirect_uri, redirect_uri_in_request) =
        resolve_redirect_uri(params, client).map_err(AuthorizeError::Page)?;
    let state = params.get("state").map(str::to_owned);
    let fail = |error: OAuthError| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error,
    };
    if params.has("request") {
        return Err(fail(OAuthError::new(
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        )));
    }
    if params.has("registration") {
        return Err(fail(OAuthError::new(
            ErrorCode::RegistrationNotSupported,
            "the registration parameter is not supported",
        )));
    }
    if params.has("request_uri") {
        return Err(fail(OAuthError::new(
            ErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        )));
    }
    check_response_type(params).map_err(fail)?;
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return Err(fail(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "the client may not use the authorization code flow",
        )));
    }
    let (scopes, credential_scopes) =
        check_scopes(params, client, credential_scopes).map_err(fail)?;
    let for_credentials = is_credential_request(params) || !credential_scopes.is_empty();
    let request = AuthorizationRequest {
        client_id: client.id.clone(),
        scopes,
        credential_scopes,
        code_challenge: check_pkce(params, client).map_err(fail)?,
        prompt: Prompt::parse(params.get("prompt")).map_err(fail)?,
        max_age: check_max_age(params).map_err(fail)?,
        nonce: bounded(params, "nonce", 512)
            .map_err(fail)?
            .map(str::to_owned),
        login_hint: bounded(params, "login_hint", 256)
            .map_err(fail)?
            .map(str::to_owned),
        id_token_hint: params.get("id_token_hint").map(str::to_owned),
        acr_values: bounded(params, "acr_values", 1024)
            .map_err(fail)?
            .map(|v| {
                v.split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        ui_locales: bounded(params, "ui_locales", 256)
            .map_err(fail)?
            .map(str::to_owned),
        // A wallet's credential request names the credential issuer as its resource, which
        // the provider checks with the rest of the request's credential part.
        resource: if for_credentials {
            None
        } else {
            check_resource(params, client).map_err(fail)?
        },
        idp_hint: bounded(params, "idp_hint", 64)
            .map_err(fail)?
            .map(str::to_owned),
        redirect_uri: redirect_uri.clone(),
        redirect_uri_in_request,
        state: state.clone(),
        credentials: None,
    };
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sigil_core::model::{AuthMethod, SigningAlg};
    use sigil_core::{RedirectUri, TenantId, UnixTime};

    fn client() -> Client {
        Client {
            tenant: TenantId::default_tenant(),
            id: ClientId::parse("c").expect("id"),
            name: "c".into(),
            secret_digest: None,
            auth_method: AuthMethod::None,
            redirect_uris: vec![RedirectUri::parse("https://app.example/cb").expect("uri")],
            post_logout_redirect_uris: vec![],
            grant_types: vec![GrantType::AuthorizationCode],
            scopes: ScopeSet::parse("openid profile").expect("scopes"),
            resources: vec![],
            jwks_uri: None,
            jwks: None,
            require_pkce: true,
            first_party: false,
            id_token_signed_response_alg: SigningAlg::RS256,
            logout: Default::default(),
            disabled: false,
            created_at: UnixTime(0),
            updated_at: UnixTime(0),
            revision: 1,
        }
    }

    proptest! {
        #[test]
        fn validation_never_panics_and_never_accepts_foreign_redirects(
            pairs in proptest::collection::vec((
                prop_oneof![Just("redirect_uri"), Just("scope"), Just("response_type"), Just("prompt"),
                            Just("code_challenge"), Just("code_challenge_method"), Just("max_age"), Just("state"),
                            Just("response_mode"), Just("resource"), Just("nonce"), Just("request")],
                ".{0,80}"),
                0..10)
        ) {
            let mut seen = std::collections::HashSet::new();
            let pairs: Vec<_> = pairs.into_iter().filter(|(k, _)| seen.insert(*k)).collect();
            let params = Params::from_pairs(pairs);
            match validate(&params, &client()) {
                Ok(req) => prop_assert_eq!(req.redirect_uri, "https://app.example/cb"),
                Err(AuthorizeError::Redirect { redirect_uri, .. }) => prop_assert_eq!(redirect_uri, "https://app.example/cb"),
                Err(AuthorizeError::Page(_)) => {}
            }
        }
    }
}
