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
        /// Accept its requests signed with SHA-1 or RSA keys under 2048 bits (an old SP that
        /// cannot do better; each such request is logged).
        #[arg(long)]
        allow_legacy_algorithms: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Register (or replace) a service provider by hand, without its metadata.
    Add(Box<AddSpArgs>),
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

/// `sigil saml sp add`: what an SP's metadata would say, given on the command line.
#[derive(Debug, clap::Args)]
pub struct AddSpArgs {
    /// Its name here: lowercase letters, digits and hyphens.
    #[arg(long)]
    pub name: String,
    /// Its entity id (the audience of its assertions).
    #[arg(long)]
    pub entity_id: String,
    /// An assertion consumer service (HTTP-POST); the first is the default (repeatable).
    #[arg(long = "acs", required = true)]
    pub acs: Vec<String>,
    /// Its single logout service (HTTP-Redirect).
    #[arg(long)]
    pub slo: Option<String>,
    /// A certificate it signs requests with: a PEM file, or one of base64 DER (repeatable).
    #[arg(long = "signing-certificate")]
    pub signing_certificates: Vec<PathBuf>,
    /// A certificate to encrypt its assertions to (PEM or base64 DER file).
    #[arg(long = "encryption-certificate")]
    pub encryption_certificates: Vec<PathBuf>,
    /// A NameID format it accepts, most preferred first (repeatable).
    #[arg(long = "name-id-format")]
    pub name_id_formats: Vec<String>,
    /// It signs its AuthnRequests (unsigned ones are then refused).
    #[arg(long)]
    pub requests_signed: bool,
    /// A JSON object from SAML attribute name to user field, as for `import`.
    #[arg(long)]
    pub attribute_map: Option<PathBuf>,
    /// Encrypt its assertions to its encryption certificate.
    #[arg(long)]
    pub encrypt_assertions: bool,
    /// Accept its requests signed with SHA-1 or RSA keys under 2048 bits (logged).
    #[arg(long)]
    pub allow_legacy_algorithms: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}
