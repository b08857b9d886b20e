//! `sigil verifier …`: presentation requests (OpenID4VP) and their results.

use anyhow::Context;
use sigil_core::TenantId;
use sigil_vc::verifier::{ClientIdPrefix, ResponseMode};

use super::admin::ACTOR;
use crate::app::Core;
use crate::cli::VerifierCommand;

/// Runs a verifier command.
pub async fn run(core: &Core, tenant: &TenantId, command: VerifierCommand) -> anyhow::Result<()> {
    let provider = &core.provider;
    let t = provider.tenant_ctx(tenant);
    match command {
        VerifierCommand::Request {
            verifier,
            response_mode,
            client_id_prefix,
            json,
        } => {
            let mode = ResponseMode::parse(&response_mode)
                .context("--response-mode must be direct_post or direct_post.jwt")?;
            let prefix = ClientIdPrefix::parse(&client_id_prefix)
                .context("--client-id-prefix must be x509_hash, x509_san_dns or redirect_uri")?;
            let request = provider
                .request_presentation(&t, &verifier, prefix, mode)
                .await?;
            if json {
                println!("{}", serde_json::to_string(&request)?);
            } else {
                println!(
                    "request {}: give the wallet this link, or show {}",
                    request.id, request.page
                );
                println!("{}", request.request_uri);
            }
        }
        VerifierCommand::Define { id, file } => {
            let document = super::credentials::read_json(&file)?;
            let verifier = provider.save_verifier(&t, ACTOR, &id, document).await?;
            println!("verifier {} saved", verifier.id);
        }
        VerifierCommand::List => {
            for v in provider.verifiers(&t).await? {
                println!("{}", serde_json::to_string(&v)?);
            }
        }
        VerifierCommand::Delete { id } => {
            provider.delete_verifier(&t, ACTOR, &id).await?;
            println!("verifier {id} deleted");
        }
        VerifierCommand::Result { id, json } => {
            let outcome = provider
                .presentation_outcome(&t, &id)
                .await?
                .context("no such request (or its result has expired)")?;
            if json {
                println!("{}", serde_json::to_string(&outcome)?);
            } else {
                println!("{}", outcome.status);
                if let Some(reason) = &outcome.reason {
                    println!("reason: {reason}");
                }
                for (query, claims) in &outcome.claims {
                    println!("{query}: {claims}");
                }
            }
        }
    }
    Ok(())
}
