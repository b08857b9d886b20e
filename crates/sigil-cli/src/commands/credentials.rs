//! `sigil credentials …`: offering verifiable credentials to users and managing their status.

use serde_json::{Value, json};
use sigil_core::TenantId;
use sigil_core::model::IssuedCredential;
use sigil_oidc::credentials::{OfferGrant, StatusChange};
use sigil_vc::types::CredentialFormat;

use super::admin::ACTOR;
use crate::app::Core;
use crate::cli::CredentialsCommand;

fn credential_json(c: &IssuedCredential) -> Value {
    let time = |t: Option<sigil_core::UnixTime>| t.map(sigil_api_types::rfc3339);
    json!({
        "id": c.id,
        "type": c.type_id,
        "state": c.state.as_str(),
        "status": c.status.as_str(),
        "copies": c.copies,
        "created_at": sigil_api_types::rfc3339(c.created_at),
        "issued_at": time(c.issued_at),
        "expires_at": time(c.expires_at),
    })
}

/// Runs a credentials command.
pub async fn run(
    core: &Core,
    tenant: &TenantId,
    command: CredentialsCommand,
) -> anyhow::Result<()> {
    let provider = &core.provider;
    let t = provider.tenant_ctx(tenant);
    let change = |id: String, change: StatusChange| async move {
        let c = provider
            .change_credential_status(tenant, ACTOR, &id, change)
            .await?;
        println!("credential {} is now {}", c.id, c.status.as_str());
        anyhow::Ok(())
    };
    match command {
        CredentialsCommand::Offer {
            type_id,
            user,
            tx_code,
            sign_in,
            json,
        } => {
            let user = provider.credential_holder(tenant, &user).await?;
            let grant = OfferGrant::new(sign_in, tx_code)?;
            let offer = provider
                .offer_credential(&t, ACTOR, &type_id, &user, grant)
                .await?;
            if json {
                println!("{}", serde_json::to_string(&offer)?);
            } else {
                println!(
                    "credential {} offered; give the wallet this link:",
                    offer.credential_id
                );
                println!("{}", offer.credential_offer_uri);
                if let Some(code) = &offer.tx_code {
                    println!("transaction code (give it to the user another way): {code}");
                }
            }
        }
        CredentialsCommand::List { user, json } => {
            let user = provider.credential_holder(tenant, &user).await?;
            for c in provider.list_credentials(tenant, &user).await? {
                if json {
                    println!("{}", credential_json(&c));
                } else {
                    println!(
                        "{}\t{}\t{}\t{}",
                        c.id,
                        c.type_id,
                        c.state.as_str(),
                        c.status.as_str()
                    );
                }
            }
        }
        CredentialsCommand::Suspend { id } => change(id, StatusChange::Suspend).await?,
        CredentialsCommand::Reinstate { id } => change(id, StatusChange::Reinstate).await?,
        CredentialsCommand::Revoke { id } => change(id, StatusChange::Revoke).await?,
        CredentialsCommand::IssuerCa => {
            let der = provider.issuer_ca_certificate(&t).await?;
            print!("{}", sigil_keys::x509::certificate_pem(&der));
        }
        CredentialsCommand::ImportIssuerCa { certificates, key } => {
            let read = |path: &std::path::Path| {
                std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))
            };
            provider
                .import_issuer_ca(&t, ACTOR, &read(&certificates)?, &read(&key)?)
                .await?;
            println!(
                "issuer CA imported: credentials and requests are certified by it from now on"
            );
        }
        CredentialsCommand::Approve { id } => {
            let c = provider.approve_credential(tenant, ACTOR, &id).await?;
            println!("credential {} is now {}", c.id, c.state.as_str());
        }
        CredentialsCommand::DefineType { id, file } => {
            let document = read_json(&file)?;
            let ty = provider
                .save_credential_type(&t, ACTOR, &id, document)
                .await?;
            let kind = match ty.format {
                CredentialFormat::SdJwtVc => format!("vct {}", ty.vct),
                CredentialFormat::JwtVcJson => format!("W3C type {}", ty.vc_type),
            };
            println!("credential type {} saved ({kind})", ty.id);
        }
        CredentialsCommand::Types => {
            for ty in provider.credential_types(&t).await? {
                println!("{}", serde_json::to_string(&ty)?);
            }
        }
        CredentialsCommand::DeleteType { id } => {
            provider.delete_credential_type(&t, ACTOR, &id).await?;
            println!("credential type {id} deleted");
        }
    }
    Ok(())
}

/// Reads a JSON document from a file.
pub(crate) fn read_json(path: &std::path::Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", path.display()))
}
