//! Command implementations.

mod admin;
mod clients;
mod credentials;
mod gateway;
pub mod gateway_serve;
mod groups;
mod idp;
mod saml;
mod scim;
pub mod serve;
mod sign_on;
mod users;
mod verifier;
mod wallet;

use std::time::Duration;

use sigil_store_sql::PgSettings;

use crate::cli::{Cli, Command, StoreCommand};
use crate::config::{LogConfig, SigilConfig};

/// Loads configuration with the command line on top, and runs the command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = SigilConfig::load(cli.config.as_deref())?;
    if let Some(dir) = cli.data_dir {
        config.database.data_dir = dir;
    }
    if let Some(url) = cli.database_url {
        config.database.url = Some(url);
    }
    let tenant = sigil_core::TenantId::parse(&cli.tenant)?;
    match cli.command {
        Command::Store(StoreCommand::Copy { from, to, force }) => {
            crate::logging::init(&LogConfig {
                filter: "warn".into(),
                ..config.log.clone()
            });
            copy_store(&config, &from, &to, force).await
        }
        Command::Store(StoreCommand::Seed {
            users,
            clients,
            refresh_tokens,
        }) => {
            // Generating millions of rows is slow by design; sqlx's slow-statement warnings are noise.
            crate::logging::init(&LogConfig {
                filter: "error".into(),
                ..config.log.clone()
            });
            seed_store(
                &config,
                sigil_store_sql::seed::SeedCounts {
                    users,
                    clients,
                    refresh_tokens,
                },
            )
            .await
        }
        Command::Wallet(args) => {
            crate::logging::init(&LogConfig {
                filter: "warn".into(),
                ..config.log.clone()
            });
            wallet::run(args).await
        }
        Command::Gateway(crate::cli_gateway::GatewayCommand::Serve(args)) => {
            crate::logging::init(&config.log);
            gateway_serve::serve(config, &tenant, *args).await
        }
        Command::Serve(args) => {
            if let Some(listen) = args.listen {
                config.server.listen = listen;
            }
            if let Some(issuer) = args.issuer {
                config.server.issuer = issuer;
            }
            if let Some(url) = args.rate_limit_redis {
                config.server.rate_limits.redis_url = Some(url);
            }
            crate::logging::init(&config.log);
            serve::serve(config).await
        }
        command => {
            // Administrative commands print their result; logs only for warnings.
            let mut quiet = config.log.clone();
            quiet.filter = "warn".into();
            crate::logging::init(&quiet);
            admin::run(config, tenant, command).await
        }
    }
}

/// `sigil store copy`.
async fn copy_store(config: &SigilConfig, from: &str, to: &str, force: bool) -> anyhow::Result<()> {
    anyhow::ensure!(
        from.starts_with("sqlite:"),
        "--from must be a sqlite:// URL"
    );
    anyhow::ensure!(
        to.starts_with("postgres://") || to.starts_with("postgresql://"),
        "--to must be a postgres:// URL"
    );
    let settings = PgSettings {
        max_connections: 2,
        statement_timeout: Duration::from_secs(config.database.statement_timeout.max(600)),
        ..PgSettings::default()
    };
    let report = sigil_store_sql::copy::sqlite_to_postgres(from, to, force, &settings).await?;
    for (table, rows) in &report.tables {
        println!("{table:<24} {rows:>10} rows");
    }
    println!(
        "copied and verified. Give every PostgreSQL node the master key of the source deployment"
    );
    println!(
        "(its data directory's master.key) as secrets.master_key_file: the signing keys are encrypted with it."
    );
    Ok(())
}

/// `sigil store seed`.
async fn seed_store(
    config: &SigilConfig,
    counts: sigil_store_sql::seed::SeedCounts,
) -> anyhow::Result<()> {
    let url = config
        .database
        .url
        .as_deref()
        .filter(|_| config.database.is_postgres());
    let url = url.ok_or_else(|| {
        anyhow::anyhow!("seeding needs a PostgreSQL store (--database-url postgres://…)")
    })?;
    let settings = PgSettings {
        max_connections: 2,
        statement_timeout: Duration::from_secs(3600),
        ..PgSettings::default()
    };
    let store = sigil_store_sql::PgStore::connect(url, &settings).await?;
    let passwords = sigil_oidc::passwords::Passwords::new(&config.passwords)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = passwords
        .hash("seed passphrase".into())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = std::time::Instant::now();
    let now = sigil_core::Clock::now(&sigil_core::SystemClock);
    sigil_store_sql::seed::seed(&store, counts, &hash, now).await?;
    println!(
        "seeded {} users, {} clients, {} refresh tokens in {:.1} s",
        counts.users,
        counts.clients,
        counts.refresh_tokens,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
