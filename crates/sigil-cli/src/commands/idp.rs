//! `sigil idp …`: the same service calls the management of identity providers makes.

use anyhow::Context;
use sigil_core::TenantId;
use sigil_oidc::federation::saml::SamlSettings;
use sigil_oidc::federation::{
    ClaimMapping, IdentityProvider, IdentityProviderView, NewIdentityProvider, Provisioning,
    issuer_of_discovery_url,
};

use super::admin::{ACTOR, read_password};
use crate::app::Core;
use crate::cli_idp::{AddIdp, AddOidcArgs, AddSamlArgs, IdpCommand, ProviderArgs};

/// Runs an identity provider command.
pub async fn run(core: &Core, tenant: &TenantId, command: IdpCommand) -> anyhow::Result<()> {
    let provider = &core.provider;
    let t = provider.tenant_ctx(tenant);
    match command {
        IdpCommand::Add(add) => {
            let (name, json) = match &add {
                AddIdp::Oidc(args) => (args.common.name.clone(), args.common.json),
                AddIdp::Saml(args) => (args.common.name.clone(), args.common.json),
            };
            let new = match add {
                AddIdp::Oidc(args) => new_oidc_provider(*args)?,
                AddIdp::Saml(args) => new_saml_provider(*args).await?,
            };
            let saved = provider
                .save_identity_provider(&t, ACTOR, &name, new)
                .await?;
            print(&saved, json)
        }
        IdpCommand::List { json } => {
            let all = provider.identity_providers(&t).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for p in &all {
                    println!(
                        "{:<20} v{:<3} {} ({})",
                        p.name,
                        p.version,
                        p.provider.issuer,
                        p.provider.domains.join(", ")
                    );
                }
            }
            Ok(())
        }
        IdpCommand::Show { name, json } => {
            print(&provider.identity_provider(&t, &name).await?, json)
        }
        IdpCommand::Remove { name } => {
            provider.delete_identity_provider(&t, ACTOR, &name).await?;
            println!("removed {name} and the accounts' links to it");
            Ok(())
        }
    }
}

/// The provider `common` describes, with the identifier and settings of its kind.
fn provider_of(
    common: ProviderArgs,
    mut claims: ClaimMapping,
    kind: &str,
    issuer: String,
) -> anyhow::Result<IdentityProvider> {
    for pair in &common.claims {
        let (field, claim) = pair
            .split_once('=')
            .with_context(|| format!("--claim {pair:?}: expected FIELD=CLAIM"))?;
        let slot = match field.trim() {
            "username" => &mut claims.username,
            "email" => &mut claims.email,
            "name" => &mut claims.name,
            "groups" => &mut claims.groups,
            other => anyhow::bail!("--claim: {other:?} is not username, email, name or groups"),
        };
        *slot = claim.trim().to_owned();
    }
    let mut groups = std::collections::BTreeMap::new();
    for pair in &common.groups {
        let (external, local) = pair
            .split_once('=')
            .with_context(|| format!("--group {pair:?}: expected EXTERNAL=LOCAL"))?;
        groups.insert(external.trim().to_owned(), local.trim().to_owned());
    }
    Ok(IdentityProvider {
        kind: kind.into(),
        display_name: common.display_name.unwrap_or_else(|| common.name.clone()),
        issuer,
        client_id: String::new(),
        client_secret_sealed: None,
        scopes: Vec::new(),
        domains: common.domains.iter().map(|d| d.to_lowercase()).collect(),
        claims,
        groups,
        provisioning: if common.link_only {
            Provisioning::LinkOnly
        } else {
            Provisioning::Jit
        },
        saml: None,
    })
}

fn new_oidc_provider(args: AddOidcArgs) -> anyhow::Result<NewIdentityProvider> {
    let client_secret = if args.client_secret_stdin {
        Some(read_password().context("reading the client secret from stdin")?)
    } else {
        None
    };
    let issuer = issuer_of_discovery_url(&args.discovery_url);
    let mut provider = provider_of(args.common, ClaimMapping::default(), "oidc", issuer)?;
    provider.client_id = args.client_id;
    provider.scopes = if args.scopes.is_empty() {
        ["openid", "email", "profile"].map(str::to_owned).to_vec()
    } else {
        args.scopes
    };
    Ok(NewIdentityProvider {
        provider,
        client_secret,
    })
}

async fn new_saml_provider(args: AddSamlArgs) -> anyhow::Result<NewIdentityProvider> {
    let source = &args.metadata;
    let xml = if source.starts_with("https://") || source.starts_with("http://") {
        reqwest::get(source.as_str())
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("fetching {source}"))?
            .text()
            .await
            .with_context(|| format!("reading {source}"))?
    } else {
        std::fs::read_to_string(source).with_context(|| format!("reading {source}"))?
    };
    let settings = SamlSettings::from_metadata(&xml, args.allow_legacy_algorithms)
        .with_context(|| format!("the metadata in {source}"))?;
    let claims = ClaimMapping {
        username: "uid".into(),
        email: "mail".into(),
        name: "displayName".into(),
        groups: "groups".into(),
    };
    let entity_id = settings.idp.entity_id.clone();
    let mut provider = provider_of(args.common, claims, "saml", entity_id)?;
    provider.saml = Some(settings);
    Ok(NewIdentityProvider {
        provider,
        client_secret: None,
    })
}

fn print(p: &IdentityProviderView, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(p)?);
    } else {
        println!("{} (version {}): {}", p.name, p.version, p.provider.issuer);
        match &p.sp_metadata_url {
            Some(metadata) => println!(
                "register Sigil at the IdP with its SP metadata: {metadata} (assertion consumer service {})",
                p.redirect_uri
            ),
            None => println!(
                "register this redirect URI at the provider: {}",
                p.redirect_uri
            ),
        }
    }
    Ok(())
}
