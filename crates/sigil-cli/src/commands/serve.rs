//! `sigil serve`.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::serve::ListenerExt;
use sigil_server::AppState;
use tokio::net::TcpListener;

use crate::app::{Core, spawn_housekeeping};
use crate::config::SigilConfig;

/// Starts Sigil and serves until SIGTERM or Ctrl-C.
pub async fn serve(config: SigilConfig) -> anyhow::Result<()> {
    let started = Instant::now();
    validate_issuer(&config.server.issuer)?;
    let mut core = Core::build(&config).await?;
    let flusher = core.spawn_audit_flusher();
    for tenant in core.provider.store().list_tenants().await? {
        core.provider
            .ensure_keys(&tenant.id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    core.provider.refresh_caches().await?;
    let housekeeping = spawn_housekeeping(core.provider.clone());
    let hooks = sigil_server::hooks::spawn_dispatcher(
        core.provider.clone(),
        config.server.outbound.clone(),
    );
    let state = core.app_state(config.server.clone())?;
    let listener = TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("listening on {}", config.server.listen))?;
    tracing::info!(
        listen = %listener.local_addr()?,
        issuer = %config.server.issuer,
        ready_ms = started.elapsed().as_millis() as u64,
        "Sigil is ready"
    );
    let grace = Duration::from_secs(config.server.shutdown_grace);
    run(listener, state, shutdown_signal(), grace).await?;
    housekeeping.abort();
    hooks.abort();
    drop(core);
    if let Some(f) = flusher {
        let _ = tokio::time::timeout(Duration::from_secs(5), f).await;
    }
    tracing::info!("Sigil stopped");
    Ok(())
}

fn validate_issuer(issuer: &str) -> anyhow::Result<()> {
    let url = url_parse(issuer)?;
    anyhow::ensure!(
        url.0 == "https" || url.0 == "http",
        "issuer must be an http(s) URL, got {issuer:?}"
    );
    anyhow::ensure!(
        !issuer.contains('?') && !issuer.contains('#'),
        "issuer must have no query or fragment"
    );
    if url.0 == "http" && !matches!(url.1.as_str(), "localhost" | "127.0.0.1" | "[::1]") {
        tracing::warn!(
            issuer,
            "the issuer is plain http on a non-loopback host: cookies are not Secure; use https in production"
        );
    }
    Ok(())
}

fn url_parse(issuer: &str) -> anyhow::Result<(String, String)> {
    let (scheme, rest) = issuer
        .split_once("://")
        .context("issuer must be an absolute URL")?;
    let host = rest.split(['/', ':']).next().unwrap_or("").to_owned();
    anyhow::ensure!(!host.is_empty(), "issuer has no host");
    Ok((scheme.to_owned(), host))
}

/// Serves `state` on `listener` until `shutdown` completes, then lets in-flight requests finish
/// for at most `grace`.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> anyhow::Result<()> {
    let app = sigil_server::router(state).into_make_service_with_connect_info::<SocketAddr>();
    // Responses are written whole; Nagle's algorithm would only delay them.
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: no new connections, finishing requests in flight");
        let _ = stopping_tx.send(());
    });
    tokio::select! {
        result = server => result.context("server error"),
        _ = async {
            let _ = stopping_rx.await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!("grace period over; exiting with requests still in flight");
            Ok(())
        }
    }
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
