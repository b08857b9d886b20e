//! `sigil group …`: the same service calls the management API makes.

use sigil_api_types::{GroupResource, UserResource};
use sigil_core::TenantId;
use sigil_core::model::User;
use sigil_oidc::admin::{MAX_PAGE, Precondition};

use super::admin::ACTOR;
use crate::app::Core;
use crate::cli::GroupCommand;

/// Runs a group command.
pub async fn run(core: &Core, tenant: &TenantId, command: GroupCommand) -> anyhow::Result<()> {
    let provider = &core.provider;
    match command {
        GroupCommand::Create {
            name,
            description,
            json,
        } => {
            let group = provider
                .create_group(tenant, name, description, ACTOR)
                .await?;
            if json {
                println!("{}", serde_json::to_string(&GroupResource::from(&group))?);
            } else {
                println!("created group {} (id {})", group.name, group.id);
            }
            Ok(())
        }
        GroupCommand::List { prefix, json } => {
            let mut after: Option<String> = None;
            loop {
                let (page, more) = provider
                    .list_groups(tenant, prefix.as_deref(), after.as_deref(), MAX_PAGE)
                    .await?;
                for group in &page {
                    if json {
                        println!("{}", serde_json::to_string(&GroupResource::from(group))?);
                    } else {
                        println!("{}\t{}", group.id, group.name);
                    }
                }
                after = page.last().map(|g| g.name.clone());
                if !more {
                    return Ok(());
                }
            }
        }
        GroupCommand::Delete { group } => {
            let group = provider.find_group(tenant, &group).await?;
            provider
                .delete_group(tenant, &group.id, Precondition::None, ACTOR)
                .await?;
            println!("deleted group {}", group.name);
            Ok(())
        }
        GroupCommand::AddMember { group, user } => {
            let group = provider.find_group(tenant, &group).await?;
            let user = provider.find_user(tenant, &user).await?;
            let (_, added) = provider
                .add_member(tenant, &group.id, &user.id, ACTOR)
                .await?;
            let verb = if added { "added" } else { "already in" };
            println!("{} {verb} {}", user.username, group.name);
            Ok(())
        }
        GroupCommand::RemoveMember { group, user } => {
            let group = provider.find_group(tenant, &group).await?;
            let user = provider.find_user(tenant, &user).await?;
            provider
                .remove_member(tenant, &group.id, &user.id, ACTOR)
                .await?;
            println!("removed {} from {}", user.username, group.name);
            Ok(())
        }
        GroupCommand::Members { group, json } => {
            let group = provider.find_group(tenant, &group).await?;
            let mut after = None;
            loop {
                let (page, more) = provider
                    .list_members(tenant, &group.id, after.as_ref(), MAX_PAGE)
                    .await?;
                for user in &page {
                    print_member(user, json)?;
                }
                after = page.last().map(|u| u.id.clone());
                if !more {
                    return Ok(());
                }
            }
        }
    }
}

fn print_member(user: &User, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(&UserResource::from(user))?);
    } else {
        println!("{}\t{}", user.id, user.username);
    }
    Ok(())
}
