//! `sigil import siteminder` and `sigil gateway apps|explain`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use sigil_core::TenantId;
use sigil_oidc::access::DryRun;
use sigil_policy::Decision;
use sigil_policy::siteminder::xps::Limits;
use sigil_policy::siteminder::{ImportOptions, import as import_export};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::admin::ACTOR;
use crate::app::Core;
use crate::cli_gateway::{ExplainArgs, GatewayCommand, ImportCommand};

/// Runs `sigil import …`.
pub async fn import(core: &Core, tenant: &TenantId, command: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Siteminder {
        export,
        agent_map,
        dry_run,
        partial,
        json,
    } = command;
    let limits = Limits::default();
    let text = read_limited(&export, limits.max_bytes)?;
    let options = ImportOptions {
        agent_map: match agent_map {
            Some(path) => read_agent_map(&path)?,
            None => BTreeMap::new(),
        },
        limits,
    };
    let result = import_export(&text, &options)
        .with_context(|| format!("{} cannot be imported", export.display()))?;
    let report = &result.report;
    let refused = !report.complete && !partial;
    let save = !dry_run && !refused;
    let provider = &core.provider;
    let saved = if save {
        provider
            .save_access_apps(&provider.tenant_ctx(tenant), ACTOR, &result.applications)
            .await?
    } else {
        Vec::new()
    };
    if json {
        let mut out = serde_json::to_value(report)?;
        out["imported"] = serde_json::Value::Bool(save);
        out["applications"] = saved
            .iter()
            .map(|a| serde_json::json!({"name": a.name, "version": a.version}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", report.to_text());
        for app in &saved {
            println!("imported {} (version {})", app.name, app.version);
        }
        if dry_run {
            println!("dry run: nothing was saved");
        }
    }
    if refused {
        bail!(
            "the export names classes Sigil does not know or objects outside it (see the report); \
             nothing was imported. --partial imports what translates"
        );
    }
    Ok(())
}

/// Reads a file, refusing one larger than `limit` before reading it.
fn read_limited(path: &Path, limit: usize) -> anyhow::Result<String> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > limit as u64 {
        bail!(
            "{} is {} MiB; exports larger than {} MiB are refused",
            path.display(),
            size / (1024 * 1024),
            limit / (1024 * 1024)
        );
    }
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {} as UTF-8", path.display()))
}

fn read_agent_map(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let map: BTreeMap<String, String> = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} must be a JSON object from agent name to base URL",
            path.display()
        )
    })?;
    for (agent, url) in &map {
        let parsed =
            url::Url::parse(url).with_context(|| format!("agent {agent}: {url:?} is not a URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            bail!("agent {agent}: {url:?} is not an http(s) URL");
        }
    }
    Ok(map)
}

/// Runs `sigil gateway …`.
pub async fn run(core: &Core, tenant: &TenantId, command: GatewayCommand) -> anyhow::Result<()> {
    let provider = &core.provider;
    let t = provider.tenant_ctx(tenant);
    match command {
        // Dispatched before the store is opened for administration: it runs a server.
        GatewayCommand::Serve(_) => bail!("sigil gateway serve is started on its own"),
        GatewayCommand::Apps { json } => {
            for app in provider.access_apps(&t).await? {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"name": app.name, "version": app.version, "application": app.document})
                    );
                } else {
                    let upstream = app.document["upstream"]
                        .as_str()
                        .unwrap_or("(no upstream yet)");
                    println!("{:<28} v{:<4} {upstream}", app.name, app.version);
                }
            }
            Ok(())
        }
        GatewayCommand::Explain(args) => {
            let ExplainArgs {
                app,
                method,
                path,
                user,
                client,
                groups,
                attrs,
                assurance,
                ip,
                time,
                json,
            } = *args;
            let mut attributes = BTreeMap::new();
            for attr in &attrs {
                let (k, v) = attr
                    .split_once('=')
                    .with_context(|| format!("--attr {attr:?} must be name=value"))?;
                attributes.insert(k.to_owned(), v.to_owned());
            }
            let run = DryRun {
                method,
                path,
                user,
                client,
                groups: groups.iter().flat_map(|g| split_groups(g)).collect(),
                attributes,
                assurance,
                ip,
                time: match time {
                    Some(t) => {
                        OffsetDateTime::parse(&t, &Rfc3339).context("--time must be RFC 3339")?
                    }
                    None => OffsetDateTime::now_utc(),
                },
            };
            let decision = provider.dry_run(&t, &app, run).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&decision)?);
            } else {
                print_decision(&decision);
            }
            Ok(())
        }
    }
}

/// Splits a comma-separated group list where a new item starts only with a `directory:`
/// prefix, so `dir:cn=a,ou=g,dir:cn=b` is two groups, not four.
fn split_groups(list: &str) -> Vec<String> {
    let mut groups: Vec<String> = Vec::new();
    for part in list.split(',') {
        let starts_item = part
            .split_once(':')
            .is_some_and(|(prefix, _)| !prefix.contains('='));
        match groups.last_mut() {
            Some(last) if !starts_item => {
                last.push(',');
                last.push_str(part);
            }
            _ => groups.push(part.to_owned()),
        }
    }
    groups.retain(|g| !g.trim().is_empty());
    groups
}

fn print_decision(d: &Decision) {
    let outcome = serde_json::to_value(d.decision).unwrap_or_default();
    println!("{}: {}", outcome.as_str().unwrap_or("?"), d.reason);
    if let Some(level) = d.required_assurance {
        println!("  needs assurance {level}");
    }
    if let Some(url) = &d.redirect {
        println!("  redirect to {url}");
    }
    for m in &d.matched {
        println!("  {:<7} {}", m.kind, m.id);
    }
    for (name, value) in &d.headers {
        println!("  header  {name}: {value}");
    }
    for (name, value) in &d.cookies {
        println!("  cookie  {name}={value}");
    }
}

#[cfg(test)]
mod tests {
    use super::split_groups;

    #[test]
    fn group_lists_keep_their_dns_whole() {
        assert_eq!(
            split_groups("corp:cn=a,ou=g,dc=x,corp:cn=b,dc=x,admins"),
            ["corp:cn=a,ou=g,dc=x", "corp:cn=b,dc=x,admins"]
        );
        assert_eq!(split_groups("a,b"), ["a,b"]);
        assert_eq!(split_groups("x:a,y:b"), ["x:a", "y:b"]);
    }
}
