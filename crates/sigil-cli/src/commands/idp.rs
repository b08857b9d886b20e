//! `sigil idp …`: the same service calls the management of identity providers makes.

use anyhow::Context;
use sigil_core::TenantId;
use sigil_oidc::federation::{
    ClaimMapping, IdentityProvider, IdentityProviderView, NewIdentityProvider, Provisioning,
    issuer_of_discovery_url,
};

use super::admin::{ACTOR, read_password};
use crate::app::Core;
use crate::cli_idp::{AddIdp, AddOidcArgs, IdpCommand};

/// Runs an identity provider command.
pub async fn run(core: &Core, tenant: &TenantId, command: IdpCommand) -> anyhow::Result<()> {
    let provider = &core.provider;
    let t = provider.tenant_ctx(tenant);
    match command {
        IdpCommand::Add(AddIdp::Oidc(args)) => {
            let json = args.json;
            let name = args.name.clone();
            let new = new_oidc_provider(*args)?;
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

fn new_oidc_provider(args: AddOidcArgs) -> anyhow::Result<NewIdentityProvider> {
    let mut claims = ClaimMapping::default();
    for pair in &args.claims {
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
    for pair in &args.groups {
        let (external, local) = pair
            .split_once('=')
            .with_context(|| format!("--group {pair:?}: expected EXTERNAL=LOCAL"))?;
        groups.insert(external.trim().to_owned(), local.trim().to_owned());
    }
    let client_secret = if args.client_secret_stdin {
        Some(read_password().context("reading the client secret from stdin")?)
    } else {
        None
    };
    let scopes = if args.scopes.is_empty() {
        ["openid", "email", "profile"].map(str::to_owned).to_vec()
    } else {
        args.scopes
    };
    Ok(NewIdentityProvider {
        provider: IdentityProvider {
            kind: "oidc".into(),
            display_name: args.display_name.unwrap_or_else(|| args.name.clone()),
            issuer: issuer_of_discovery_url(&args.discovery_url),
            client_id: args.client_id,
            client_secret_sealed: None,
            scopes,
            domains: args.domains.iter().map(|d| d.to_lowercase()).collect(),
            claims,
            groups,
            provisioning: if args.link_only {
                Provisioning::LinkOnly
            } else {
                Provisioning::Jit
            },
        },
        client_secret,
    })
}

fn print(p: &IdentityProviderView, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(p)?);
    } else {
        println!("{} (version {}): {}", p.name, p.version, p.provider.issuer);
        println!(
            "register this redirect URI at the provider: {}",
            p.redirect_uri
        );
    }
    Ok(())
}
