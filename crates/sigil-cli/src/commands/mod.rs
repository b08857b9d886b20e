//! Command implementations.

mod admin;
pub mod serve;

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
        Command::Serve(args) => {
            if let Some(listen) = args.listen {
                config.server.listen = listen;
            }
            if let Some(issuer) = args.issuer {
                config.server.issuer = issuer;
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
