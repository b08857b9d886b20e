//! Administrative commands, run against the same store a server may be serving: changes reach
//! running servers within a second (the store's change epoch).

use std::io::BufRead;
use std::time::Duration;

use anyhow::Context;
use sigil_core::TenantId;
use sigil_core::model::SigningAlg;
use sigil_oidc::admin::{MAX_PAGE, NewUser};
use sigil_store::AuditQuery;

use sigil_api_types::UserResource;

use super::{clients, credentials, gateway, groups, scim, users, verifier};
use crate::app::Core;
use crate::cli::{AuditCommand, Command, KeysCommand, TenantCommand, UserCommand};
use crate::config::SigilConfig;

/// The actor the command line's changes are audited as.
pub(crate) const ACTOR: &str = "cli";

/// Runs an administrative command.
pub async fn run(config: SigilConfig, tenant: TenantId, command: Command) -> anyhow::Result<()> {
    let mut core = Core::build(&config).await?;
    let flusher = core.spawn_audit_flusher();
    let result = dispatch(&core, &tenant, command).await;
    drop(core);
    if let Some(f) = flusher {
        let _ = tokio::time::timeout(Duration::from_secs(5), f).await;
    }
    result
}

async fn dispatch(core: &Core, tenant: &TenantId, command: Command) -> anyhow::Result<()> {
    let tenant_scoped = matches!(
        command,
        Command::User(_)
            | Command::Group(_)
            | Command::Client(_)
            | Command::Keys(_)
            | Command::Audit(_)
            | Command::Scim(_)
            | Command::Credentials(_)
            | Command::Verifier(_)
            | Command::Import(_)
            | Command::Gateway(_)
            | Command::Idp(_)
            | Command::Saml(_)
    );
    if tenant_scoped && core.provider.tenant(tenant).await?.is_none() {
        anyhow::bail!("tenant {tenant} does not exist (sigil tenant list)");
    }
    match command {
        Command::Migrate => {
            println!("migrations applied");
            Ok(())
        }
        Command::User(UserCommand::Create {
            username,
            password_stdin,
            email,
            email_verified,
            name,
            json,
        }) => {
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let new = NewUser {
                username,
                password,
                email,
                email_verified,
                name,
                ..NewUser::default()
            };
            let user = core.provider.create_user(tenant, new, ACTOR).await?;
            print_user(&user, json, "created")
        }
        Command::User(command) => users::run(core, tenant, command).await,
        Command::Group(command) => groups::run(core, tenant, command).await,
        Command::Scim(command) => scim::run(core, tenant, command).await,
        Command::Credentials(command) => credentials::run(core, tenant, command).await,
        Command::Verifier(command) => verifier::run(core, tenant, command).await,
        Command::Import(command) => gateway::import(core, tenant, command).await,
        Command::Gateway(command) => gateway::run(core, tenant, command).await,
        Command::Idp(command) => super::idp::run(core, tenant, command).await,
        Command::Saml(command) => super::saml::run(core, tenant, command).await,
        Command::Client(command) => clients::run(core, tenant, command).await,
        Command::Keys(KeysCommand::List { json }) => {
            let keys = core
                .provider
                .list_keys(tenant)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            print_keys(&keys, json)
        }
        Command::Keys(KeysCommand::Rotate {
            alg,
            activate_after,
            json,
        }) => {
            let algs = alg
                .iter()
                .map(|a| {
                    SigningAlg::parse(a)
                        .with_context(|| format!("unknown algorithm {a} (RS256, ES256, EdDSA)"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let keys = core
                .provider
                .rotate_keys(
                    tenant,
                    &algs,
                    activate_after.map(Duration::from_secs),
                    ACTOR,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            print_keys(&keys, json)
        }
        Command::Tenant(TenantCommand::Create { id, name }) => {
            let display = name.unwrap_or_else(|| id.clone());
            let t = core.provider.create_tenant(&id, &display, ACTOR).await?;
            println!(
                "created tenant {} (issuer {})",
                t.id,
                core.provider.tenant_ctx(&t.id).issuer
            );
            Ok(())
        }
        Command::Tenant(TenantCommand::List) => {
            for t in core.provider.list_tenants().await? {
                println!(
                    "{}\t{}\t{}",
                    t.id,
                    core.provider.tenant_ctx(&t.id).issuer,
                    t.display_name
                );
            }
            Ok(())
        }
        Command::Audit(AuditCommand::List { limit, json }) => {
            let mut events = Vec::new();
            let mut query = AuditQuery::latest(limit.clamp(1, MAX_PAGE));
            while events.len() < limit as usize {
                let (page, more) = core.provider.list_audit(tenant, query.clone()).await?;
                query.before = page.last().map(|r| r.seq);
                events.extend(page.into_iter().map(|r| r.event));
                if !more {
                    break;
                }
            }
            events.truncate(limit as usize);
            for e in events {
                if json {
                    println!("{}", serde_json::to_string(&e)?);
                } else {
                    let who = e
                        .user_id
                        .as_ref()
                        .map(|u| format!(" user={u}"))
                        .unwrap_or_default();
                    let client = e
                        .client_id
                        .as_ref()
                        .map(|c| format!(" client={c}"))
                        .unwrap_or_default();
                    println!(
                        "{}\t{}\t{}{who}{client}\t{}",
                        e.at,
                        e.kind.as_str(),
                        e.actor,
                        e.details
                    );
                }
            }
            Ok(())
        }
        Command::Serve(_) | Command::Store(_) | Command::Wallet(_) => {
            unreachable!("serve is dispatched before admin commands")
        }
    }
}

/// Prints a user as the management API shows it (JSON) or as one line.
pub(crate) fn print_user(
    user: &sigil_core::model::User,
    json: bool,
    verb: &str,
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(&UserResource::from(user))?);
    } else {
        println!("{verb} user {} (id {})", user.username, user.id);
    }
    Ok(())
}

/// Reads a password from the first line of standard input.
pub(crate) fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on stdin");
    Ok(password)
}

fn print_keys(keys: &[sigil_oidc::keys::KeySummary], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(keys)?);
    } else {
        println!(
            "{:<44} {:<6} {:<8} {:>12} {:>12}",
            "kid", "alg", "state", "activates", "published_to"
        );
        for k in keys {
            let until = k
                .publish_until
                .map_or_else(|| "-".to_owned(), |t| t.to_string());
            println!(
                "{:<44} {:<6} {:<8} {:>12} {:>12}",
                k.kid, k.alg, k.state, k.activates_at, until
            );
        }
    }
    Ok(())
}
