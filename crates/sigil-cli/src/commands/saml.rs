//! `sigil saml …`: the same service calls the SAML pages make.

use anyhow::Context;
use sigil_core::TenantId;
use sigil_oidc::saml::{ServiceProviderView, SpSettings};

use sigil_saml::metadata::{ConsumerService, LogoutService, SpMetadata};
use sigil_saml::{BINDING_POST, BINDING_REDIRECT};

use super::admin::ACTOR;
use crate::app::Core;
use crate::cli_saml::{AddSpArgs, SamlCommand, SpCommand};

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
            allow_legacy_algorithms,
            json,
        }) => {
            let xml = std::fs::read_to_string(&metadata)
                .with_context(|| format!("reading {}", metadata.display()))?;
            let settings = SpSettings {
                attribute_map: read_attribute_map(attribute_map.as_deref())?,
                encrypt_assertions,
                allow_legacy_algorithms,
            };
            let sp = provider
                .import_saml_sp(&t, ACTOR, name.as_deref(), &xml, settings)
                .await?;
            print(&sp, json)
        }
        SamlCommand::Sp(SpCommand::Add(args)) => {
            let settings = SpSettings {
                attribute_map: read_attribute_map(args.attribute_map.as_deref())?,
                encrypt_assertions: args.encrypt_assertions,
                allow_legacy_algorithms: args.allow_legacy_algorithms,
            };
            let xml = by_hand(&args)?.to_xml();
            let sp = provider
                .import_saml_sp(&t, ACTOR, Some(&args.name), &xml, settings)
                .await?;
            print(&sp, args.json)
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

/// An attribute mapping file, read.
fn read_attribute_map(
    path: Option<&std::path::Path>,
) -> anyhow::Result<Option<std::collections::BTreeMap<String, String>>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{}: expected a JSON object of strings", path.display()))
}

/// A certificate file (PEM, or base64 DER) as base64 DER on one line.
fn read_certificate(path: &std::path::Path) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .flat_map(|line| line.split_whitespace())
        .collect();
    anyhow::ensure!(!body.is_empty(), "{}: no certificate in it", path.display());
    Ok(body)
}

/// The metadata the command line describes.
fn by_hand(args: &AddSpArgs) -> anyhow::Result<SpMetadata> {
    let consumer_services = args
        .acs
        .iter()
        .enumerate()
        .map(|(index, location)| ConsumerService {
            binding: BINDING_POST.into(),
            location: location.clone(),
            index: u16::try_from(index).unwrap_or(u16::MAX),
            is_default: index == 0,
        })
        .collect();
    let certificates = |paths: &[std::path::PathBuf]| -> anyhow::Result<Vec<String>> {
        paths.iter().map(|p| read_certificate(p)).collect()
    };
    Ok(SpMetadata {
        entity_id: args.entity_id.clone(),
        consumer_services,
        signing_certificates: certificates(&args.signing_certificates)?,
        encryption_certificates: certificates(&args.encryption_certificates)?,
        authn_requests_signed: args.requests_signed,
        name_id_formats: args.name_id_formats.clone(),
        logout_services: args
            .slo
            .iter()
            .map(|location| LogoutService {
                binding: BINDING_REDIRECT.into(),
                location: location.clone(),
                response_location: None,
            })
            .collect(),
        signing_methods: Vec::new(),
    })
}
