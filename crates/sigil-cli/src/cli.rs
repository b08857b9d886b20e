//! Command-line interface.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Sigil, an OpenID Connect and OAuth 2.1 identity provider.
#[derive(Debug, Parser)]
#[command(name = "sigil", version, about)]
pub struct Cli {
    /// Configuration file (default: ./sigil.toml if it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory of the embedded store.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Tenant to act on.
    #[arg(long, global = true, default_value = "default")]
    pub tenant: String,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage groups and their members.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Read the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage SCIM provisioning.
    #[command(subcommand)]
    Scim(ScimCommand),
    /// Offer verifiable credentials to users, list, suspend, reinstate and revoke them.
    #[command(subcommand)]
    Credentials(CredentialsCommand),
    /// Ask wallets for credentials (OpenID4VP) and read what they presented.
    #[command(subcommand)]
    Verifier(VerifierCommand),
    /// A holder's wallet: receive credentials, list them, present them.
    Wallet(WalletArgs),
    /// Move the data between stores.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Import a legacy policy store (SiteMinder) as gateway applications and policies.
    #[command(subcommand)]
    Import(crate::cli_gateway::ImportCommand),
    /// The identity-aware gateway's applications, and why it decides what it decides.
    #[command(subcommand)]
    Gateway(crate::cli_gateway::GatewayCommand),
    /// External identity providers users sign in through (federation).
    #[command(subcommand)]
    Idp(crate::cli_idp::IdpCommand),
    /// Sigil as a SAML identity provider: its metadata and the service providers it serves.
    #[command(subcommand)]
    Saml(crate::cli_saml::SamlCommand),
}

/// `sigil group …`. Groups are named by name or id, users by username or id.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group.
    Create {
        /// Name, unique ignoring case.
        name: String,
        /// What the group is for.
        #[arg(long)]
        description: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List groups by name.
    List {
        /// Only names starting with this (ignoring case).
        #[arg(long)]
        prefix: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a group (its members stay).
    Delete {
        /// Group name or id.
        #[arg(allow_hyphen_values = true)]
        group: String,
    },
    /// Add a user to a group.
    AddMember {
        /// Group name or id.
        #[arg(allow_hyphen_values = true)]
        group: String,
        /// Username or id.
        #[arg(allow_hyphen_values = true)]
        user: String,
    },
    /// Remove a user from a group.
    RemoveMember {
        /// Group name or id.
        #[arg(allow_hyphen_values = true)]
        group: String,
        /// Username or id.
        #[arg(allow_hyphen_values = true)]
        user: String,
    },
    /// List a group's members.
    Members {
        /// Group name or id.
        #[arg(allow_hyphen_values = true)]
        group: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `sigil scim …`.
#[derive(Debug, Subcommand)]
pub enum ScimCommand {
    /// Manage provisioning tokens: static bearer tokens for HR systems that cannot run an
    /// OAuth client.
    #[command(subcommand)]
    Token(ScimTokenCommand),
}

/// `sigil scim token …`.
#[derive(Debug, Subcommand)]
pub enum ScimTokenCommand {
    /// Create a token; it is printed once and only its digest is kept.
    Create {
        /// What it is for (the HR system it is given to).
        #[arg(long)]
        name: String,
        /// Print JSON (`{"token": …, "id": …, "name": …}`).
        #[arg(long)]
        json: bool,
    },
    /// List the tenant's tokens (never the tokens themselves).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a token: it stops working at once.
    Delete {
        /// The token's id.
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
}

/// `sigil credentials …`.
#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Offer a credential to a user (OpenID4VCI, the pre-authorized code flow unless
    /// `--sign-in`): prints the `openid-credential-offer://` link a wallet accepts.
    Offer {
        /// The credential type (`credential_configuration_id`), e.g. `employee`.
        #[arg(long = "type")]
        type_id: String,
        /// The user's username.
        #[arg(long)]
        user: String,
        /// Require a transaction code, printed here, to be given to the user another way.
        #[arg(long)]
        tx_code: bool,
        /// The wallet redeems the offer by having the user sign in (the authorization code
        /// flow, with the offer's `issuer_state`) rather than with a pre-authorized code.
        #[arg(long, conflicts_with = "tx_code")]
        sign_in: bool,
        /// Print JSON (`{"credential_offer_uri", "tx_code", "credential_id", …}`).
        #[arg(long)]
        json: bool,
    },
    /// List a user's credentials.
    List {
        /// The user's username.
        #[arg(long)]
        user: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Suspend a valid credential (verifiers see it as suspended until it is reinstated).
    Suspend {
        /// The credential's id.
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Reinstate a suspended credential.
    Reinstate {
        /// The credential's id.
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Revoke a credential for good.
    Revoke {
        /// The credential's id.
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Print the tenant's issuer CA certificate (PEM): the trust anchor verifiers add to
    /// accept credentials signed with `[credentials] x5c`.
    IssuerCa,
    /// Replace the tenant's issuer CA with your own: a PEM file with the CA certificate
    /// (then any intermediates above it, not the root) and a PEM file with its PKCS#8 P-256
    /// key, which is sealed at rest.
    ImportIssuerCa {
        /// The certificates (PEM).
        certificates: PathBuf,
        /// The CA's private key (PEM, `PRIVATE KEY`).
        key: PathBuf,
    },
    /// Approve a credential whose type needs approval (pending, or offered ahead of the
    /// wallet's request): the wallet then collects it.
    Approve {
        /// The credential's id.
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Define (or redefine) a credential type from a JSON file (docs/CREDENTIALS.md).
    DefineType {
        /// The type's id (`credential_configuration_id`).
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// The JSON document.
        file: PathBuf,
    },
    /// List the credential types (JSON, one per line).
    Types,
    /// Delete a defined credential type.
    DeleteType {
        /// The type's id.
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
}

/// `sigil verifier …`.
#[derive(Debug, Subcommand)]
pub enum VerifierCommand {
    /// Start a presentation request: prints the `openid4vp://` link a wallet answers.
    Request {
        /// The verifier, e.g. `employee-check`.
        #[arg(long)]
        verifier: String,
        /// `direct_post` (default) or `direct_post.jwt` (the wallet encrypts its response).
        #[arg(long, default_value = "direct_post")]
        response_mode: String,
        /// `x509_hash` (default), `x509_san_dns` or `redirect_uri`.
        #[arg(long, default_value = "x509_hash")]
        client_id_prefix: String,
        /// Print JSON (`{"id", "request_uri", "client_id", "page", "expires_at"}`).
        #[arg(long)]
        json: bool,
    },
    /// Define (or redefine) a verifier from a JSON file (docs/CREDENTIALS.md).
    Define {
        /// The verifier's id.
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// The JSON document.
        file: PathBuf,
    },
    /// List the verifiers (JSON, one per line).
    List,
    /// Delete a defined verifier.
    Delete {
        /// The verifier's id.
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// What became of a request: pending, verified (with the claims asked for) or rejected.
    Result {
        /// The request's id (random ids may begin with `-`).
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// Print JSON (`{"status", "claims", "reason"}`).
        #[arg(long)]
        json: bool,
    },
}

/// `sigil wallet …`.
#[derive(Debug, Args)]
pub struct WalletArgs {
    /// The wallet's directory (its encrypted store and key).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: WalletCommand,
}

/// `sigil wallet --dir DIR …`.
#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Accept a credential offer (`openid-credential-offer://…`) from any issuer.
    Receive {
        /// The offer link.
        offer: String,
        /// The transaction code the issuer gave you another way.
        #[arg(long)]
        tx_code: Option<String>,
        /// For an offer redeemed by signing in: this wallet's client id at the issuer (a
        /// public client with the redirect URI `http://127.0.0.1/callback`).
        #[arg(long)]
        client_id: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Collect credentials an issuer deferred (awaiting its approval): asks once, or until
    /// they all came or `--wait` seconds passed.
    Collect {
        /// Keep asking (at the interval the issuer asks for) for this many seconds.
        #[arg(long, default_value_t = 0)]
        wait: u64,
        /// Print JSON (one line per credential received).
        #[arg(long)]
        json: bool,
    },
    /// List the credentials held, with their claims.
    List {
        /// Print JSON (one credential per line).
        #[arg(long)]
        json: bool,
    },
    /// Answer a presentation request (`openid4vp://…`): shows what would be disclosed to whom
    /// and asks, unless `--yes`.
    Present {
        /// The request link.
        request: String,
        /// Disclose without asking.
        #[arg(long)]
        yes: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Serve the wallet as a web page on this machine (a loopback address); prints the
    /// address to open, which holds a secret.
    Web {
        /// Loopback address to listen on (a free port unless given).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: std::net::SocketAddr,
    },
}

/// `sigil store …`.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Copy a whole embedded deployment (users, clients, keys, sessions, grants, audit trail)
    /// into PostgreSQL, and verify the copy.
    Copy {
        /// The source, `sqlite://PATH/sigil.db`.
        #[arg(long)]
        from: String,
        /// The target, `postgres://…`.
        #[arg(long)]
        to: String,
        /// Replace what the target already holds.
        #[arg(long)]
        force: bool,
    },
    /// Fill the (PostgreSQL) store with synthetic users, clients and refresh tokens for scale
    /// tests. Every seeded user's password is `seed passphrase`; see `sigil_store_sql::seed`.
    Seed {
        /// Users.
        #[arg(long, default_value_t = 1_000_000)]
        users: i64,
        /// Clients.
        #[arg(long, default_value_t = 10_000)]
        clients: i64,
        /// Refresh tokens (five per grant).
        #[arg(long, default_value_t = 5_000_000)]
        refresh_tokens: i64,
    },
}

/// `sigil audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// The newest audit events, newest first.
    List {
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
}

/// `sigil serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Public issuer URL (default http://localhost:8080).
    #[arg(long)]
    pub issuer: Option<String>,
    /// Share rate limits with the other nodes through this Redis (`redis://host:6379`).
    #[arg(long, value_name = "URL")]
    pub rate_limit_redis: Option<String>,
}

/// `sigil user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Create {
        /// Sign-in name.
        username: String,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Mark the e-mail address as verified.
        #[arg(long)]
        email_verified: bool,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Print the user as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List users (the first page; narrow with --prefix or --email).
    List {
        /// Only usernames starting with this.
        #[arg(long)]
        prefix: Option<String>,
        /// Only users with this e-mail address.
        #[arg(long)]
        email: Option<String>,
        /// How many (1 to 200).
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a user's profile or status.
    Update {
        /// Username or id.
        user: String,
        /// New username.
        #[arg(long)]
        username: Option<String>,
        /// New e-mail address ("" removes it).
        #[arg(long)]
        email: Option<String>,
        /// New display name ("" removes it).
        #[arg(long)]
        name: Option<String>,
        /// Disable the user: no sign-in, tokens stop working.
        #[arg(long, conflicts_with = "enable")]
        disable: bool,
        /// Enable a disabled user.
        #[arg(long)]
        enable: bool,
        /// Print the user as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password, read from standard input (one line).
    SetPassword {
        /// Username or id.
        user: String,
        /// Read the password from standard input (required: passwords never go on the
        /// command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Delete a user with their sessions and consents; their tokens stop working.
    Delete {
        /// Username or id.
        user: String,
    },
}

/// `sigil client …`.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client. Prints its id and, for confidential clients, its secret (shown once).
    Create(Box<ClientCreateArgs>),
    /// List clients.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replace a confidential client's secret; the old one stops working at once.
    RotateSecret {
        /// The client's id.
        #[arg(allow_hyphen_values = true)]
        client_id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable a client: it is refused everywhere and its tokens stop working.
    Disable {
        /// The client's id.
        #[arg(allow_hyphen_values = true)]
        client_id: String,
    },
    /// Enable a disabled client.
    Enable {
        /// The client's id.
        #[arg(allow_hyphen_values = true)]
        client_id: String,
    },
    /// Delete a client with its users' consents; its tokens stop working.
    Delete {
        /// The client's id.
        #[arg(allow_hyphen_values = true)]
        client_id: String,
    },
    /// Who may sign in to a client, and how strongly (Cedar policies).
    #[command(subcommand)]
    SignOnPolicy(crate::cli_gateway::SignOnCommand),
}

/// `sigil client create`.
#[derive(Debug, Args)]
pub struct ClientCreateArgs {
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// Redirect URI (repeatable).
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URI (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant type (repeatable): authorization_code, refresh_token, client_credentials,
    /// urn:ietf:params:oauth:grant-type:device_code.
    #[arg(long = "grant-type")]
    pub grant_types: Vec<String>,
    /// Allowed scope (repeatable, or space-separated).
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
    /// Allowed resource indicator (repeatable); the first is the default audience.
    #[arg(long = "resource")]
    pub resources: Vec<String>,
    /// A public client (native or browser app): no secret, PKCE required.
    #[arg(long)]
    pub public: bool,
    /// client_secret_basic, client_secret_post, private_key_jwt or none.
    #[arg(long)]
    pub token_endpoint_auth_method: Option<String>,
    /// JWKS URI for private_key_jwt.
    #[arg(long)]
    pub jwks_uri: Option<String>,
    /// JWK Set file for private_key_jwt.
    #[arg(long, value_name = "FILE")]
    pub jwks: Option<PathBuf>,
    /// Skip the consent screen (the client belongs to the operator).
    #[arg(long)]
    pub first_party: bool,
    /// A management API client: client credentials with every management scope (add
    /// `--scope` to hold fewer).
    #[arg(long, conflicts_with_all = ["grant_types", "redirect_uris", "public"])]
    pub admin: bool,
    /// Let this confidential client omit PKCE (not recommended).
    #[arg(long)]
    pub pkce_optional: bool,
    /// ID token algorithm: RS256 (default), ES256 or EdDSA.
    #[arg(long)]
    pub id_token_alg: Option<String>,
    /// Where Sigil POSTs a logout token when a session the client signed in through ends
    /// (OpenID Connect Back-Channel Logout).
    #[arg(long, value_name = "URI")]
    pub backchannel_logout_uri: Option<String>,
    /// The page Sigil's signed-out page loads in a hidden frame (Front-Channel Logout); it is
    /// given `iss` and `sid`.
    #[arg(long, value_name = "URI")]
    pub frontchannel_logout_uri: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `sigil keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List signing keys and their state.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create new signing keys; each is published now and signs after the propagation delay.
    Rotate {
        /// Algorithm to rotate (repeatable; default all).
        #[arg(long)]
        alg: Vec<String>,
        /// Seconds until the new keys sign (default: keys.propagation_delay).
        #[arg(long)]
        activate_after: Option<u64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `sigil tenant …`.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant, served at `{issuer}/t/{id}`.
    Create {
        /// Identifier (lower-case letters, digits, dashes).
        id: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
    },
    /// List tenants.
    List,
}
