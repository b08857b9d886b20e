//! `sigil saml …`: Sigil as a SAML identity provider.

use std::path::PathBuf;

use clap::Subcommand;

/// `sigil saml …`.
#[derive(Debug, Subcommand)]
pub enum SamlCommand {
    /// Service providers Sigil signs users in to.
    #[command(subcommand)]
    Sp(SpCommand),
    /// Print Sigil's IdP metadata (also at `/saml/metadata`, `?signed=true` for the signed
    /// form).
    Metadata {
        /// Sign it (enveloped XML signature with the key it publishes; valid for 7 days).
        #[arg(long)]
        signed: bool,
    },
}

/// `sigil saml sp …`.
#[derive(Debug, Subcommand)]
pub enum SpCommand {
    /// Register (or replace) a service provider from its metadata XML.
    Import {
        /// The SP's metadata file.
        metadata: PathBuf,
        /// Its name here (default: from its entity id).
        #[arg(long)]
        name: Option<String>,
        /// A JSON object from SAML attribute name to user field (email, name, username,
        /// groups, sub); by default email, name, username and groups under those names.
        #[arg(long)]
        attribute_map: Option<PathBuf>,
        /// Encrypt its assertions (AES-256-GCM, the key RSA-OAEP-wrapped to the encryption
        /// certificate in its metadata).
        #[arg(long)]
        encrypt_assertions: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the service providers.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a service provider.
    Remove {
        /// Its name.
        name: String,
    },
}
