//! `sigil import …` and `sigil gateway …`: the command-line surface of access policies.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::{Args, Subcommand};

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
    /// Run the identity-aware reverse proxy in front of one application.
    Serve(Box<GatewayServeArgs>),
    /// List the gateway's applications.
    Apps {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Decide one request the way the gateway would, and say why.
    Explain(Box<ExplainArgs>),
}

/// `sigil gateway explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The application's name.
    #[arg(long)]
    pub app: String,
    /// The HTTP method.
    #[arg(long)]
    pub method: String,
    /// The request path (normalised as the gateway normalises it).
    #[arg(long, allow_hyphen_values = true)]
    pub path: String,
    /// The user's id (`directory:DN` for imported directories); none means signed out.
    #[arg(long)]
    pub user: Option<String>,
    /// Or the id of a client calling with its own client-credentials token.
    #[arg(long, conflicts_with_all = ["user", "groups", "attrs"])]
    pub client: Option<String>,
    /// Groups the user is in, comma-separated (or repeated). A group id of an imported
    /// directory is `directory:DN`; the commas inside its DN do not split it.
    #[arg(long)]
    pub groups: Vec<String>,
    /// A user attribute, `name=value`; repeat for more.
    #[arg(long = "attr")]
    pub attrs: Vec<String>,
    /// The session's assurance level (default: the lowest level the application asks for,
    /// that of an ordinary sign-in).
    #[arg(long)]
    pub assurance: Option<u32>,
    /// The client's address.
    #[arg(long, default_value = "127.0.0.1")]
    pub ip: IpAddr,
    /// When, RFC 3339 (default: now).
    #[arg(long)]
    pub time: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `sigil gateway serve`.
#[derive(Debug, Args)]
pub struct GatewayServeArgs {
    /// The application to protect (as `sigil gateway apps` lists it).
    #[arg(long)]
    pub app: String,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub listen: SocketAddr,
    /// The gateway's public base URL (default `http://` + the listen address); its redirect
    /// URI at Sigil is this plus `/.sigil/callback`.
    #[arg(long)]
    pub public_url: Option<String>,
    /// Sigil's issuer (default: the configured issuer).
    #[arg(long)]
    pub issuer: Option<String>,
    /// The gateway's client id at Sigil (`sigil client create --redirect-uri PUBLIC/.sigil/callback`).
    #[arg(long)]
    pub client_id: String,
    /// Read the client secret from the first line of standard input.
    #[arg(long, conflicts_with = "client_secret_file")]
    pub client_secret_stdin: bool,
    /// Read the client secret from this file. Without either, the client is public.
    #[arg(long)]
    pub client_secret_file: Option<PathBuf>,
    /// Forward to this URL instead of the application's own upstream.
    #[arg(long)]
    pub upstream: Option<String>,
    /// Qualify users and groups with this directory (`directory:login`) unless a user's
    /// `directory` attribute names another.
    #[arg(long)]
    pub directory: Option<String>,
    /// The assurance level of a sign-in method, `ACR=LEVEL`; repeat for more.
    #[arg(long = "assurance", value_name = "ACR=LEVEL")]
    pub assurance: Vec<String>,
    /// Longest life of a gateway session, seconds.
    #[arg(long, default_value_t = 8 * 3600)]
    pub session_lifetime: u64,
}

/// `sigil client sign-on-policy …`.
#[derive(Debug, Subcommand)]
pub enum SignOnCommand {
    /// Save a client's sign-on policy (validated first; each save is a new version).
    Set {
        /// The client's id.
        #[arg(allow_hyphen_values = true)]
        client_id: String,
        /// A file of Cedar policies over `Sigil::Action::"SignIn"`, each with an `@id`.
        #[arg(long)]
        policies: PathBuf,
        /// The assurance level a sign-in needs.
        #[arg(long, default_value_t = 0)]
        assurance: u32,
        /// The level of a way of signing in, `ACR=LEVEL`; repeat for more (default: password
        /// 1, verifiable credential 2).
        #[arg(long = "level", value_name = "ACR=LEVEL")]
        levels: Vec<String>,
        /// A user attribute the policies read; repeat for more.
        #[arg(long = "user-attribute")]
        user_attributes: Vec<String>,
        /// Name users and groups in this directory (`directory:name`).
        #[arg(long)]
        directory: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a client's sign-on policy.
    Show {
        /// The client's id.
        #[arg(allow_hyphen_values = true)]
        client_id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a client's sign-on policy (anyone may sign in again).
    Delete {
        /// The client's id.
        #[arg(allow_hyphen_values = true)]
        client_id: String,
    },
    /// Decide one sign-in with the policy, and say why.
    Explain {
        /// The client's id.
        #[arg(allow_hyphen_values = true)]
        client_id: String,
        /// The user's username or id.
        #[arg(long)]
        user: String,
        /// How they signed in (default: a password sign-in).
        #[arg(long)]
        acr: Option<String>,
        /// The client's address.
        #[arg(long)]
        ip: Option<IpAddr>,
        /// When, RFC 3339 (default: now).
        #[arg(long)]
        time: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::Cli;

    #[test]
    fn client_ids_may_begin_with_a_hyphen() {
        // Client ids are random base64url: one in 64 begins with `-`.
        for args in [
            &[
                "sigil",
                "client",
                "sign-on-policy",
                "show",
                "-MrzqyzcqrIzDi9u69co0Q",
            ][..],
            &["sigil", "client", "disable", "-abc"][..],
        ] {
            assert!(Cli::try_parse_from(args).is_ok(), "{args:?}");
        }
    }
}
