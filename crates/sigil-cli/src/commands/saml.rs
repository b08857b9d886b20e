//! `sigil saml …`: the same service calls the SAML pages make.

use anyhow::Context;
use sigil_core::TenantId;
use sigil_oidc::saml::ServiceProviderView;

use super::admin::ACTOR;
use crate::app::Core;
use crate::cli_saml::{SamlCommand, SpCommand};

/// Runs a SAML command.
pub async fn run(core: &Core, tenant: &TenantId, command: SamlCommand) -> anyhow::Result<()> {
    let provider = &core.provider;
    let t = provider.tenant_ctx(tenant);
    match command {
        SamlCommand::Metadata { signed } => {
            println!("{}", provider.saml_idp_metadata(&t, signed).await?);
            Ok(())
        }
        SamlCommand::Sp(SpCommand::Import {
            metadata,
            name,
            attribute_map,
            encrypt_assertions,
            json,
        }) => {
            let xml = std::fs::read_to_string(&metadata)
                .with_context(|| format!("reading {}", metadata.display()))?;
            let map = match attribute_map {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    Some(serde_json::from_str(&text).with_context(|| {
                        format!("{}: expected a JSON object of strings", path.display())
                    })?)
                }
                None => None,
            };
            let sp = provider
                .import_saml_sp(&t, ACTOR, name.as_deref(), &xml, map, encrypt_assertions)
                .await?;
            print(&sp, json)
        }
        SamlCommand::Sp(SpCommand::List { json }) => {
            let all = provider.saml_sps(&t).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for sp in &all {
                    println!(
                        "{:<20} v{:<3} {}",
                        sp.name, sp.version, sp.sp.metadata.entity_id
                    );
                }
            }
            Ok(())
        }
        SamlCommand::Sp(SpCommand::Remove { name }) => {
            provider.delete_saml_sp(&t, ACTOR, &name).await?;
            println!("removed {name}");
            Ok(())
        }
    }
}

fn print(sp: &ServiceProviderView, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(sp)?);
    } else {
        println!(
            "{} (version {}): {}",
            sp.name, sp.version, sp.sp.metadata.entity_id
        );
    }
    Ok(())
}
