//! `sigil user list | update | set-password | delete`: the same service calls the management
//! API makes, addressed by username or id.

use sigil_core::TenantId;
use sigil_oidc::admin::{Precondition, UserPatch};
use sigil_store::UserQuery;

use super::admin::{ACTOR, print_user, read_password};
use crate::app::Core;
use crate::cli::UserCommand;

/// `Some("")` on the command line clears an optional field.
fn optional(value: Option<String>) -> Option<Option<String>> {
    value.map(|v| (!v.is_empty()).then_some(v))
}

/// Runs a user command other than `create`.
pub async fn run(core: &Core, tenant: &TenantId, command: UserCommand) -> anyhow::Result<()> {
    let provider = &core.provider;
    match command {
        UserCommand::Create { .. } => {
            unreachable!("create is handled with the other admin commands")
        }
        UserCommand::List {
            prefix,
            email,
            limit,
            json,
        } => {
            let query = UserQuery {
                username_prefix: prefix,
                email,
                limit,
                ..UserQuery::default()
            };
            let (users, more) = provider.list_users(tenant, query).await?;
            for user in &users {
                if json {
                    print_user(user, true, "")?;
                } else {
                    let status = if user.disabled { "disabled" } else { "enabled" };
                    let email = user.email.as_deref().unwrap_or("-");
                    println!("{}\t{}\t{email}\t{status}", user.id, user.username);
                }
            }
            if more && !json {
                eprintln!("(more users follow; narrow with --prefix or raise --limit)");
            }
            Ok(())
        }
        UserCommand::Update {
            user,
            username,
            email,
            name,
            disable,
            enable,
            json,
        } => {
            let found = provider.find_user(tenant, &user).await?;
            let patch = UserPatch {
                username,
                email: optional(email),
                name: optional(name),
                disabled: (disable || enable).then_some(disable),
                ..UserPatch::default()
            };
            let updated = provider
                .update_user(tenant, &found.id, patch, Precondition::None, ACTOR)
                .await?;
            print_user(&updated, json, "updated")
        }
        UserCommand::SetPassword { user, .. } => {
            let found = provider.find_user(tenant, &user).await?;
            let password = read_password()?;
            provider
                .set_password(tenant, &found.id, password, ACTOR)
                .await?;
            println!("password set for {}", found.username);
            Ok(())
        }
        UserCommand::Delete { user } => {
            let found = provider.find_user(tenant, &user).await?;
            provider
                .delete_user(tenant, &found.id, Precondition::None, ACTOR)
                .await?;
            println!("deleted user {} (id {})", found.username, found.id);
            Ok(())
        }
    }
}
