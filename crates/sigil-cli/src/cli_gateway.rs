//! `sigil import …` and `sigil gateway …`: the command-line surface of access policies.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Subcommand;

/// `sigil import …`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a SiteMinder policy store (an XPSExport file) as gateway applications with Cedar
    /// policies, and print the migration report.
    Siteminder {
        /// The XPSExport XML file.
        export: PathBuf,
        /// A JSON object from agent or agent-group name to the application's base URL.
        #[arg(long)]
        agent_map: Option<PathBuf>,
        /// Print the report without saving anything.
        #[arg(long)]
        dry_run: bool,
        /// Import what translates even when the export names classes Sigil does not know or
        /// objects outside the file.
        #[arg(long)]
        partial: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `sigil gateway …`.
#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// List the gateway's applications.
    Apps {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Decide one request the way the gateway would, and say why.
    Explain {
        /// The application's name.
        #[arg(long)]
        app: String,
        /// The HTTP method.
        #[arg(long)]
        method: String,
        /// The request path (normalised as the gateway normalises it).
        #[arg(long, allow_hyphen_values = true)]
        path: String,
        /// The user's id (`directory:DN` for imported directories); none means signed out.
        #[arg(long)]
        user: Option<String>,
        /// Groups the user is in, comma-separated (or repeated). A group id of an imported
        /// directory is `directory:DN`; the commas inside its DN do not split it.
        #[arg(long)]
        groups: Vec<String>,
        /// A user attribute, `name=value`; repeat for more.
        #[arg(long = "attr")]
        attrs: Vec<String>,
        /// The session's assurance level (default: the lowest level the application asks for,
        /// that of an ordinary sign-in).
        #[arg(long)]
        assurance: Option<u32>,
        /// The client's address.
        #[arg(long, default_value = "127.0.0.1")]
        ip: IpAddr,
        /// When, RFC 3339 (default: now).
        #[arg(long)]
        time: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}
