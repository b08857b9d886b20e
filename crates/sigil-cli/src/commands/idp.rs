//! `sigil idp …`: the same service calls the management of identity providers makes.

use anyhow::Context;
use sigil_core::TenantId;
use sigil_oidc::federation::{IdentityProviderView, NewIdentityProvider, ProviderBasics};

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

/// The name and what is common to every kind of provider, from the command line.
fn basics(common: ProviderArgs) -> anyhow::Result<(String, ProviderBasics)> {
    let mut claims = Vec::new();
    for pair in &common.claims {
        let (field, claim) = pair
            .split_once('=')
            .with_context(|| format!("--claim {pair:?}: expected FIELD=CLAIM"))?;
        claims.push((field.to_owned(), claim.to_owned()));
    }
    let mut groups = std::collections::BTreeMap::new();
    for pair in &common.groups {
        let (external, local) = pair
            .split_once('=')
            .with_context(|| format!("--group {pair:?}: expected EXTERNAL=LOCAL"))?;
        groups.insert(external.trim().to_owned(), local.trim().to_owned());
    }
    let basics = ProviderBasics {
        display_name: common.display_name,
        domains: common.domains,
        claims,
        groups,
        link_only: common.link_only,
    };
    Ok((common.name, basics))
}

fn new_oidc_provider(args: AddOidcArgs) -> anyhow::Result<NewIdentityProvider> {
    let client_secret = if args.client_secret_stdin {
        Some(read_password().context("reading the client secret from stdin")?)
    } else {
        None
    };
    let (name, basics) = basics(args.common)?;
    Ok(NewIdentityProvider::oidc(
        &name,
        basics,
        &args.discovery_url,
        args.client_id,
        client_secret,
        args.scopes,
    )?)
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
    let (name, basics) = basics(args.common)?;
    NewIdentityProvider::saml(&name, basics, &xml, args.allow_legacy_algorithms)
        .with_context(|| format!("the metadata in {source}"))
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
