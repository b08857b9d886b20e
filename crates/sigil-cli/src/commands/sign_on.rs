//! `sigil client sign-on-policy …`: the same service calls the management API makes.

use std::collections::BTreeMap;

use anyhow::Context;
use sigil_core::TenantId;
use sigil_oidc::sign_on::SignOnTrial;
use sigil_policy::SignOnPolicy;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::admin::ACTOR;
use crate::app::Core;
use crate::cli_gateway::SignOnCommand;

/// Runs a sign-on policy command.
pub async fn run(core: &Core, tenant: &TenantId, command: SignOnCommand) -> anyhow::Result<()> {
    let provider = &core.provider;
    let t = provider.tenant_ctx(tenant);
    match command {
        SignOnCommand::Set {
            client_id,
            policies,
            assurance,
            levels,
            user_attributes,
            directory,
            json,
        } => {
            let policies = std::fs::read_to_string(&policies)
                .with_context(|| format!("reading {}", policies.display()))?;
            let mut parsed = BTreeMap::new();
            for pair in &levels {
                let (acr, level) = pair
                    .split_once('=')
                    .with_context(|| format!("--level {pair:?}: expected ACR=LEVEL"))?;
                let level: u32 = level.trim().parse().with_context(|| {
                    format!("--level {pair:?}: the level is not a whole number")
                })?;
                parsed.insert(acr.trim().to_owned(), level);
            }
            let policy = SignOnPolicy {
                policies,
                assurance,
                levels: parsed,
                user_attributes,
                directory,
            };
            let saved = provider
                .save_sign_on_policy(&t, ACTOR, &client_id, policy)
                .await?;
            if json {
                let out = serde_json::json!({"client_id": saved.name, "version": saved.version});
                println!("{out}");
            } else {
                println!(
                    "saved the sign-on policy of {} as version {}",
                    saved.name, saved.version
                );
            }
            Ok(())
        }
        SignOnCommand::Show { client_id, json } => {
            let Some(record) = provider.sign_on_policy(&t, &client_id).await? else {
                if json {
                    let out =
                        serde_json::json!({"client_id": client_id, "version": 0, "policy": null});
                    println!("{}", serde_json::to_string_pretty(&out)?);
                } else {
                    println!("# {client_id} has no sign-on policy: anyone may sign in");
                }
                return Ok(());
            };
            if json {
                let out = serde_json::json!({
                    "client_id": record.name, "version": record.version, "policy": record.document
                });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                let policy: SignOnPolicy = serde_json::from_value(record.document)?;
                println!(
                    "# {} v{}; assurance needed: {}",
                    record.name, record.version, policy.assurance
                );
                print!("{}", policy.policies);
            }
            Ok(())
        }
        SignOnCommand::Delete { client_id } => {
            provider
                .delete_sign_on_policy(&t, ACTOR, &client_id)
                .await?;
            println!("removed the sign-on policy of {client_id}");
            Ok(())
        }
        SignOnCommand::Explain {
            client_id,
            user,
            acr,
            ip,
            time,
            json,
        } => {
            let time = match time {
                Some(t) => {
                    Some(OffsetDateTime::parse(&t, &Rfc3339).context("--time must be RFC 3339")?)
                }
                None => None,
            };
            let trial = SignOnTrial {
                user,
                acr,
                ip,
                time,
            };
            let decision = provider.try_sign_on(&t, &client_id, trial).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&decision)?);
            } else {
                let outcome = serde_json::to_value(decision.decision)?;
                println!(
                    "{}: {}",
                    outcome.as_str().unwrap_or_default(),
                    decision.reason
                );
                for policy in &decision.policies {
                    println!("  policy {policy}");
                }
            }
            Ok(())
        }
    }
}
