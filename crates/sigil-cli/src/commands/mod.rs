//! Command implementations.

mod admin;
pub mod serve;

use crate::cli::{Cli, Command};
use crate::config::SigilConfig;

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
