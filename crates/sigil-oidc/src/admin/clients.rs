//! Registering OAuth clients.

use serde::Serialize;
use serde_json::json;
use sigil_core::model::{AuditEvent, AuditKind, AuthMethod, Client, GrantType, SigningAlg};
use sigil_core::{ClientId, Digest32, RedirectUri, ScopeSet, TenantId};
use sigil_keys::VerifyingJwk;

use super::{AdminError, invalid};
use crate::provider::Provider;

/// A client to register.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    /// Display name.
    pub name: String,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types; defaults from the other settings when empty.
    pub grant_types: Vec<String>,
    /// Allowed scopes; defaults to `openid profile email offline_access` when empty.
    pub scopes: Vec<String>,
    /// Allowed resource indicators.
    pub resources: Vec<String>,
    /// A public client (no secret, PKCE required).
    pub public: bool,
    /// Authentication method; defaults to `client_secret_basic` (or `none` for public clients).
    pub token_endpoint_auth_method: Option<String>,
    /// JWKS URI for `private_key_jwt`.
    pub jwks_uri: Option<String>,
    /// Inline JWK Set for `private_key_jwt`.
    pub jwks: Option<serde_json::Value>,
    /// Skips the consent screen.
    pub first_party: bool,
    /// Lets a confidential client omit PKCE (not recommended).
    pub pkce_optional: bool,
    /// ID token signing algorithm; RS256 when absent.
    pub id_token_signed_response_alg: Option<String>,
}

/// A registered client as shown once to its creator.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedClient {
    /// `client_id`.
    pub client_id: String,
    /// The secret, shown only now; stored as a digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Name.
    pub client_name: String,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types.
    pub grant_types: Vec<&'static str>,
    /// Authentication method.
    pub token_endpoint_auth_method: &'static str,
    /// Allowed scopes.
    pub scope: String,
    /// ID token algorithm.
    pub id_token_signed_response_alg: &'static str,
    /// Whether consent is skipped.
    pub first_party: bool,
    /// Whether PKCE is required.
    pub require_pkce: bool,
}

impl Provider {
    /// Registers a client. For secret-based methods, a 256-bit secret is generated, returned
    /// once, and stored only as its SHA-256 digest.
    pub async fn create_client(
        &self,
        tenant: &TenantId,
        new: NewClient,
        actor: &str,
    ) -> Result<CreatedClient, AdminError> {
        self.require_tenant(tenant).await?;
        let (mut client, secret) = build_client(tenant, new, self.now())?;
        if let Some(secret) = &secret {
            client.secret_digest = Some(Digest32::of(secret));
        }
        let audit = AuditEvent::new(tenant, client.created_at, AuditKind::ClientCreated, actor)
            .client(&client.id)
            .details(json!({"name": client.name}));
        self.store.create_client(&client, &audit).await?;
        self.invalidate_caches();
        Ok(CreatedClient {
            client_id: client.id.to_string(),
            client_secret: secret,
            client_name: client.name,
            redirect_uris: client.redirect_uris.iter().map(|u| u.to_string()).collect(),
            post_logout_redirect_uris: client
                .post_logout_redirect_uris
                .iter()
                .map(|u| u.to_string())
                .collect(),
            grant_types: client.grant_types.iter().map(|g| g.as_str()).collect(),
            token_endpoint_auth_method: client.auth_method.as_str(),
            scope: client.scopes.to_string(),
            id_token_signed_response_alg: client.id_token_signed_response_alg.as_str(),
            first_party: client.first_party,
            require_pkce: client.require_pkce,
        })
    }
}

fn parse_uris(
    list: &[String],
    field: &'static str,
    what: &str,
) -> Result<Vec<RedirectUri>, AdminError> {
    list.iter()
        .map(|u| RedirectUri::parse(u).map_err(|e| invalid(field, format!("{what} {u}: {e}"))))
        .collect()
}

fn auth_method(new: &NewClient) -> Result<AuthMethod, AdminError> {
    let method = match &new.token_endpoint_auth_method {
        Some(m) => AuthMethod::parse(m).ok_or_else(|| {
            invalid(
                "token_endpoint_auth_method",
                format!("unknown token_endpoint_auth_method {m}"),
            )
        })?,
        None if new.public => AuthMethod::None,
        None if new.jwks.is_some() || new.jwks_uri.is_some() => AuthMethod::PrivateKeyJwt,
        None => AuthMethod::ClientSecretBasic,
    };
    if new.public != (method == AuthMethod::None) {
        return Err(invalid(
            "token_endpoint_auth_method",
            "public clients use token_endpoint_auth_method none, and only they do",
        ));
    }
    if method == AuthMethod::PrivateKeyJwt {
        match (&new.jwks, &new.jwks_uri) {
            (Some(jwks), None) if !VerifyingJwk::parse_set(jwks).is_empty() => {}
            (Some(_), None) => return Err(invalid("jwks", "jwks holds no usable signature key")),
            (None, Some(uri)) if uri.starts_with("https://") || uri.starts_with("http://") => {}
            (None, Some(_)) => return Err(invalid("jwks_uri", "jwks_uri must be an http(s) URL")),
            _ => {
                return Err(invalid(
                    "jwks",
                    "private_key_jwt needs exactly one of jwks or jwks_uri",
                ));
            }
        }
    }
    Ok(method)
}

fn grant_types(new: &NewClient, method: AuthMethod) -> Result<Vec<GrantType>, AdminError> {
    let mut grants: Vec<GrantType> = if new.grant_types.is_empty() {
        if new.redirect_uris.is_empty() {
            vec![GrantType::ClientCredentials]
        } else {
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
        }
    } else {
        new.grant_types
            .iter()
            .map(|g| {
                GrantType::parse(g)
                    .ok_or_else(|| invalid("grant_types", format!("unsupported grant type {g}")))
            })
            .collect::<Result<_, _>>()?
    };
    grants.dedup();
    if grants.contains(&GrantType::AuthorizationCode) && new.redirect_uris.is_empty() {
        return Err(invalid(
            "redirect_uris",
            "the authorization_code grant needs at least one redirect URI",
        ));
    }
    if grants.contains(&GrantType::ClientCredentials) && method == AuthMethod::None {
        return Err(invalid(
            "grant_types",
            "public clients cannot use client_credentials",
        ));
    }
    if grants.contains(&GrantType::ClientCredentials) && new.public {
        return Err(invalid(
            "grant_types",
            "public clients cannot use client_credentials",
        ));
    }
    Ok(grants)
}

fn build_client(
    tenant: &TenantId,
    new: NewClient,
    now: sigil_core::UnixTime,
) -> Result<(Client, Option<String>), AdminError> {
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid("client_name", "name must be 1 to 200 characters"));
    }
    let method = auth_method(&new)?;
    let grants = grant_types(&new, method)?;
    let scopes = if new.scopes.is_empty() {
        ScopeSet::parse("openid profile email offline_access")
            .map_err(|e| invalid("scope", e.to_string()))?
    } else {
        ScopeSet::parse(&new.scopes.join(" ")).map_err(|e| invalid("scope", e.to_string()))?
    };
    for r in &new.resources {
        let ok = url::Url::parse(r).is_ok_and(|u| u.fragment().is_none());
        if !ok {
            return Err(invalid(
                "resources",
                format!("resource {r} must be an absolute URI without a fragment"),
            ));
        }
    }
    let alg = match &new.id_token_signed_response_alg {
        Some(a) => SigningAlg::parse(a).ok_or_else(|| {
            invalid(
                "id_token_signed_response_alg",
                format!("unsupported id_token_signed_response_alg {a}"),
            )
        })?,
        None => SigningAlg::RS256,
    };
    let secret = method.uses_secret().then(sigil_core::random::secret_token);
    let client = Client {
        tenant: tenant.clone(),
        id: ClientId::generate(),
        name,
        secret_digest: None,
        auth_method: method,
        redirect_uris: parse_uris(&new.redirect_uris, "redirect_uris", "redirect URI")?,
        post_logout_redirect_uris: parse_uris(
            &new.post_logout_redirect_uris,
            "post_logout_redirect_uris",
            "post-logout redirect URI",
        )?,
        grant_types: grants,
        scopes,
        resources: new.resources,
        jwks_uri: new.jwks_uri,
        jwks: new.jwks,
        require_pkce: new.public || !new.pkce_optional,
        first_party: new.first_party,
        id_token_signed_response_alg: alg,
        disabled: false,
        created_at: now,
        updated_at: now,
        revision: 1,
    };
    Ok((client, secret))
}
