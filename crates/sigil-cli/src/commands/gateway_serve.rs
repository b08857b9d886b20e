//! `sigil gateway serve`: the identity-aware proxy for one application, on the same store
//! and master key as the Sigil it signs users in through.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sigil_core::TenantId;
use sigil_gateway::{Gateway, GatewaySettings};
use tokio::net::TcpListener;

use super::admin::read_password;
use crate::app::Core;
use crate::cli_gateway::GatewayServeArgs;
use crate::config::SigilConfig;

/// Turns the command line into gateway settings (reading the secret it points to).
pub fn settings(
    config: &SigilConfig,
    tenant: &TenantId,
    args: GatewayServeArgs,
) -> anyhow::Result<GatewaySettings> {
    let client_secret = if args.client_secret_stdin {
        Some(read_password().context("reading the client secret")?)
    } else if let Some(path) = &args.client_secret_file {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Some(text.trim().to_owned())
    } else {
        None
    };
    let mut assurance = BTreeMap::new();
    for pair in &args.assurance {
        let (acr, level) = pair
            .split_once('=')
            .with_context(|| format!("--assurance {pair:?}: expected ACR=LEVEL"))?;
        let level: u32 = level
            .trim()
            .parse()
            .with_context(|| format!("--assurance {pair:?}: the level is not a whole number"))?;
        assurance.insert(acr.trim().to_owned(), level);
    }
    Ok(GatewaySettings {
        tenant: tenant.clone(),
        app: args.app,
        public_url: args
            .public_url
            .unwrap_or_else(|| format!("http://{}", args.listen)),
        issuer: args.issuer.unwrap_or_else(|| config.server.issuer.clone()),
        client_id: args.client_id,
        client_secret,
        upstream: args.upstream,
        directory: args.directory,
        assurance,
        session_lifetime: Duration::from_secs(args.session_lifetime),
        reload_every: Duration::from_secs(10),
    })
}

/// Runs the gateway until SIGTERM or Ctrl-C.
pub async fn serve(
    config: SigilConfig,
    tenant: &TenantId,
    args: GatewayServeArgs,
) -> anyhow::Result<()> {
    let listen = args.listen;
    let settings = settings(&config, tenant, args)?;
    let mut core = Core::build(&config).await?;
    let flusher = core.spawn_audit_flusher();
    let app = settings.app.clone();
    let gateway = Gateway::new(settings, core.provider.clone(), &core.master).await?;
    let reloader = gateway.spawn_reloader();
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    tracing::info!(listen = %listener.local_addr()?, %app, "the gateway is ready");
    Arc::clone(&gateway)
        .serve(listener, super::serve::shutdown_signal())
        .await?;
    reloader.abort();
    drop(gateway);
    drop(core);
    if let Some(f) = flusher {
        let _ = tokio::time::timeout(Duration::from_secs(5), f).await;
    }
    Ok(())
}
