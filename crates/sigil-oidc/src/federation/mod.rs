//! Sign-in through external identity providers (Sigil as a broker): providers configured per
//! tenant, the OpenID Connect relying-party side of the authorization code flow against them
//! ([`upstream`]), the sign-in itself ([`sign_in`]), what it does to local accounts
//! ([`accounts`]: the linked user, or one created just in time, or an existing account linked
//! once its owner proves control of it; attributes and groups mapped on every sign-in), and
//! signing out at the provider too ([`logout`]). Home-realm discovery routes an address's
//! domain to its provider.
//!
//! A provider is an access document (`AccessKind::IdentityProvider`), versioned on every save;
//! its client secret is sealed with the key-encryption key, bound to the tenant and provider.

pub mod accounts;
pub mod logout;
pub mod saml;
pub mod saml_slo;
pub mod sign_in;
pub mod upstream;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sigil_core::TenantId;
use sigil_core::model::{AccessApp, AccessKind, AuditEvent, AuditKind};

use crate::admin::{AdminError, check_slug, invalid};
use crate::provider::{Provider, TenantCtx};

/// The suffix of an OpenID Provider's discovery document (OpenID Connect Discovery 1.0 §4).
pub const DISCOVERY_SUFFIX: &str = "/.well-known/openid-configuration";

/// Which claim of the provider fills which field of a local account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimMapping {
    /// The claim that names a new account (falls back to the e-mail address).
    #[serde(default = "default_username_claim")]
    pub username: String,
    /// The e-mail address claim (its `_verified` claim says whether it was verified).
    #[serde(default = "default_email_claim")]
    pub email: String,
    /// The display name claim.
    #[serde(default = "default_name_claim")]
    pub name: String,
    /// The claim listing the person's groups at the provider.
    #[serde(default = "default_groups_claim")]
    pub groups: String,
}

fn default_username_claim() -> String {
    "preferred_username".into()
}
fn default_email_claim() -> String {
    "email".into()
}
fn default_name_claim() -> String {
    "name".into()
}
fn default_groups_claim() -> String {
    "groups".into()
}

impl ClaimMapping {
    /// The attribute names SAML identity providers commonly send (LDAP's).
    pub fn saml_default() -> Self {
        Self {
            username: "uid".into(),
            email: "mail".into(),
            name: "displayName".into(),
            groups: "groups".into(),
        }
    }

    /// Maps the account field `field` (`username`, `email`, `name` or `groups`) from `claim`.
    pub fn set(&mut self, field: &str, claim: &str) -> Result<(), AdminError> {
        let slot = match field.trim() {
            "username" => &mut self.username,
            "email" => &mut self.email,
            "name" => &mut self.name,
            "groups" => &mut self.groups,
            other => {
                return Err(invalid(
                    "claims",
                    format!("{other:?} is not username, email, name or groups"),
                ));
            }
        };
        let claim = claim.trim();
        if claim.is_empty() || claim.len() > 256 {
            return Err(invalid("claims", "a claim name is 1 to 256 characters"));
        }
        *slot = claim.to_owned();
        Ok(())
    }

    /// Whether the provider says the e-mail address is verified (`{email}_verified` true).
    pub fn email_verified(&self, claims: &serde_json::Map<String, serde_json::Value>) -> bool {
        claims.get(&format!("{}_verified", self.email)) == Some(&serde_json::Value::Bool(true))
    }
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            username: default_username_claim(),
            email: default_email_claim(),
            name: default_name_claim(),
            groups: default_groups_claim(),
        }
    }
}

/// What happens when someone signs in whose identity is linked to no account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provisioning {
    /// An account is created for them (just-in-time), unless one with their verified
    /// address exists: its owner is then asked to prove it is theirs before it is linked.
    #[default]
    Jit,
    /// Only accounts linked beforehand, or linked by their owner proving control, sign in.
    LinkOnly,
}

/// An external identity provider, as stored: an OpenID provider (`kind` `oidc`) or a SAML
/// identity provider (`kind` `saml`, with its [`saml::SamlSettings`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityProvider {
    /// `oidc` or `saml`.
    pub kind: String,
    /// The name shown on the sign-in page.
    pub display_name: String,
    /// The provider's identifier. OpenID: its issuer, whose discovery document is at
    /// `{issuer}/.well-known/openid-configuration` and must name this issuer. SAML: its
    /// entity id.
    pub issuer: String,
    /// Sigil's client id at an OpenID provider.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_id: String,
    /// Sigil's client secret there, sealed (base64url); none for a public client (PKCE alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_sealed: Option<String>,
    /// Scopes asked of an OpenID provider (always including `openid`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// E-mail domains whose users sign in here (home-realm discovery).
    #[serde(default)]
    pub domains: Vec<String>,
    /// Claims to account fields.
    #[serde(default)]
    pub claims: ClaimMapping,
    /// The provider's group names to local group names: memberships of the mapped local
    /// groups follow the provider's on every sign-in; other groups are never touched.
    #[serde(default)]
    pub groups: BTreeMap<String, String>,
    /// Unlinked identities.
    #[serde(default)]
    pub provisioning: Provisioning,
    /// A SAML identity provider's metadata and settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saml: Option<saml::SamlSettings>,
}

/// A provider to add or replace, with its secret in the clear (sealed before it is stored).
#[derive(Debug, Clone)]
pub struct NewIdentityProvider {
    /// The provider as it will be stored, less the sealed secret.
    pub provider: IdentityProvider,
    /// The client secret, if Sigil is a confidential client there.
    pub client_secret: Option<String>,
}

/// What an administrator says of any provider, whichever its kind.
#[derive(Debug, Clone, Default)]
pub struct ProviderBasics {
    /// What the sign-in page calls it; its name when absent.
    pub display_name: Option<String>,
    /// E-mail domains whose users sign in there.
    pub domains: Vec<String>,
    /// Account field to claim (or SAML attribute), over the defaults of the kind.
    pub claims: Vec<(String, String)>,
    /// The provider's groups to local groups.
    pub groups: BTreeMap<String, String>,
    /// Only let in identities linked beforehand.
    pub link_only: bool,
}

impl ProviderBasics {
    fn provider(
        self,
        name: &str,
        kind: &str,
        issuer: String,
        mut claims: ClaimMapping,
    ) -> Result<IdentityProvider, AdminError> {
        for (field, claim) in &self.claims {
            claims.set(field, claim)?;
        }
        Ok(IdentityProvider {
            kind: kind.into(),
            display_name: self.display_name.unwrap_or_else(|| name.to_owned()),
            issuer,
            client_id: String::new(),
            client_secret_sealed: None,
            scopes: Vec::new(),
            domains: self.domains.iter().map(|d| d.to_lowercase()).collect(),
            claims,
            groups: self.groups,
            provisioning: if self.link_only {
                Provisioning::LinkOnly
            } else {
                Provisioning::Jit
            },
            saml: None,
        })
    }
}

impl NewIdentityProvider {
    /// An OpenID provider at `discovery_url` (or its issuer), where Sigil is `client_id`
    /// (confidential with `client_secret`); `openid email profile` unless `scopes` say
    /// otherwise.
    pub fn oidc(
        name: &str,
        basics: ProviderBasics,
        discovery_url: &str,
        client_id: String,
        client_secret: Option<String>,
        scopes: Vec<String>,
    ) -> Result<Self, AdminError> {
        let issuer = issuer_of_discovery_url(discovery_url);
        let mut provider = basics.provider(name, "oidc", issuer, ClaimMapping::default())?;
        provider.client_id = client_id;
        provider.scopes = if scopes.is_empty() {
            ["openid", "email", "profile"].map(str::to_owned).to_vec()
        } else {
            scopes
        };
        Ok(Self {
            provider,
            client_secret,
        })
    }

    /// A SAML identity provider described by its metadata XML.
    pub fn saml(
        name: &str,
        basics: ProviderBasics,
        metadata: &str,
        allow_legacy_algorithms: bool,
    ) -> Result<Self, AdminError> {
        let settings = saml::SamlSettings::from_metadata(metadata, allow_legacy_algorithms)?;
        let entity_id = settings.idp.entity_id.clone();
        let mut provider =
            basics.provider(name, "saml", entity_id, ClaimMapping::saml_default())?;
        provider.saml = Some(settings);
        Ok(Self {
            provider,
            client_secret: None,
        })
    }
}

/// A provider with its name and version, for listings (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityProviderView {
    /// Its name in the tenant (`/login/idp/{name}`).
    pub name: String,
    /// 1 when added, one more on every change.
    pub version: i64,
    /// What to register at the provider as Sigil's redirect URI.
    pub redirect_uri: String,
    /// What to register there as Sigil's post-logout redirect URI.
    pub post_logout_redirect_uri: String,
    /// A SAML provider: Sigil's service-provider metadata for it (its entity id too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sp_metadata_url: Option<String>,
    /// The provider.
    #[serde(flatten)]
    pub provider: IdentityProvider,
}

/// The context a provider's client secret is sealed under, binding it to the provider.
fn seal_context(tenant: &TenantId, name: &str) -> Vec<u8> {
    format!("sigil identity provider secret:{tenant}:{name}").into_bytes()
}

/// The issuer a discovery URL names: the URL less the discovery suffix (or the URL itself).
pub fn issuer_of_discovery_url(url: &str) -> String {
    url.strip_suffix(DISCOVERY_SUFFIX)
        .unwrap_or(url)
        .trim_end_matches('/')
        .to_owned()
}

/// Whether `url` is an issuer Sigil may talk to: https, or http on a loopback host (for
/// development and tests), without query or fragment.
fn check_issuer(url: &str) -> Result<(), AdminError> {
    let parsed =
        url::Url::parse(url).map_err(|e| invalid("discovery_url", format!("not a URL: {e}")))?;
    let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let scheme_ok = parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback);
    if !scheme_ok || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid(
            "discovery_url",
            "an issuer is an https URL (http only on a loopback host) without query or fragment",
        ));
    }
    Ok(())
}

impl IdentityProvider {
    fn check(&self) -> Result<(), AdminError> {
        match (self.kind.as_str(), &self.saml) {
            ("oidc", None) => self.check_oidc()?,
            ("saml", Some(settings)) => settings.check(&self.issuer)?,
            _ => {
                return Err(invalid(
                    "kind",
                    "a provider is oidc, or saml with its metadata",
                ));
            }
        }
        if let Some(bad) = self
            .domains
            .iter()
            .find(|d| d.is_empty() || d.contains(['@', '/', ' ']) || *d != &d.to_lowercase())
        {
            return Err(invalid(
                "domains",
                format!("{bad:?} is not a lowercase domain"),
            ));
        }
        Ok(())
    }

    fn check_oidc(&self) -> Result<(), AdminError> {
        check_issuer(&self.issuer)?;
        if self.client_id.is_empty() || self.client_id.len() > 256 {
            return Err(invalid("client_id", "a client id is 1 to 256 characters"));
        }
        if !self.scopes.iter().any(|s| s == "openid") {
            return Err(invalid("scopes", "the scopes must include openid"));
        }
        if let Some(bad) = self
            .scopes
            .iter()
            .find(|s| s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '"'))
        {
            return Err(invalid("scopes", format!("{bad:?} is not a scope")));
        }
        Ok(())
    }
}

impl Provider {
    /// Adds or replaces the provider `name`. Its issuer cannot change: identities linked to
    /// one issuer must never sign in through another (remove the provider and add it again).
    pub async fn save_identity_provider(
        &self,
        t: &TenantCtx,
        actor: &str,
        name: &str,
        new: NewIdentityProvider,
    ) -> Result<IdentityProviderView, AdminError> {
        check_slug(name, "a provider")?;
        let mut provider = new.provider;
        provider.check()?;
        if let Some(old) = self.stored_identity_provider(&t.id, name).await?
            && old.1.issuer != provider.issuer
        {
            return Err(invalid(
                "discovery_url",
                "a provider's issuer cannot change: remove it and add it again",
            ));
        }
        let others = self
            .store
            .list_access_apps(&t.id, AccessKind::IdentityProvider)
            .await?;
        for other in others.iter().filter(|o| o.name != name) {
            if let Some(domain) = decode(other)?
                .domains
                .into_iter()
                .find(|d| provider.domains.contains(d))
            {
                return Err(AdminError::Conflict(format!(
                    "domain {domain} (routed to {})",
                    other.name
                )));
            }
        }
        provider.client_secret_sealed = new.client_secret.map(|secret| {
            let sealed = self.kek.seal(&seal_context(&t.id, name), secret.as_bytes());
            sigil_core::b64url_encode(&sealed)
        });
        let now = self.now();
        let record = AccessApp {
            tenant: t.id.clone(),
            kind: AccessKind::IdentityProvider,
            name: name.to_owned(),
            version: 0,
            document: serde_json::to_value(&provider)
                .map_err(|e| invalid("provider", e.to_string()))?,
            created_at: now,
            updated_at: now,
        };
        let event = AuditEvent::new(&t.id, now, AuditKind::IdentityProviderSaved, actor)
            .details(json!({"provider": name, "issuer": provider.issuer}));
        self.store.save_access_apps(&[record], &[event]).await?;
        self.identity_provider(t, name).await
    }

    /// The provider `name`.
    pub async fn identity_provider(
        &self,
        t: &TenantCtx,
        name: &str,
    ) -> Result<IdentityProviderView, AdminError> {
        let (version, provider) = self
            .stored_identity_provider(&t.id, name)
            .await?
            .ok_or(AdminError::NotFound("identity provider"))?;
        Ok(view(t, name, version, provider))
    }

    /// The tenant's providers, by name.
    pub async fn identity_providers(
        &self,
        t: &TenantCtx,
    ) -> Result<Vec<IdentityProviderView>, AdminError> {
        let records = self
            .store
            .list_access_apps(&t.id, AccessKind::IdentityProvider)
            .await?;
        records
            .into_iter()
            .map(|r| Ok(view(t, &r.name, r.version, decode(&r)?)))
            .collect()
    }

    /// Removes the provider `name` and every link to it.
    pub async fn delete_identity_provider(
        &self,
        t: &TenantCtx,
        actor: &str,
        name: &str,
    ) -> Result<(), AdminError> {
        let event = AuditEvent::new(&t.id, self.now(), AuditKind::IdentityProviderDeleted, actor)
            .details(json!({"provider": name}));
        let deleted = self
            .store
            .delete_access_app(&t.id, AccessKind::IdentityProvider, name, &event)
            .await?;
        if deleted {
            Ok(())
        } else {
            Err(AdminError::NotFound("identity provider"))
        }
    }

    /// The provider that signs in users of an address's or a domain's domain, if one does
    /// (home-realm discovery); its name and itself.
    pub async fn provider_for_domain(
        &self,
        tenant: &TenantId,
        address: &str,
    ) -> Result<Option<(String, IdentityProvider)>, AdminError> {
        let domain = address
            .rsplit_once('@')
            .map_or(address, |(_, d)| d)
            .to_lowercase();
        let records = self
            .store
            .list_access_apps(tenant, AccessKind::IdentityProvider)
            .await?;
        for record in records {
            let provider = decode(&record)?;
            if provider.domains.contains(&domain) {
                return Ok(Some((record.name, provider)));
            }
        }
        Ok(None)
    }

    /// The web origins of the authorization endpoints of providers that addresses are routed
    /// to: a sign-in form that routes an address redirects there (its CSP `form-action` must
    /// allow them). Providers that cannot be reached now are left out.
    pub async fn routed_provider_origins(&self, tenant: &TenantId) -> Vec<String> {
        let Ok(records) = self
            .store
            .list_access_apps(tenant, AccessKind::IdentityProvider)
            .await
        else {
            return Vec::new();
        };
        let mut origins = Vec::new();
        for provider in records.iter().filter_map(|r| decode(r).ok()) {
            if provider.domains.is_empty() {
                continue;
            }
            let endpoint = match &provider.saml {
                Some(settings) => Some(settings.idp.sso_url.clone()),
                None => self
                    .upstream_metadata(&provider.issuer)
                    .await
                    .ok()
                    .map(|m| m.authorization_endpoint.clone()),
            };
            if let Some(url) = endpoint.and_then(|e| url::Url::parse(&e).ok()) {
                origins.push(url.origin().ascii_serialization());
            }
        }
        origins.sort();
        origins.dedup();
        origins
    }

    /// The stored provider `name` and its version.
    pub async fn stored_identity_provider(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Option<(i64, IdentityProvider)>, AdminError> {
        let Some(record) = self
            .store
            .get_access_app(tenant, AccessKind::IdentityProvider, name)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some((record.version, decode(&record)?)))
    }

    /// The client secret of a stored provider, unsealed.
    pub(crate) fn identity_provider_secret(
        &self,
        tenant: &TenantId,
        name: &str,
        provider: &IdentityProvider,
    ) -> Result<Option<String>, AdminError> {
        let Some(sealed) = &provider.client_secret_sealed else {
            return Ok(None);
        };
        let corrupt = |e: String| AdminError::Store(sigil_store::StoreError::Corrupt(e));
        let bytes = sigil_core::b64url_decode(sealed)
            .ok_or_else(|| corrupt("identity provider secret is not base64url".into()))?;
        let secret = self
            .kek
            .open(&seal_context(tenant, name), &bytes)
            .map_err(|e| corrupt(format!("identity provider secret: {e}")))?;
        String::from_utf8(secret.to_vec())
            .map(Some)
            .map_err(|_| corrupt("identity provider secret is not text".into()))
    }
}

fn decode(record: &AccessApp) -> Result<IdentityProvider, AdminError> {
    serde_json::from_value(record.document.clone()).map_err(|e| {
        AdminError::Store(sigil_store::StoreError::Corrupt(format!(
            "identity provider {}: {e}",
            record.name
        )))
    })
}

fn view(
    t: &TenantCtx,
    name: &str,
    version: i64,
    mut provider: IdentityProvider,
) -> IdentityProviderView {
    provider.client_secret_sealed = provider.client_secret_sealed.map(|_| "(sealed)".into());
    let is_saml = provider.saml.is_some();
    IdentityProviderView {
        name: name.to_owned(),
        version,
        redirect_uri: t.url(&if is_saml {
            saml::acs_path(name)
        } else {
            callback_path(name)
        }),
        post_logout_redirect_uri: t.url(&logout::logged_out_path(name)),
        sp_metadata_url: is_saml.then(|| t.url(&saml::sp_metadata_path(name))),
        provider,
    }
}

/// The path (under the tenant's issuer) the provider sends the browser back to.
pub fn callback_path(name: &str) -> String {
    format!("/login/idp/{name}/callback")
}
