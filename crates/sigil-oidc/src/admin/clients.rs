//! Registering OAuth clients.

use serde_json::json;
use sigil_core::model::{
    AuditEvent, AuditKind, AuthMethod, Client, GrantType, LogoutChannels, SigningAlg,
};
use sigil_core::{ClientId, Digest32, RedirectUri, ScopeSet, TenantId};
use sigil_keys::VerifyingJwk;

use super::{AdminError, Precondition, check_page, invalid};
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
    /// Where it hears of ended sessions (back- and front-channel logout).
    pub logout: LogoutChannels,
}

/// A client just registered, or whose secret was just rotated, with its secret: the only
/// time the secret exists outside the client.
#[derive(Debug, Clone)]
pub struct CreatedClient {
    /// `client_id`.
    pub client_id: String,
    /// The secret, for secret-based methods; stored only as its SHA-256 digest.
    pub client_secret: Option<String>,
    /// The client as stored.
    pub client: Client,
}

/// Changes to a client; `None` leaves a field alone, `Some(None)` clears an optional one.
/// Lists replace the stored list. The authentication method cannot change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientPatch {
    /// New name.
    pub name: Option<String>,
    /// New redirect URIs.
    pub redirect_uris: Option<Vec<String>>,
    /// New post-logout redirect URIs.
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// New grant types.
    pub grant_types: Option<Vec<String>>,
    /// New allowed scopes.
    pub scopes: Option<Vec<String>>,
    /// New resource indicators.
    pub resources: Option<Vec<String>>,
    /// New JWKS URI, or none.
    pub jwks_uri: Option<Option<String>>,
    /// New inline JWK Set, or none.
    pub jwks: Option<Option<serde_json::Value>>,
    /// New ID token algorithm.
    pub id_token_signed_response_alg: Option<String>,
    /// New back-channel logout URI, or none.
    pub backchannel_logout_uri: Option<Option<String>>,
    /// Whether logout tokens must carry `sid`.
    pub backchannel_logout_session_required: Option<bool>,
    /// New front-channel logout URI, or none.
    pub frontchannel_logout_uri: Option<Option<String>>,
    /// Whether the front-channel logout page needs `iss` and `sid`.
    pub frontchannel_logout_session_required: Option<bool>,
    /// Skip consent, or not.
    pub first_party: Option<bool>,
    /// Require PKCE, or not (public clients always do).
    pub require_pkce: Option<bool>,
    /// Disable or enable.
    pub disabled: Option<bool>,
}

impl ClientPatch {
    /// The fields the patch sets, for the audit trail.
    fn fields(&self) -> Vec<&'static str> {
        [
            ("client_name", self.name.is_some()),
            ("redirect_uris", self.redirect_uris.is_some()),
            (
                "post_logout_redirect_uris",
                self.post_logout_redirect_uris.is_some(),
            ),
            ("grant_types", self.grant_types.is_some()),
            ("scope", self.scopes.is_some()),
            ("resources", self.resources.is_some()),
            ("jwks_uri", self.jwks_uri.is_some()),
            ("jwks", self.jwks.is_some()),
            (
                "id_token_signed_response_alg",
                self.id_token_signed_response_alg.is_some(),
            ),
            (
                "backchannel_logout_uri",
                self.backchannel_logout_uri.is_some(),
            ),
            (
                "backchannel_logout_session_required",
                self.backchannel_logout_session_required.is_some(),
            ),
            (
                "frontchannel_logout_uri",
                self.frontchannel_logout_uri.is_some(),
            ),
            (
                "frontchannel_logout_session_required",
                self.frontchannel_logout_session_required.is_some(),
            ),
            ("first_party", self.first_party.is_some()),
            ("require_pkce", self.require_pkce.is_some()),
            ("disabled", self.disabled.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, set)| set.then_some(field))
        .collect()
    }

    /// Applies the patch to a stored client, validating the result as a registration is.
    fn apply(self, stored: &Client) -> Result<Client, AdminError> {
        let strings = |uris: &[RedirectUri]| uris.iter().map(|u| u.to_string()).collect();
        let kept = &stored.logout;
        let logout = LogoutChannels {
            backchannel_uri: self
                .backchannel_logout_uri
                .unwrap_or_else(|| kept.backchannel_uri.clone()),
            backchannel_session_required: self
                .backchannel_logout_session_required
                .unwrap_or(kept.backchannel_session_required),
            frontchannel_uri: self
                .frontchannel_logout_uri
                .unwrap_or_else(|| kept.frontchannel_uri.clone()),
            frontchannel_session_required: self
                .frontchannel_logout_session_required
                .unwrap_or(kept.frontchannel_session_required),
        };
        let new = NewClient {
            name: self.name.unwrap_or_else(|| stored.name.clone()),
            redirect_uris: self
                .redirect_uris
                .unwrap_or_else(|| strings(&stored.redirect_uris)),
            post_logout_redirect_uris: self
                .post_logout_redirect_uris
                .unwrap_or_else(|| strings(&stored.post_logout_redirect_uris)),
            grant_types: self.grant_types.unwrap_or_else(|| {
                stored
                    .grant_types
                    .iter()
                    .map(|g| g.as_str().into())
                    .collect()
            }),
            scopes: self
                .scopes
                .unwrap_or_else(|| vec![stored.scopes.to_string()]),
            resources: self.resources.unwrap_or_else(|| stored.resources.clone()),
            public: stored.auth_method == AuthMethod::None,
            token_endpoint_auth_method: Some(stored.auth_method.as_str().into()),
            jwks_uri: self.jwks_uri.unwrap_or_else(|| stored.jwks_uri.clone()),
            jwks: self.jwks.unwrap_or_else(|| stored.jwks.clone()),
            first_party: self.first_party.unwrap_or(stored.first_party),
            pkce_optional: !self.require_pkce.unwrap_or(stored.require_pkce),
            id_token_signed_response_alg: Some(
                self.id_token_signed_response_alg
                    .unwrap_or_else(|| stored.id_token_signed_response_alg.as_str().into()),
            ),
            logout,
        };
        if new.grant_types.is_empty() {
            return Err(invalid(
                "grant_types",
                "a client needs at least one grant type",
            ));
        }
        let (built, _) = build_client(&stored.tenant, new, stored.updated_at)?;
        Ok(Client {
            id: stored.id.clone(),
            secret_digest: stored.secret_digest,
            disabled: self.disabled.unwrap_or(stored.disabled),
            created_at: stored.created_at,
            revision: stored.revision,
            ..built
        })
    }
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
            client,
        })
    }

    /// Reads a client.
    pub async fn get_client(&self, tenant: &TenantId, id: &ClientId) -> Result<Client, AdminError> {
        self.store
            .get_client(tenant, id)
            .await?
            .ok_or(AdminError::NotFound("client"))
    }

    /// Lists a page of clients by id (at most [`MAX_PAGE`]) and whether more follow.
    pub async fn list_clients(
        &self,
        tenant: &TenantId,
        after: Option<&ClientId>,
        limit: u32,
    ) -> Result<(Vec<Client>, bool), AdminError> {
        check_page(limit)?;
        let mut clients = self
            .store
            .list_clients_page(tenant, after, limit + 1)
            .await?;
        let more = clients.len() > limit as usize;
        clients.truncate(limit as usize);
        Ok((clients, more))
    }

    /// Writes a changed client if `stored` is still what the store holds.
    async fn save_client(
        &self,
        stored: &Client,
        mut changed: Client,
        audit: AuditEvent,
    ) -> Result<Client, AdminError> {
        changed.updated_at = audit.at;
        if !self.store.update_client(&changed, &audit).await? {
            return Err(AdminError::Stale("client"));
        }
        self.invalidate_caches();
        changed.revision = stored.revision + 1;
        Ok(changed)
    }

    /// Changes a client's settings or status. Disabling a client refuses it everywhere at
    /// once, and the tokens it holds stop working.
    pub async fn update_client(
        &self,
        tenant: &TenantId,
        id: &ClientId,
        patch: ClientPatch,
        expect: Precondition,
        actor: &str,
    ) -> Result<Client, AdminError> {
        let stored = self.get_client(tenant, id).await?;
        let fields = patch.fields();
        // A refused value is reported whatever the revision.
        let changed = patch.apply(&stored)?;
        expect.check(stored.revision, "client")?;
        let audit = AuditEvent::new(tenant, self.now(), AuditKind::ClientUpdated, actor)
            .client(id)
            .details(json!({"fields": fields, "disabled": changed.disabled}));
        self.save_client(&stored, changed, audit).await
    }

    /// Replaces a confidential client's secret with a new 256-bit one, returned once. The old
    /// secret stops working immediately.
    pub async fn rotate_client_secret(
        &self,
        tenant: &TenantId,
        id: &ClientId,
        expect: Precondition,
        actor: &str,
    ) -> Result<CreatedClient, AdminError> {
        let stored = self.get_client(tenant, id).await?;
        expect.check(stored.revision, "client")?;
        if !stored.auth_method.uses_secret() {
            return Err(invalid(
                "token_endpoint_auth_method",
                format!(
                    "a client using {} has no secret to rotate",
                    stored.auth_method.as_str()
                ),
            ));
        }
        let secret = sigil_core::random::secret_token();
        let mut changed = stored.clone();
        changed.secret_digest = Some(Digest32::of(&secret));
        let audit =
            AuditEvent::new(tenant, self.now(), AuditKind::ClientSecretRotated, actor).client(id);
        let client = self.save_client(&stored, changed, audit).await?;
        Ok(CreatedClient {
            client_id: client.id.to_string(),
            client_secret: Some(secret),
            client,
        })
    }

    /// Deletes a client with its users' consents, and revokes the grants it holds.
    pub async fn delete_client(
        &self,
        tenant: &TenantId,
        id: &ClientId,
        expect: Precondition,
        actor: &str,
    ) -> Result<(), AdminError> {
        let audit = AuditEvent::new(tenant, self.now(), AuditKind::ClientDeleted, actor).client(id);
        let deleted = self
            .store
            .delete_client(tenant, id, expect.revision(), &audit)
            .await?;
        if deleted {
            self.invalidate_caches();
            return Ok(());
        }
        // Nothing was deleted: tell a missing client from a changed one.
        self.get_client(tenant, id).await?;
        Err(AdminError::Stale("client"))
    }
}

/// Most redirect (or post-logout redirect) URIs a client may register.
const MAX_URIS: usize = 50;

fn parse_uris(
    list: &[String],
    field: &'static str,
    what: &str,
) -> Result<Vec<RedirectUri>, AdminError> {
    if list.len() > MAX_URIS {
        return Err(invalid(field, format!("at most {MAX_URIS} of them")));
    }
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
    if new.jwks.as_ref().is_some_and(|j| !j.is_object()) {
        return Err(invalid("jwks", "jwks must be a JWK Set (a JSON object)"));
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
    let redirect_uris = parse_uris(&new.redirect_uris, "redirect_uris", "redirect URI")?;
    check_logout_channels(&new.logout, &redirect_uris)?;
    let secret = method.uses_secret().then(sigil_core::random::secret_token);
    let client = Client {
        tenant: tenant.clone(),
        id: ClientId::generate(),
        name,
        secret_digest: None,
        auth_method: method,
        redirect_uris,
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
        logout: new.logout,
        disabled: false,
        created_at: now,
        updated_at: now,
        revision: 1,
    };
    Ok((client, secret))
}

/// Checks a client's logout endpoints: absolute http(s) URLs without a fragment (Back-Channel
/// Logout §2.2); a front-channel page must share scheme, host and port with a redirect URI
/// (Front-Channel Logout §2), since it runs in the browser as the client's own page.
fn check_logout_channels(
    logout: &LogoutChannels,
    redirect_uris: &[RedirectUri],
) -> Result<(), AdminError> {
    let parse = |uri: &str, field: &'static str| {
        url::Url::parse(uri)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.fragment().is_none())
            .filter(|u| u.host().is_some())
            .ok_or_else(|| {
                invalid(
                    field,
                    format!("{uri} must be an http(s) URL without a fragment"),
                )
            })
    };
    if let Some(uri) = &logout.backchannel_uri {
        parse(uri, "backchannel_logout_uri")?;
    }
    if let Some(uri) = &logout.frontchannel_uri {
        let origin = parse(uri, "frontchannel_logout_uri")?.origin();
        let shared = redirect_uris
            .iter()
            .any(|r| url::Url::parse(&r.to_string()).is_ok_and(|r| r.origin() == origin));
        if !shared {
            return Err(invalid(
                "frontchannel_logout_uri",
                "the front-channel logout URI must have the scheme, host and port of a redirect URI",
            ));
        }
    }
    Ok(())
}
