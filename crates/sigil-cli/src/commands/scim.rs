//! `sigil scim …`: provisioning tokens for SCIM clients that can only hold a static bearer
//! token.

use serde_json::json;
use sigil_core::TenantId;

use super::admin::ACTOR;
use crate::app::Core;
use crate::cli::{ScimCommand, ScimTokenCommand};

/// Runs a SCIM command.
pub async fn run(core: &Core, tenant: &TenantId, command: ScimCommand) -> anyhow::Result<()> {
    let provider = &core.provider;
    let ScimCommand::Token(command) = command;
    match command {
        ScimTokenCommand::Create { name, json } => {
            let (token, secret) = provider
                .create_provisioning_token(tenant, name, ACTOR)
                .await?;
            if json {
                let out = json!({"token": secret, "id": token.id, "name": token.name});
                println!("{out}");
            } else {
                println!("created provisioning token {} ({})", token.id, token.name);
                println!("token (shown once): {secret}");
            }
        }
        ScimTokenCommand::List { json } => {
            for token in provider.list_provisioning_tokens(tenant).await? {
                if json {
                    let created = sigil_api_types::rfc3339(token.created_at);
                    let out = json!({"id": token.id, "name": token.name, "created_at": created});
                    println!("{out}");
                } else {
                    println!("{}\t{}", token.id, token.name);
                }
            }
        }
        ScimTokenCommand::Delete { id } => {
            provider
                .delete_provisioning_token(tenant, &id, ACTOR)
                .await?;
            println!("deleted provisioning token {id}");
        }
    }
    Ok(())
}
