//! `sigil idp …`: the external identity providers users may sign in through.

use clap::{Args, Subcommand};

/// `sigil idp …`.
#[derive(Debug, Subcommand)]
pub enum IdpCommand {
    /// Add (or replace) an external identity provider.
    #[command(subcommand)]
    Add(AddIdp),
    /// List the providers.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one provider.
    Show {
        /// Its name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a provider and every account link to it.
    Remove {
        /// Its name.
        name: String,
    },
}

/// The kinds of provider.
#[derive(Debug, Subcommand)]
pub enum AddIdp {
    /// An OpenID provider (authorization code flow with PKCE).
    Oidc(Box<AddOidcArgs>),
    /// A SAML 2.0 identity provider (Web Browser SSO; Sigil is its service provider).
    Saml(Box<AddSamlArgs>),
}

/// What every kind of provider is given.
#[derive(Debug, Args)]
pub struct ProviderArgs {
    /// The provider's name here: lowercase letters, digits and hyphens
    /// (`/login/idp/{name}`, `idp_hint={name}`).
    #[arg(long)]
    pub name: String,
    /// What the sign-in page calls it (default: the name).
    #[arg(long)]
    pub display_name: Option<String>,
    /// An e-mail domain whose users sign in at this provider (repeatable).
    #[arg(long = "domain")]
    pub domains: Vec<String>,
    /// FIELD=CLAIM: which claim (for SAML: which attribute) fills an account field
    /// (username, email, name, groups).
    #[arg(long = "claim")]
    pub claims: Vec<String>,
    /// EXTERNAL=LOCAL: a group at the provider that makes its members members of a local
    /// group (repeatable); only mapped groups are ever changed.
    #[arg(long = "group")]
    pub groups: Vec<String>,
    /// Only let in identities linked to an account already (no just-in-time accounts).
    #[arg(long)]
    pub link_only: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `sigil idp add oidc`.
#[derive(Debug, Args)]
pub struct AddOidcArgs {
    /// Name, domains, mappings.
    #[command(flatten)]
    pub common: ProviderArgs,
    /// The provider's discovery URL (`https://idp.example/.well-known/openid-configuration`)
    /// or its issuer.
    #[arg(long)]
    pub discovery_url: String,
    /// Sigil's client id at the provider.
    #[arg(long)]
    pub client_id: String,
    /// Read Sigil's client secret at the provider from stdin (without it, Sigil is a public
    /// client there and relies on PKCE alone).
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// A scope to ask for (repeatable; default `openid email profile`).
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
}

/// `sigil idp add saml`.
#[derive(Debug, Args)]
pub struct AddSamlArgs {
    /// Name, domains, mappings (attributes by default: username `uid`, email `mail`, name
    /// `displayName`, groups `groups`).
    #[command(flatten)]
    pub common: ProviderArgs,
    /// The IdP's metadata: a file, or an http(s) URL to fetch it from.
    #[arg(long)]
    pub metadata: String,
    /// Accept this IdP's SHA-1 signatures and RSA keys under 2048 bits (each use is logged).
    #[arg(long)]
    pub allow_legacy_algorithms: bool,
}
