//! `sigil client …`: the same service calls the management API makes.

use anyhow::Context;
use sigil_api_types::{ClientResource, ClientWithSecret};
use sigil_core::model::LogoutChannels;
use sigil_core::{ClientId, TenantId};
use sigil_oidc::admin::{
    ClientPatch, CreatedClient, MANAGEMENT_SCOPES, MAX_PAGE, NewClient, Precondition,
};

use super::admin::ACTOR;
use crate::app::Core;
use crate::cli::{ClientCommand, ClientCreateArgs};

/// Runs a client command.
pub async fn run(core: &Core, tenant: &TenantId, command: ClientCommand) -> anyhow::Result<()> {
    let provider = &core.provider;
    match command {
        ClientCommand::Create(args) => create_client(core, tenant, *args).await,
        ClientCommand::List { json } => {
            let mut all = Vec::new();
            let mut after = None;
            loop {
                let (page, more) = provider
                    .list_clients(tenant, after.as_ref(), MAX_PAGE)
                    .await?;
                after = page.last().map(|c| c.id.clone());
                all.extend(page);
                if !more {
                    break;
                }
            }
            if json {
                let list: Vec<_> = all.iter().map(ClientResource::from).collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for c in all {
                    let status = if c.disabled { "disabled" } else { "enabled" };
                    println!("{}\t{}\t{status}\t{}", c.id, c.auth_method.as_str(), c.name);
                }
            }
            Ok(())
        }
        ClientCommand::RotateSecret { client_id, json } => {
            let id = client_id_of(&client_id)?;
            let rotated = provider
                .rotate_client_secret(tenant, &id, Precondition::None, ACTOR)
                .await?;
            print_with_secret(rotated, json)
        }
        ClientCommand::SignOnPolicy(command) => super::sign_on::run(core, tenant, command).await,
        ClientCommand::Disable { client_id } => set_disabled(core, tenant, &client_id, true).await,
        ClientCommand::Enable { client_id } => set_disabled(core, tenant, &client_id, false).await,
        ClientCommand::Delete { client_id } => {
            let id = client_id_of(&client_id)?;
            provider
                .delete_client(tenant, &id, Precondition::None, ACTOR)
                .await?;
            println!("deleted client {id}");
            Ok(())
        }
    }
}

/// `sigil client disable | enable`.
async fn set_disabled(
    core: &Core,
    tenant: &TenantId,
    client_id: &str,
    disabled: bool,
) -> anyhow::Result<()> {
    let patch = ClientPatch {
        disabled: Some(disabled),
        ..ClientPatch::default()
    };
    let id = client_id_of(client_id)?;
    core.provider
        .update_client(tenant, &id, patch, Precondition::None, ACTOR)
        .await?;
    println!(
        "{} client {id}",
        if disabled { "disabled" } else { "enabled" }
    );
    Ok(())
}

fn client_id_of(text: &str) -> anyhow::Result<ClientId> {
    ClientId::parse(text).with_context(|| format!("{text} is not a client id"))
}

/// Prints a client with its secret (shown only now).
fn print_with_secret(created: CreatedClient, json: bool) -> anyhow::Result<()> {
    if json {
        let shown = ClientWithSecret {
            client: ClientResource::from(&created.client),
            client_secret: created.client_secret,
        };
        println!("{}", serde_json::to_string_pretty(&shown)?);
    } else {
        println!("client_id:     {}", created.client_id);
        if let Some(secret) = &created.client_secret {
            println!("client_secret: {secret}");
            println!("(the secret is shown only now; Sigil keeps only its digest)");
        }
    }
    Ok(())
}

async fn create_client(core: &Core, tenant: &TenantId, a: ClientCreateArgs) -> anyhow::Result<()> {
    let jwks = match &a.jwks {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not JSON", path.display()))?,
            )
        }
        None => None,
    };
    let (grant_types, scopes) = if a.admin {
        let scopes = if a.scopes.is_empty() {
            MANAGEMENT_SCOPES
                .iter()
                .map(|(s, _)| (*s).to_owned())
                .collect()
        } else {
            a.scopes
        };
        (vec!["client_credentials".to_owned()], scopes)
    } else {
        (a.grant_types, a.scopes)
    };
    let new = NewClient {
        name: a.name,
        redirect_uris: a.redirect_uris,
        post_logout_redirect_uris: a.post_logout_redirect_uris,
        grant_types,
        scopes,
        resources: a.resources,
        public: a.public,
        token_endpoint_auth_method: a.token_endpoint_auth_method,
        jwks_uri: a.jwks_uri,
        jwks,
        first_party: a.first_party,
        pkce_optional: a.pkce_optional,
        id_token_signed_response_alg: a.id_token_alg,
        logout: LogoutChannels {
            backchannel_uri: a.backchannel_logout_uri,
            backchannel_session_required: false,
            frontchannel_session_required: a.frontchannel_logout_uri.is_some(),
            frontchannel_uri: a.frontchannel_logout_uri,
        },
    };
    let created = core.provider.create_client(tenant, new, ACTOR).await?;
    print_with_secret(created, a.json)
}
